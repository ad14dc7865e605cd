//! A scratch topic for a backtest's alerts: a producer that refuses every topic the live
//! service reads or writes (the input topics and every output's topic) and, before the
//! backtest reports success, waits until the broker has acknowledged each alert.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context as _;
use rdkafka::ClientContext;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::types::RDKafkaErrorCode;

use crate::config::{KafkaProps, Settings};
use crate::pipeline::{ALERTS, ALERTS_SHADOW, DEAD_LETTER, EVENTS};

/// How long the end of a backtest waits for the last acknowledgements.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(60);

/// Acknowledgements and the first failure.
#[derive(Default)]
struct Acks {
    acknowledged: AtomicU64,
    failed: AtomicU64,
    first_error: Mutex<Option<String>>,
}

impl ClientContext for Acks {}

impl ProducerContext for Acks {
    type DeliveryOpaque = ();

    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        match result {
            Ok(_) => {
                self.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Err((error, _)) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                let mut first = self.first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                first.get_or_insert_with(|| error.to_string());
            }
        }
    }
}

/// The topics a scratch topic must not be: what the live service reads and writes.
pub fn live_topics(settings: &Settings) -> Vec<String> {
    let mut topics: Vec<String> = settings.kafka.as_ref().map(|k| k.topics.clone()).unwrap_or_default();
    let outputs = [EVENTS, ALERTS, ALERTS_SHADOW, DEAD_LETTER].into_iter().map(str::to_owned).chain(settings.outputs.keys().cloned());
    topics.extend(outputs.map(|output| settings.topic_for(&output)));
    topics.sort();
    topics.dedup();
    topics
}

/// Alerts produced to a scratch topic.
pub struct ScratchTopic {
    topic: String,
    producer: ThreadedProducer<Acks>,
    sent: u64,
}

impl ScratchTopic {
    /// A producer for `topic`, with the configuration's `[kafka]` connection and producer
    /// properties; refused when `topic` is one the live service reads or writes.
    pub fn open(settings: &Settings, topic: &str) -> anyhow::Result<Self> {
        let kafka = settings.kafka.as_ref().context("--output-topic needs the configuration's [kafka] section to reach the brokers")?;
        let live = live_topics(settings);
        anyhow::ensure!(
            !live.iter().any(|t| t == topic),
            "--output-topic {topic:?} is a topic the live service reads or writes ({}); give a scratch topic of its own",
            live.join(", ")
        );
        if kafka.topic_pattern.is_some() {
            tracing::warn!(topic, "the input is a topic pattern: make sure it does not match the scratch topic");
        }
        let config = super::client::producer(kafka, (None, &KafkaProps::new()), "logsift-backtest")?;
        let producer: ThreadedProducer<Acks> =
            config.create_with_context(Acks::default()).context("creating the scratch topic's producer")?;
        Ok(ScratchTopic { topic: topic.to_owned(), producer, sent: 0 })
    }

    /// Produces one alert (its JSON line, without the newline), keyed by its alert id.
    pub fn send(&mut self, key: &str, line: &[u8]) -> anyhow::Result<()> {
        let mut record = BaseRecord::to(&self.topic).key(key).payload(line);
        loop {
            match self.producer.send(record) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((error, _)) => return Err(error).with_context(|| format!("producing an alert to {}", self.topic)),
            }
        }
        self.sent += 1;
        Ok(())
    }

    /// Waits for every acknowledgement; an alert the broker refused fails the backtest.
    /// Returns the topic and the alerts acknowledged.
    pub fn finish(self) -> anyhow::Result<(String, u64)> {
        self.producer
            .flush(FLUSH_TIMEOUT)
            .with_context(|| format!("waiting for the broker to acknowledge the alerts on {}", self.topic))?;
        let acks = self.producer.context();
        let (acknowledged, failed) = (acks.acknowledged.load(Ordering::Relaxed), acks.failed.load(Ordering::Relaxed));
        if failed > 0 || acknowledged != self.sent {
            let first = acks.first_error.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone().unwrap_or_default();
            anyhow::bail!("{} of {} alerts were not written to {}: {first}", self.sent - acknowledged, self.sent, self.topic);
        }
        Ok((self.topic, acknowledged))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        let toml = "[kafka]\nbrokers = \"127.0.0.1:1\"\ntopics = [\"ssh-logs\", \"web\"]\n[outputs.alerts]\ntopic = \"soc-alerts\"\n[outputs.suspicious]\n";
        let value: toml::Value = toml::from_str(toml).expect("toml");
        serde_json::from_value(serde_json::to_value(value).expect("json")).expect("settings")
    }

    #[test]
    fn every_topic_the_service_reads_or_writes_is_refused_as_a_scratch_topic() {
        let settings = settings();
        assert_eq!(live_topics(&settings), ["alerts-shadow", "dead-letter", "events", "soc-alerts", "ssh-logs", "suspicious", "web"]);
        for topic in live_topics(&settings) {
            let refused = ScratchTopic::open(&settings, &topic).err().expect("refused").to_string();
            assert!(refused.contains("a topic the live service reads or writes"), "{refused}");
        }
        // Any other topic will do.
        assert!(ScratchTopic::open(&settings, "backtest-1").is_ok());
    }

    #[test]
    fn a_scratch_topic_needs_kafka() {
        let refused = ScratchTopic::open(&Settings::empty(), "scratch").err().expect("refused").to_string();
        assert!(refused.contains("[kafka]"), "{refused}");
    }
}
