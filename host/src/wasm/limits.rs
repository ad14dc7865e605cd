//! Per-plugin resource limits and the store limiter that enforces the memory cap.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::TICK;

/// Limits applied to every instance of a plugin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Linear memory cap per instance, in MiB. Default 64.
    pub memory_mb: u32,
    /// Wall-clock deadline for one call (a whole batch), in milliseconds. Default 2000: an
    /// innocent batch of 1,000 records through a heavy parser on a busy 2-core machine takes
    /// well under 100 ms, so only a runaway plugin reaches it. `init` gets ten times this.
    pub timeout_ms: u32,
    /// Most events one record may be split into. Default 100.
    pub max_split: u32,
    /// The longest record, in bytes, that reaches the plugins whole (global only: the
    /// host applies it before the first stage). A longer one goes on with its first bytes
    /// as `event.original`, marked `logsift.truncated` and `logsift.original_bytes`, and the
    /// whole record goes to `dead_letter` with the reason; the file source reads no more of
    /// a line than this. Default 262,144 (256 KiB): a rendered event carries the line
    /// twice (`event.original`, `message`) plus its fields, and must fit the producer's
    /// `message.max.bytes` (librdkafka's default 1,000,000).
    pub max_record_bytes: u32,
}

/// How many call deadlines `init` may take.
pub const INIT_DEADLINE_FACTOR: u64 = 10;

/// The default of [`Limits::max_record_bytes`].
pub const DEFAULT_MAX_RECORD_BYTES: u32 = 256 << 10;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            memory_mb: 64,
            timeout_ms: 2000,
            max_split: logsift_event::contract::DEFAULT_MAX_SPLIT,
            max_record_bytes: DEFAULT_MAX_RECORD_BYTES,
        }
    }
}

impl Limits {
    /// The memory cap in bytes.
    pub fn memory_bytes(&self) -> usize {
        (self.memory_mb as usize).saturating_mul(1 << 20)
    }

    /// The deadline in epoch ticks (at least one).
    pub fn deadline_ticks(&self) -> u64 {
        (Duration::from_millis(u64::from(self.timeout_ms)).as_nanos() / TICK.as_nanos()).max(1) as u64
    }

    /// The deadline of `init`: [`INIT_DEADLINE_FACTOR`] times a call's, since building a
    /// plugin's state (compiling thousands of rules) takes longer than a batch.
    pub fn init_deadline_ticks(&self) -> u64 {
        self.deadline_ticks().saturating_mul(INIT_DEADLINE_FACTOR)
    }
}

/// The error a memory growth past the cap traps with.
#[derive(Debug, thiserror::Error)]
#[error("memory limit of {limit} bytes exceeded: {requested} bytes requested")]
pub struct MemoryLimitExceeded {
    /// The cap.
    pub limit: usize,
    /// What the plugin asked to grow to.
    pub requested: usize,
}

/// Caps linear memory growth and remembers whether the cap was hit.
pub struct MemoryLimiter {
    limit: usize,
    /// Set when a growth was refused.
    pub exceeded: Option<MemoryLimitExceeded>,
}

impl MemoryLimiter {
    /// A limiter with a cap in bytes.
    pub fn new(limit: usize) -> Self {
        MemoryLimiter { limit, exceeded: None }
    }
}

impl wasmtime::ResourceLimiter for MemoryLimiter {
    fn memory_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            self.exceeded = Some(MemoryLimitExceeded { limit: self.limit, requested: desired });
            return Err(MemoryLimitExceeded { limit: self.limit, requested: desired }.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _maximum: Option<usize>) -> wasmtime::Result<bool> {
        // Tables hold function references; a plugin needing more than this is broken.
        Ok(desired <= 100_000)
    }
}
