//! Helpers shared by the syslog parser's tests: run one line, a CSV reader for loghub's
//! ground truth, and an independent civil-time → epoch conversion to check `@timestamp`.

#![allow(dead_code)]

use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, OwnedEvent, plugin, run_lines};
use logsift_syslog::Syslog;

/// Settings that pin the year, so BSD timestamps do not depend on the clock.
pub const YEAR_2005: &str = r#"{"year": 2005}"#;

/// Parses one line with the given settings; panics (a test failure) unless it passed.
pub fn parse_with(settings: &str, line: &str) -> OwnedEvent {
    let mut p: Syslog = plugin(settings);
    let result = run_lines(&mut p, &[line]).remove(0);
    match result.fate {
        Fate::Passed(mut events) if events.len() == 1 => events.remove(0),
        other => panic!("line was not parsed into one event: {other:?}\n{line}"),
    }
}

/// Parses one line with the year pinned to 2005.
pub fn parse(line: &str) -> OwnedEvent {
    parse_with(YEAR_2005, line)
}

/// The reason a line was rejected; panics if it was not.
pub fn rejection(line: &str) -> String {
    let mut p: Syslog = plugin(YEAR_2005);
    match run_lines(&mut p, &[line]).remove(0).fate {
        Fate::Rejected(reason) => reason,
        other => panic!("line was not rejected: {other:?}\n{line}"),
    }
}

/// `event.category` as strings.
pub fn categories(event: &OwnedEvent) -> Vec<&str> {
    match event.get("event.category") {
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
        other => panic!("event.category is not an array: {other:?}"),
    }
}

/// An IP field's address as text.
pub fn ip(event: &OwnedEvent, name: &str) -> Option<String> {
    match event.get(name) {
        Some(Value::Ip(ip)) => Some(ip.to_string()),
        None => None,
        other => panic!("{name} is not an IP: {other:?}"),
    }
}

/// Nanoseconds since the epoch of a UTC civil time, counted day by day (independent of the
/// parser's own calendar code).
pub fn utc_nanos(year: i32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> i64 {
    let leap = |y: i32| y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let mut days: i64 = 0;
    for y in 1970..year {
        days += if leap(y) { 366 } else { 365 };
    }
    let lengths = [31, if leap(year) { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    days += lengths[..(month - 1) as usize].iter().sum::<i64>();
    days += i64::from(day - 1);
    let secs = days * 86_400 + i64::from(hour) * 3600 + i64::from(minute) * 60 + i64::from(second);
    secs * 1_000_000_000
}

/// Month number of an English three-letter abbreviation.
pub fn month(name: &str) -> u32 {
    let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    names.iter().position(|m| *m == name).unwrap_or_else(|| panic!("not a month: {name}")) as u32 + 1
}

/// Reads RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks;
/// records end with LF or CRLF.
pub fn read_csv(text: &str) -> Vec<Vec<String>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                field.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => field.push(c),
            (false, '"') if field.is_empty() => quoted = true,
            (false, ',') => record.push(std::mem::take(&mut field)),
            (false, '\r') if chars.peek() == Some(&'\n') => {}
            (false, '\n') => {
                record.push(std::mem::take(&mut field));
                records.push(std::mem::take(&mut record));
            }
            (false, c) => field.push(c),
        }
    }
    if !field.is_empty() || !record.is_empty() {
        record.push(field);
        records.push(record);
    }
    records
}
