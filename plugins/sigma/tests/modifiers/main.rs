//! Sigma's detection semantics, one behaviour per test, taken from the Sigma specification
//! (`sigma-rules-specification.md` and the modifiers appendix, SigmaHQ/sigma-specification):
//! maps (AND) and lists (OR), keyword lists, conditions, `1 of` / `all of`, wildcards and
//! escaping, `null` and empty values, and each value modifier. Every test feeds events that
//! must match and events that must not, so a rule that matches everything (or nothing)
//! fails it. Rules are written inline; `one` builds a rule with a single selection.
//!
//! A test named `…_deviation_…` pins where rsigma 0.23 departs from the specification: it
//! asserts rsigma's behaviour and names the specification's, so an upgrade that changes
//! either way is noticed.
//!
//! One file per part of the specification: `detection`, `strings`, `values`, `patterns`,
//! `encodings`; the helpers that build rules and events are here.

#[path = "../common/mod.rs"]
mod common;

mod detection;
mod encodings;
mod patterns;
mod strings;
mod values;

use common::{at, at_values, fired, sigma};
use logsift_sdk::Value;

/// The id every rule here is given.
pub(crate) const ID: &str = "5a5a0000-0000-4000-8000-000000000001";

pub(crate) type Event = Vec<(&'static str, Value<'static>)>;

/// A rule whose `detection` section is `detection` (unindented YAML, condition included).
pub(crate) fn rule(detection: &str) -> String {
    let body: String = detection.lines().map(|line| format!("    {line}\n")).collect();
    format!("title: Modifier test\nid: {ID}\nlogsource:\n    product: test\ndetection:\n{body}level: low\n")
}

/// A rule with the single selection `sel` made of the map item `item` (`field|mods: value`).
pub(crate) fn one(item: &str) -> String {
    rule(&format!("sel:\n    {item}\ncondition: sel"))
}

/// Per event, whether the rule fired; the rule must load.
pub(crate) fn fires(rule: &str, events: &[Event]) -> Vec<bool> {
    let mut plugin = sigma(&[("rule.yml", rule)], serde_json::json!({}));
    let rules = plugin.rules();
    assert!(rules.refused.is_empty() && rules.loaded == 1, "the rule did not load: {:?}\n{rule}", rules.refused);
    fired(&mut plugin, events).into_iter().map(|ids| ids.iter().any(|id| id == ID)).collect()
}

/// An event with string fields.
pub(crate) fn ev(fields: &[(&'static str, &'static str)]) -> Event {
    at(0, fields)
}

/// An event with one field of any type.
pub(crate) fn field(name: &'static str, value: impl Into<Value<'static>>) -> Event {
    at_values(0, vec![(name, value.into())])
}

/// Events with the one field `name` set to each of `values`.
pub(crate) fn each(name: &'static str, values: &[&'static str]) -> Vec<Event> {
    values.iter().map(|v| field(name, *v)).collect()
}
