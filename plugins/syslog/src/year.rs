//! Which year a yearless RFC 3164 timestamp belongs to.
//!
//! Either the operator fixed it (`year` setting, e.g. when replaying old files), or it is
//! inferred from the system clock with the usual rule: a month more than one month ahead of
//! the current one is last year's (a December line read in January), the month after the
//! current one is still this year's — or next year's across New Year (a January line read
//! on December 31st by a host whose clock runs a little behind). The current month is the
//! one on the clocks of the configured zone ([`jiff`] reads it). The clock is read at start
//! and then once every [`REFRESH_EVERY`] lines, so a long-running worker crosses New Year
//! without a clock call per line.

use std::time::SystemTime;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// How many resolutions pass between two readings of the system clock.
pub const REFRESH_EVERY: u32 = 4096;

/// Where the year of a BSD timestamp comes from.
#[derive(Debug, Clone)]
pub enum YearSource {
    /// Always this year.
    Fixed(i32),
    /// Inferred from the system clock, read in the configured zone.
    Clock {
        /// The zone whose calendar decides the current month.
        zone: TimeZone,
        /// The current year, when last read.
        year: i32,
        /// The current month (1–12), when last read.
        month: u8,
        /// Lines left before the clock is read again.
        until_refresh: u32,
    },
}

impl YearSource {
    /// Infers years from the system clock, read now in `zone`.
    pub fn clock(zone: TimeZone) -> Self {
        let (year, month) = now(&zone);
        YearSource::Clock { zone, year, month, until_refresh: REFRESH_EVERY }
    }

    /// The year of a timestamp in `month` (1–12).
    pub fn year_for(&mut self, month: u8) -> i32 {
        match self {
            YearSource::Fixed(year) => *year,
            YearSource::Clock { zone, year, month: current, until_refresh } => {
                if *until_refresh == 0 {
                    (*year, *current) = now(zone);
                    *until_refresh = REFRESH_EVERY;
                }
                *until_refresh -= 1;
                infer_year(month, *year, *current)
            }
        }
    }
}

/// The year of a timestamp in `month`, read when it is `current_month` of `current_year`.
pub fn infer_year(month: u8, current_year: i32, current_month: u8) -> i32 {
    let months_ahead = (i32::from(month) - i32::from(current_month)).rem_euclid(12);
    match months_ahead {
        0 => current_year,
        // Next month: this year, or next year when it is January and now is December.
        1 if month < current_month => current_year + 1,
        1 => current_year,
        // Further ahead means it already happened: last year, unless it is earlier this year.
        _ if month < current_month => current_year,
        _ => current_year - 1,
    }
}

/// The current year and month on the clocks of `zone`; those of the epoch if the system
/// clock is beyond jiff's range (years −9999 to 9999).
fn now(zone: &TimeZone) -> (i32, u8) {
    let now = Timestamp::try_from(SystemTime::now()).unwrap_or(Timestamp::UNIX_EPOCH);
    let today = zone.to_datetime(now);
    // A month is 1–12.
    (i32::from(today.year()), today.month() as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_and_earlier_months_are_this_year() {
        assert_eq!(infer_year(6, 2024, 6), 2024);
        assert_eq!(infer_year(1, 2024, 6), 2024);
        assert_eq!(infer_year(5, 2024, 6), 2024);
    }

    #[test]
    fn next_month_is_this_year_but_january_in_december_is_next_year() {
        assert_eq!(infer_year(7, 2024, 6), 2024);
        assert_eq!(infer_year(1, 2024, 12), 2025);
    }

    #[test]
    fn more_than_one_month_ahead_is_last_year() {
        assert_eq!(infer_year(12, 2025, 1), 2024);
        assert_eq!(infer_year(8, 2024, 6), 2023);
        assert_eq!(infer_year(2, 2025, 12), 2025);
    }

    #[test]
    fn clock_source_matches_the_system_year() {
        let mut source = YearSource::clock(TimeZone::UTC);
        let YearSource::Clock { year, month, .. } = source.clone() else { unreachable!() };
        assert!(year >= 2024);
        assert_eq!(source.year_for(month), year);
    }
}
