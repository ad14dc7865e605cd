//! Service mode: consume log partitions from Kafka with one worker per core, run every
//! record through the chain, produce events, alerts and dead letters to their topics.
//!
//! Every worker joins the same consumer group, so Kafka spreads partitions across the
//! workers of a host and across hosts running the same group: adding hosts is how logsift
//! scales out. Records of a partition are processed in order by one worker. Keyed state in
//! a plugin (per-user counters, say) only meets its key in one instance when the input topic
//! is partitioned by that key.
//!
//! Delivery is at least once: see [`worker`] for the promise and [`tracker`] for how it is
//! kept. Duplicates after a crash or rebalance carry the same `event.id` / `alert.id`
//! (derived from topic, partition, offset and rule), so downstream systems can drop them.

mod client;
mod context;
pub mod history;
mod inflight;
mod input;
pub mod scratch;
mod service;
mod sink;
pub mod sizing;
pub mod tracker;
pub mod worker;

pub use client::{ClientError, check_properties};
pub use service::serve;
pub use sink::SetupError;
pub use worker::WorkerError;
