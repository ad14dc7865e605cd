//! Helpers shared by the integration tests: reading the project's shared data files and
//! tallying what the plugin did with each line.

#![allow(dead_code)]

use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, OwnedEvent, RecordResult, shared_data};

/// The lines of a shared data file as the host hands them over: split at `\n` (a `\r`
/// before it stays, so the parser's handling of CRLF files is exercised), invalid UTF-8
/// replaced. `None` (the test skips) when `../shared` is absent.
pub fn shared_lines(relative: &str) -> Option<Vec<String>> {
    let path = shared_data(relative)?;
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    let mut lines: Vec<String> = bytes.split(|&b| b == b'\n').map(|l| String::from_utf8_lossy(l).into_owned()).collect();
    if lines.last().is_some_and(String::is_empty) {
        lines.pop();
    }
    Some(lines)
}

/// How many records passed as one event, were dropped, and were rejected (with the
/// rejected lines' 1-based numbers and reasons).
#[derive(Debug, Default, PartialEq)]
pub struct Tally {
    pub events: usize,
    pub dropped: usize,
    pub rejected: Vec<(usize, String)>,
}

pub fn tally(results: &[RecordResult]) -> Tally {
    let mut t = Tally::default();
    for (i, r) in results.iter().enumerate() {
        match &r.fate {
            Fate::Passed(events) if events.len() == 1 => t.events += 1,
            Fate::Dropped => t.dropped += 1,
            Fate::Rejected(reason) => t.rejected.push((i + 1, reason.clone())),
            other => panic!("line {}: unexpected fate {other:?}", i + 1),
        }
    }
    t
}

/// The single event a record became; panics with the fate otherwise.
pub fn event(result: &RecordResult) -> &OwnedEvent {
    result.event().unwrap_or_else(|| panic!("expected one event, got {:?}", result.fate))
}

/// The events of all records that passed.
pub fn events(results: &[RecordResult]) -> impl Iterator<Item = &OwnedEvent> {
    results.iter().filter_map(RecordResult::event)
}

pub fn ip(text: &str) -> Value<'static> {
    Value::Ip(text.parse().expect("test IP"))
}

pub fn text(s: &str) -> Value<'static> {
    Value::from(s.to_owned())
}

/// `event.category` = `["web"]`.
pub fn web() -> Value<'static> {
    Value::Array(vec![text("web")])
}
