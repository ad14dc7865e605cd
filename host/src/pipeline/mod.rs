//! The chain of plugins one worker runs, one batch at a time.
//!
//! A batch of [`InputRecord`]s becomes encoded events; each [`Stage`] crosses into its
//! plugin once per batch and applies what the plugin did to each record (pass, replace,
//! split, drop, emit, reject) and the alerts it raised. A call that faults is retried on a
//! fresh instance with the batch split in halves until the guilty records are found: those
//! go to `dead_letter` with the plugin's name and the reason, the rest go on. A plugin that
//! keeps failing is quarantined by its [`FailurePolicy`].
//!
//! Promise: every input record ends up in the [`ChainOutput`] as at least one event, routed
//! record or dead letter, or is counted as dropped by a plugin that said so — never lost
//! silently. Nothing here knows Kafka or files.

mod batch;
mod chain;
mod health;
mod outputs;
mod stage;

pub use batch::{Batch, InputRecord};
pub use chain::{Chain, ChainOutput, Content, OutputItem};
pub use health::{FailurePolicy, HealthConfig, RejectPolicy};
pub use outputs::{ALERTS, AlertRecord, DEAD_LETTER, DeadLetter, EVENTS, OutputRecord, Payload, stable_id};
pub use stage::{Stage, StageOptions, StageStats};
