//! Syslog headers: RFC 3164 (BSD) and RFC 5424, told apart by what follows the PRI.
//!
//! [`parse`] takes one line and returns its [`Header`], borrowing every string from the
//! line, or a [`HeaderError`] that says why the line is not syslog. It does not know the
//! year or zone of a BSD timestamp: that is left as a [`Stamp::Bsd`] for the caller to
//! resolve.
//!
//! The BSD form is the one syslogd writes to files: `[<PRI>]Mmm dd hh:mm:ss host
//! tag[pid]: message` (PRI optional; rsyslog's RFC 3339 timestamp accepted in place of the
//! BSD one). Real tags stray from the RFC (`sshd(pam_unix)`, `syslogd 1.4.1`, `-- root`), so
//! the tag is whatever precedes the first `[pid]` or `: ` within [`MAX_TAG`] bytes, with at
//! most one space; a line without one has no tag and the whole rest is the message. A first
//! token that ends in `:` is a tag, not a host (local logs written without a hostname).

use std::fmt;

use crate::structured_data::{self, SdError};
use crate::timestamp::{self, BsdTime, TimeError};

/// Longest text taken as an RFC 3164 tag (the RFC says 32; real ones run longer).
pub const MAX_TAG: usize = 64;

/// The largest PRI: facility 23 (local7), severity 7 (debug).
const MAX_PRI: u16 = 191;

/// A parsed header and the message after it.
#[derive(Debug, Clone, PartialEq)]
pub struct Header<'s> {
    /// PRI (`facility * 8 + severity`), when the line has one.
    pub priority: Option<u8>,
    /// RFC 5424 VERSION; `None` for the BSD form.
    pub version: Option<u8>,
    /// When the event happened.
    pub timestamp: Stamp,
    /// HOSTNAME.
    pub hostname: Option<&'s str>,
    /// The RFC 3164 tag or the RFC 5424 APP-NAME, verbatim.
    pub appname: Option<&'s str>,
    /// RFC 5424 PROCID, verbatim.
    pub procid: Option<&'s str>,
    /// The process id: the RFC 3164 `[pid]`, or a numeric PROCID.
    pub pid: Option<i64>,
    /// RFC 5424 MSGID.
    pub msgid: Option<&'s str>,
    /// RFC 5424 STRUCTURED-DATA, checked, brackets included.
    pub structured_data: Option<&'s str>,
    /// The message, trimmed of surrounding whitespace (and of a leading BOM in RFC 5424).
    pub message: &'s str,
}

impl<'s> Header<'s> {
    /// The program name: the tag or APP-NAME up to a `(` or a space (`sshd(pam_unix)` →
    /// `sshd`, `syslogd 1.4.1` → `syslogd`).
    pub fn process_name(&self) -> Option<&'s str> {
        let app = self.appname?;
        let name = memchr::memchr2(b'(', b' ', app.as_bytes()).and_then(|end| app.get(..end)).unwrap_or(app);
        (!name.is_empty()).then_some(name)
    }
}

/// A header's timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stamp {
    /// The line has none (RFC 5424 NILVALUE).
    None,
    /// An instant, nanoseconds since the epoch (UTC).
    Instant(i64),
    /// A BSD timestamp still waiting for its year and zone.
    Bsd(BsdTime),
}

