//! The parser against real logs: loghub's `OpenSSH_2k.log` and `Linux_2k.log`, checked line
//! by line against their `*_structured.csv` ground truth, and the event counts a detector
//! relies on. Skipped (with a note) when `../shared` is absent; fails under `CI=true`.

mod common;

use std::collections::BTreeMap;

use common::{month, read_csv, utc_nanos};
use logsift_sdk::Value;
use logsift_sdk::testing::{OwnedEvent, RecordResult, plugin, run_lines, shared_data};
use logsift_syslog::Syslog;

/// Year the loghub samples are replayed as (their lines carry none).
const YEAR: i32 = 2005;

struct Sample {
    lines: Vec<String>,
    /// CSV rows as column name → value, one per line.
    truth: Vec<BTreeMap<String, String>>,
    events: Vec<OwnedEvent>,
}

/// Loads a loghub sample and its ground truth and parses every line; `None` when the
/// shared data is absent.
fn load(name: &str) -> Option<Sample> {
    let log = std::fs::read_to_string(shared_data(&format!("data/loghub/{name}"))?).expect("read log");
    let csv = std::fs::read_to_string(shared_data(&format!("data/loghub/{name}_structured.csv"))?).expect("read csv");
    let lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let mut rows = read_csv(&csv).into_iter();
    let columns = rows.next().expect("csv header");
    let truth: Vec<_> = rows.map(|row| columns.iter().cloned().zip(row).collect::<BTreeMap<_, _>>()).collect();
    assert_eq!(lines.len(), 2000, "{name} has 2,000 lines");
    assert_eq!(truth.len(), 2000, "{name}_structured.csv has 2,000 rows");
    let mut p: Syslog = plugin(&format!(r#"{{"year": {YEAR}}}"#));
    let results = run_lines(&mut p, &lines);
    let events = results
        .iter()
        .enumerate()
        .map(|(i, r): (usize, &RecordResult)| {
            r.event().cloned().unwrap_or_else(|| panic!("{name} line {} not parsed: {:?}\n{}", i + 1, r.fate, lines[i]))
        })
        .collect();
    Some(Sample { lines, truth, events })
}

/// Compares each event with its CSV row; `host`, `tag` and `pid` name the CSV columns.
fn check_against_truth(sample: &Sample, host: &str, tag: Option<&str>, day: &str, pid: &str) {
    let mut mismatches = Vec::new();
    for (i, (event, row)) in sample.events.iter().zip(&sample.truth).enumerate() {
        let col = |name: &str| row.get(name).map(String::as_str).unwrap_or_else(|| panic!("no column {name}"));
        let time: Vec<u32> = col("Time").split(':').map(|p| p.parse().expect("time")).collect();
        let month_col = if row.contains_key("Month") { "Month" } else { "Date" };
        let expected_ts = utc_nanos(YEAR, month(col(month_col)), col(day).parse().expect("day"), time[0], time[1], time[2]);
        let expected_pid = col(pid).parse::<i64>().ok();
        let checks = [
            ("host.hostname", event.get_str("host.hostname") == Some(col(host))),
            ("log.syslog.appname", tag.is_none_or(|tag| event.get_str("log.syslog.appname") == Some(col(tag)))),
            ("process.name", tag.is_some() || event.get_str("process.name") == Some("sshd")),
            ("process.pid", event.get_int("process.pid") == expected_pid),
            ("message", event.get_str("message") == Some(col("Content"))),
            ("@timestamp", event.get("@timestamp") == Some(&Value::Timestamp(expected_ts))),
            ("event.original", event.get_str("event.original") == Some(sample.lines[i].as_str())),
        ];
        for (field, ok) in checks {
            if !ok {
                mismatches.push(format!("line {}: {field}: {:?} vs {row:?}", i + 1, event.get(field)));
            }
        }
    }
    assert!(mismatches.is_empty(), "{} mismatches, first: {:#?}", mismatches.len(), &mismatches[..mismatches.len().min(10)]);
}

fn count(events: &[OwnedEvent], pred: impl Fn(&OwnedEvent) -> bool) -> usize {
    events.iter().filter(|e| pred(e)).count()
}

fn is(event: &OwnedEvent, action: &str, outcome: &str) -> bool {
    event.get_str("event.action") == Some(action) && event.get_str("event.outcome") == Some(outcome)
}

#[test]
fn every_openssh_line_matches_the_ground_truth() {
    let Some(sample) = load("OpenSSH_2k.log") else {
        return;
    };
    check_against_truth(&sample, "Component", None, "Day", "Pid");
}

#[test]
fn every_linux_line_matches_the_ground_truth() {
    let Some(sample) = load("Linux_2k.log") else {
        return;
    };
    check_against_truth(&sample, "Level", Some("Component"), "Date", "PID");
}

#[test]
fn openssh_failed_password_logins_count_520_of_which_370_for_root() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let password = |e: &OwnedEvent| is(e, "ssh_login", "failure") && e.get_str("sshd.auth.method") == Some("password");
    assert_eq!(count(&events, password), 520);
    assert_eq!(count(&events, |e| password(e) && e.get_str("user.name") == Some("root")), 370);
}

#[test]
fn openssh_failed_logins_are_the_520_passwords_and_4_none_probes_each_counted_once() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let failed = |e: &OwnedEvent| is(e, "ssh_login", "failure");
    assert_eq!(count(&events, failed), 524);
    assert_eq!(count(&events, |e| failed(e) && e.get_str("sshd.auth.method") == Some("none")), 4);
    assert_eq!(count(&events, |e| failed(e) && e.get_str("user.name") == Some("root")), 370);
    // The PAM lines about the same attempts have their own action, so nothing is counted twice.
    assert_eq!(count(&events, |e| is(e, "pam_authentication_failure", "failure")), 494);
    assert_eq!(count(&events, |e| is(e, "pam_more_authentication_failures", "failure")), 10);
    let pam_text = |e: &OwnedEvent| e.get_str("message").is_some_and(|m| m.contains("pam_unix") || m.starts_with("PAM "));
    assert_eq!(count(&events, |e| failed(e) && pam_text(e)), 0);
}

