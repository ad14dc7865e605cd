//! Apache error log lines, 2.2 and 2.4 style:
//!
//! ```text
//! [Sun Dec 04 04:47:44 2005] [notice] message
//! [Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5874] message
//! ```
//!
//! Promise: the timestamp carries no zone, so it is read at the configured fixed offset
//! (UTC unless the `timezone` setting says otherwise); `[pid …]` and `[client …]` sections
//! are taken in either order, and the message is the text after the last of them.

use std::net::IpAddr;

use crate::cursor::Cursor;
use crate::fields::{Fields, Parsed};
use crate::time::{DateTime, clock, month_from_abbrev, number};

/// Parses one error log line, reading its wall-clock time at `offset_secs` east of UTC.
pub(crate) fn parse(line: &str, offset_secs: i64) -> Parsed<'_> {
    let mut c = Cursor::new(line, "apache error log");
    let mut fields = Fields::with_capacity(10);

    c.expect("[", "'[' opening the timestamp")?;
    let stamp_at = c.pos();
    let stamp = c.until("] ", "timestamp").map_err(|_| c.error_at(stamp_at, "timestamp is not closed by \"] \""))?;
    let ts = timestamp(stamp, offset_secs)
        .ok_or_else(|| c.error_at(stamp_at, &format!("timestamp {stamp:?} is not like \"Sun Dec 04 04:47:44 2005\"")))?;
    fields.put("@timestamp", logsift_sdk::Value::Timestamp(ts));

    c.expect("[", "'[' opening the level")?;
    let level_at = c.pos();
    let level = c.until("]", "level")?;
    let (module, level) = level.split_once(':').map_or((None, level), |(m, l)| (Some(m), l));
    if level.is_empty() || !level.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(c.error_at(level_at, &format!("level {level:?} is not a word")));
    }
    fields.put("log.level", level);
    if let Some(module) = module {
        fields.put("apache.error.module", module);
    }

    loop {
        c.eat(" ");
        let section_at = c.pos();
        if c.eat("[pid ") {
            let pid = c.until("]", "[pid section")?;
            put_pid(&mut fields, pid).ok_or_else(|| c.error_at(section_at, &format!("[pid {pid}] does not hold a process id")))?;
        } else if c.eat("[client ") {
            let client = c.until("]", "[client section")?;
            put_client(&mut fields, client)
                .ok_or_else(|| c.error_at(section_at, &format!("[client {client}] does not hold an IP address")))?;
        } else {
            break;
        }
    }
    if !c.at_end() {
        fields.put("message", c.rest());
    }
    fields.put_common("weblog.apache_error");
    Ok(Some(fields))
}

/// `35708` or `35708:tid 4328636416`.
fn put_pid(fields: &mut Fields<'_>, text: &str) -> Option<()> {
    let (pid, tid) = match text.split_once(":tid ") {
        Some((pid, tid)) => (pid, Some(tid)),
        None => (text, None),
    };
    fields.put("process.pid", pid.parse::<u32>().ok()?);
    if let Some(tid) = tid {
        fields.put("process.thread.id", tid.parse::<i64>().ok()?);
    }
    Some(())
}

/// `72.15.99.187`, `72.15.99.187:5874` (2.4 adds the port) or an IPv6 address.
fn put_client(fields: &mut Fields<'_>, text: &str) -> Option<()> {
    let with_port = text.rsplit_once(':').and_then(|(ip, port)| Some((ip.parse::<IpAddr>().ok()?, port.parse::<u16>().ok()?)));
    match with_port {
        Some((ip, port)) => {
            fields.put("source.ip", ip);
            fields.put("source.port", port);
        }
        None => fields.put("source.ip", text.parse::<IpAddr>().ok()?),
    }
    Some(())
}

/// `Sun Dec 04 04:47:44 2005` (optionally `04:47:44.123456`) at a fixed offset.
fn timestamp(text: &str, offset_secs: i64) -> Option<i64> {
    let mut words = text.split_whitespace();
    let (weekday, month, day, time, year) = (words.next()?, words.next()?, words.next()?, words.next()?, words.next()?);
    if words.next().is_some() || weekday.len() != 3 || year.len() != 4 {
        return None;
    }
    let (hour, minute, second, nanos) = clock(time)?;
    let year = i64::from(number(year)?);
    let dt = DateTime { year, month: month_from_abbrev(month)?, day: number(day)?, hour, minute, second, nanos };
    dt.to_epoch_nanos(offset_secs)
}

#[cfg(test)]
mod tests {
    use logsift_sdk::Value;

    use super::*;

    #[test]
    fn a_two_four_line_gives_module_pid_thread_and_client_port() {
        let line = "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5874] AH00037: Symbolic link not allowed";
        let f = parse(line, 0).unwrap().unwrap();
        // date -u -d '2000-10-11T14:32:52Z' +%s → 971274772
        assert_eq!(f.get("@timestamp"), Some(&Value::Timestamp(971_274_772_123_456_000)));
        assert_eq!(f.get("log.level"), Some(&Value::from("error")));
        assert_eq!(f.get("apache.error.module"), Some(&Value::from("core")));
        assert_eq!(f.get("process.pid"), Some(&Value::Int(35708)));
        assert_eq!(f.get("process.thread.id"), Some(&Value::Int(4_328_636_416)));
        assert_eq!(f.get("source.ip"), Some(&Value::Ip("72.15.99.187".parse().unwrap())));
        assert_eq!(f.get("source.port"), Some(&Value::Int(5874)));
        assert_eq!(f.get("message"), Some(&Value::from("AH00037: Symbolic link not allowed")));
    }

    #[test]
    fn the_configured_offset_moves_the_naive_timestamp() {
        let f = parse("[Sun Dec 04 04:47:44 2005] [notice] x", 3600).unwrap().unwrap();
        // date -u -d '2005-12-04T03:47:44Z' +%s → 1133668064
        assert_eq!(f.get("@timestamp"), Some(&Value::Timestamp(1_133_668_064_000_000_000)));
    }

    #[test]
    fn an_ipv6_client_without_port_is_read_whole() {
        let f = parse("[Sun Dec 04 04:47:44 2005] [error] [client 2001:db8::1] x", 0).unwrap().unwrap();
        assert_eq!(f.get("source.ip"), Some(&Value::Ip("2001:db8::1".parse().unwrap())));
    }
}
