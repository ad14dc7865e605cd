//! The `year` and `timezone` settings, the default year from the clock, and settings that
//! are refused.

mod common;

use common::{parse, parse_with, utc_nanos};
use logsift_sdk::testing::{Fate, plugin, run_lines};
use logsift_sdk::{Plugin, Settings, Value};
use logsift_syslog::Syslog;

const LINE: &str = "Jun 14 15:16:01 combo kernel: hello";
const HOUR: i64 = 3_600_000_000_000;

fn refusal(settings: &str) -> String {
    match Syslog::init(Settings::from_json(settings).expect("json")) {
        Ok(_) => panic!("settings were accepted: {settings}"),
        Err(e) => e,
    }
}

#[test]
fn year_setting_dates_bsd_timestamps() {
    let e = parse_with(r#"{"year": 2019}"#, LINE);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2019, 6, 14, 15, 16, 1))));
}

#[test]
fn timezone_offset_shifts_bsd_timestamps_to_utc() {
    let plus_two = parse_with(r#"{"year": 2005, "timezone": "+02:00"}"#, LINE);
    assert_eq!(plus_two.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 6, 14, 13, 16, 1))));
    let minus_five = parse_with(r#"{"year": 2005, "timezone": "-0500"}"#, LINE);
    assert_eq!(minus_five.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 6, 14, 20, 16, 1))));
    let utc = parse_with(r#"{"year": 2005, "timezone": "UTC"}"#, LINE);
    assert_eq!(utc.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 6, 14, 15, 16, 1))));
}

#[test]
fn timezone_setting_does_not_touch_timestamps_that_carry_an_offset() {
    let line = "<13>1 2024-05-01T08:00:00+01:00 h app - - - m";
    let e = parse_with(r#"{"timezone": "-05:00"}"#, line);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2024, 5, 1, 7, 0, 0))));
}

#[test]
fn default_year_is_the_current_one_for_the_current_month() {
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("clock").as_secs() as i64;
    // Ten minutes ago, as a BSD timestamp, must come back as the same instant.
    let then = now - 600;
    let (mut year, mut days) = (1970, then / 86_400);
    let leap = |y: i64| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    while days >= if leap(year) { 366 } else { 365 } {
        days -= if leap(year) { 366 } else { 365 };
        year += 1;
    }
    let lengths = [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let mut month = 0;
    while days >= lengths[month] {
        days -= lengths[month];
        month += 1;
    }
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = then % 86_400;
    let line = format!("{} {:2} {:02}:{:02}:{:02} h app: m", names[month], days + 1, secs / 3600, secs / 60 % 60, secs % 60);
    let e = parse_with("{}", &line);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(then * 1_000_000_000)), "{line}");
}

#[test]
fn feb_29_in_a_common_year_is_rejected_not_a_panic() {
    let mut p: Syslog = plugin(r#"{"year": 2023}"#);
    let result = run_lines(&mut p, &["Feb 29 12:00:00 h app: m"]).remove(0);
    match result.fate {
        Fate::Rejected(reason) => assert!(reason.contains("2023-02-29"), "{reason}"),
        other => panic!("expected a rejection, got {other:?}"),
    }
    let e = parse_with(r#"{"year": 2024}"#, "Feb 29 12:00:00 h app: m");
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2024, 2, 29, 12, 0, 0))));
}

#[test]
fn fractional_seconds_in_bsd_timestamps_are_kept() {
    let e = parse("Jun 14 15:16:01.250 combo kernel: hello");
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 6, 14, 15, 16, 1) + HOUR / 3600 / 4)));
}

#[test]
fn unknown_setting_is_refused() {
    let e = refusal(r#"{"yaer": 2005}"#);
    assert!(e.contains("unknown field") && e.contains("yaer"), "{e}");
}

#[test]
fn named_timezone_is_refused_with_the_accepted_forms() {
    let e = refusal(r#"{"timezone": "Europe/Paris"}"#);
    assert!(e.contains("Europe/Paris") && e.contains("+02:00"), "{e}");
    assert!(refusal(r#"{"timezone": "+25:00"}"#).contains("timezone"));
}

#[test]
fn year_out_of_range_or_not_a_number_is_refused() {
    assert!(refusal(r#"{"year": 99999}"#).contains("year 99999 is out of range"));
    assert!(refusal(r#"{"year": "2005"}"#).contains("invalid type"));
    assert!(refusal(r#"{"year": 1969}"#).contains("out of range"));
}

#[test]
fn settings_that_are_not_an_object_are_refused() {
    assert!(Settings::from_json("[1]").is_err());
}

#[test]
fn metadata_names_a_parser_called_syslog() {
    assert_eq!(Syslog::METADATA.name, "syslog");
    assert_eq!(Syslog::METADATA.kind, logsift_sdk::Kind::Parser);
}
