//! RFC 5424 lines: the four examples of the RFC's section 6.5, written out here, plus
//! structured-data escapes, repeated params and a PROCID that is not a number.

mod common;

use common::{parse, rejection, utc_nanos};
use logsift_sdk::Value;

const MS: i64 = 1_000_000;

#[test]
fn rfc_example_1_without_structured_data() {
    let e = parse("<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \u{feff}'su root' failed for lonvick on /dev/pts/8");
    assert_eq!(e.get_int("log.syslog.priority"), Some(34));
    assert_eq!(e.get_int("log.syslog.facility.code"), Some(4));
    assert_eq!(e.get_int("log.syslog.severity.code"), Some(2));
    assert_eq!(e.get_int("log.syslog.version"), Some(1));
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2003, 10, 11, 22, 14, 15) + 3 * MS)));
    assert_eq!(e.get_str("host.hostname"), Some("mymachine.example.com"));
    assert_eq!(e.get_str("log.syslog.appname"), Some("su"));
    assert_eq!(e.get_str("process.name"), Some("su"));
    assert_eq!(e.get("log.syslog.procid"), None);
    assert_eq!(e.get("process.pid"), None);
    assert_eq!(e.get_str("log.syslog.msgid"), Some("ID47"));
    assert_eq!(e.get_str("message"), Some("'su root' failed for lonvick on /dev/pts/8"));
    assert!(e.fields.iter().all(|(n, _)| !n.starts_with("log.syslog.structured_data.")));
}

#[test]
fn rfc_example_2_with_offset_and_microseconds() {
    let e = parse("<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    assert_eq!(e.get_int("log.syslog.facility.code"), Some(20));
    assert_eq!(e.get_int("log.syslog.severity.code"), Some(5));
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2003, 8, 24, 12, 14, 15) + 3_000)));
    assert_eq!(e.get_str("host.hostname"), Some("192.0.2.1"));
    assert_eq!(e.get_str("log.syslog.appname"), Some("myproc"));
    assert_eq!(e.get_str("log.syslog.procid"), Some("8710"));
    assert_eq!(e.get_int("process.pid"), Some(8710));
    assert_eq!(e.get("log.syslog.msgid"), None);
    assert_eq!(e.get_str("message"), Some("%% It's time to make the do-nuts."));
}

#[test]
fn rfc_example_3_structured_data_params_become_fields() {
    let e = parse(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"] \u{feff}An application event log entry...",
    );
    assert_eq!(e.get_str("log.syslog.structured_data.exampleSDID@32473.iut"), Some("3"));
    assert_eq!(e.get_str("log.syslog.structured_data.exampleSDID@32473.eventSource"), Some("Application"));
    assert_eq!(e.get_str("log.syslog.structured_data.exampleSDID@32473.eventID"), Some("1011"));
    assert_eq!(e.get_str("log.syslog.msgid"), Some("ID47"));
    assert_eq!(e.get_str("message"), Some("An application event log entry..."));
}

#[test]
fn rfc_example_4_two_elements_and_no_message() {
    let e = parse(
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"]",
    );
    assert_eq!(e.get_str("log.syslog.structured_data.exampleSDID@32473.eventID"), Some("1011"));
    assert_eq!(e.get_str("log.syslog.structured_data.examplePriority@32473.class"), Some("high"));
    assert_eq!(e.get("message"), None);
}

#[test]
fn escaped_quotes_brackets_and_backslashes_are_resolved() {
    let e = parse(r#"<13>1 2024-05-01T08:00:00Z h app - - [meta@1 path="C:\\temp" quote="say \"hi\"" br="a\]b"] m"#);
    assert_eq!(e.get_str("log.syslog.structured_data.meta@1.path"), Some(r"C:\temp"));
    assert_eq!(e.get_str("log.syslog.structured_data.meta@1.quote"), Some(r#"say "hi""#));
    assert_eq!(e.get_str("log.syslog.structured_data.meta@1.br"), Some("a]b"));
    assert_eq!(e.get_str("message"), Some("m"));
}

#[test]
fn repeated_param_name_becomes_an_array() {
    let e = parse(r#"<13>1 2024-05-01T08:00:00Z h app - - [origin ip="192.0.2.1" ip="192.0.2.2" software="x"] m"#);
    assert_eq!(
        e.get("log.syslog.structured_data.origin.ip"),
        Some(&Value::Array(vec![Value::from("192.0.2.1"), Value::from("192.0.2.2")]))
    );
    assert_eq!(e.get_str("log.syslog.structured_data.origin.software"), Some("x"));
}

#[test]
fn non_numeric_procid_is_kept_without_a_pid() {
    let e = parse(
        "<38>1 2024-05-01T08:00:00+02:00 bastion sshd worker-3 - - Accepted publickey for deploy from 198.51.100.2 port 5022 ssh2: ED25519 SHA256:x",
    );
    assert_eq!(e.get_str("log.syslog.procid"), Some("worker-3"));
    assert_eq!(e.get("process.pid"), None);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2024, 5, 1, 6, 0, 0))));
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("ssh_login"), Some("success")));
    assert_eq!(e.get_str("user.name"), Some("deploy"));
}

#[test]
fn nil_timestamp_leaves_no_timestamp() {
    let e = parse("<14>1 - host app 12 - - hello");
    assert_eq!(e.get("@timestamp"), None);
    assert_eq!(e.get_int("process.pid"), Some(12));
}

#[test]
fn malformed_structured_data_is_rejected_with_the_reason() {
    let reason = rejection(r#"<13>1 2024-05-01T08:00:00Z h app - - [meta@1 path=unquoted] m"#);
    assert!(reason.contains("structured data"), "{reason}");
    let reason = rejection(r#"<13>1 2024-05-01T08:00:00Z h app - - [meta@1 a="1]"#);
    assert!(reason.contains("not terminated"), "{reason}");
}

#[test]
fn truncated_header_names_the_missing_field() {
    assert_eq!(rejection("<13>1 2024-05-01T08:00:00Z h app"), "RFC 5424 header ends before PROCID");
}

#[test]
fn impossible_rfc5424_timestamp_is_rejected() {
    let reason = rejection("<13>1 2023-02-29T08:00:00Z h app - - - m");
    assert!(reason.contains("2023-02-29"), "{reason}");
    assert!(rejection("<13>1 2024-05-01T08:00:00 h app - - - m").contains("zone"));
}

#[test]
fn unknown_version_is_rejected() {
    assert_eq!(rejection("<13>2 2024-05-01T08:00:00Z h app - - - m"), "RFC 5424 version 2 is not supported (only 1)");
}
