//! Apache/Nginx access log lines in the *common* and *combined* formats:
//!
//! ```text
//! client ident user [11/Jul/2018:08:41:28 +0300] "GET /path?query HTTP/1.1" 200 11444
//! client ident user [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 11444 "referrer" "user agent"
//! ```
//!
//! Promise: a line is accepted when its frame (client, timestamp, quoted request, status,
//! size, and for combined the two quoted headers) is there; what the client sent inside the
//! quotes never fails it (see [`request`](crate::request)). Common or combined is decided
//! per line unless the settings fix one.

use std::net::IpAddr;

use crate::cursor::Cursor;
use crate::fields::{Fields, Parsed};
use crate::request::{put_request, unescape};
use crate::time::{DateTime, clock, month_from_abbrev, number, offset};

/// Which access log formats a line may be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Variant {
    /// Common or combined, whichever the line is.
    Either,
    /// Common only.
    Common,
    /// Combined only.
    Combined,
}

/// Parses one access log line.
pub(crate) fn parse(line: &str, variant: Variant) -> Parsed<'_> {
    let mut c = Cursor::new(line, "access log");
    let mut fields = Fields::with_capacity(16);

    let client = c.word();
    put_client(&mut fields, client).ok_or_else(|| c.error_at(0, &format!("client {client:?} is neither an IP address nor a host name")))?;
    let _ident = c.word();
    let user_at = c.pos();
    let user = c.until(" [", "user name").map_err(|_| c.error_at(user_at, "expected user name, then \" [\" and the timestamp"))?;
    match user {
        "" => return Err(c.error_at(user_at, "expected user name (or \"-\")")),
        "-" => {}
        user => fields.put("user.name", user),
    }

    let stamp_at = c.pos();
    let stamp = c.until("] ", "timestamp").map_err(|_| c.error_at(stamp_at, "timestamp is not closed by \"] \""))?;
    let ts =
        timestamp(stamp).ok_or_else(|| c.error_at(stamp_at, &format!("timestamp {stamp:?} is not like 11/Jul/2018:08:41:28 +0300")))?;
    fields.put("@timestamp", logsift_sdk::Value::Timestamp(ts));

    let request = c.quoted("request line", "followed by the status", |after| {
        after.strip_prefix(' ').is_some_and(|s| s.starts_with(|ch: char| ch.is_ascii_digit()))
    })?;
    put_request(&mut fields, request);
    c.expect(" ", "a space after the request line")?;

    let status_at = c.pos();
    let status = c.word();
    let status = number(status)
        .filter(|s| (100..=999).contains(s) && status.len() == 3)
        .ok_or_else(|| c.error_at(status_at, &format!("status {status:?} is not a three-digit number")))?;
    fields.put("http.response.status_code", status);
    fields.put_outcome(i64::from(status));

    let size_at = c.pos();
    let size = c.word();
    if size != "-" {
        let bytes = size.parse::<i64>().ok().filter(|b| *b >= 0 && size.bytes().all(|b| b.is_ascii_digit()));
        let bytes = bytes.ok_or_else(|| c.error_at(size_at, &format!("response size {size:?} is neither a number nor \"-\"")))?;
        fields.put("http.response.body.bytes", bytes);
    }

    match (c.at_end(), variant) {
        (true, Variant::Combined) => {
            return Err(c.error("expected the quoted referrer and user agent of the combined format"));
        }
        (false, Variant::Common) => {
            return Err(c.error("unexpected text after the response size (the common format ends there)"));
        }
        (true, _) => {}
        (false, _) => put_headers(&mut c, &mut fields)?,
    }
    fields.put_common("weblog.access");
    Ok(Some(fields))
}

/// The combined format's `"referrer" "user agent"`, which end the line. A further quoted
/// field (nginx's `main` format adds `"$http_x_forwarded_for"`) is refused rather than
/// taken into the user agent.
fn put_headers<'t>(c: &mut Cursor<'t>, fields: &mut Fields<'t>) -> Result<(), String> {
    let referrer = c.quoted("referrer", "followed by the user agent", |after| after.starts_with(" \""))?;
    c.expect(" ", "a space after the referrer")?;
    let agent = c.quoted("user agent", "at the end of the line", |after| after.is_empty() || after.starts_with(" \""))?;
    if !c.at_end() {
        return Err(c.error("unexpected text after the user agent (the combined format ends there)"));
    }
    if referrer != "-" {
        fields.put("http.request.referrer", unescape(referrer));
    }
    if agent != "-" {
        fields.put("user_agent.original", unescape(agent));
    }
    Ok(())
}

/// `source.ip` for an address, `source.domain` for a host name (`HostnameLookups On`).
fn put_client<'t>(fields: &mut Fields<'t>, client: &'t str) -> Option<()> {
    if let Ok(ip) = client.parse::<IpAddr>() {
        fields.put("source.ip", ip);
        return Some(());
    }
    let hostname = !client.is_empty()
        && client.len() <= 253
        && client.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_');
    hostname.then(|| fields.put("source.domain", client))
}

/// `11/Jul/2018:08:41:28 +0300` as nanoseconds since the epoch.
fn timestamp(text: &str) -> Option<i64> {
    // `DD/Mon/YYYY:` has a fixed width; the clock runs from there to the space before the zone.
    let (day, month, year, rest) = (text.get(..2)?, text.get(3..6)?, text.get(7..11)?, text.get(12..)?);
    let b = text.as_bytes();
    if (b[2], b[6], b[11]) != (b'/', b'/', b':') {
        return None;
    }
    let space = memchr::memchr(b' ', rest.as_bytes())?;
    let (time, zone) = (&rest[..space], &rest[space + 1..]);
    let (hour, minute, second, nanos) = clock(time)?;
    let year = i64::from(number(year)?);
    let dt = DateTime { year, month: month_from_abbrev(month)?, day: number(day)?, hour, minute, second, nanos };
    dt.to_epoch_nanos(offset(zone)?)
}

#[cfg(test)]
mod tests {
    use logsift_sdk::Value;

    use super::*;

    #[test]
    fn the_timestamp_honours_its_offset() {
        // date -u -d '2018-07-11T08:41:28+03:00' +%s → 1531287688
        assert_eq!(timestamp("11/Jul/2018:08:41:28 +0300"), Some(1_531_287_688_000_000_000));
        assert_eq!(timestamp("11/Jul/2018:08:41:28 -0000"), Some(1_531_298_488_000_000_000));
        assert_eq!(timestamp("11/Foo/2018:08:41:28 +0300"), None);
        assert_eq!(timestamp("11/Jul/2018:08:41:28.25 +0300"), Some(1_531_287_688_250_000_000));
        for bad in ["1/Jul/2018:08:41:28 +0300", "11/Jul/18:08:41:28 +0300", "11-Jul-2018:08:41:28 +0300", "11/Jul/2018 08:41:28 +0300"] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
        for bad in ["11/Jul/2018:08:41:28", "11/Jul/2018:8:41:28 +0300", "11/Jul/2018:08:41:28. +0300", "1é/Jul/2018:08:41:28 +0300"] {
            assert_eq!(timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_host_name_client_becomes_source_domain() {
        let fields = parse(r#"gw.example.org - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#, Variant::Either).unwrap().unwrap();
        assert_eq!(fields.get("source.domain"), Some(&Value::from("gw.example.org")));
        assert_eq!(fields.get("source.ip"), None);
    }
}
