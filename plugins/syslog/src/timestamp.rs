//! Syslog's two timestamp forms, and the instants they name.
//!
//! RFC 3164 lines carry `Mmm dd hh:mm:ss` (no year, no zone): [`parse_bsd`] reads it into a
//! [`BsdTime`], which becomes an instant only once a year and a time zone are chosen
//! ([`BsdTime::to_nanos`]; a named zone's daylight-saving rules apply to each line's own
//! date). RFC 5424 lines (and rsyslog's high-precision file format) carry RFC 3339
//! timestamps: [`parse_rfc3339`] turns them straight into nanoseconds since the epoch, UTC.
//! [`zone`] reads the `timezone` setting: UTC, a fixed offset or an IANA name.
//!
//! The text is read here by byte-level scanners, in one pass and without allocating; the
//! calendar (which days exist, the instant of a civil time, time-zone rules) is [`jiff`]'s,
//! through the SDK's [`calendar`]. Nothing here panics, and an impossible date (Feb 29 of a
//! common year, Apr 31, hour 24) or an instant outside `i64` nanoseconds is an error, not a
//! wrapped value.

use std::fmt;

use jiff::civil::Date;
use jiff::tz::TimeZone;
use logsift_sdk::calendar;

/// Why a timestamp could not be turned into an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeError {
    /// The text does not have the expected shape; says what was expected.
    Malformed(&'static str),
    /// The fields are well-formed but name a day that does not exist.
    NoSuchDate {
        /// Year (possibly inferred).
        year: i32,
        /// Month, 1–12.
        month: u8,
        /// Day of the month.
        day: u8,
    },
    /// A field is out of its range (month 13, hour 24, offset +25:00).
    OutOfRange(&'static str),
    /// The instant does not fit `i64` nanoseconds (before 1677 or after 2262).
    Overflow,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Malformed(expected) => write!(f, "malformed timestamp: expected {expected}"),
            TimeError::NoSuchDate { year, month, day } => {
                write!(f, "timestamp names a day that does not exist: {year:04}-{month:02}-{day:02}")
            }
            TimeError::OutOfRange(what) => write!(f, "timestamp {what} is out of range"),
            TimeError::Overflow => f.write_str("timestamp is outside the representable range (years 1678 to 2261)"),
        }
    }
}

/// A fixed offset from UTC, as syslog lines and the `timezone` setting spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Offset(jiff::tz::Offset);

impl Offset {
    /// UTC itself.
    pub const UTC: Offset = Offset(jiff::tz::Offset::UTC);

    /// Parses `UTC`, `GMT`, `Z`, `+HH:MM`, `+HHMM` or `+HH` (and the `-` forms). Hours are at
    /// most 23 and minutes at most 59.
    pub fn parse(text: &str) -> Option<Offset> {
        if matches!(text, "UTC" | "utc" | "GMT" | "gmt" | "Z" | "z") {
            return Some(Offset::UTC);
        }
        let (sign, rest) = match text.as_bytes().first()? {
            b'+' => (1, text.get(1..)?),
            b'-' => (-1, text.get(1..)?),
            _ => return None,
        };
        let (hours, minutes) = match rest.len() {
            2 => (rest, "00"),
            4 => (rest.get(..2)?, rest.get(2..)?),
            5 if rest.as_bytes().get(2) == Some(&b':') => (rest.get(..2)?, rest.get(3..)?),
            _ => return None,
        };
        let (hours, minutes) = (two_digits(hours.as_bytes())?, two_digits(minutes.as_bytes())?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        let seconds = sign * (i32::from(hours) * 3600 + i32::from(minutes) * 60);
        jiff::tz::Offset::from_seconds(seconds).ok().map(Offset)
    }

    /// Seconds east of UTC.
    pub fn seconds(self) -> i32 {
        self.0.seconds()
    }

    /// The time zone that is always at this offset.
    pub fn zone(self) -> TimeZone {
        TimeZone::fixed(self.0)
    }
}

/// The time zone the `timezone` setting names: `UTC`, a fixed offset as [`Offset::parse`]
/// reads it, or an IANA name (`Europe/Berlin`, any letter case) from the database bundled
/// with the plugin. `None` for anything else.
pub fn zone(text: &str) -> Option<TimeZone> {
    match Offset::parse(text) {
        Some(offset) => Some(offset.zone()),
        None => TimeZone::get(text).ok(),
    }
}

/// A BSD (RFC 3164) timestamp: a wall-clock time with no year and no zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BsdTime {
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31 (checked against the month once the year is known).
    pub day: u8,
    /// Hour, 0–23.
    pub hour: u8,
    /// Minute, 0–59.
    pub minute: u8,
    /// Second, 0–60 (a leap second counts as the first second of the next minute).
    pub second: u8,
    /// Fraction of the second, when the writer added one (`hh:mm:ss.ffffff`).
    pub nanos: u32,
}