#[test]
fn openssh_has_one_accepted_password_login() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let accepted: Vec<_> = events.iter().filter(|e| is(e, "ssh_login", "success")).collect();
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].get_str("user.name"), Some("fztu"));
    assert_eq!(accepted[0].get_str("sshd.auth.method"), Some("password"));
    assert_eq!(accepted[0].get_int("source.port"), Some(49116));
}

#[test]
fn openssh_gives_a_source_ip_to_more_than_1000_events() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let with_ip = count(&events, |e| matches!(e.get("source.ip"), Some(Value::Ip(_))));
    assert!(with_ip > 1000, "only {with_ip} events have source.ip");
}

#[test]
fn openssh_invalid_users_and_their_auth_requests_are_distinct_actions() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    assert_eq!(count(&events, |e| is(e, "invalid_user", "failure")), 113);
    assert_eq!(count(&events, |e| is(e, "invalid_user_auth_request", "failure")), 113);
    let invalid_flag = count(&events, |e| e.get("sshd.invalid_user") == Some(&Value::Bool(true)));
    assert_eq!(invalid_flag, 113 + 113 + 135 + 4);
}

#[test]
fn openssh_repeated_messages_carry_their_count() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let repeated: Vec<_> = events.iter().filter(|e| e.get_int("log.syslog.repeat_count").is_some()).collect();
    assert_eq!(repeated.len(), 2);
    for e in repeated {
        assert_eq!(e.get_int("log.syslog.repeat_count"), Some(5));
        assert!(is(e, "ssh_login", "failure"));
        assert_eq!(e.get_str("user.name"), Some("root"));
    }
}

#[test]
fn openssh_every_sshd_message_shape_is_recognised() {
    let Some(Sample { events, .. }) = load("OpenSSH_2k.log") else {
        return;
    };
    let unrecognised: Vec<_> = events
        .iter()
        .filter(|e| !e.fields.iter().any(|(n, _)| n == "event.action"))
        .filter_map(|e| e.get_str("message"))
        .filter(|m| !m.starts_with("PAM service(sshd) ignoring max retries") && !m.starts_with("fatal: Write failed"))
        .collect();
    assert!(unrecognised.is_empty(), "unrecognised: {unrecognised:#?}");
}

#[test]
fn linux_old_style_pam_tags_give_pam_actions() {
    let Some(Sample { events, .. }) = load("Linux_2k.log") else {
        return;
    };
    assert_eq!(count(&events, |e| is(e, "pam_authentication_failure", "failure")), 490);
    assert_eq!(count(&events, |e| is(e, "pam_user_unknown", "failure")), 117);
    assert_eq!(count(&events, |e| is(e, "session_opened", "success")), 123);
    assert_eq!(count(&events, |e| is(e, "session_closed", "success")), 123);
    let su_sessions = count(&events, |e| {
        e.get_str("log.syslog.appname") == Some("su(pam_unix)")
            && e.get_str("process.name") == Some("su")
            && e.get_str("user.name").is_some()
    });
    assert_eq!(su_sessions, 172);
    assert_eq!(count(&events, |e| e.get_str("event.action") == Some("ssh_login")), 0);
}
