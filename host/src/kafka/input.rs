//! An input record from a consumed Kafka message: its value, and its origin (topic,
//! partition, offset, key, headers) for provenance, stable ids and dead letters.

use logsift_event::Origin;
use rdkafka::message::{BorrowedMessage, Headers, Message};

use crate::pipeline::InputRecord;

/// The message as an input record (its bytes copied: the message is the consumer's).
pub fn record(message: &BorrowedMessage<'_>) -> InputRecord {
    let headers = message
        .headers()
        .map(|h| h.iter().map(|h| (h.key.to_owned().into(), h.value.unwrap_or_default().to_vec().into())).collect())
        .unwrap_or_default();
    let origin = Origin::Kafka {
        topic: message.topic().to_owned().into(),
        partition: message.partition(),
        offset: message.offset(),
        key: message.key().map(|k| k.to_vec().into()),
        headers,
    };
    InputRecord { cut_from: None, raw: message.payload().unwrap_or_default().to_vec(), origin }
}