impl BsdTime {
    /// The instant this wall-clock time names in `year` on the clocks of `zone` (with a
    /// named zone, at the offset in force on that date: `+02:00` in a Berlin summer,
    /// `+01:00` in its winter).
    pub fn to_nanos(self, year: i32, zone: &TimeZone) -> Result<i64, TimeError> {
        let (month, day) = (self.month, self.day);
        let date = civil_date(year, month, day)?;
        let (hour, minute, second) = (self.hour.into(), self.minute.into(), self.second.into());
        calendar::instant(date, hour, minute, second, self.nanos, zone).ok_or(TimeError::Overflow)
    }
}

/// Reads `Mmm dd hh:mm:ss[.fff]` at the start of `text` (the day may be space-padded, as in
/// `Jul  7`), followed by a space or the end. Returns the time and the text after it.
pub fn parse_bsd(text: &str) -> Result<(BsdTime, &str), TimeError> {
    let b = text.as_bytes();
    let month = b.get(..3).and_then(month_number).ok_or(TimeError::Malformed("a month name such as Jan"))?;
    let mut at = 3;
    let padding = b.get(at..).map_or(0, |rest| rest.iter().take_while(|&&c| c == b' ').count());
    if padding == 0 {
        return Err(TimeError::Malformed("a space after the month"));
    }
    at += padding;
    let digits = b.get(at..).map_or(0, |rest| rest.iter().take(3).take_while(|c| c.is_ascii_digit()).count());
    let day = match (digits, b.get(at..at + digits)) {
        (1, Some(&[d])) => d - b'0',
        (2, Some(d)) => two_digits(d).unwrap_or(0),
        _ => {
            return Err(TimeError::Malformed("a one- or two-digit day after the month"));
        }
    };
    if !(1..=31).contains(&day) {
        return Err(TimeError::OutOfRange("day"));
    }
    at += digits;
    if b.get(at) != Some(&b' ') {
        return Err(TimeError::Malformed("a space after the day"));
    }
    at += 1;
    let (clock, used) = parse_clock(b.get(at..).unwrap_or_default())?;
    at += used;
    let rest = text.get(at..).unwrap_or_default();
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return Err(TimeError::Malformed("a space after the time"));
    }
    let time = BsdTime { month, day, hour: clock.hour, minute: clock.minute, second: clock.second, nanos: clock.nanos };
    Ok((time, rest))
}

/// Reads an RFC 3339 timestamp (`2003-10-11T22:14:15.003Z`, `…+02:00`) at the start of
/// `text`, ending at a space or the end. Returns nanoseconds since the epoch (UTC) and the
/// text after it.
pub fn parse_rfc3339(text: &str) -> Result<(i64, &str), TimeError> {
    let end = memchr::memchr(b' ', text.as_bytes()).unwrap_or(text.len());
    let (stamp, rest) = text.split_at_checked(end).unwrap_or((text, ""));
    let b = stamp.as_bytes();
    let field = |range: std::ops::Range<usize>| b.get(range).and_then(|d| d.iter().try_fold(0u32, digit));
    let year = field(0..4).ok_or(TimeError::Malformed("a four-digit year (YYYY-MM-DDThh:mm:ss)"))?;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't')) {
        return Err(TimeError::Malformed("YYYY-MM-DDThh:mm:ss"));
    }
    let month = field(5..7).ok_or(TimeError::Malformed("a two-digit month"))?;
    let day = field(8..10).ok_or(TimeError::Malformed("a two-digit day"))?;
    let (clock, used) = parse_clock(b.get(11..).unwrap_or_default())?;
    let zone = stamp.get(11 + used..).unwrap_or_default();
    let offset = Offset::parse(zone)
        .filter(|_| zone.len() == 1 || zone.len() == 6)
        .ok_or(TimeError::Malformed("a zone, Z or ±hh:mm, after the time"))?;
    // Four digits and two digits: they fit.
    let (year, month, day) = (year as i32, month as u8, day as u8);
    if !(1..=12).contains(&month) {
        return Err(TimeError::OutOfRange("month"));
    }
    let date = civil_date(year, month, day)?;
    let (hour, minute, second) = (clock.hour.into(), clock.minute.into(), clock.second.into());
    let nanos = calendar::instant(date, hour, minute, second, clock.nanos, &offset.zone()).ok_or(TimeError::Overflow)?;
    Ok((nanos, rest))
}

