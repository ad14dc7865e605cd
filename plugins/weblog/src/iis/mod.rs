//! IIS W3C extended log lines. Directive lines (`#Software:`, `#Version:`, `#Date:`,
//! `#Fields:`, any other `#` comment) are dropped, not events; `#Fields:` also sets the
//! columns of the data lines that follow from the same origin. Data lines are values
//! separated by single spaces, `-` meaning empty.
//!
//! Promise: a data line is accepted only if it has exactly as many values as the columns
//! in force, and every typed column (addresses, ports, status codes, durations) holds what
//! it should; the reason names the column otherwise. Dates and times are UTC, as IIS writes
//! them; a line with only one of `date` and `time` has no `@timestamp` and keeps the one
//! it has as `iis.date` or `iis.time`.

mod columns;
mod origins;

use std::borrow::Cow;
use std::net::IpAddr;

use logsift_sdk::{Origin, Value};

use crate::fields::{Fields, Parsed};
use crate::time::{DateTime, clock, number};
use columns::{Column, DEFAULT, declared};
use origins::ColumnsByOrigin;

/// IIS parsing state: the `#Fields:` in force per origin.
#[derive(Debug, Default)]
pub(crate) struct Iis {
    columns: ColumnsByOrigin,
}

impl Iis {
    /// Whether a `#Fields:` directive has been seen for the origin (and not forgotten).
    pub(crate) fn knows(&mut self, origin: &Origin<'_>) -> bool {
        self.columns.get(origin).is_some()
    }

    /// Reads a `#` line: remembers `#Fields:`, drops every directive.
    pub(crate) fn directive<'t>(&mut self, line: &str, origin: &Origin<'_>) -> Parsed<'t> {
        if let Some(names) = line.strip_prefix("#Fields:") {
            let columns = declared(names);
            if columns.is_empty() {
                return Err("iis: #Fields directive declares no columns".into());
            }
            self.columns.set(origin, columns);
        }
        Ok(None)
    }

    /// Parses a data line with the origin's columns, or the IIS default order before any
    /// `#Fields:`.
    pub(crate) fn data<'t>(&mut self, line: &'t str, origin: &Origin<'_>) -> Parsed<'t> {
        match self.columns.get(origin) {
            Some(columns) => parse(line, columns, "#Fields declares"),
            None => parse(line, &DEFAULT, "no #Fields line came before it, and the IIS default has"),
        }
    }
}

