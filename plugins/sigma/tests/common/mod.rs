//! What the Sigma plugin's tests share: settings from rule texts, events at a time, and the
//! alerts a batch raised.

#![allow(dead_code)]

use logsift_sdk::Value;
use logsift_sdk::testing;
use logsift_sigma::Sigma;

/// A plugin loaded with `rules` (`(path, text)`) and further `settings`.
pub fn sigma(rules: &[(&str, &str)], settings: serde_json::Value) -> Sigma {
    let mut all = settings;
    let rules: Vec<_> = rules.iter().map(|(path, text)| serde_json::json!({"path": path, "text": text})).collect();
    all["rules"] = serde_json::Value::Array(rules);
    testing::plugin(&all.to_string())
}

/// An event at `seconds` of event time with `fields`.
pub fn at(seconds: i64, fields: &[(&'static str, &'static str)]) -> Vec<(&'static str, Value<'static>)> {
    let mut event = vec![("@timestamp", Value::Timestamp(seconds * 1_000_000_000))];
    event.extend(fields.iter().map(|(k, v)| (*k, Value::from(*v))));
    event
}

/// An event at `seconds` of event time with typed `fields` (numbers, nulls, addresses, …).
pub fn at_values(seconds: i64, fields: Vec<(&'static str, Value<'static>)>) -> Vec<(&'static str, Value<'static>)> {
    let mut event = vec![("@timestamp", Value::Timestamp(seconds * 1_000_000_000))];
    event.extend(fields);
    event
}

/// Per event, the rule ids of the alerts it raised.
pub fn fired(sigma: &mut Sigma, events: &[Vec<(&'static str, Value<'static>)>]) -> Vec<Vec<String>> {
    testing::run(sigma, &testing::events_batch(events)).iter().map(|r| r.alerts.iter().map(|a| a.rule_id.clone()).collect()).collect()
}

/// The alerts of `rule` over `events`, as (event index, details).
pub fn alerts_of(sigma: &mut Sigma, events: &[Vec<(&'static str, Value<'static>)>], rule: &str) -> Vec<(usize, Vec<(String, String)>)> {
    testing::run(sigma, &testing::events_batch(events))
        .iter()
        .enumerate()
        .flat_map(|(i, r)| r.alerts.iter().filter(|a| a.rule_id == rule).map(move |a| (i, a.details.clone())))
        .collect()
}
