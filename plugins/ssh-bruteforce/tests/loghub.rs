//! The detector on real sshd lines, parsed by the syslog parser natively: loghub's
//! `OpenSSH_2k.log` (`../shared/data/loghub`). Its one accepted login comes from an address
//! that never failed, so the whole file raises nothing; real lines of one guessing source,
//! followed by that accepted line rewritten to come from it, make the positive case.
//! Skipped (with a note) when `../shared` is absent; fails under `CI=true`.

use logsift_sdk::testing::{OwnedEvent, plugin, run, run_lines, shared_data};
use logsift_sdk::{Alert, Value};
use logsift_ssh_bruteforce::{RULE_ID, SshBruteforce};
use logsift_syslog::Syslog;

/// The address behind 13 failed logins on lines 296–341 (09:07:23 to 09:11:18).
const GUESSER: &str = "185.190.58.151";
/// The address of the file's one accepted login (line 956, 09:32:20).
const ACCEPTED_FROM: &str = "119.137.62.142";

/// The file's lines; `None` when the shared data is absent.
fn openssh_lines() -> Option<Vec<String>> {
    let path = shared_data("data/loghub/OpenSSH_2k.log")?;
    let text = std::fs::read_to_string(path).expect("read OpenSSH_2k.log");
    Some(text.lines().map(str::to_owned).collect())
}

/// The lines parsed by the syslog parser (year pinned: the lines carry none).
fn parse(lines: &[String]) -> Vec<OwnedEvent> {
    let mut parser: Syslog = plugin(r#"{"year": 2005}"#);
    run_lines(&mut parser, lines)
        .into_iter()
        .enumerate()
        .map(|(i, r)| r.event().cloned().unwrap_or_else(|| panic!("line {} not parsed: {:?}", i + 1, r.fate)))
        .collect()
}

/// Runs the detector on parsed events and returns every alert raised.
fn detect(settings: &str, events: &[OwnedEvent]) -> Vec<Alert> {
    let fields: Vec<Vec<(&str, Value<'_>)>> =
        events.iter().map(|e| e.fields.iter().map(|(n, v)| (n.as_str(), v.clone())).collect()).collect();
    let mut p: SshBruteforce = plugin(settings);
    run(&mut p, &logsift_sdk::testing::events_batch(&fields)).into_iter().flat_map(|r| r.alerts).collect()
}

fn logins<'e>(events: &'e [OwnedEvent], outcome: &str) -> impl Iterator<Item = &'e OwnedEvent> {
    let outcome = outcome.to_owned();
    events.iter().filter(move |e| e.get_str("event.action") == Some("ssh_login") && e.get_str("event.outcome") == Some(&outcome))
}

fn source(event: &OwnedEvent) -> Option<String> {
    match event.get("source.ip") {
        Some(Value::Ip(ip)) => Some(ip.to_string()),
        _ => None,
    }
}

#[test]
fn the_openssh_sample_has_runs_of_failures_but_no_success_after_one_so_no_alert() {
    let Some(lines) = openssh_lines() else {
        return;
    };
    let events = parse(&lines);
    // What the data shows: hundreds of failures, several sources with runs of five or more,
    // and a single success, from an address with no failure at all.
    assert_eq!(logins(&events, "failure").count(), 524);
    assert_eq!(logins(&events, "failure").filter(|e| source(e).as_deref() == Some("183.62.140.253")).count(), 286);
    let successes: Vec<_> = logins(&events, "success").collect();
    assert_eq!(successes.len(), 1);
    assert_eq!(source(successes[0]).as_deref(), Some(ACCEPTED_FROM));
    assert_eq!(logins(&events, "failure").filter(|e| source(e).as_deref() == Some(ACCEPTED_FROM)).count(), 0);

    assert_eq!(detect("{}", &events), [], "no false alert on the real file");
}

#[test]
fn real_failures_then_the_real_accepted_line_from_the_same_source_raise_one_alert() {
    let Some(lines) = openssh_lines() else {
        return;
    };
    // Lines 296–341 as they are (the guesser's run, interleaved with other sources), then
    // line 956 with its address replaced by the guesser's: 21 minutes after the last failure.
    let mut sequence: Vec<String> = lines[295..341].to_vec();
    assert!(lines[955].contains(&format!("Accepted password for fztu from {ACCEPTED_FROM} ")), "{}", lines[955]);
    sequence.push(lines[955].replace(ACCEPTED_FROM, GUESSER));
    let events = parse(&sequence);
    let guesses = logins(&events, "failure").filter(|e| source(e).as_deref() == Some(GUESSER)).count();
    assert_eq!(guesses, 13);

    assert_eq!(detect("{}", &events), [], "the success comes 1,262 s after the last failure: later than 600 s");

    let alerts = detect(r#"{"success_within_secs": 1800}"#, &events);
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let alert = &alerts[0];
    assert_eq!(alert.rule_id, RULE_ID);
    assert_eq!(alert.record as usize, sequence.len() - 1, "raised on the accepted line");
    let details: Vec<(&str, &str)> = alert.details.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
    assert_eq!(details, [("source.ip", GUESSER), ("user.name", "fztu"), ("failures", "13")]);
}