/// Why a line is not syslog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    /// Nothing but whitespace.
    Empty,
    /// `<` is not followed by 1–3 digits and `>`.
    MalformedPri,
    /// PRI above 191.
    PriOutOfRange(u16),
    /// No BSD timestamp, RFC 3339 timestamp or RFC 5424 version where the header starts.
    NoTimestamp(TimeError),
    /// A timestamp is there but wrong (bad field, impossible date).
    BadTimestamp(TimeError),
    /// The line ends right after the timestamp.
    NothingAfterTimestamp,
    /// RFC 5424 with a version this parser does not know.
    UnsupportedVersion(u16),
    /// RFC 5424 header that stops before the named field.
    Truncated(&'static str),
    /// RFC 5424 STRUCTURED-DATA that breaks the grammar.
    StructuredData(SdError),
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HeaderError::Empty => f.write_str("not syslog: the line is empty"),
            HeaderError::MalformedPri => f.write_str("not syslog: '<' at the start is not a PRI like <34>"),
            HeaderError::PriOutOfRange(pri) => {
                write!(f, "not syslog: PRI <{pri}> is above the maximum 191")
            }
            HeaderError::NoTimestamp(e) => {
                write!(f, "not syslog: no RFC 3164 header (Mmm dd hh:mm:ss host …) or RFC 5424 header (<PRI>1 …) at the start ({e})")
            }
            HeaderError::BadTimestamp(e) => write!(f, "syslog header has a bad timestamp: {e}"),
            HeaderError::NothingAfterTimestamp => f.write_str("syslog header has no hostname or message after the timestamp"),
            HeaderError::UnsupportedVersion(v) => {
                write!(f, "RFC 5424 version {v} is not supported (only 1)")
            }
            HeaderError::Truncated(field) => write!(f, "RFC 5424 header ends before {field}"),
            HeaderError::StructuredData(e) => e.fmt(f),
        }
    }
}

/// `text` without surrounding whitespace, as [`str::trim`] makes it; asked first whether
/// both ends are printable ASCII (which no whitespace is), as they are on most lines:
/// `str::trim`'s generic search decodes characters from each end (~100 instructions a call
/// in the plugin).
fn trim(text: &str) -> &str {
    let graphic = |b: Option<&u8>| b.is_some_and(u8::is_ascii_graphic);
    if graphic(text.as_bytes().first()) && graphic(text.as_bytes().last()) { text } else { text.trim() }
}

/// Parses one syslog line (a trailing CR/LF is ignored).
pub fn parse(line: &str) -> Result<Header<'_>, HeaderError> {
    let line = line.trim_end_matches(['\r', '\n']);
    if trim(line).is_empty() {
        return Err(HeaderError::Empty);
    }
    let (priority, rest) = split_pri(line)?;
    // RFC 5424 requires PRI; without one, a line is read as BSD.
    match split_version(rest).filter(|_| priority.is_some()) {
        Some((version, rest)) => rfc5424(priority, version, rest),
        None => bsd(priority, rest),
    }
}

/// Reads `<PRI>` if the line starts with `<`.
fn split_pri(line: &str) -> Result<(Option<u8>, &str), HeaderError> {
    let Some(rest) = line.strip_prefix('<') else {
        return Ok((None, line));
    };
    let digits = rest.bytes().take(4).take_while(u8::is_ascii_digit).count();
    if !(1..=3).contains(&digits) || rest.as_bytes().get(digits) != Some(&b'>') {
        return Err(HeaderError::MalformedPri);
    }
    let pri = rest.bytes().take(digits).fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    let pri = u8::try_from(pri).ok().filter(|&p| u16::from(p) <= MAX_PRI).ok_or(HeaderError::PriOutOfRange(pri))?;
    Ok((Some(pri), rest.get(digits + 1..).unwrap_or_default()))
}

/// Reads an RFC 5424 VERSION (1–3 digits, then a space), if the text starts with one.
fn split_version(text: &str) -> Option<(u16, &str)> {
    let digits = text.bytes().take(4).take_while(u8::is_ascii_digit).count();
    if !(1..=3).contains(&digits) || text.as_bytes().get(digits) != Some(&b' ') {
        return None;
    }
    let version = text.bytes().take(digits).fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'));
    Some((version, text.get(digits + 1..)?))
}

/// `TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`.
fn rfc5424(priority: Option<u8>, version: u16, text: &str) -> Result<Header<'_>, HeaderError> {
    if version != 1 {
        return Err(HeaderError::UnsupportedVersion(version));
    }
    let (timestamp, rest) = match text.strip_prefix('-') {
        Some(rest) => (Stamp::None, rest),
        None => {
            let (nanos, rest) = timestamp::parse_rfc3339(text).map_err(HeaderError::BadTimestamp)?;
            (Stamp::Instant(nanos), rest)
        }
    };
    let (hostname, rest) = field(rest, "HOSTNAME")?;
    let (appname, rest) = field(rest, "APP-NAME")?;
    let (procid, rest) = field(rest, "PROCID")?;
    let (msgid, rest) = field(rest, "MSGID")?;
    let sd_text = rest.strip_prefix(' ').filter(|t| !t.is_empty()).ok_or(HeaderError::Truncated("STRUCTURED-DATA"))?;
    let (structured_data, msg) = structured_data::split(sd_text).map_err(HeaderError::StructuredData)?;
    let msg = msg.strip_prefix(' ').unwrap_or(msg);
    let message = trim(msg.strip_prefix('\u{feff}').unwrap_or(msg));
    Ok(Header {
        priority,
        version: u8::try_from(version).ok(),
        timestamp,
        hostname,
        appname,
        pid: procid.and_then(number),
        procid,
        msgid,
        structured_data,
        message,
    })
}

