//! Lines that are not syslog are rejected with a reason an operator can act on; odd but
//! valid syslog is parsed.

mod common;

use common::{parse, rejection};
use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, events_batch, plugin, run};
use logsift_syslog::Syslog;

#[test]
fn plain_text_is_rejected_as_not_syslog() {
    let reason = rejection("hello world, this is not syslog");
    assert!(reason.starts_with("not syslog:"), "{reason}");
    assert!(reason.contains("Mmm dd hh:mm:ss"), "{reason}");
}

#[test]
fn json_line_is_rejected_as_not_syslog() {
    assert!(rejection(r#"{"msg": "hi"}"#).starts_with("not syslog:"));
}

#[test]
fn empty_line_is_rejected() {
    assert_eq!(rejection(""), "not syslog: the line is empty");
    assert_eq!(rejection("   \r"), "not syslog: the line is empty");
}

#[test]
fn pri_above_191_is_rejected() {
    assert_eq!(rejection("<200>Dec 10 06:55:46 LabSZ sshd[1]: x"), "not syslog: PRI <200> is above the maximum 191");
}

#[test]
fn malformed_pri_is_rejected() {
    assert!(rejection("<ab>Dec 10 06:55:46 LabSZ sshd[1]: x").contains("PRI"));
}

#[test]
fn timestamp_alone_is_rejected() {
    assert_eq!(rejection("Dec 10 06:55:46"), "syslog header has no hostname or message after the timestamp");
}

#[test]
fn impossible_time_of_day_is_rejected() {
    assert!(rejection("Dec 10 25:55:46 LabSZ sshd[1]: x").contains("hour is out of range"));
    assert!(rejection("Apr 31 06:55:46 LabSZ sshd[1]: x").contains("2005-04-31"));
}

#[test]
fn event_without_original_is_rejected() {
    let mut p: Syslog = plugin("{}");
    let batch = events_batch(&[vec![("message", Value::from("x"))], vec![("event.original", Value::Int(3))]]);
    let results = run(&mut p, &batch);
    assert_eq!(results[0].fate, Fate::Rejected("event has no event.original to parse".into()));
    assert_eq!(results[1].fate, Fate::Rejected("event.original is not a string".into()));
}

#[test]
fn pri_is_optional_and_decoded_when_present() {
    let e = parse("<38>Dec 10 06:55:46 LabSZ sshd[24200]: Connection closed by 10.1.2.3");
    assert_eq!(e.get_int("log.syslog.priority"), Some(38));
    assert_eq!(e.get_int("log.syslog.facility.code"), Some(4));
    assert_eq!(e.get_int("log.syslog.severity.code"), Some(6));
    let e = parse("Dec 10 06:55:46 LabSZ sshd[24200]: Connection closed by 10.1.2.3");
    assert_eq!(e.get("log.syslog.priority"), None);
}

#[test]
fn line_with_crlf_and_no_tag_still_parses() {
    let e = parse("Jun 19 04:09:11 combo last message repeated 3 times\r");
    assert_eq!(e.get_str("message"), Some("last message repeated 3 times"));
    assert_eq!(e.get("log.syslog.appname"), None);
    assert_eq!(e.get_int("log.syslog.repeat_count"), Some(3));
}

#[test]
fn binary_garbage_and_truncated_lines_never_panic() {
    let mut p: Syslog = plugin(r#"{"year": 2005}"#);
    let inputs = [
        "<",
        "<1",
        "<13>",
        "<13>1",
        "<13>1 ",
        "<13>1 -",
        "<13>1 - -",
        "<13>1 - - - - -",
        "<13>1 - - - - - [",
        "<13>1 - - - - - [a",
        "<13>1 - - - - - [a b=\"\\",
        "Feb",
        "Feb 2",
        "Feb 29 1",
        "Feb 29 12:00",
        "Feb 29 12:00:00.",
        "Dec 10 06:55:46 h sshd[",
        "Dec 10 06:55:46 h sshd[]: ",
        "Dec 10 06:55:46 h sshd[99999999999999999999]: x",
        "Dec 10 06:55:46 h é[1]: ü",
        "\u{feff}",
        "Dec 10 06:55:46 h sshd[1]: Failed password for",
        "Dec 10 06:55:46 h sshd[1]: message repeated 3 times: [",
        "Dec 10 06:55:46 h sudo: a : COMMAND=",
        "Dec 10 06:55:46 h sshd[1]: PAM 99999999999 more authentication failures; x",
    ];
    let results = logsift_sdk::testing::run_lines(&mut p, &inputs);
    assert_eq!(results.len(), inputs.len());
}

#[test]
fn every_prefix_of_real_looking_lines_parses_or_is_rejected_without_panic() {
    let lines = [
        "<38>Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]",
        "Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2",
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" x=\"a\\\"]\"][b c=\"d\"] \u{feff}An entry é",
        "Mar  3 10:16:40 web1 sudo: mallory : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash",
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.example [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    ];
    let mut p: Syslog = plugin("{}");
    for line in lines {
        let prefixes: Vec<&str> = line.char_indices().map(|(at, _)| &line[..at]).collect();
        let results = logsift_sdk::testing::run_lines(&mut p, &prefixes);
        assert_eq!(results.len(), prefixes.len());
    }
}
