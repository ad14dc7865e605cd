//! One stage of the chain: a plugin, this worker's instance of it, and its health.
//!
//! A batch crosses into the plugin once. If the call faults (trap, deadline, memory) or
//! returns something that breaks the contract, the instance is dropped, a fresh one is
//! made, and the batch is split in halves and retried until the guilty records stand
//! alone: each goes to `dead_letter` with the plugin's name and the fault; every other
//! record goes on. A result is applied all or nothing, so a retry never duplicates output.

use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use logsift_event::{EventView, origin_tag};

use super::batch::Batch;
use super::health::{FailurePolicy, Health, HealthConfig, RejectPolicy};
use super::outputs::{ALERTS, AlertRecord, DEAD_LETTER, DeadLetter, OutputRecord, Payload, stable_id};
use crate::wasm::{Action, BatchResult, Fault, Level, LoadedPlugin, PluginInstance};

/// The rule id of the alert raised when a fail-open plugin is quarantined.
pub const DEGRADED_RULE_ID: &str = "logsift.plugin.degraded";

/// How a stage treats its plugin's failures and refusals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StageOptions {
    /// Quarantine policy.
    pub health: HealthConfig,
    /// What happens to rejected records.
    pub on_reject: RejectPolicy,
}

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
    /// Records dead-lettered because the plugin faulted on them, or while quarantined
    /// fail-closed.
    pub faulted: u64,
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

/// A plugin in this worker's chain.
pub struct Stage {
    plugin: Arc<LoadedPlugin>,
    health_config: HealthConfig,
    on_reject: RejectPolicy,
    instance: Option<PluginInstance>,
    started: bool,
    health: Health,
    alerts: Arc<str>,
    dead_letter: Arc<str>,
    /// Counters.
    pub stats: StageStats,
}

/// Whether a range went on exactly as it came (so the caller can hand the batch on as is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Unchanged {
    Yes,
    #[default]
    No,
}

/// Counters of one result, merged only if the result is applied.
#[derive(Default)]
struct Applied {
    unchanged: Unchanged,
    dropped: u64,
    rejected: u64,
    emitted: u64,
    alerts: u64,
}

fn contract(message: impl Into<String>) -> Fault {
    Fault::Contract { message: message.into() }
}

/// Output names a plugin may emit to: short, lowercase, and not one the host fills itself.
fn check_output_name(name: &str) -> Result<(), Fault> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'));
    if !well_formed {
        return Err(contract(format!("output name {name:?} must be 1-64 characters of a-z, 0-9, '_', '-', '.'")));
    }
    if name == DEAD_LETTER || name == ALERTS {
        return Err(contract(format!("records cannot be emitted to {name:?}: reject them or raise an alert")));
    }
    Ok(())
}

impl Stage {
    /// A stage for a loaded plugin. Its instance is made on first use.
    pub fn new(plugin: Arc<LoadedPlugin>, options: StageOptions) -> Self {
        Stage {
            plugin,
            health_config: options.health,
            on_reject: options.on_reject,
            instance: None,
            started: false,
            health: Health::default(),
            alerts: Arc::from(ALERTS),
            dead_letter: Arc::from(DEAD_LETTER),
            stats: StageStats::default(),
        }
    }

    /// The plugin this stage runs.
    pub fn plugin(&self) -> &Arc<LoadedPlugin> {
        &self.plugin
    }

    /// Runs a batch through the plugin and returns what goes on to the next stage;
    /// everything else is appended to `routed`. A batch the plugin left unchanged is handed
    /// on as it is, without a copy.
    pub fn run(&mut self, batch: Batch, routed: &mut Vec<OutputRecord>) -> Batch {
        let before = self.stats.clone();
        let mut next = Batch::default();
        let out = match self.run_range(&batch, 0..batch.len(), &mut next, routed) {
            Unchanged::Yes => batch,
            Unchanged::No => next,
        };
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
        out
    }

    /// The options it runs with.
    pub fn options(&self) -> StageOptions {
        StageOptions { health: self.health_config, on_reject: self.on_reject }
    }

