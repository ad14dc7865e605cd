//! Sigma correlation rules in the plugin: each type fires on the events that meet it, per
//! group-by key, within its timespan of event time; windows expire; state stays within its
//! cap, the stalest groups going first.

mod common;

use common::{at, fired, sigma};

const FAILED: &str = "title: Failed login
name: failed_login
id: 10000000-0000-0000-0000-000000000001
logsource: {product: linux, service: sshd}
detection:
  sel: {event.outcome: failure}
  condition: sel
level: low
";

const SUCCESS: &str = "title: Successful login
name: successful_login
id: 10000000-0000-0000-0000-000000000002
logsource: {product: linux, service: sshd}
detection:
  sel: {event.outcome: success}
  condition: sel
level: low
";

fn correlation(kind: &str, rules: &str, body: &str) -> String {
    format!(
        "title: {kind} correlation\nid: 20000000-0000-0000-0000-000000000000\ncorrelation:\n  type: {kind}\n  rules: {rules}\n  group-by: [source.ip]\n  timespan: 60s\n{body}level: high\n"
    )
}

const CORRELATION: &str = "20000000-0000-0000-0000-000000000000";

fn failed(s: i64, ip: &'static str, user: &'static str) -> Vec<(&'static str, logsift_sdk::Value<'static>)> {
    at(s, &[("event.outcome", "failure"), ("source.ip", ip), ("user.name", user)])
}

fn success(s: i64, ip: &'static str) -> Vec<(&'static str, logsift_sdk::Value<'static>)> {
    at(s, &[("event.outcome", "success"), ("source.ip", ip), ("user.name", "root")])
}

/// Where in `events` the correlation fired.
fn firings(fired: &[Vec<String>]) -> Vec<usize> {
    fired.iter().enumerate().filter(|(_, ids)| ids.iter().any(|id| id == CORRELATION)).map(|(i, _)| i).collect()
}

#[test]
fn event_count_fires_at_the_threshold_per_group_by_key() {
    let rule = correlation("event_count", "[failed_login]", "  condition: {gte: 3}\n");
    let mut plugin = sigma(&[("failed.yml", FAILED), ("count.yml", &rule)], serde_json::json!({}));
    assert_eq!(plugin.rules().correlation_rules, 1);
    let events = [failed(0, "a", "x"), failed(1, "b", "x"), failed(2, "a", "x"), failed(3, "b", "x"), failed(4, "a", "x")];
    let fired = fired(&mut plugin, &events);
    assert_eq!(firings(&fired), [4], "the third failure from a; b has two");
    assert!(
        fired.iter().flatten().all(|id| id == CORRELATION),
        "a rule that only feeds a correlation raises no alerts of its own: {fired:?}"
    );
}

#[test]
fn event_count_windows_expire_in_event_time() {
    let rule = correlation("event_count", "[failed_login]", "  condition: {gte: 3}\n");
    let mut plugin = sigma(&[("failed.yml", FAILED), ("count.yml", &rule)], serde_json::json!({}));
    // Three failures, but never three within 60 s.
    let spread = [failed(0, "a", "x"), failed(40, "a", "x"), failed(90, "a", "x"), failed(130, "a", "x")];
    assert!(firings(&fired(&mut plugin, &spread)).is_empty());
    // Two more close to the last: now three within 60 s.
    assert_eq!(firings(&fired(&mut plugin, &[failed(150, "a", "x")])), [0]);
}

#[test]
fn value_count_counts_distinct_values() {
    let rule = correlation("value_count", "[failed_login]", "  condition: {field: user.name, gte: 3}\n");
    let mut plugin = sigma(&[("failed.yml", FAILED), ("users.yml", &rule)], serde_json::json!({}));
    let same_user = [failed(0, "a", "root"), failed(1, "a", "root"), failed(2, "a", "root"), failed(3, "a", "root")];
    assert!(firings(&fired(&mut plugin, &same_user)).is_empty(), "four failures, one user");
    let spray = [failed(4, "a", "admin"), failed(5, "a", "oracle")];
    assert_eq!(firings(&fired(&mut plugin, &spray)), [1], "the third distinct user");
}

#[test]
fn temporal_needs_every_rule_within_the_timespan_in_any_order() {
    let rule = correlation("temporal", "[failed_login, successful_login]", "");
    let mut plugin = sigma(&[("failed.yml", FAILED), ("success.yml", SUCCESS), ("both.yml", &rule)], serde_json::json!({}));
    let events = [success(0, "a"), failed(10, "a", "x"), success(20, "b"), failed(100, "b", "x")];
    assert_eq!(firings(&fired(&mut plugin, &events)), [1], "a: success then failure within 60 s; b: 80 s apart");
}

#[test]
fn temporal_ordered_needs_the_rules_in_their_order() {
    let rule = correlation("temporal_ordered", "[failed_login, successful_login]", "");
    let mut plugin = sigma(&[("failed.yml", FAILED), ("success.yml", SUCCESS), ("then.yml", &rule)], serde_json::json!({}));
    let events = [success(0, "a"), failed(10, "a", "x"), failed(20, "b", "x"), success(30, "b")];
    assert_eq!(firings(&fired(&mut plugin, &events)), [3], "b failed then succeeded; a the other way round");
    let alerts = common::alerts_of(&mut plugin, &[failed(40, "c", "x"), success(41, "c")], CORRELATION);
    let details = &alerts[0].1;
    for (key, value) in [("sigma.correlation.type", "temporal_ordered"), ("sigma.correlation.group", "source.ip=c")] {
        assert!(details.contains(&(key.into(), value.into())), "{details:?}");
    }
}

#[test]
fn state_stays_within_its_cap_and_the_stalest_group_goes_first() {
    let rule = correlation("event_count", "[failed_login]", "  condition: {gte: 2}\n");
    let rules = [("failed.yml", FAILED), ("count.yml", rule.as_str())];
    let events = [failed(0, "a", "x"), failed(1, "b", "x"), failed(2, "c", "x"), failed(3, "d", "x"), failed(4, "a", "x")];
    // Room for every group: a's second failure fires.
    let mut roomy = sigma(&rules, serde_json::json!({"correlation": {"max_groups": 100}}));
    assert_eq!(firings(&fired(&mut roomy, &events)), [4]);
    // Room for three: a, the stalest, was evicted when d came, so its count starts over.
    let mut tight = sigma(&rules, serde_json::json!({"correlation": {"max_groups": 3}}));
    assert!(firings(&fired(&mut tight, &events)).is_empty());
}

#[test]
fn a_correlation_referring_to_an_unknown_rule_is_refused_alone() {
    let rule = correlation("event_count", "[no_such_rule]", "  condition: {gte: 2}\n");
    let plugin = sigma(&[("failed.yml", FAILED), ("count.yml", &rule)], serde_json::json!({}));
    assert_eq!(plugin.rules().loaded, 1);
    assert_eq!(plugin.rules().correlation_rules, 0);
    let refusal = &plugin.rules().refused[0];
    assert_eq!(refusal.path, "count.yml");
    assert!(refusal.reason.contains("no_such_rule"), "{refusal:?}");
}
