//! One stage of the chain: a plugin, this worker's instance of it, and its health.
//!
//! A batch crosses into the plugin once. If the call faults (trap, deadline, memory) or
//! returns something that breaks the contract, the instance is dropped and every record of
//! the batch is retried alone on a fresh instance: a record that faults alone goes to
//! `dead_letter` with the plugin's name and the fault, every other record goes on. Finding
//! the guilty records thus costs the first fault plus one fault per guilty record, whatever
//! the batch size. A result is applied all or nothing, so a retry never duplicates output.
//!
//! Promise: a record that faults costs only itself. Faults that one record explains never
//! count against the plugin (an attacker decides how many such records there are); only
//! faults no record explains — a batch faults but each of its records passes alone, or no
//! instance can be made — count towards quarantine ([`HealthConfig`]).
//!
//! A rebuilt instance would start with empty memory, and a detector would forget its
//! windows (five failed logins, then a poison line, then the success). So the stage keeps
//! its last records ([`Replay`]) and replays them into a rebuilt instance, outputs
//! discarded, before it serves again: windows spanning those records survive a fault.
//!
//! A shadow stage ([`StageMode::Shadow`]) sees the batch as the live chain has it at its
//! place but changes nothing: its events, emits and dead letters are discarded, and only its
//! alerts leave, on `alerts_shadow` and marked `rule.shadow`. Its faults are contained as any
//! stage's are, and cost live records nothing.

use std::ops::Range;
use std::sync::Arc;
use std::time::Instant;

use logsift_event::{EventView, PARSED_MARK};

use super::apply::Unchanged;
use super::batch::Batch;
use super::health::{FailurePolicy, Health, HealthConfig, RejectPolicy};
use super::outputs::{ALERTS, ALERTS_SHADOW, AlertRecord, DEAD_LETTER, DeadLetter, OutputRecord, Payload, stable_id};
use super::replay::Replay;
pub use super::stats::StageStats;
use crate::wasm::{BatchResult, Fault, Level, LoadedPlugin, PluginInstance, PluginKind};

/// The rule id of the alert raised when a fail-open plugin is quarantined.
pub const DEGRADED_RULE_ID: &str = "logsift.plugin.degraded";

/// Whether a stage's work counts: `live` (default) or `shadow` — on trial beside the live
/// chain, its alerts on `alerts_shadow` and nothing else of it kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StageMode {
    /// Its events go on, its alerts to `alerts`, its dead letters to `dead_letter`.
    #[default]
    Live,
    /// It runs on the records at its place in the chain, in its own instance; its alerts go
    /// to `alerts_shadow` (marked `rule.shadow = true`), its events, emits and dead letters
    /// are discarded: the records go on as they came to it.
    Shadow,
}

/// How a stage treats its plugin's failures and refusals, and whether its work counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageOptions {
    /// Quarantine policy.
    pub health: HealthConfig,
    /// What happens to rejected records.
    pub on_reject: RejectPolicy,
    /// Live or shadow.
    pub mode: StageMode,
}

/// A plugin in this worker's chain.
pub struct Stage {
    pub(super) plugin: Arc<LoadedPlugin>,
    health_config: HealthConfig,
    pub(super) on_reject: RejectPolicy,
    pub(super) mode: StageMode,
    instance: Option<PluginInstance>,
    started: bool,
    health: Health,
    replay: Replay,
    pub(super) alerts: Arc<str>,
    dead_letter: Arc<str>,
    /// Rule costs the plugin reported since the chain last collected them.
    pub(super) costs: Vec<super::cost::RuleCost>,
    /// Counters.
    pub stats: StageStats,
}

/// Why a call produced no result.
enum CallError {
    /// The plugin faulted on what it was given.
    Fault(Fault),
    /// No instance could be made: nothing the records did.
    NoInstance(String),
}

