//! RFC 3339 timestamps (`2020-10-23T02:36:40.671Z`, `2020-10-23 05:36:40+03:00`) to
//! nanoseconds since the Unix epoch, UTC.
//!
//! Promise: only complete RFC 3339 date-times are read (date, time, and `Z` or a numeric
//! offset; `T`, `t` or a space between date and time; any number of fraction digits, kept
//! to the nanosecond); anything else, including a missing offset or an impossible date,
//! is `None`, never a guess.

use crate::calendar::{days_from_civil, days_in_month};

/// Parses an RFC 3339 date-time.
pub fn parse(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(&b[0..4])?, digits(&b[5..7])?, digits(&b[8..10])?);
    // Two digits each: they fit.
    let (month, day) = (month as u32, day as u32);
    let (hour, minute, second) = (digits(&b[11..13])?, digits(&b[14..16])?, digits(&b[17..19])?);
    let mut rest = &b[19..];
    let mut nanos = 0;
    if let Some(fraction) = rest.strip_prefix(b".") {
        let len = fraction.iter().take_while(|c| c.is_ascii_digit()).count();
        if len == 0 {
            return None;
        }
        let kept = &fraction[..len.min(9)];
        nanos = digits(kept)? * 10i64.pow(9 - kept.len() as u32);
        rest = &fraction[len..];
    }
    let offset = match rest {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let (h, m) = (digits(&[*h1, *h2])?, digits(&[*m1, *m2])?);
            if h > 23 || m > 59 {
                return None;
            }
            let secs = h * 3600 + m * 60;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let valid = (1..=12).contains(&month) && day >= 1 && day <= days_in_month(year, month) && hour < 24 && minute < 60 && second <= 60;
    if !valid {
        return None;
    }
    let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second - offset;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// The value of ASCII digits (at most 9 of them), or `None` if any byte is not one.
fn digits(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > 9 {
        return None;
    }
    bytes.iter().try_fold(0i64, |n, &c| c.is_ascii_digit().then(|| n * 10 + i64::from(c - b'0')))
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
    fn incomplete_or_impossible_date_times_are_refused() {
        for text in [
            "2020-10-18 07:50:06.220",
            "2020-10-23",
            "2020-02-30T00:00:00Z",
            "2020-10-23T24:00:00Z",
            "2020-10-23T02:36:40.Z",
            "2020-10-23T02:36:40+0300",
            "+2020-10-23T02:36:40Z",
            "2020-10-23T02:36:40Zjunk",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }
}