/// Parses a data line whose columns are `columns` (`source` says where they came from, for
/// the column-count error).
fn parse<'t>(line: &'t str, columns: &[Column], source: &str) -> Parsed<'t> {
    let count = line.split(' ').count();
    if count != columns.len() {
        return Err(format!("iis: line has {count} values but {source} {} columns", columns.len()));
    }
    let mut fields = Fields::with_capacity(columns.len() + 4);
    let (mut date, mut time) = (None, None);
    for (index, (column, value)) in columns.iter().zip(line.split(' ')).enumerate() {
        if value == "-" {
            continue;
        }
        let bad = |what: &str| format!("iis: value {} ({}) {value:?} is not {what}", index + 1, column.label());
        match column {
            Column::Date => date = Some(value),
            Column::Time => time = Some(value),
            Column::ServerIp => fields.put("destination.ip", ip(value).ok_or_else(|| bad("an IP address"))?),
            Column::ClientIp => fields.put("source.ip", ip(value).ok_or_else(|| bad("an IP address"))?),
            Column::ServerPort => fields.put("destination.port", int(value).filter(|p| *p <= 65_535).ok_or_else(|| bad("a port"))?),
            Column::UserName => fields.put("user.name", value),
            Column::Method => fields.put("http.request.method", value),
            Column::UriStem => fields.put("url.path", value),
            Column::UriQuery => fields.put("url.query", value),
            Column::Version => fields.put("http.version", value.strip_prefix("HTTP/").unwrap_or(value)),
            Column::Host => fields.put("url.domain", value),
            Column::UserAgent => fields.put("user_agent.original", plus_as_space(value)),
            Column::Referrer => fields.put("http.request.referrer", value),
            Column::Status => {
                let status = int(value).filter(|s| (100..=999).contains(s)).ok_or_else(|| bad("an HTTP status"))?;
                fields.put("http.response.status_code", status);
                fields.put_outcome(status);
            }
            Column::SubStatus => fields.put("iis.sub_status", int(value).ok_or_else(|| bad("a number"))?),
            Column::Win32Status => fields.put("iis.win32_status", int(value).ok_or_else(|| bad("a number"))?),
            Column::ResponseBytes => fields.put("http.response.bytes", int(value).ok_or_else(|| bad("a number"))?),
            Column::RequestBytes => fields.put("http.request.bytes", int(value).ok_or_else(|| bad("a number"))?),
            Column::TimeTaken => {
                let nanos = int(value).and_then(|ms| ms.checked_mul(1_000_000)).ok_or_else(|| bad("a number of milliseconds"))?;
                fields.put("event.duration", nanos);
            }
            Column::Other(name) => fields.put_named(Cow::Owned(name.to_string()), value),
        }
    }
    match (date, time) {
        (Some(date), Some(time)) => {
            let ts =
                timestamp(date, time).ok_or_else(|| format!("iis: date and time {date:?} {time:?} are not like 2019-09-03 10:13:36"))?;
            fields.put("@timestamp", Value::Timestamp(ts));
        }
        // Only one of them: no instant, but the value is kept.
        (Some(date), None) => fields.put("iis.date", date),
        (None, Some(time)) => fields.put("iis.time", time),
        (None, None) => {}
    }
    fields.put_common("weblog.iis");
    Ok(Some(fields))
}

fn ip(text: &str) -> Option<IpAddr> {
    text.parse().ok()
}

fn int(text: &str) -> Option<i64> {
    text.bytes().all(|b| b.is_ascii_digit()).then(|| text.parse().ok()).flatten()
}

/// IIS writes spaces in the user agent as `+`.
fn plus_as_space(text: &str) -> Cow<'_, str> {
    if text.contains('+') { Cow::Owned(text.replace('+', " ")) } else { Cow::Borrowed(text) }
}

/// `2019-09-03` and `10:13:36` (UTC) as nanoseconds since the epoch.
fn timestamp(date: &str, time: &str) -> Option<i64> {
    let mut parts = date.split('-');
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || year.len() != 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    let (hour, minute, second, nanos) = clock(time)?;
    let dt = DateTime { year: i64::from(number(year)?), month: number(month)?, day: number(day)?, hour, minute, second, nanos };
    dt.to_epoch_nanos(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_line_is_rejected_with_both_counts() {
        let err = parse("2019-09-03 10:13:36 10.0.2.15", &DEFAULT, "#Fields declares").unwrap_err();
        assert_eq!(err, "iis: line has 3 values but #Fields declares 15 columns");
    }

    #[test]
    fn a_bad_typed_value_names_its_column() {
        let columns = declared("date time c-ip");
        let err = parse("2019-09-03 10:13:36 10.0.2", &columns, "#Fields declares").unwrap_err();
        assert_eq!(err, "iis: value 3 (c-ip) \"10.0.2\" is not an IP address");
    }

    #[test]
    fn plus_signs_in_the_user_agent_are_spaces() {
        let columns = declared("cs(User-Agent) s-sitename");
        let f = parse("Mozilla/5.0+(Windows+NT+10.0) W3SVC1", &columns, "#Fields declares").unwrap().unwrap();
        assert_eq!(f.get("user_agent.original"), Some(&Value::from("Mozilla/5.0 (Windows NT 10.0)")));
        assert_eq!(f.get("iis.s-sitename"), Some(&Value::from("W3SVC1")));
    }
}
