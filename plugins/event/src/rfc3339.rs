//! RFC 3339 timestamps (`2020-10-23T02:36:40.671Z`, `2020-10-23 05:36:40+03:00`) to
//! nanoseconds since the Unix epoch, UTC.
//!
//! Promise: only complete RFC 3339 date-times are read (date, time, and `Z` or a numeric
//! offset; `T`, `t` or a space between date and time; any number of fraction digits, kept
//! to the nanosecond); anything else, including a missing offset or an impossible date,
//! is `None`, never a guess.
//!
//! The text is read by a byte-level scanner of RFC 3339's fixed layout; the date, the offset
//! and the instant are [`jiff`]'s, through [`calendar::instant`]. jiff's own parser is not
//! the gatekeeper: it reads Temporal's wider syntax (`+0300`, offsets up to ±25:59, a
//! bracketed zone after the offset, no seconds), refuses more than nine fraction digits and
//! clamps a leap second to `:59`, which would change which strings become timestamps and
//! what instant `:60` names.

use jiff::civil::Date;
use jiff::tz::{Offset, TimeZone};

use crate::calendar;

/// Parses an RFC 3339 date-time.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let kept = &fraction[..len.min(9)];
        nanos = digits(kept)? * 10u32.pow(9 - kept.len() as u32);
        rest = &fraction[len..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            // At most 86,340: it fits.
            let secs = (h * 3600 + m * 60) as i32;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    // Four digits and two digits: they fit.
    let date = Date::new(year as i16, month as i8, day as i8).ok()?;
    let zone = TimeZone::fixed(Offset::from_seconds(offset).ok()?);
    calendar::instant(date, hour, minute, second, nanos, &zone)
}

/// The value of ASCII digits (at most 9 of them), or `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<u32> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_and_offset_forms_give_the_same_instant() {
        // date -u -d 2020-10-23T02:36:40.671Z +%s%N → 1603420600671000000
        assert_eq!(parse("2020-10-23T02:36:40.671Z"), Some(1_603_420_600_671_000_000));
        assert_eq!(parse("2020-10-23 05:36:40.671+03:00"), Some(1_603_420_600_671_000_000));
        assert_eq!(parse("2020-10-22t21:06:40.671-05:30"), Some(1_603_420_600_671_000_000));
    }

    #[test]
    fn fractions_are_kept_to_the_nanosecond() {
        assert_eq!(parse("1970-01-01T00:00:00.123456789123Z"), Some(123_456_789));
        assert_eq!(parse("1970-01-01T00:00:01.5Z"), Some(1_500_000_000));
    }

    #[test]
    fn a_leap_second_is_the_first_second_of_the_next_minute() {
        assert_eq!(parse("2016-12-31T23:59:60Z"), parse("2017-01-01T00:00:00Z"));
        assert_eq!(parse("2016-12-31T23:59:60.5+01:00"), parse("2016-12-31T23:00:00.5Z"));
    }

    #[test]
    fn the_first_and_last_instants_of_i64_nanoseconds_are_read_and_no_further() {
        assert_eq!(parse("1677-09-21T00:12:43.145224192Z"), Some(i64::MIN));
        assert_eq!(parse("2262-04-11T23:47:16.854775807Z"), Some(i64::MAX));
        assert_eq!(parse("1677-09-21T00:12:43.145224191Z"), None);
        assert_eq!(parse("2262-04-11T23:47:16.854775808Z"), None);
    }

    #[test]
    fn incomplete_or_impossible_date_times_are_refused() {
        for text in [
            "2020-10-18 07:50:06.220",
            "2020-10-23",
            "2020-02-30T00:00:00Z",
            "2020-10-23T24:00:00Z",
            "2020-10-23T02:36:40.Z",
            "2020-10-23T02:36:40+0300",
            "2020-10-23T02:36:40+24:00",
            "2020-10-23T02:36:61Z",
            "2020-10-23T02:36:40Z[Europe/Paris]",
            "+2020-10-23T02:36:40Z",
            "2020-10-23T02:36:40Zjunk",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
