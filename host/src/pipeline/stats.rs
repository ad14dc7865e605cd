//! What a stage counts in one worker: calls, records, time inside the plugin, faults by kind,
//! rebuilds, outcomes. The worker adds them to the service's metrics once per batch.

use std::time::Duration;

/// Counters for one stage in one worker.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct StageStats {
    /// Calls into the plugin (retries included).
    pub calls: u64,
    /// Records handed to the plugin (retries included).
    pub records: u64,
    /// Time spent inside the plugin.
    pub busy: Duration,
    /// Calls that trapped.
    pub traps: u64,
    /// Calls that ran past the deadline.
    pub deadlines: u64,
    /// Calls that ran out of memory.
    pub memory: u64,
    /// Calls whose result broke the contract.
    pub contract: u64,
    /// Instances rebuilt after a fault.
    pub rebuilds: u64,
    /// Records the plugin dropped on purpose.
    pub dropped: u64,
    /// Records the plugin rejected (sent to dead letter with its reason, or passed on under
    /// `on_reject = "pass"`).
    pub rejected: u64,
    /// Records dead-lettered because the plugin faulted on them alone, or while quarantined
    /// fail-closed.
    pub faulted: u64,
    /// Calls that faulted although each of their records then passed alone (or a fresh
    /// instance could not be made): faults no single record explains, the only ones that
    /// count towards quarantine.
    pub unexplained: u64,
    /// Records replayed into rebuilt instances to restore their state.
    pub replayed: u64,
    /// Records that skipped the plugin while it was quarantined fail-open.
    pub skipped: u64,
    /// Records emitted to a named output.
    pub emitted: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Times the plugin was quarantined.
    pub quarantines: u64,
}

impl StageStats {
    /// All faults, of every kind.
    pub fn faults(&self) -> u64 {
        self.traps + self.deadlines + self.memory + self.contract
    }
}