/// One space-separated RFC 5424 header field after a space; `-` is `None`.
fn field<'s>(text: &'s str, name: &'static str) -> Result<(Option<&'s str>, &'s str), HeaderError> {
    let text = text.strip_prefix(' ').filter(|t| !t.is_empty() && !t.starts_with(' ')).ok_or(HeaderError::Truncated(name))?;
    let (value, rest) = text.split_at_checked(text.find(' ').unwrap_or(text.len())).unwrap_or((text, ""));
    Ok(((value != "-").then_some(value), rest))
}

/// `Mmm dd hh:mm:ss` (or RFC 3339) `host tag[pid]: message`.
fn bsd(priority: Option<u8>, text: &str) -> Result<Header<'_>, HeaderError> {
    let (timestamp, rest) = if text.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let (nanos, rest) = timestamp::parse_rfc3339(text).map_err(HeaderError::NoTimestamp)?;
        (Stamp::Instant(nanos), rest)
    } else {
        let (time, rest) = timestamp::parse_bsd(text).map_err(|e| match e {
            TimeError::Malformed(_) => HeaderError::NoTimestamp(e),
            _ => HeaderError::BadTimestamp(e),
        })?;
        (Stamp::Bsd(time), rest)
    };
    let rest = rest.trim_start_matches(' ');
    if trim(rest).is_empty() {
        return Err(HeaderError::NothingAfterTimestamp);
    }
    let first_end = memchr::memchr(b' ', rest.as_bytes()).unwrap_or(rest.len());
    let (first, after) = rest.split_at_checked(first_end).unwrap_or((rest, ""));
    let (hostname, rest) = if first.ends_with(':') { (None, rest) } else { (Some(first), after.trim_start_matches(' ')) };
    let (appname, pid, message) = split_tag(rest);
    Ok(Header {
        priority,
        version: None,
        timestamp,
        hostname,
        appname,
        procid: None,
        pid,
        msgid: None,
        structured_data: None,
        message: trim(message),
    })
}

/// Splits `tag[pid]: message`, `tag: message` or `tag[pid] message`; text without a
/// recognisable tag is all message.
fn split_tag(text: &str) -> (Option<&str>, Option<i64>, &str) {
    let b = text.as_bytes();
    let mut spaces = 0;
    for (at, &c) in b.iter().enumerate().take(MAX_TAG) {
        match c {
            b':' if at > 0 && matches!(b.get(at + 1), None | Some(b' ')) => {
                let tag = text.get(..at).filter(|t| !t.ends_with(' '));
                if let (Some(tag), Some(message)) = (tag, text.get(at + 1..)) {
                    return (Some(tag), None, message);
                }
                break;
            }
            b'[' if at > 0 => {
                let Some(inner_len) = b.get(at + 1..).and_then(|r| r.iter().position(|&c| c == b']')) else {
                    break;
                };
                let after = text.get(at + inner_len + 2..).unwrap_or_default();
                let message = after.strip_prefix(':').unwrap_or(after);
                if !(message.is_empty() || message.starts_with(' ')) {
                    break;
                }
                let pid = text.get(at + 1..at + 1 + inner_len).and_then(number);
                return (text.get(..at), pid, message);
            }
            b' ' => {
                spaces += 1;
                if spaces > 1 || at == 0 {
                    break;
                }
            }
            _ => {}
        }
    }
    (None, None, text)
}