    fn run_range(&mut self, batch: &Batch, range: Range<usize>, next: &mut Batch, routed: &mut Vec<OutputRecord>) -> Unchanged {
        if range.is_empty() {
            return Unchanged::No;
        }
        let whole = range.len() == batch.len();
        if self.health.is_quarantined(Instant::now()) {
            return self.bypass(batch, range, next, routed, whole);
        }
        let fault = match self.call(batch.slice(range.clone()), range.len()) {
            Ok(result) => {
                let (next_len, routed_len) = (next.len(), routed.len());
                match self.apply(result, batch, range.clone(), next, routed, whole) {
                    Ok(applied) => {
                        self.stats.dropped += applied.dropped;
                        self.stats.rejected += applied.rejected;
                        self.stats.emitted += applied.emitted;
                        self.stats.alerts += applied.alerts;
                        return applied.unchanged;
                    }
                    Err(fault) => {
                        next.truncate(next_len);
                        routed.truncate(routed_len);
                        self.instance = None;
                        self.stats.contract += 1;
                        fault
                    }
                }
            }
            Err(fault) => fault,
        };
        if range.len() == 1 {
            self.convict(batch, range.start, &fault, routed);
        } else {
            let mid = range.start + range.len() / 2;
            for half in [range.start..mid, mid..range.end] {
                if self.run_range(batch, half.clone(), next, routed) == Unchanged::Yes {
                    next.extend_from(batch, half);
                }
            }
        }
        Unchanged::No
    }

    /// One call into the plugin, making an instance first if there is none.
    fn call(&mut self, encoded: &[u8], records: usize) -> Result<BatchResult, Fault> {
        if self.instance.is_none() {
            let instance =
                self.plugin.instantiate().map_err(|e| Fault::Trap { message: format!("could not rebuild the instance: {e}") })?;
            if self.started {
                self.stats.rebuilds += 1;
            }
            self.started = true;
            self.instance = Some(instance);
        }
        let instance = self.instance.as_mut().expect("an instance was just ensured");
        let started = Instant::now();
        let result = instance.process(encoded);
        self.stats.busy += started.elapsed();
        self.stats.calls += 1;
        self.stats.records += records as u64;
        if let Err(fault) = &result {
            self.instance = None;
            match fault {
                Fault::Deadline { .. } => self.stats.deadlines += 1,
                Fault::MemoryLimit { .. } => self.stats.memory += 1,
                Fault::Trap { .. } => self.stats.traps += 1,
                Fault::Contract { .. } => self.stats.contract += 1,
            }
        }
        result
    }

    /// A record the plugin faults on by itself: dead-letter it and count it against the
    /// plugin's health.
    fn convict(&mut self, batch: &Batch, index: usize, fault: &Fault, routed: &mut Vec<OutputRecord>) {
        let source = batch.source(index);
        let name = &self.plugin.name;
        tracing::warn!(plugin = %name, fault = fault.kind(), "{fault}; record sent to dead letter");
        routed.push(self.dead_letter_record(source, fault.to_string()));
        self.stats.faulted += 1;
        if self.health.record_failure(&self.health_config, Instant::now()) {
            self.stats.quarantines += 1;
            let policy = self.health_config.on_failure;
            tracing::error!(
                plugin = %name,
                policy = ?policy,
                failures = self.health_config.max_failures,
                quarantine_secs = self.health_config.quarantine_secs,
                "plugin quarantined after repeated failures"
            );
            if policy == FailurePolicy::FailOpen {
                routed.push(self.degraded_alert(batch, index, fault));
            }
        }
    }

    fn degraded_alert(&self, batch: &Batch, index: usize, fault: &Fault) -> OutputRecord {
        let name = &self.plugin.name;
        let origin = EventView::from_frame(batch.frame(index)).map(|v| v.raw_origin()).unwrap_or_default();
        OutputRecord {
            source: batch.source(index),
            output: Arc::clone(&self.alerts),
            payload: Payload::Alert(AlertRecord {
                id: stable_id(&[DEGRADED_RULE_ID.as_bytes(), name.as_bytes(), origin]),
                plugin: Arc::clone(name),
                rule_id: DEGRADED_RULE_ID.into(),
                title: format!("plugin {name} quarantined: its records skip it (fail-open)"),
                level: Level::High,
                tags: Vec::new(),
                status: None,
                details: vec![
                    ("plugin.hash".into(), self.plugin.hash.clone()),
                    ("failures".into(), self.health_config.max_failures.to_string()),
                    ("last_fault".into(), fault.to_string()),
                ],
                event: None,
            }),
        }
    }