/// The month number of a three-letter English month name, in any letter case.
pub fn month_number(name: &[u8]) -> Option<u8> {
    let lower = match name {
        [a, b, c] => [a.to_ascii_lowercase(), b.to_ascii_lowercase(), c.to_ascii_lowercase()],
        _ => return None,
    };
    let month = match &lower {
        b"jan" => 1,
        b"feb" => 2,
        b"mar" => 3,
        b"apr" => 4,
        b"may" => 5,
        b"jun" => 6,
        b"jul" => 7,
        b"aug" => 8,
        b"sep" => 9,
        b"oct" => 10,
        b"nov" => 11,
        b"dec" => 12,
        _ => return None,
    };
    Some(month)
}

/// A time of day.
#[derive(Debug, Clone, Copy)]
struct Clock {
    hour: u8,
    minute: u8,
    second: u8,
    nanos: u32,
}

/// The day `year`-`month`-`day`, or [`TimeError::NoSuchDate`] if the calendar has no such
/// day (a year beyond jiff's ±9999 is [`TimeError::Overflow`], as it is beyond `i64`
/// nanoseconds too).
fn civil_date(year: i32, month: u8, day: u8) -> Result<Date, TimeError> {
    let Some(y) = i16::try_from(year).ok().filter(|y| (-9999..=9999).contains(y)) else {
        return Err(TimeError::Overflow);
    };
    // A month and a day are at most two digits: they fit.
    Date::new(y, month as i8, day as i8).map_err(|_| TimeError::NoSuchDate { year, month, day })
}

/// Reads `hh:mm:ss[.f…]`; returns the time and how many bytes it took. Digits of the
/// fraction past nanoseconds are read and ignored.
fn parse_clock(b: &[u8]) -> Result<(Clock, usize), TimeError> {
    let part = |at: usize| b.get(at..at + 2).and_then(two_digits);
    let (Some(hour), Some(minute), Some(second)) = (part(0), part(3), part(6)) else {
        return Err(TimeError::Malformed("a time hh:mm:ss"));
    };
    if b.get(2) != Some(&b':') || b.get(5) != Some(&b':') {
        return Err(TimeError::Malformed("a time hh:mm:ss"));
    }
    if hour > 23 {
        return Err(TimeError::OutOfRange("hour"));
    }
    if minute > 59 {
        return Err(TimeError::OutOfRange("minute"));
    }
    if second > 60 {
        return Err(TimeError::OutOfRange("second"));
    }
    let mut used = 8;
    let mut nanos = 0u32;
    if b.get(8) == Some(&b'.') {
        let digits = b.get(9..).map_or(0, |rest| rest.iter().take_while(|c| c.is_ascii_digit()).count());
        if digits == 0 {
            return Err(TimeError::Malformed("digits after the decimal point"));
        }
        let mut scale = 100_000_000;
        for &d in b.get(9..9 + digits.min(9)).unwrap_or_default() {
            nanos += u32::from(d - b'0') * scale;
            scale /= 10;
        }
        used += 1 + digits;
    }
    Ok((Clock { hour, minute, second, nanos }, used))
}

fn two_digits(d: &[u8]) -> Option<u8> {
    match d {
        [a, b] if a.is_ascii_digit() && b.is_ascii_digit() => Some((a - b'0') * 10 + (b - b'0')),
        _ => None,
    }
}