/// A non-negative decimal number of at most 18 digits.
fn number(text: &str) -> Option<i64> {
    if text.is_empty() || text.len() > 18 || !text.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_line_with_pid_splits_host_tag_and_message() {
        let h = parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186\r\n").unwrap();
        assert_eq!(h.hostname, Some("LabSZ"));
        assert_eq!(h.appname, Some("sshd"));
        assert_eq!(h.pid, Some(24200));
        assert_eq!(h.message, "Invalid user webmaster from 173.234.31.186");
        assert_eq!(h.priority, None);
    }

    #[test]
    fn unusual_tags_from_real_files_are_kept_verbatim() {
        let cases = [
            ("Jun 19 04:09:11 combo syslogd 1.4.1: restart.", "syslogd 1.4.1", None, "restart.", Some("syslogd")),
            ("Jul  7 08:06:15 combo  -- root[2421]: ROOT LOGIN ON tty2", "-- root", Some(2421), "ROOT LOGIN ON tty2", Some("--")),
            (
                "Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown",
                "sshd(pam_unix)",
                Some(19937),
                "check pass; user unknown",
                Some("sshd"),
            ),
            ("Jul 27 14:42:00 combo kernel: Linux agpgart", "kernel", None, "Linux agpgart", Some("kernel")),
        ];
        for (line, tag, pid, message, process) in cases {
            let h = parse(line).unwrap();
            assert_eq!((h.appname, h.pid, h.message, h.process_name()), (Some(tag), pid, message, process), "{line}");
        }
    }

    #[test]
    fn message_without_tag_is_all_message() {
        let h = parse("Jun 19 04:09:11 combo last message repeated 3 times").unwrap();
        assert_eq!((h.appname, h.message), (None, "last message repeated 3 times"));
    }

    #[test]
    fn line_without_hostname_starts_with_the_tag() {
        let h = parse("<38>Feb  5 17:32:18 sshd[42]: Connection closed by 10.0.0.1").unwrap();
        assert_eq!((h.hostname, h.appname, h.pid, h.priority), (None, Some("sshd"), Some(42), Some(38)));
    }

    #[test]
    fn rsyslog_rfc3339_timestamp_is_accepted_in_a_bsd_line() {
        let h = parse("2024-03-01T12:00:00.5+01:00 web1 sudo: alice : TTY=pts/0").unwrap();
        assert_eq!(h.timestamp, Stamp::Instant(1_709_290_800_500_000_000));
        assert_eq!((h.hostname, h.appname), (Some("web1"), Some("sudo")));
    }

    #[test]
    fn pri_out_of_range_and_malformed_are_errors() {
        assert_eq!(parse("<192>Dec 10 06:55:46 h t: m"), Err(HeaderError::PriOutOfRange(192)));
        assert_eq!(parse("<x>Dec 10 06:55:46 h t: m"), Err(HeaderError::MalformedPri));
        assert_eq!(parse("<1234>Dec 10 06:55:46 h t: m"), Err(HeaderError::MalformedPri));
    }

    #[test]
    fn rfc5424_fields_with_nil_values() {
        let h = parse("<165>1 - - - - - -").unwrap();
        assert_eq!(h.version, Some(1));
        assert_eq!((h.timestamp, h.hostname, h.appname, h.procid, h.msgid, h.message), (Stamp::None, None, None, None, None, ""));
    }

    #[test]
    fn rfc5424_truncated_header_names_the_missing_field() {
        assert_eq!(parse("<165>1 2003-10-11T22:14:15.003Z host app"), Err(HeaderError::Truncated("PROCID")));
        assert_eq!(parse("<165>2 - - - - - -"), Err(HeaderError::UnsupportedVersion(2)));
    }

    #[test]
    fn trim_agrees_with_str_trim() {
        let ends = [
            "", " ", "  ", "a", "~", "\t", "\x0b", "\x0c", " \u{a0}", "\u{a0} ", "\u{a0}", "\u{2003}", "\u{85}", "é", "\u{feff}", "\r\n",
            "\x7f", "!",
        ];
        for head in ends {
            for tail in ends {
                for middle in ["", "x", " y ", "\u{3000}"] {
                    let text = format!("{head}{middle}{tail}");
                    assert_eq!(trim(&text), text.trim(), "{text:?}");
                }
            }
        }
    }
}