    fn dead_letter_record(&self, source: u32, reason: String) -> OutputRecord {
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

    /// Applies a result to the records of `range`, or says which contract rule it breaks.
    /// When `whole` is set and nothing changed, `next` is left alone and the result says so.
    fn apply(
        &self,
        result: BatchResult,
        batch: &Batch,
        range: Range<usize>,
        next: &mut Batch,
        routed: &mut Vec<OutputRecord>,
        whole: bool,
    ) -> Result<Applied, Fault> {
        let mut applied = Applied::default();
        let unchanged = result.changes.is_empty();
        if unchanged && !result.events.is_empty() {
            return Err(contract("returned events but no change refers to them"));
        }
        let mut produced = logsift_event::Batch::new(&result.events);
        let mut take = || -> Result<EventView<'_>, Fault> {
            let view = produced.next().ok_or_else(|| contract("changes refer to more events than it returned"))?;
            let view = view.map_err(|e| contract(format!("returned event: {e}")))?;
            view.validate().map_err(|e| contract(format!("returned event: {e}")))?;
            Ok(view)
        };
        let mut done = 0;
        let mut previous = None;
        // Where in `next` the (first) event a record became is, so its alerts carry the
        // event as the plugin left it (an enricher's alert shows what it added).
        let mut became: Vec<(usize, usize)> = Vec::new();
        for change in result.changes {
            let at = change.record as usize;
            if at >= range.len() || previous.is_some_and(|p| change.record <= p) {
                return Err(contract(format!("change for record {at} is out of order or past the batch of {}", range.len())));
            }
            previous = Some(change.record);
            next.extend_from(batch, range.start + done..range.start + at);
            done = at + 1;
            let index = range.start + at;
            let source = batch.source(index);
            let input = EventView::from_frame(batch.frame(index)).map_err(|e| contract(format!("input event: {e}")))?;
            match change.action {
                Action::Replace(0) => return Err(contract("replace(0): use drop to remove a record")),
                Action::Replace(n) => {
                    let events = (0..n).map(|_| take()).collect::<Result<Vec<_>, _>>()?;
                    if n > self.plugin.limits.max_split {
                        let reason = format!("split into {n} events, more than max_split = {}", self.plugin.limits.max_split);
                        routed.push(self.dead_letter_record(source, reason));
                        applied.rejected += 1;
                        continue;
                    }
                    became.push((at, next.len()));
                    for event in events {
                        next.push_parts(input.raw_origin(), event.raw_counted_fields(), source);
                    }
                }
                Action::Drop => applied.dropped += 1,
                Action::Emit(emit) => {
                    check_output_name(&emit.output)?;
                    let output: Arc<str> = Arc::from(emit.output);
                    if emit.events == 0 {
                        routed.push(OutputRecord { source, output: Arc::clone(&output), payload: Payload::Event(input.frame().to_vec()) });
                    }
                    for _ in 0..emit.events {
                        let event = take()?;
                        let mut one = Batch::default();
                        one.push_parts(input.raw_origin(), event.raw_counted_fields(), source);
                        routed.push(OutputRecord { source, output: Arc::clone(&output), payload: Payload::Event(one.frame(0).to_vec()) });
                    }
                    applied.emitted += 1;
                }
                Action::Reject(reason) => {
                    applied.rejected += 1;
                    match self.on_reject {
                        RejectPolicy::Pass => next.extend_from(batch, index..index + 1),
                        RejectPolicy::DeadLetter => {
                            let reason: String = reason.chars().take(1000).collect();
                            routed.push(self.dead_letter_record(source, reason));
                        }
                    }
                }
            }
        }
        if unchanged && whole {
            applied.unchanged = Unchanged::Yes;
        } else {
            next.extend_from(batch, range.start + done..range.end);
        }
        if produced.next().is_some() {
            return Err(contract("returned more events than its changes refer to"));
        }
        for alert in result.alerts {
            let at = alert.record as usize;
            if at >= range.len() {
                return Err(contract(format!("alert on record {at} is past the batch of {}", range.len())));
            }
            let frame = batch.frame(range.start + at);
            let view = EventView::from_frame(frame).map_err(|e| contract(format!("input event: {e}")))?;
            let shown = match became.binary_search_by_key(&at, |(record, _)| *record) {
                Ok(i) => next.frame(became[i].1),
                Err(_) => frame,
            };
            // Without an origin the event's own content is what identifies it.
            let identity = if view.raw_origin() == [origin_tag::NONE] { frame } else { view.raw_origin() };
            let dedupe = alert.dedupe_key.as_deref().unwrap_or_default();
            let id = stable_id(&[identity, self.plugin.name.as_bytes(), alert.rule_id.as_bytes(), dedupe.as_bytes()]);
            routed.push(OutputRecord {
                source: batch.source(range.start + at),
                output: Arc::clone(&self.alerts),
                payload: Payload::Alert(AlertRecord {
                    id,
                    plugin: Arc::clone(&self.plugin.name),
                    rule_id: alert.rule_id,
                    title: alert.title,
                    level: alert.level,
                    tags: alert.tags,
                    status: alert.status,
                    details: alert.details,
                    event: Some(shown.to_vec()),
                }),
            });
            applied.alerts += 1;
        }
        Ok(applied)
    }
}
