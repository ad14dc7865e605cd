//! The detector fires once when a source's run of failed sshd logins is followed by a
//! success in time, and never for a short run, a late success, or failures spread over
//! several sources.

use logsift_sdk::testing::{RecordResult, events_batch, plugin, run};
use logsift_sdk::{Level, Plugin, Settings, Value};
use logsift_ssh_bruteforce::{RULE_ID, SshBruteforce};

const ATTACKER: &str = "192.0.2.7";

/// An sshd login event from `source` at `secs` seconds after the epoch.
fn login(outcome: &str, source: &str, secs: i64) -> Vec<(&'static str, Value<'static>)> {
    vec![
        ("@timestamp", Value::Timestamp(secs * 1_000_000_000)),
        ("process.name", Value::from("sshd")),
        ("event.action", Value::from("ssh_login")),
        ("event.outcome", Value::from(outcome.to_owned())),
        ("user.name", Value::from("alice")),
        ("source.ip", Value::Ip(source.parse().unwrap())),
    ]
}

/// `n` failures from `source`, ten seconds apart from `start`.
fn failures(source: &str, start: i64, n: i64) -> Vec<Vec<(&'static str, Value<'static>)>> {
    (0..n).map(|i| login("failure", source, start + i * 10)).collect()
}

fn alerts(results: &[RecordResult]) -> Vec<(usize, &logsift_sdk::Alert)> {
    results.iter().enumerate().flat_map(|(i, r)| r.alerts.iter().map(move |a| (i, a))).collect()
}

#[test]
fn five_failures_then_a_success_raise_one_critical_alert_on_the_success() {
    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 5);
    events.push(login("success", ATTACKER, 100));
    let results = run(&mut p, &events_batch(&events));
    let raised = alerts(&results);
    assert_eq!(raised.len(), 1, "{raised:?}");
    let (record, alert) = raised[0];
    assert_eq!(record, 5, "raised on the success");
    assert_eq!(alert.rule_id, RULE_ID);
    assert_eq!(alert.level, Level::Critical);
    assert_eq!(alert.tags, ["attack.credential-access", "attack.t1110"]);
    let details: Vec<(&str, &str)> = alert.details.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(details, [("source.ip", ATTACKER), ("user.name", "alice"), ("failures", "5")]);
    assert!(results.iter().all(|r| r.event().is_some()), "every event passes on unchanged");
}

#[test]
fn four_failures_then_a_success_raise_nothing() {
    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 4);
    events.push(login("success", ATTACKER, 100));
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty());
}

#[test]
fn a_success_600_seconds_or_more_after_the_last_failure_raises_nothing() {
    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 5);
    events.push(login("success", ATTACKER, 40 + 600));
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty());

    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 5);
    events.push(login("success", ATTACKER, 40 + 599));
    assert_eq!(alerts(&run(&mut p, &events_batch(&events))).len(), 1, "one second sooner is in time");
}

#[test]
fn failures_from_different_sources_do_not_add_up() {
    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 3);
    events.extend(failures("198.51.100.9", 1, 3));
    events.push(login("success", ATTACKER, 100));
    events.push(login("success", "198.51.100.9", 101));
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty());
}

#[test]
fn failures_spread_wider_than_the_window_are_not_a_run() {
    let mut p: SshBruteforce = plugin(r#"{"within_secs": 30}"#);
    let mut events = failures(ATTACKER, 0, 5);
    events.push(login("success", ATTACKER, 45));
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty(), "never five failures within 30 s");
}

#[test]
fn failures_after_the_run_are_counted_and_the_source_then_starts_over() {
    let mut p: SshBruteforce = plugin("{}");
    let mut events = failures(ATTACKER, 0, 8);
    events.push(login("success", ATTACKER, 100));
    events.push(login("success", ATTACKER, 101));
    events.push(login("failure", ATTACKER, 102));
    events.push(login("success", ATTACKER, 103));
    let results = run(&mut p, &events_batch(&events));
    let raised = alerts(&results);
    assert_eq!(raised.len(), 1, "one alert per run: {raised:?}");
    assert!(raised[0].1.details.contains(&("failures".to_owned(), "8".to_owned())));
    assert!(raised[0].1.title.contains("after 8 failed attempts"), "{}", raised[0].1.title);
}

#[test]
fn events_that_are_not_sshd_logins_with_a_time_and_an_address_are_not_counted() {
    let mut p: SshBruteforce = plugin(r#"{"failures": 2}"#);
    let mut pam = login("failure", ATTACKER, 0);
    pam[2].1 = Value::from("pam_authentication_failure");
    let mut timeless = login("failure", ATTACKER, 1);
    timeless.remove(0);
    let mut sudo = login("failure", ATTACKER, 2);
    sudo[1].1 = Value::from("sudo");
    let events = [pam, timeless, sudo, login("failure", ATTACKER, 3), login("success", ATTACKER, 4)];
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty(), "only one failure counted");
}

#[test]
fn settings_tune_the_rule_and_bad_ones_are_refused() {
    let mut p: SshBruteforce = plugin(r#"{"failures": 2, "success_within_secs": 5, "max_sources": 10}"#);
    let mut events = failures(ATTACKER, 0, 2);
    events.push(login("success", ATTACKER, 14));
    assert_eq!(alerts(&run(&mut p, &events_batch(&events))).len(), 1);

    let refused = |json: &str| SshBruteforce::init(Settings::from_json(json).unwrap()).err().unwrap_or_default();
    assert!(refused(r#"{"failures": 0}"#).contains("failures must be at least 1"));
    assert!(refused(r#"{"max_sources": 0}"#).contains("max_sources must be at least 1"));
    assert!(refused(r#"{"failure": 5}"#).contains("unknown field `failure`"));
}

#[test]
fn a_source_evicted_at_max_sources_starts_over() {
    let mut p: SshBruteforce = plugin(r#"{"max_sources": 1}"#);
    let mut events = failures(ATTACKER, 0, 4);
    events.push(login("failure", "198.51.100.9", 41));
    events.push(login("failure", ATTACKER, 42));
    events.push(login("success", ATTACKER, 43));
    assert!(alerts(&run(&mut p, &events_batch(&events))).is_empty(), "the other source pushed the first four out");

    let mut p: SshBruteforce = plugin(r#"{"max_sources": 2}"#);
    assert_eq!(alerts(&run(&mut p, &events_batch(&events))).len(), 1, "with room for both, five failures count");
}
