//! The chain of plugins one worker runs, one batch at a time.
//!
//! A batch of [`InputRecord`]s becomes encoded events; each [`Stage`] crosses into its
//! plugin once per batch and applies what the plugin did to each record (pass, replace,
//! split, drop, emit, reject) and the alerts it raised. After a call that faults, each record
//! of the batch is retried alone on a fresh instance: the guilty ones go to `dead_letter`
//! with the plugin's name and the reason, the rest go on. Only a plugin that faults where no
//! record explains it is quarantined, by its [`FailurePolicy`].
//!
//! Promise: every input record ends up in the [`ChainOutput`] as at least one event, routed
//! record or dead letter, or is counted as dropped by a plugin that said so — never lost
//! silently. Nothing here knows Kafka or files.

mod apply;
mod batch;
mod chain;
mod cost;
mod health;
mod outputs;
mod replay;
mod stage;
mod stats;

pub use batch::{Batch, InputRecord, ORIGINAL_BYTES, TRUNCATED};
pub use chain::{Chain, ChainOutput, Content, HOST, OutputItem};
pub use cost::{CostTable, CostTally, MAX_COST_RULES, RuleCost, RuleKey};
pub use health::{FailurePolicy, HealthConfig, RejectPolicy};
pub use outputs::{ALERTS, ALERTS_SHADOW, AlertRecord, DEAD_LETTER, DeadLetter, EVENTS, OutputRecord, Payload, stable_id, write_stable_id};
pub use stage::{DEGRADED_RULE_ID, Stage, StageMode, StageOptions, StageStats};
