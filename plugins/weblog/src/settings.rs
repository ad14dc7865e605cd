//! The plugin's settings, as the host configuration gives them (a JSON object), and their
//! check: [`WebLogConfig::build`] refuses anything it cannot honour, with a message that
//! says which setting and why.

use serde::Deserialize;

use crate::WebLog;
use crate::time::offset;

/// Settings of the `weblog` parser. Every field is optional.
///
/// ```json
/// { "format": "auto", "timezone": "UTC" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebLogConfig {
    /// Which format lines are in; default `auto` (decided per line).
    pub format: Format,
    /// The UTC offset Apache error log timestamps are written in (they carry none):
    /// `UTC` (default), `Z`, or `+HH:MM` / `-HHMM`. Time-zone names (`Europe/Paris`) are
    /// not supported, as they would need a time-zone database inside the component.
    pub timezone: String,
}

impl Default for WebLogConfig {
    fn default() -> Self {
        WebLogConfig { format: Format::Auto, timezone: "UTC".into() }
    }
}

/// The log formats the plugin reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// Each line by its shape: `#` directives and lines of an origin that declared
    /// `#Fields:` are IIS; lines opening with `[` are Apache error log; lines opening with
    /// a `YYYY-MM-DD` date are IIS in the default column order; the rest are access logs
    /// (common or combined).
    Auto,
    /// Apache/Nginx common log format only.
    Common,
    /// Apache/Nginx combined log format only.
    Combined,
    /// IIS W3C extended log format only.
    Iis,
    /// Apache error log only.
    ApacheError,
}

impl WebLogConfig {
    /// Checks the settings and builds the parser.
    pub fn build(self) -> Result<WebLog, String> {
        let offset_secs = offset(&self.timezone).ok_or_else(|| {
            format!(
                "invalid settings: timezone {:?} is not UTC, Z or a fixed offset like +03:00 (zone names are not supported)",
                self.timezone
            )
        })?;
        Ok(WebLog::new(self.format, offset_secs))
    }
}
