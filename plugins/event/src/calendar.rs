//! The event model's calendar: a civil date and time of day read in a time zone become an
//! instant as events keep it ([`Value::Timestamp`](crate::Value::Timestamp): `i64`
//! nanoseconds since the Unix epoch, UTC), and back.
//!
//! The date arithmetic, the leap years and the time-zone rules are [`jiff`]'s (proleptic
//! Gregorian calendar; IANA zones where a plugin enables jiff's bundled database). Parsers
//! keep their own byte-level scanners for the way each log format spells a date, and hand
//! the numbers they read to [`instant`]; plugins reach this module as
//! `logsift_sdk::calendar`, and jiff itself as `logsift_sdk::calendar::jiff` (the version
//! the SDK is built with, for a plugin that has no jiff dependency of its own).
//!
//! Promise: two rules are the event model's, not jiff's, and hold for every parser. A
//! second of 60 (a leap second, which jiff's civil time does not have) is the first second
//! of the next minute, as on a POSIX clock. An instant outside `i64` nanoseconds (before
//! 1677-09-21 or after 2262-04-11) is `None`, never wrapped or clamped.

pub use jiff;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// The instant of `hour`:`minute`:`second`.`nanos` on `date`, read on the clocks of `zone`
/// (jiff's `compatible` rule for the clock times a daylight-saving change skips or repeats:
/// a skipped time is moved on past the gap, a repeated one is its first occurrence). Hour
/// 0–23, minute 0–59, second 0–60, nanos below 10⁹; anything else, or an instant beyond
/// `i64` nanoseconds, is `None`.
pub fn instant(date: Date, hour: u32, minute: u32, second: u32, nanos: u32, zone: &TimeZone) -> Option<i64> {
    let leap = second == 60;
    let second = if leap { 59 } else { second };
    let part = |n: u32| i8::try_from(n).ok();
    let time = Time::new(part(hour)?, part(minute)?, part(second)?, i32::try_from(nanos).ok()?).ok()?;
    let at = nanos_since_epoch(zone.to_timestamp(date.to_datetime(time)).ok()?)?;
    if leap { at.checked_add(NANOS_PER_SEC) } else { Some(at) }
}

/// Nanoseconds since the epoch of a jiff timestamp, or `None` beyond `i64` (before 1677 or
/// after 2262).
pub fn nanos_since_epoch(timestamp: Timestamp) -> Option<i64> {
    i64::try_from(timestamp.as_nanosecond()).ok()
}

/// The jiff timestamp of an instant in nanoseconds since the epoch. Every `i64` of them
/// (1677 to 2262) is within jiff's range (years −9999 to 9999), so this is never `None`
/// in practice; it says so in the type rather than panic.
pub fn timestamp(nanos: i64) -> Option<Timestamp> {
    Timestamp::from_nanosecond(i128::from(nanos)).ok()
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;
    use jiff::tz::{Offset, TimeZone};

    use super::*;

    const SEC: i64 = NANOS_PER_SEC;

    fn utc(year: i16, month: i8, day: i8, hour: u32, minute: u32, second: u32) -> Option<i64> {
        instant(date(year, month, day), hour, minute, second, 0, &TimeZone::UTC)
    }

    #[test]
    fn the_epoch_is_zero_and_offsets_move_the_instant_west() {
        assert_eq!(utc(1970, 1, 1, 0, 0, 0), Some(0));
        // 03:00 at +03:00 is midnight UTC.
        let plus_three = TimeZone::fixed(Offset::from_seconds(10_800).unwrap());
        assert_eq!(instant(date(1970, 1, 1), 3, 0, 0, 0, &plus_three), Some(0));
    }

    #[test]
    fn known_instants_match_the_date_utility() {
        // date -u -d 2000-02-29 +%s → 951782400
        assert_eq!(utc(2000, 2, 29, 0, 0, 0), Some(951_782_400 * SEC));
        // date -u -d 1900-01-01 +%s → -2208988800 (before the epoch: negative)
        assert_eq!(utc(1900, 1, 1, 0, 0, 0), Some(-2_208_988_800 * SEC));
        assert_eq!(instant(date(2018, 7, 11), 5, 41, 28, 250, &TimeZone::UTC), Some(1_531_287_688 * SEC + 250));
    }

    #[test]
    fn a_leap_second_is_the_first_second_of_the_next_minute() {
        assert_eq!(utc(2016, 12, 31, 23, 59, 60), utc(2017, 1, 1, 0, 0, 0));
        assert_eq!(utc(2016, 12, 31, 23, 59, 61), None);
    }

    #[test]
    fn impossible_clocks_and_instants_beyond_i64_are_refused() {
        assert_eq!(utc(2019, 1, 1, 24, 0, 0), None);
        assert_eq!(utc(2019, 1, 1, 0, 60, 0), None);
        assert_eq!(instant(date(2019, 1, 1), 0, 0, 0, 1_000_000_000, &TimeZone::UTC), None);
        assert_eq!(utc(2300, 1, 1, 0, 0, 0), None);
        assert_eq!(utc(1600, 1, 1, 0, 0, 0), None);
        // The last representable second, and the one after it.
        assert_eq!(utc(2262, 4, 11, 23, 47, 16), Some(9_223_372_036 * SEC));
        assert_eq!(utc(2262, 4, 11, 23, 47, 17), None);
    }

    #[test]
    fn every_i64_instant_has_a_jiff_timestamp_and_back() {
        for nanos in [i64::MIN, -1, 0, 1, 951_782_400_123_000_000, i64::MAX] {
            assert_eq!(timestamp(nanos).and_then(nanos_since_epoch), Some(nanos), "{nanos}");
        }
    }
}
