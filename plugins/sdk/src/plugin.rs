//! The trait a plugin implements, and what it gets and returns.

use serde::de::DeserializeOwned;

use crate::{Alert, Event};

/// A plugin's role in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Turns `event.original` into typed fields.
    Parser,
    /// Adds context to parsed events.
    Enricher,
    /// Raises alerts.
    Detector,
}

/// Who a plugin is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metadata {
    /// Short lowercase name.
    pub name: &'static str,
    /// Semver version.
    pub version: &'static str,
    /// Role.
    pub kind: Kind,
    /// One sentence for operators.
    pub description: &'static str,
}

impl Metadata {
    /// Metadata from its parts (usable in a `const`).
    pub const fn new(name: &'static str, version: &'static str, kind: Kind, description: &'static str) -> Self {
        Metadata { name, version, kind, description }
    }
}

/// The plugin's settings from the host configuration (a JSON object, `{}` when none).
#[derive(Debug, Clone, Default)]
pub struct Settings(serde_json::Map<String, serde_json::Value>);

impl Settings {
    /// Parses the settings text the host passes to `init`.
    pub fn from_json(text: &str) -> Result<Self, String> {
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(map)) => Ok(Settings(map)),
            Ok(_) => Err("settings must be a JSON object".into()),
            Err(e) => Err(format!("settings are not valid JSON: {e}")),
        }
    }

    /// Deserialises all settings into a type (use `#[serde(deny_unknown_fields)]` on it so a
    /// misspelt key is refused).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_value(serde_json::Value::Object(self.0.clone())).map_err(|e| format!("invalid settings: {e}"))
    }

    /// The raw JSON object.
    pub fn as_map(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.0
    }
}

/// What happens to a record after [`Plugin::process`].
#[derive(Debug)]
pub enum Outcome {
    /// Goes on to the next stage (with the changes made to the event, if any).
    Pass,
    /// Removed on purpose; counted by the host.
    Drop,
    /// Leaves the chain for the named output, in its current form.
    Emit(String),
    /// Replaced by these events (at least one; the host caps how many). Each keeps the
    /// record's origin.
    Split(Vec<Event<'static>>),
    /// Cannot be processed: goes to the dead-letter output with this reason.
    Reject(String),
}

/// What evaluating one rule cost, as a detector measured it: the events it evaluated the rule
/// on, on its own, and the time that took. The host adds these up per rule and lists the
/// costliest (the contract's `rule-cost`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleCost {
    /// The rule, as its alerts name it.
    pub rule_id: String,
    /// Events evaluated.
    pub evaluations: u32,
    /// Nanoseconds they took.
    pub nanos: u64,
}

/// Per-record context: where alerts are raised and rule costs reported.
pub struct Context {
    record: u32,
    /// The batch's alerts so far, encoded (the contract's `alert-batch`): lent by the batch
    /// loop for the record and handed back after it.
    pub(crate) alerts: Vec<u8>,
    pub(crate) costs: Vec<RuleCost>,
}

impl Context {
    pub(crate) fn new(record: u32, alerts: Vec<u8>, costs: Vec<RuleCost>) -> Self {
        Context { record, alerts, costs }
    }

    /// The record's place in the batch: the index its event had in what
    /// [`Plugin::prepare`] saw, to find what was worked out for it there.
    pub fn record(&self) -> usize {
        self.record as usize
    }

    /// Reports what evaluating a rule cost (see [`RuleCost`]); sent with the batch's result.
    pub fn rule_cost(&mut self, cost: RuleCost) {
        self.costs.push(cost);
    }

    /// Raises an alert on the current record. It is encoded at once: an alert a plugin
    /// keeps (one per rule, made at `init`) is raised by reference, without a copy.
    pub fn alert(&mut self, alert: impl std::borrow::Borrow<Alert>) {
        alert.borrow().encode(&mut self.alerts, self.record);
    }
}

/// A logsift plugin. One instance lives in each host worker and sees that worker's records
/// in order, so it may keep state between calls; the host rebuilds it (state lost) after a
/// trap.
pub trait Plugin: Sized + 'static {
    /// Who the plugin is.
    const METADATA: Metadata;

    /// Builds an instance from its settings; an error refuses the plugin at load.
    fn init(settings: Settings) -> Result<Self, String>;

    /// Called once per batch, with all its events, before [`process`](Self::process) is
    /// called on each: the place to fetch what the batch needs from lookup tables in one
    /// call (see [`lookup::BatchLookup`](crate::lookup::BatchLookup)). Does nothing unless
    /// implemented.
    fn prepare(&mut self, events: &[Event<'_>]) {
        let _ = events;
    }

    /// Processes one event.
    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome;
}
