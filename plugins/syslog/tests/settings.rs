//! The `year` and `timezone` settings (fixed offsets and IANA zone names), the default year
//! from the clock, and settings that are refused.

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
fn named_timezone_applies_summer_time_to_a_summer_line_and_standard_time_to_a_winter_one() {
    let berlin = r#"{"year": 2005, "timezone": "Europe/Berlin"}"#;
    // Berlin is at +02:00 in June (CEST) and at +01:00 in January (CET).
    let summer = parse_with(berlin, "Jun 14 15:16:01 combo kernel: hello");
    assert_eq!(summer.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 6, 14, 13, 16, 1))));
    let winter = parse_with(berlin, "Jan 14 15:16:01 combo kernel: hello");
    assert_eq!(winter.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 1, 14, 14, 16, 1))));
}

#[test]
fn named_timezone_changes_offset_per_line_within_one_run() {
    let mut p: Syslog = plugin(r#"{"year": 2005, "timezone": "europe/berlin"}"#);
    // 2005-03-27: clocks went from 02:00 CET to 03:00 CEST.
    let lines = ["Mar 27 01:59:59 h app: m", "Mar 27 03:00:00 h app: m"];
    let stamps: Vec<_> = run_lines(&mut p, &lines)
        .into_iter()
        .map(|r| match r.fate {
            Fate::Passed(events) => events[0].get("@timestamp").cloned(),
            other => panic!("not parsed: {other:?}"),
        })
        .collect();
    assert_eq!(stamps[0], Some(Value::Timestamp(utc_nanos(2005, 3, 27, 0, 59, 59))));
    assert_eq!(stamps[1], Some(Value::Timestamp(utc_nanos(2005, 3, 27, 1, 0, 0))));
}

#[test]
fn clock_times_a_daylight_saving_change_skips_or_repeats_take_the_compatible_reading() {
    let new_york = r#"{"year": 2024, "timezone": "America/New_York"}"#;
    // 02:30 on 2024-03-10 never happened (02:00 EST → 03:00 EDT): read as 03:30 EDT.
    let gap = parse_with(new_york, "Mar 10 02:30:00 h app: m");
    assert_eq!(gap.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2024, 3, 10, 7, 30, 0))));
    // 01:30 on 2024-11-03 happened twice (EDT, then EST): the first one.
    let fold = parse_with(new_york, "Nov  3 01:30:00 h app: m");
    assert_eq!(fold.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2024, 11, 3, 5, 30, 0))));
}

#[test]
fn unknown_timezone_name_is_refused_with_the_accepted_forms() {
    let e = refusal(r#"{"timezone": "Europe/Atlantis"}"#);
    assert!(e.contains("timezone \"Europe/Atlantis\"") && e.contains("+02:00") && e.contains("Europe/Berlin"), "{e}");
    assert!(refusal(r#"{"timezone": "+25:00"}"#).contains("timezone \"+25:00\""));
    assert!(refusal(r#"{"timezone": ""}"#).contains("timezone"));
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