impl Stage {
    /// A stage for a loaded plugin. Its instance is made on first use.
    pub fn new(plugin: Arc<LoadedPlugin>, options: StageOptions) -> Self {
        let replay_records = options.health.replay_records.unwrap_or(match plugin.meta.kind {
            PluginKind::Detector => super::health::DETECTOR_REPLAY_RECORDS,
            PluginKind::Parser | PluginKind::Enricher => 0,
        });
        Stage {
            plugin,
            health_config: options.health,
            on_reject: options.on_reject,
            mode: options.mode,
            instance: None,
            started: false,
            health: Health::default(),
            replay: Replay::new(replay_records as usize),
            alerts: Arc::from(match options.mode {
                StageMode::Live => ALERTS,
                StageMode::Shadow => ALERTS_SHADOW,
            }),
            dead_letter: Arc::from(DEAD_LETTER),
            costs: Vec::new(),
            stats: StageStats::default(),
        }
    }

    /// The plugin this stage runs.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// Whether the plugin is quarantined in this worker now.
    pub fn quarantined(&self) -> bool {
        self.health.quarantined_at(Instant::now())
    }

    /// Runs a batch through the plugin and returns what goes on to the next stage;
    /// everything else is appended to `routed`. A batch the plugin left unchanged is handed
    /// on as it is, without a copy.
    pub fn run(&mut self, batch: Batch, routed: &mut Vec<OutputRecord>) -> Batch {
        // The contract's claim rule, kept here too: a parser passes on unchanged every event
        // an earlier parser claimed, so a batch claimed whole goes on without a call.
        if self.plugin.meta.kind == PluginKind::Parser && batch.all_have(PARSED_MARK) {
            return batch;
        }
        if self.mode == StageMode::Shadow {
            self.shadow(&batch, routed);
            return batch;
        }
        let before = self.stats.clone();
        // Room for about as many records as came in; the bytes are reserved once the
        // plugin's result says how many (see `apply`), and a stage that changes nothing
        // reserves none.
        let mut next = Batch::with_capacity(batch.len() + batch.len() / 8, 0);
        let out = match self.run_range(&batch, 0..batch.len(), &mut next, routed) {
            Unchanged::Yes => batch,
            Unchanged::No => next,
        };
        self.add_totals(&before);
        out
    }

    /// A shadow stage's run: the batch is only read; of what the plugin made, only its alerts
    /// (already addressed to `alerts_shadow`) are kept.
    fn shadow(&mut self, batch: &Batch, routed: &mut Vec<OutputRecord>) {
        let before = self.stats.clone();
        let (mut discarded, mut own) = (Batch::default(), Vec::new());
        self.run_range(batch, 0..batch.len(), &mut discarded, &mut own);
        // What it would have dropped went on: no record is counted as dropped by a shadow.
        self.stats.dropped = before.dropped;
        self.add_totals(&before);
        routed.extend(own.into_iter().filter(|record| matches!(record.payload, Payload::Alert(_))));
    }

    /// Adds what the stage counted since `before` to its plugin's totals (all workers).
    fn add_totals(&self, before: &StageStats) {
        let totals = &self.plugin.counters;
        let add = |counter: &std::sync::atomic::AtomicU64, n: u64| {
            if n > 0 {
                counter.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
            }
        };
        add(&totals.calls, self.stats.calls - before.calls);
        add(&totals.records, self.stats.records - before.records);
        add(&totals.faults, self.stats.faults() - before.faults());
        add(&totals.alerts, self.stats.alerts - before.alerts);
    }

    /// The options it runs with.
    pub fn options(&self) -> StageOptions {
        StageOptions { health: self.health_config, on_reject: self.on_reject, mode: self.mode }
    }

    fn run_range(&mut self, batch: &Batch, range: Range<usize>, next: &mut Batch, routed: &mut Vec<OutputRecord>) -> Unchanged {
        if range.is_empty() {
            return Unchanged::No;
        }
        let whole = range.len() == batch.len();
        if self.health.is_quarantined(Instant::now()) {
            return self.bypass(batch, range, next, routed, whole);
        }
        let fault = match self.attempt(batch, range.clone(), next, routed, whole) {
            Ok(unchanged) => return unchanged,
            Err(CallError::NoInstance(reason)) => return self.unexplained(batch, range, next, routed, whole, &reason),
            Err(CallError::Fault(fault)) => fault,
        };
        if range.len() == 1 {
            self.convict(batch, range.start, &fault, routed);
            return Unchanged::No;
        }
        // Every record alone: the guilty ones fault again, the others pass.
        let mut convicted = 0;
        for index in range.clone() {
            match self.attempt(batch, index..index + 1, next, routed, false) {
                Ok(_) => {}
                Err(CallError::Fault(fault)) => {
                    self.convict(batch, index, &fault, routed);
                    convicted += 1;
                }
                Err(CallError::NoInstance(reason)) => {
                    self.unexplained(batch, index..range.end, next, routed, false, &reason);
                    return Unchanged::No;
                }
            }
        }
        if convicted == 0 {
            let reason = format!("{fault} on a batch of {} records, each of which passed alone", range.len());
            self.count_unexplained(batch, range.start, &reason, routed);
        }
        Unchanged::No
    }

