//! Producing output records, and routing each broker acknowledgement back to the worker
//! that produced it. Producers are shared by all workers: one for every output with its
//! own `[outputs.<name>.producer]` properties, one for all the others.

use std::sync::Arc;
use std::sync::mpsc::Sender;
use std::time::Duration;

use foldhash::HashMap;
use rdkafka::ClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::OwnedHeaders;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::statistics::Statistics;

use super::client::{self, ClientError};
use super::tracker::PartitionKey;
use crate::config::{KafkaConfig, Settings};
use crate::metrics::{ClientLabels, Metrics};

/// What one produced record stands for: which input record, which output (kept by the
/// worker that produced it, see [`super::inflight`]).
#[derive(Debug)]
pub struct Delivery {
    /// The input record's partition.
    pub partition: PartitionKey,
    /// The input record's offset.
    pub offset: i64,
    /// The assignment of its partition it was polled under (see the tracker).
    pub epoch: u64,
    /// The output.
    pub output: Arc<str>,
    /// Whether it is a dead letter (whose refusal stops the partition).
    pub dead_letter: bool,
    /// The length of its value.
    pub bytes: usize,
}

/// A broker's answer for one produced record.
#[derive(Debug)]
pub struct Ack {
    /// What was produced: the token of its [`Delivery`] (see [`super::inflight`]).
    pub token: usize,
    /// Why it was refused for good (retriable errors are retried by librdkafka and never
    /// reach here: `message.timeout.ms = 0`).
    pub error: Option<String>,
}

/// Hands acknowledgements to the workers and producer statistics to the metrics.
pub struct SinkContext {
    acks: Vec<Sender<Ack>>,
    metrics: Arc<Metrics>,
    client: String,
}

impl ClientContext for SinkContext {
    fn stats(&self, stats: Statistics) {
        let retries: u64 = stats.brokers.values().map(|b| b.txretries).sum();
        self.metrics.produce_retries.get_or_create(&ClientLabels { client: self.client.clone() }).set(retries as i64);
    }
}

impl ProducerContext for SinkContext {
    type DeliveryOpaque = usize;

    fn delivery(&self, result: &DeliveryResult<'_>, token: usize) {
        let error = result.as_ref().err().map(|(e, _)| e.to_string());
        // A worker that has stopped no longer needs its acknowledgements.
        if let Some(worker) = self.acks.get(super::inflight::split(token).0) {
            let _ = worker.send(Ack { token, error });
        }
    }
}

type Producer_ = ThreadedProducer<SinkContext>;

/// The producers of all outputs, each with the largest record it may send.
pub struct Producers {
    shared: (Producer_, usize),
    own: HashMap<String, (Producer_, usize)>,
}

/// librdkafka's default `message.max.bytes`.
const DEFAULT_MESSAGE_MAX_BYTES: usize = 1_000_000;

/// The `message.max.bytes` a producer's properties give, or librdkafka's default.
fn message_max_bytes(props: &[&crate::config::KafkaProps]) -> usize {
    props
        .iter()
        .rev()
        .find_map(|p| p.get("message.max.bytes"))
        .and_then(|v| v.to_string().parse().ok())
        .unwrap_or(DEFAULT_MESSAGE_MAX_BYTES)
}

/// Why a produce call failed before the broker saw the record.
#[derive(Debug, thiserror::Error)]
#[error("cannot produce to topic {topic}: {error}")]
pub struct ProduceError {
    /// The topic.
    pub topic: String,
    /// librdkafka's error.
    pub error: KafkaError,
}

impl Producers {
    /// Creates the producers; `acks[i]` receives worker `i`'s acknowledgements.
    pub fn new(settings: &Settings, kafka: &KafkaConfig, acks: Vec<Sender<Ack>>, metrics: &Arc<Metrics>) -> Result<Self, SetupError> {
        let make = |output: Option<&str>, props| -> Result<(Producer_, usize), SetupError> {
            let client_id = output.map_or_else(|| "logsift-producer".to_owned(), |name| format!("logsift-producer-{name}"));
            let context = SinkContext { acks: acks.clone(), metrics: Arc::clone(metrics), client: client_id.clone() };
            let max = message_max_bytes(&[&kafka.producer, props]);
            Ok((client::producer(kafka, (output, props), &client_id)?.create_with_context(context)?, max))
        };
        let no_extra = Default::default();
        let shared = make(None, &no_extra)?;
        let mut own = HashMap::default();
        for (output, config) in &settings.outputs {
            if !config.producer.is_empty() {
                own.insert(output.clone(), make(Some(output), &config.producer)?);
            }
        }
        Ok(Producers { shared, own })
    }

    fn for_output(&self, output: &str) -> &(Producer_, usize) {
        self.own.get(output).unwrap_or(&self.shared)
    }

    /// The largest record (value, key and headers) the output's producer may send: its
    /// `message.max.bytes`.
    pub fn max_message_bytes(&self, output: &str) -> usize {
        self.for_output(output).1
    }

    /// Queues one record of `output` with its delivery token. A full queue is waited out
    /// (backpressure), never dropped.
    pub fn send(
        &self,
        (output, topic): (&str, &str),
        payload: &[u8],
        key: Option<&[u8]>,
        headers: OwnedHeaders,
        token: usize,
    ) -> Result<(), ProduceError> {
        let (producer, _) = self.for_output(output);
        let mut record = BaseRecord::with_opaque_to(topic, token).payload(payload).headers(headers);
        if let Some(key) = key {
            record = record.key(key);
        }
        loop {
            match producer.send(record) {
                Ok(()) => return Ok(()),
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    record = back;
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err((error, _)) => return Err(ProduceError { topic: topic.to_owned(), error }),
            }
        }
    }

    /// Waits until every queued record is acknowledged, or the timeout passes.
    pub fn flush(&self, timeout: Duration) -> Result<(), KafkaError> {
        self.shared.0.flush(timeout)?;
        for (producer, _) in self.own.values() {
            producer.flush(timeout)?;
        }
        Ok(())
    }
}

/// Why service mode could not start its Kafka clients.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The configuration is incomplete or a secret is missing.
    #[error(transparent)]
    Config(#[from] ClientError),
    /// librdkafka refused the configuration.
    #[error("kafka client: {0}")]
    Kafka(#[from] KafkaError),
}
