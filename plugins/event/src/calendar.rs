//! Civil-date arithmetic on the proleptic Gregorian calendar: dates to and from a count of
//! days since 1970-01-01 (Howard Hinnant's `days_from_civil` and `civil_from_days`, see
//! <https://howardhinnant.github.io/date_algorithms.html>), leap years and month lengths.
//!
//! Pure integer arithmetic, with no time-zone database and no allocation. It is the one
//! calendar of the event model ([`Value::Timestamp`](crate::Value::Timestamp) prints with
//! it) and of the plugins, which reach it as `logsift_sdk::calendar`. The conversions do
//! not check their input: a caller validates a date (month 1–12, day within
//! [`days_in_month`]) before it converts it.

/// Whether `year` has a February 29th (every fourth year, but not centuries unless they
/// divide by 400; year 0 and negative years follow the same rule).
pub const fn is_leap_year(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// How many days `month` (1–12) has in `year`; 0 for a month outside 1..=12, so
/// `day <= days_in_month(year, month)` also refuses an impossible month.
pub const fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap_year(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// The number of days from 1970-01-01 to the date `year`-`month`-`day` (negative before
/// it). `month` must be 1–12 and `day` 1–31; a day past the end of its month counts on
/// into the next one.
pub const fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    // Years start on March 1st, so that a leap day is the last day of its year.
    let (month, day) = (month as i64, day as i64);
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date (year, month 1–12, day 1–31) that is `days` days after 1970-01-01 (before it
/// when negative): the inverse of [`days_from_civil`].
pub const fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    // In range by construction: day 1–31, month 1–12.
    let day = (day_of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = (if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 }) as u32;
    let year = year_of_era + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leap_years_follow_the_gregorian_rule() {
        for year in [2000, 2024, 1996, 1600, 0, -4, -400] {
            assert!(is_leap_year(year), "{year}");
        }
        for year in [1900, 2100, 2023, 1970, 1, -1, -100] {
            assert!(!is_leap_year(year), "{year}");
        }
    }

    #[test]
    fn month_lengths_know_february_and_refuse_impossible_months() {
        assert_eq!(days_in_month(2000, 2), 29);
        assert_eq!(days_in_month(1900, 2), 28);
        assert_eq!(days_in_month(2024, 2), 29);
        assert_eq!(days_in_month(2023, 2), 28);
        assert_eq!(days_in_month(2023, 4), 30);
        assert_eq!(days_in_month(2023, 12), 31);
        assert_eq!(days_in_month(2023, 0), 0);
        assert_eq!(days_in_month(2023, 13), 0);
        let year: u32 = (1..=12).map(|m| days_in_month(2023, m)).sum();
        assert_eq!(year, 365);
    }

    #[test]
    fn the_epoch_is_day_zero() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
    }

    #[test]
    fn leap_days_have_their_own_day_number() {
        // date -u -d 2000-02-29 +%s → 951782400 = 11016 days
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(11_017), (2000, 3, 1));
    }

    #[test]
    fn days_before_the_epoch_are_negative() {
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        // date -u -d 1900-01-01 +%s → -2208988800 = -25567 days
        assert_eq!(days_from_civil(1900, 1, 1), -25_567);
        assert_eq!(civil_from_days(-25_567), (1900, 1, 1));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        assert_eq!(civil_from_days(-719_469), (0, 2, 29));
    }

    #[test]
    fn civil_round_trip_covers_leap_days_and_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        for days in [-800_000, -1, 0, 59, 11_016, 19_782, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn every_day_of_a_long_range_follows_the_one_before_and_round_trips() {
        // From 0200-01-01 to past 9999: each day is the next day of its month, or the first
        // of the next month, or of the next year.
        let mut previous = civil_from_days(-650_000);
        for days in -649_999..=3_000_000 {
            let (year, month, day) = civil_from_days(days);
            let (py, pm, pd) = previous;
            let expected = if pd < days_in_month(py, pm) {
                (py, pm, pd + 1)
            } else if pm < 12 {
                (py, pm + 1, 1)
            } else {
                (py + 1, 1, 1)
            };
            assert_eq!((year, month, day), expected, "day {days}");
            assert_eq!(days_from_civil(year, month, day), days);
            previous = (year, month, day);
        }
    }
}