    /// One call on `range` and its result applied; on a fault nothing of it is kept.
    fn attempt(
        &mut self,
        batch: &Batch,
        range: Range<usize>,
        next: &mut Batch,
        routed: &mut Vec<OutputRecord>,
        whole: bool,
    ) -> Result<Unchanged, CallError> {
        let result = self.call(batch.slice(range.clone()), range.len())?;
        let (next_len, routed_len) = (next.len(), routed.len());
        match self.apply(result, batch, range.clone(), next, routed, whole) {
            Ok(mut applied) => {
                self.costs.append(&mut applied.costs);
                self.stats.dropped += applied.dropped;
                self.stats.rejected += applied.rejected;
                self.stats.emitted += applied.emitted;
                self.stats.alerts += applied.alerts;
                self.replay.remember(batch, range);
                Ok(applied.unchanged)
            }
            Err(fault) => {
                next.truncate(next_len);
                routed.truncate(routed_len);
                self.instance = None;
                self.stats.contract += 1;
                Err(CallError::Fault(fault))
            }
        }
    }

    /// One call into the plugin, making an instance first if there is none.
    fn call(&mut self, encoded: &[u8], records: usize) -> Result<BatchResult, CallError> {
        let instance = match self.instance.take() {
            Some(instance) => instance,
            None => self.rebuild()?,
        };
        let instance = self.instance.insert(instance);
        let started = Instant::now();
        let result = instance.process(encoded);
        self.stats.busy += started.elapsed();
        self.stats.calls += 1;
        self.stats.records += records as u64;
        result.map_err(|fault| {
            self.instance = None;
            self.count_fault(&fault);
            CallError::Fault(fault)
        })
    }

    fn count_fault(&mut self, fault: &Fault) {
        match fault {
            Fault::Deadline { .. } => self.stats.deadlines += 1,
            Fault::MemoryLimit { .. } => self.stats.memory += 1,
            Fault::Trap { .. } => self.stats.traps += 1,
            Fault::Contract { .. } => self.stats.contract += 1,
        }
    }

    /// A fresh instance. After the first, the records this stage last processed are
    /// replayed into it (outputs discarded) so its state is what it was before the fault;
    /// if the replay itself faults, the remembered records are forgotten and the instance
    /// starts empty, with a warning.
    fn rebuild(&mut self) -> Result<PluginInstance, CallError> {
        let make =
            |plugin: &LoadedPlugin| plugin.instantiate().map_err(|e| CallError::NoInstance(format!("no instance could be made: {e}")));
        let mut instance = make(&self.plugin)?;
        if !std::mem::replace(&mut self.started, true) {
            return Ok(instance);
        }
        self.stats.rebuilds += 1;
        let started = Instant::now();
        let (mut replayed, mut fault) = (0, None);
        for range in self.replay.ranges() {
            match instance.process(range.slice(0..range.len())) {
                Ok(_) => replayed += range.len() as u64,
                Err(f) => {
                    fault = Some(f);
                    break;
                }
            }
        }
        self.stats.busy += started.elapsed();
        if let Some(fault) = fault {
            tracing::warn!(plugin = %self.plugin.name, "replaying its last records into a rebuilt instance faulted ({fault}); it starts without its earlier state");
            self.replay.clear();
            return make(&self.plugin);
        }
        self.stats.replayed += replayed;
        Ok(instance)
    }

