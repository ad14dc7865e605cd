//! The plugin's settings and how they become a running parser.
//!
//! Settings are a JSON object; unknown keys are refused so a misspelt one is not silently
//! ignored. [`SyslogConfig::build`] checks every value and says which one is wrong.

use std::fmt;

use jiff::tz::TimeZone;
use serde::Deserialize;

use crate::Syslog;
use crate::messages::Recognizer;
use crate::shapes::TemplateError;
use crate::timestamp;
use crate::year::YearSource;

/// Earliest `year` accepted.
pub const MIN_YEAR: i64 = 1970;
/// Latest `year` accepted (timestamps are `i64` nanoseconds, which end in 2262).
pub const MAX_YEAR: i64 = 2261;

/// Settings of the syslog parser, e.g. `{"year": 2005, "timezone": "+02:00"}`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyslogConfig {
    /// The year of RFC 3164 timestamps, which carry none. Default: the current year from
    /// the system clock, except that a month more than one month ahead of the current one
    /// is taken as last year's.
    #[serde(default)]
    pub year: Option<i64>,
    /// The zone of RFC 3164 timestamps: `"UTC"`, a fixed offset such as `"+02:00"` or
    /// `"-0500"`, or an IANA time-zone name such as `"Europe/Berlin"` (from the database
    /// bundled with the plugin), whose offset is the one in force on each line's date and
    /// time. Default: UTC. RFC 5424 and RFC 3339 timestamps carry their own offset.
    #[serde(default)]
    pub timezone: Option<String>,
}

/// A setting that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// `year` outside [`MIN_YEAR`]..=[`MAX_YEAR`].
    YearOutOfRange(i64),
    /// `timezone` is not UTC, a fixed offset or a known time-zone name.
    BadTimezone(String),
    /// A shape table does not compile (a bug in the plugin).
    Template(TemplateError),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::YearOutOfRange(year) => {
                write!(f, "invalid settings: year {year} is out of range ({MIN_YEAR} to {MAX_YEAR})")
            }
            ConfigError::BadTimezone(zone) => write!(
                f,
                "invalid settings: timezone {zone:?} is not \"UTC\", a fixed offset such as \"+02:00\" or \"-0500\", or a time-zone name in the IANA database such as \"Europe/Berlin\""
            ),
            ConfigError::Template(e) => e.fmt(f),
        }
    }
}

impl SyslogConfig {
    /// Checks the settings and builds the parser.
    pub fn build(self) -> Result<Syslog, ConfigError> {
        let zone = match self.timezone.as_deref() {
            None => TimeZone::UTC,
            Some(name) => timestamp::zone(name.trim()).ok_or_else(|| ConfigError::BadTimezone(name.to_owned()))?,
        };
        let years = match self.year {
            None => YearSource::clock(zone.clone()),
            Some(year) => match i32::try_from(year) {
                Ok(y) if (MIN_YEAR..=MAX_YEAR).contains(&year) => YearSource::Fixed(y),
                _ => return Err(ConfigError::YearOutOfRange(year)),
            },
        };
        let recognizer = Recognizer::new().map_err(ConfigError::Template)?;
        Ok(Syslog { zone, years, recognizer })
    }
}
