//! Reading a time range of the input topics' history (for `logsift backtest`): each
//! partition from the first offset the broker gives for the start time (offsets for times) to
//! the end offset it had when reading began, or to its first record stamped after the end
//! time. Records stamped before the start time (a broker may index arrival, not record
//! time) are skipped and counted, so exactly the records stamped inside the range are read.
//! A broker that gives no offset for the start time is read from its earliest record.
//!
//! Promise: the live consumer group never sees a backtest. The reader assigns partitions
//! itself (no group membership, no rebalance) under a group id of its own, and never commits.

use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};

use super::client::{self, ClientError};
use crate::config::KafkaConfig;
use crate::pipeline::InputRecord;

/// How long metadata, offset and watermark requests may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A partition that delivers nothing for this long while short of its end offset (records
/// the broker counts but never delivers, say) is given up with a warning.
const STALL: Duration = Duration::from_secs(15);

/// Why the history could not be read.
#[derive(Debug, thiserror::Error)]
pub enum HistoryError {
    /// The Kafka configuration is incomplete or refused.
    #[error(transparent)]
    Config(#[from] ClientError),
    /// The broker refused a request.
    #[error("kafka: {0}")]
    Kafka(#[from] KafkaError),
    /// A backtest reads named topics.
    #[error("a backtest reads the topics named in kafka.topics; kafka.topic_pattern is not supported")]
    Pattern,
    /// A topic the configuration names has no partitions.
    #[error("topic {0:?} has no partitions: does it exist?")]
    NoTopic(String),
}

/// One partition's part of the range, and how far reading it got.
#[derive(Debug, Clone)]
pub struct PartitionRange {
    /// The topic.
    pub topic: Arc<str>,
    /// The partition.
    pub partition: i32,
    /// The first offset read.
    pub start: i64,
    /// The end offset when reading began (one past the last record then).
    pub end: i64,
    /// Records read inside the range.
    pub read: u64,
    /// Whether the partition is finished.
    pub done: bool,
}

/// A reader of the input topics between two instants (Unix milliseconds).
pub struct History {
    consumer: BaseConsumer,
    ranges: Vec<PartitionRange>,
    from_ms: i64,
    to_ms: i64,
    /// Records read but stamped before the start time, skipped.
    pub skipped: u64,
    /// Partitions whose range may begin before the oldest record kept (retention).
    pub truncated: Vec<(Arc<str>, i32, i64)>,
}

impl History {
    /// Finds where the range begins and ends in every partition of the configured topics and
    /// assigns them.
    pub fn open(kafka: &KafkaConfig, from_ms: i64, to_ms: i64) -> Result<Self, HistoryError> {
        if kafka.topics.is_empty() {
            return Err(HistoryError::Pattern);
        }
        let mut config = client::consumer(kafka, "logsift-backtest")?;
        let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_nanos();
        config.set("group.id", format!("logsift-backtest-{}-{nanos}", std::process::id())).set("enable.auto.commit", "false");
        let consumer: BaseConsumer = config.create()?;
        let (mut ranges, mut truncated) = (Vec::new(), Vec::new());
        for topic in &kafka.topics {
            let metadata = consumer.fetch_metadata(Some(topic), REQUEST_TIMEOUT)?;
            let partitions: Vec<i32> = metadata.topics().iter().flat_map(|t| t.partitions().iter().map(|p| p.id())).collect();
            if partitions.is_empty() {
                return Err(HistoryError::NoTopic(topic.clone()));
            }
            let mut wanted = TopicPartitionList::new();
            for &partition in &partitions {
                wanted.add_partition_offset(topic, partition, Offset::Offset(from_ms))?;
            }
            let found = consumer.offsets_for_times(wanted, REQUEST_TIMEOUT)?;
            let name: Arc<str> = Arc::from(topic.as_str());
            for partition in partitions {
                let (low, high) = consumer.fetch_watermarks(topic, partition, REQUEST_TIMEOUT)?;
                let start = match found.find_partition(topic, partition).map(|e| e.offset()) {
                    Some(Offset::Offset(offset)) => offset.max(low),
                    // Kafka answers "end" when every record is older than the start time, but
                    // some Kafka-protocol brokers (librdkafka's mock cluster) answer it for
                    // any time: read from the earliest record and let the timestamps decide.
                    // Exact either way; only slower where the answer was right.
                    _ => low,
                };
                if start == low && low > 0 {
                    truncated.push((Arc::clone(&name), partition, low));
                }
                ranges.push(PartitionRange { topic: Arc::clone(&name), partition, start, end: high, read: 0, done: start >= high });
            }
        }
        let mut assignment = TopicPartitionList::new();
        for range in ranges.iter().filter(|r| !r.done) {
            assignment.add_partition_offset(&range.topic, range.partition, Offset::Offset(range.start))?;
        }
        consumer.assign(&assignment)?;
        Ok(History { consumer, ranges, from_ms, to_ms, skipped: 0, truncated })
    }

    /// The partitions and how far each got.
    pub fn ranges(&self) -> &[PartitionRange] {
        &self.ranges
    }

    /// How many offsets the range spans (an upper bound of the records it holds).
    pub fn span(&self) -> u64 {
        self.ranges.iter().map(|r| (r.end - r.start).max(0) as u64).sum()
    }

    /// Whether every partition is finished.
    pub fn finished(&self) -> bool {
        self.ranges.iter().all(|r| r.done)
    }

    /// Up to `max` records of the range, each with its timestamp; empty when the range is read.
    pub fn next_batch(&mut self, max: usize) -> Result<Vec<(InputRecord, Option<i64>)>, HistoryError> {
        let mut batch = Vec::with_capacity(max);
        let mut last_seen = Instant::now();
        while batch.len() < max && !self.finished() {
            let wait = if batch.is_empty() { Duration::from_millis(200) } else { Duration::ZERO };
            let message = match self.consumer.poll(wait) {
                Some(polled) => polled?,
                None if !batch.is_empty() => break,
                None => {
                    if last_seen.elapsed() > STALL {
                        self.give_up_stalled();
                    }
                    continue;
                }
            };
            last_seen = Instant::now();
            let Some(at) = self.ranges.iter().position(|r| *r.topic == *message.topic() && r.partition == message.partition()) else {
                continue;
            };
            let range = &mut self.ranges[at];
            let offset = message.offset();
            if range.done || offset < range.start {
                continue;
            }
            let stamp = message.timestamp().to_millis();
            if offset >= range.end || stamp.is_some_and(|t| t > self.to_ms) {
                finish(&self.consumer, range);
                continue;
            }
            if offset + 1 >= range.end {
                finish(&self.consumer, range);
            }
            if stamp.is_some_and(|t| t < self.from_ms) {
                self.skipped += 1;
                continue;
            }
            self.ranges[at].read += 1;
            batch.push((super::input::record(&message), stamp));
        }
        Ok(batch)
    }

    fn give_up_stalled(&mut self) {
        for range in self.ranges.iter_mut().filter(|r| !r.done) {
            tracing::warn!(
                topic = %range.topic,
                partition = range.partition,
                end = range.end,
                read = range.read,
                "partition delivered nothing for {} s short of its end offset; stopping it there",
                STALL.as_secs()
            );
            finish(&self.consumer, range);
        }
    }
}

/// Marks a partition finished and stops fetching it.
fn finish(consumer: &BaseConsumer, range: &mut PartitionRange) {
    range.done = true;
    let mut list = TopicPartitionList::new();
    list.add_partition(&range.topic, range.partition);
    // Only saves fetching what would be skipped: a failure changes nothing else.
    let _ = consumer.pause(&list);
}
