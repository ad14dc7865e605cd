//! Log timestamps to instants: a civil date and time plus a fixed UTC offset become
//! nanoseconds since the Unix epoch. The text (`11/Jul/2018:08:41:28 +0300`, `Sun Dec 04
//! 04:47:44 2005`, `2019-09-03 10:13:36`) is read by the format modules with the helpers
//! here; the calendar is [`jiff`]'s, through the SDK's [`calendar`], with no time-zone
//! database (weblog's zones are fixed offsets).
//!
//! Promise: every value is range-checked (month 1–12, the day exists in that month, hour
//! below 24, …) and instants that do not fit an `i64` of nanoseconds (before 1677 or after
//! 2262) are refused, never wrapped.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};
use logsift_sdk::calendar;

/// A wall-clock date and time, as written in a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    pub(crate) year: i64,
    pub(crate) month: u32,
    pub(crate) day: u32,
    pub(crate) hour: u32,
    pub(crate) minute: u32,
    pub(crate) second: u32,
    pub(crate) nanos: u32,
}

impl DateTime {
    /// Nanoseconds since the epoch of this wall-clock time read at `offset_secs` east of
    /// UTC (`+0300` is 10800), or `None` if a part is out of range.
    pub(crate) fn to_epoch_nanos(self, offset_secs: i64) -> Option<i64> {
        let (year, month, day) = (i16::try_from(self.year).ok()?, i8::try_from(self.month).ok()?, i8::try_from(self.day).ok()?);
        let date = Date::new(year, month, day).ok()?;
        let zone = TimeZone::fixed(Offset::from_seconds(i32::try_from(offset_secs).ok()?).ok()?);
        calendar::instant(date, self.hour, self.minute, self.second, self.nanos, &zone)
    }
}

/// The month number of an English three-letter abbreviation (`Jan` … `Dec`).
pub(crate) fn month_from_abbrev(name: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    MONTHS.iter().position(|m| *m == name).and_then(|i| u32::try_from(i + 1).ok())
}

/// A number written with ASCII digits only (no sign, no spaces), of at most 9 digits.
pub(crate) fn number(text: &str) -> Option<u32> {
    if text.is_empty() || text.len() > 9 {
        return None;
    }
    // Nine digits are below u32::MAX, so the sum cannot overflow.
    text.bytes().try_fold(0u32, |n, b| b.is_ascii_digit().then(|| n * 10 + u32::from(b - b'0')))
}

/// `HH:MM:SS` with an optional `.fraction` (up to nanoseconds) as (hour, minute, second,
/// nanos).
pub(crate) fn clock(text: &str) -> Option<(u32, u32, u32, u32)> {
    // `HH:MM:SS` has a fixed width; `get` as the text may split a character anywhere.
    let (h, m, s, after) = (text.get(..2)?, text.get(3..5)?, text.get(6..8)?, text.get(8..)?);
    if (text.as_bytes()[2], text.as_bytes()[5]) != (b':', b':') {
        return None;
    }
    let nanos = match after.strip_prefix('.') {
        None if after.is_empty() => 0,
        Some(f) if f.len() <= 9 => number(f)? * 10u32.pow(9 - f.len() as u32),
        _ => return None,
    };
    Some((number(h)?, number(m)?, number(s)?, nanos))
}

/// A fixed UTC offset in seconds east: `UTC`, `Z`, `+0300`, `-05:30`.
pub(crate) fn offset(text: &str) -> Option<i64> {
    if text == "Z" || text == "UTC" {
        return Some(0);
    }
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    // `get` rather than indexing: the text comes from the log line and may split a
    // multi-byte character at these offsets.
    let (h, m) = match rest.len() {
        4 => (rest.get(..2)?, rest.get(2..)?),
        5 if rest.as_bytes()[2] == b':' => (rest.get(..2)?, rest.get(3..)?),
        _ => return None,
    };
    let (h, m) = (number(h)?, number(m)?);
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * i64::from(h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(year: i64, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> DateTime {
        DateTime { year, month, day, hour, minute, second, nanos: 0 }
    }

    #[test]
    fn the_epoch_is_zero_and_offsets_move_the_instant_west() {
        assert_eq!(at(1970, 1, 1, 0, 0, 0).to_epoch_nanos(0), Some(0));
        // 03:00 at +0300 is midnight UTC.
        assert_eq!(at(1970, 1, 1, 3, 0, 0).to_epoch_nanos(10_800), Some(0));
    }

    #[test]
    fn a_known_instant_matches_date_utility() {
        // date -u -d '2018-07-11T05:41:28Z' +%s → 1531287688
        assert_eq!(at(2018, 7, 11, 5, 41, 28).to_epoch_nanos(0), Some(1_531_287_688_000_000_000));
        // date -u -d '2000-02-29T12:00:00Z' +%s → 951825600
        assert_eq!(at(2000, 2, 29, 12, 0, 0).to_epoch_nanos(0), Some(951_825_600_000_000_000));
    }

    #[test]
    fn impossible_dates_and_instants_beyond_i64_are_refused() {
        assert_eq!(at(2019, 2, 29, 0, 0, 0).to_epoch_nanos(0), None);
        assert_eq!(at(2019, 13, 1, 0, 0, 0).to_epoch_nanos(0), None);
        assert_eq!(at(2019, 1, 1, 24, 0, 0).to_epoch_nanos(0), None);
        assert_eq!(at(2300, 1, 1, 0, 0, 0).to_epoch_nanos(0), None);
    }

    #[test]
    fn offsets_are_read_in_both_spellings() {
        assert_eq!(offset("+0300"), Some(10_800));
        assert_eq!(offset("-05:30"), Some(-19_800));
        assert_eq!(offset("UTC"), Some(0));
        assert_eq!(offset("+3"), None);
        assert_eq!(offset("Europe/Paris"), None);
        assert_eq!(offset("+1é2"), None, "a character split at the minutes");
    }

    #[test]
    fn clocks_take_an_optional_fraction() {
        assert_eq!(clock("14:32:52.123456"), Some((14, 32, 52, 123_456_000)));
        assert_eq!(clock("04:47:44"), Some((4, 47, 44, 0)));
        assert_eq!(clock("4:47:44"), None);
        for bad in ["14:32:52x", "14-32-52", "14:32:52.", "14:32:52.1234567890", "14:32:5é", "14:32", "14:32:52:01"] {
            assert_eq!(clock(bad), None, "{bad}");
        }
        assert_eq!(number("999999999"), Some(999_999_999));
        for bad in ["", "1234567890", "+1", "1 ", "١"] {
            assert_eq!(number(bad), None, "{bad}");
        }
    }
}
