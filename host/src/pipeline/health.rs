//! A per-plugin circuit breaker: a plugin with too many faults that no single record
//! explains in a window is quarantined for a while, and its records follow its failure
//! policy meanwhile.
//!
//! The rule: a record that faults alone is dead-lettered and never counts against its
//! plugin — an attacker who writes log lines decides how many such records there are, and
//! quarantining for them would let five lines switch a detector off. A plugin is quarantined
//! only when it cannot make an instance, or when batches fault although each of their
//! records passes alone.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What happens to records while a plugin is quarantined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailurePolicy {
    /// Skip the plugin: records go on unchanged (counted), and a "plugin degraded" alert is
    /// raised when quarantine begins. Data keeps flowing; this plugin's work is missing.
    FailOpen,
    /// Dead-letter every record that reaches the plugin, with the reason.
    FailClosed,
}

/// What happens to a record the plugin rejects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RejectPolicy {
    /// It goes to `dead_letter` with the plugin's reason (default).
    #[default]
    DeadLetter,
    /// It goes on unchanged to the next stage (counted). For parsers over mixed input: each
    /// parser claims the lines it understands and passes on the rest, and the last parser
    /// dead-letters what nobody could parse.
    Pass,
}

/// When a plugin is quarantined and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HealthConfig {
    /// Policy while quarantined. Default `fail-open`.
    pub on_failure: FailurePolicy,
    /// Faults no single record explains (a batch faults but each of its records passes
    /// alone, or no instance can be made) within the window that quarantine the plugin.
    /// Records that fault alone never count. Default 5.
    pub max_failures: u32,
    /// The window, in seconds. Default 60.
    pub failure_window_secs: u64,
    /// How long quarantine lasts before the plugin is tried again, in seconds. Default 300.
    pub quarantine_secs: u64,
    /// How many of its last records a stage replays into an instance rebuilt after a
    /// fault, so that its state (a detector's windows) survives. Default: 1,000 for
    /// detectors, 0 for parsers and enrichers.
    pub replay_records: Option<u32>,
}

/// Records a detector replays into a rebuilt instance unless its stage says otherwise.
pub const DETECTOR_REPLAY_RECORDS: u32 = 1_000;

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            on_failure: FailurePolicy::FailOpen,
            max_failures: 5,
            failure_window_secs: 60,
            quarantine_secs: 300,
            replay_records: None,
        }
    }
}

/// The breaker's state for one plugin in one worker.
#[derive(Debug, Default)]
pub struct Health {
    failures: VecDeque<Instant>,
    quarantined_until: Option<Instant>,
}

impl Health {
    /// Records a guilty record; returns true when this failure starts a quarantine.
    pub fn record_failure(&mut self, config: &HealthConfig, now: Instant) -> bool {
        let window = Duration::from_secs(config.failure_window_secs);
        while self.failures.front().is_some_and(|&t| now.duration_since(t) > window) {
            self.failures.pop_front();
        }
        self.failures.push_back(now);
        if self.quarantined_until.is_none() && self.failures.len() >= config.max_failures.max(1) as usize {
            self.quarantined_until = Some(now + Duration::from_secs(config.quarantine_secs));
            return true;
        }
        false
    }

    /// Whether a quarantine is in force at `now` (without lifting one that has run out).
    pub fn quarantined_at(&self, now: Instant) -> bool {
        self.quarantined_until.is_some_and(|until| now < until)
    }

    /// Whether the plugin is quarantined now; a quarantine that has run out is lifted.
    pub fn is_quarantined(&mut self, now: Instant) -> bool {
        match self.quarantined_until {
            Some(until) if now < until => true,
            Some(_) => {
                self.quarantined_until = None;
                self.failures.clear();
                false
            }
            None => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarantine_starts_at_the_threshold_and_lifts_after_its_time() {
        let config = HealthConfig { max_failures: 3, failure_window_secs: 10, quarantine_secs: 30, ..HealthConfig::default() };
        let mut h = Health::default();
        let t0 = Instant::now();
        assert!(!h.record_failure(&config, t0));
        assert!(!h.record_failure(&config, t0 + Duration::from_secs(1)));
        assert!(h.record_failure(&config, t0 + Duration::from_secs(2)));
        assert!(h.is_quarantined(t0 + Duration::from_secs(10)));
        assert!(!h.is_quarantined(t0 + Duration::from_secs(33)));
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let config = HealthConfig { max_failures: 2, failure_window_secs: 5, ..HealthConfig::default() };
        let mut h = Health::default();
        let t0 = Instant::now();
        assert!(!h.record_failure(&config, t0));
        assert!(!h.record_failure(&config, t0 + Duration::from_secs(6)));
        assert!(!h.is_quarantined(t0 + Duration::from_secs(6)));
    }
}