fn digit(acc: u32, &c: &u8) -> Option<u32> {
    c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn bsd_time_accepts_padded_day_and_fraction() {
        let (t, rest) = parse_bsd("Jul  7 08:06:15.250 combo x").unwrap();
        assert_eq!((t.month, t.day, t.hour, t.minute, t.second, t.nanos), (7, 7, 8, 6, 15, 250_000_000));
        assert_eq!(rest, " combo x");
        assert_eq!(t.to_nanos(2005, &TimeZone::UTC).unwrap(), 1_120_723_575 * SEC + 250_000_000);
    }

    #[test]
    fn feb_29_of_a_common_year_is_an_error_not_a_panic() {
        let (t, _) = parse_bsd("Feb 29 00:00:00 h").unwrap();
        assert_eq!(t.to_nanos(2023, &TimeZone::UTC), Err(TimeError::NoSuchDate { year: 2023, month: 2, day: 29 }));
        assert!(t.to_nanos(2024, &TimeZone::UTC).is_ok());
    }

    #[test]
    fn bsd_time_rejects_bad_fields() {
        for bad in [
            "Foo 10 06:55:46",
            "Dec 10 24:00:00",
            "Dec 32 00:00:00",
            "Dec 10 6:55:46",
            "Dec10 06:55:46",
            "Dec 0 01:02:03",
            "Dec 10 06:55:46x",
            "Dec",
        ] {
            assert!(parse_bsd(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rfc3339_applies_the_offset_and_keeps_microseconds() {
        let (a, rest) = parse_rfc3339("2003-08-24T05:14:15.000003-07:00 host").unwrap();
        let (b, _) = parse_rfc3339("2003-08-24T12:14:15.000003Z").unwrap();
        assert_eq!(a, b);
        assert_eq!(rest, " host");
        assert_eq!(b, 1_061_727_255 * SEC + 3_000);
    }

    #[test]
    fn rfc3339_rejects_impossible_and_zoneless_times() {
        for bad in [
            "2023-02-29T00:00:00Z",
            "2003-13-01T00:00:00Z",
            "2003-10-11T22:14:15",
            "2003-10-11 22:14:15Z",
            "2003-10-11T22:14:15+5",
            "9999-12-31T23:59:59Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_named_zone_gives_each_line_the_offset_of_its_own_date() {
        let berlin = zone("Europe/Berlin").unwrap();
        let offset = |line: &str| {
            let (t, _) = parse_bsd(line).unwrap();
            (t.to_nanos(2005, &TimeZone::UTC).unwrap() - t.to_nanos(2005, &berlin).unwrap()) / SEC
        };
        assert_eq!(offset("Jun 14 15:16:01"), 2 * 3600, "CEST");
        assert_eq!(offset("Jan 14 15:16:01"), 3600, "CET");
    }

    #[test]
    fn zones_are_utc_fixed_offsets_or_iana_names() {
        let at_epoch = |z: TimeZone| z.to_offset(jiff::Timestamp::UNIX_EPOCH).seconds();
        assert_eq!(zone("UTC").map(at_epoch), Some(0));
        assert_eq!(zone("-0500").map(at_epoch), Some(-18_000));
        assert_eq!(zone("Asia/Kolkata").map(at_epoch), Some(19_800));
        assert_eq!(zone("asia/kolkata").map(at_epoch), Some(19_800));
        for bad in ["Europe/Atlantis", "Berlin", "+25:00", "", "../../etc/passwd"] {
            assert!(zone(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn offsets_parse_in_the_usual_spellings() {
        assert_eq!(Offset::parse("UTC"), Some(Offset::UTC));
        assert_eq!(Offset::parse("+02:00").map(Offset::seconds), Some(7200));
        assert_eq!(Offset::parse("-0500").map(Offset::seconds), Some(-18_000));
        assert_eq!(Offset::parse("+0530").map(Offset::seconds), Some(19_800));
        for bad in ["Europe/Paris", "+24:00", "+02:60", "2", "+2", ""] {
            assert_eq!(Offset::parse(bad), None, "{bad}");
        }
    }
}
