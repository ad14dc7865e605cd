//! Sigma correlation rules (`event_count`, `value_count`, `temporal`, `temporal_ordered`, …)
//! over the detections of each event, in event time (`@timestamp`; events without one update
//! no correlation state, so a replay correlates as the live run did).
//!
//! State is bounded: at most `max_groups` (correlation, group-by key) windows, and at most
//! `max_entries_per_group` entries in one window. When the groups are full, windows whose
//! time has passed go first, then the stalest groups (down to 90 % of the cap). A window
//! that holds too many entries drops its oldest, so a count can only come out low. Windows
//! of groups that went quiet are swept once a minute of event time.
//!
//! The state lives in each plugin instance, that is per worker: group-by keys only meet
//! when the events of one key reach the same worker — in service mode, when the input topic
//! is partitioned by that key.

use logsift_sdk::Event;
use rsigma_eval::{CorrelationConfig, CorrelationEngine, EvaluationResult, TimestampFallback};
use serde::Deserialize;

use crate::SigmaView;

/// Correlation settings.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CorrelationSettings {
    /// The most (correlation, group-by key) windows kept.
    pub max_groups: usize,
    /// The most entries (events or values) kept in one window.
    pub max_entries_per_group: usize,
}

impl Default for CorrelationSettings {
    fn default() -> Self {
        CorrelationSettings { max_groups: 100_000, max_entries_per_group: 10_000 }
    }
}

impl CorrelationSettings {
    /// The engine's configuration: event time only. The engine passes every detection on:
    /// which rules only feed correlations (`generate: false`, the default) and raise no
    /// alerts of their own is decided by the plugin ([`RuleSet::silent`](crate::RuleSet)),
    /// which knows rules referenced by name as well as by id.
    pub fn config(&self) -> CorrelationConfig {
        CorrelationConfig {
            timestamp_fields: Vec::new(),
            timestamp_fallback: TimestampFallback::Skip,
            max_state_entries: self.max_groups.max(1),
            max_group_entries: Some(self.max_entries_per_group.max(1)),
            emit_detections: true,
            ..CorrelationConfig::default()
        }
    }
}

/// Seconds of event time between sweeps of expired windows.
const SWEEP_SECS: i64 = 60;

/// The correlation state of one plugin instance.
pub struct Correlator {
    engine: CorrelationEngine,
    swept_at: i64,
}

impl Correlator {
    /// A correlator over a loaded correlation engine.
    pub fn new(engine: CorrelationEngine) -> Self {
        Correlator { engine, swept_at: i64::MIN }
    }

    /// Feeds one event's detections to the correlations; returns the detections that raise
    /// alerts of their own, then the correlations that fired.
    pub fn process(&mut self, event: &Event<'_>, view: &SigmaView<'_, '_>, detections: Vec<EvaluationResult>) -> Vec<EvaluationResult> {
        let Some(at) = event.timestamp_secs() else { return self.engine.correlate_detections(view, detections) };
        if at.saturating_sub(self.swept_at) >= SWEEP_SECS {
            self.engine.evict_expired(at);
            self.swept_at = at;
        }
        self.engine.process_with_detections(view, detections, at)
    }

    /// (correlation, group) windows held.
    pub fn groups(&self) -> usize {
        self.engine.state_count()
    }
}