    /// A record the plugin faults on by itself: dead-letter it. It says nothing about the
    /// plugin, so it does not count towards quarantine.
    fn convict(&mut self, batch: &Batch, index: usize, fault: &Fault, routed: &mut Vec<OutputRecord>) {
        let source = batch.source(index);
        tracing::warn!(plugin = %self.plugin.name, fault = fault.kind(), "{fault}; record sent to dead letter");
        routed.push(self.dead_letter_record(source, fault.to_string()));
        self.stats.faulted += 1;
    }

    /// No instance could be made: the records of `range` follow the failure policy, and the
    /// failure counts towards quarantine.
    fn unexplained(
        &mut self,
        batch: &Batch,
        range: Range<usize>,
        next: &mut Batch,
        routed: &mut Vec<OutputRecord>,
        whole: bool,
        reason: &str,
    ) -> Unchanged {
        self.count_unexplained(batch, range.start, reason, routed);
        self.bypass(batch, range, next, routed, whole)
    }

    /// A fault no single record explains: counted, and quarantine when there are too many.
    fn count_unexplained(&mut self, batch: &Batch, index: usize, reason: &str, routed: &mut Vec<OutputRecord>) {
        self.stats.unexplained += 1;
        let name = Arc::clone(&self.plugin.name);
        tracing::warn!(plugin = %name, "{reason}");
        if self.health.record_failure(&self.health_config, Instant::now()) {
            self.stats.quarantines += 1;
            let policy = self.health_config.on_failure;
            tracing::error!(
                plugin = %name,
                policy = ?policy,
                failures = self.health_config.max_failures,
                quarantine_secs = self.health_config.quarantine_secs,
                "plugin quarantined: it keeps faulting where no record explains it"
            );
            routed.push(self.degraded_alert(batch, index, reason));
        }
    }

    fn degraded_alert(&self, batch: &Batch, index: usize, reason: &str) -> OutputRecord {
        let name = &self.plugin.name;
        let origin = EventView::from_frame(batch.frame(index)).map(|v| v.raw_origin()).unwrap_or_default();
        let effect = match self.health_config.on_failure {
            FailurePolicy::FailOpen => "its records skip it (fail-open): what it detects or adds is missing",
            FailurePolicy::FailClosed => "its records are dead-lettered (fail-closed)",
        };
        OutputRecord {
            source: batch.source(index),
            output: Arc::clone(&self.alerts),
            payload: Payload::Alert(AlertRecord {
                id: stable_id(&[DEGRADED_RULE_ID.as_bytes(), name.as_bytes(), origin]),
                plugin: Arc::clone(name),
                rule_id: DEGRADED_RULE_ID.into(),
                title: format!(
                    "stage {name} ({}) quarantined for {} s: {effect}",
                    self.plugin.meta.kind, self.health_config.quarantine_secs
                ),
                level: Level::High,
                tags: Vec::new(),
                status: None,
                details: vec![
                    ("plugin.hash".into(), self.plugin.hash.clone()),
                    ("plugin.kind".into(), self.plugin.meta.kind.to_string()),
                    ("failures".into(), self.health_config.max_failures.to_string()),
                    ("last_fault".into(), reason.chars().take(1000).collect()),
                ],
                event: None,
                shadow: self.mode == StageMode::Shadow,
            }),
        }
    }

    pub(super) fn dead_letter_record(&self, source: u32, reason: String) -> OutputRecord {
        OutputRecord {
            source,
            output: Arc::clone(&self.dead_letter),
            payload: Payload::DeadLetter(DeadLetter { plugin: Arc::clone(&self.plugin.name), reason }),
        }
    }

    /// Records reaching a quarantined plugin follow its policy.
    fn bypass(&mut self, batch: &Batch, range: Range<usize>, next: &mut Batch, routed: &mut Vec<OutputRecord>, whole: bool) -> Unchanged {
        match self.health_config.on_failure {
            FailurePolicy::FailOpen => {
                self.stats.skipped += range.len() as u64;
                if whole {
                    return Unchanged::Yes;
                }
                next.extend_from(batch, range);
            }
            FailurePolicy::FailClosed => {
                for index in range {
                    let reason = format!("plugin {} is quarantined after repeated failures (fail-closed)", self.plugin.name);
                    routed.push(self.dead_letter_record(batch.source(index), reason));
                    self.stats.faulted += 1;
                }
            }
        }
        Unchanged::No
    }
}
