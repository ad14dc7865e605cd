//! logsift parser for web server logs: Apache/Nginx *common* and *combined* access logs,
//! IIS W3C extended logs and Apache error logs, each line read from `event.original` into
//! typed ECS fields (`event.original` is kept).
//!
//! | line | becomes |
//! |---|---|
//! | access log | `source.ip` or `source.domain`, `user.name`, `@timestamp`, `http.request.method`, `url.original`, `url.path`, `url.query`, `http.version`, `http.response.status_code`, `http.response.body.bytes`; combined adds `http.request.referrer`, `user_agent.original`; a request line that is neither `METHOD TARGET HTTP/x` nor HTTP/0.9 `GET TARGET` is kept whole as `weblog.request_line` |
//! | IIS data | `@timestamp`, `destination.ip`, `destination.port`, `source.ip`, `user.name`, `http.request.method`, `url.path`, `url.query`, `user_agent.original`, `http.request.referrer`, `http.response.status_code`, `event.duration`, `iis.sub_status`, `iis.win32_status`; also `http.version`, `url.domain`, `http.request.bytes`, `http.response.bytes`, and `iis.<column>` for any other column |
//! | IIS directive (`#…`), blank line | dropped (counted by the host, not an event) |
//! | Apache error | `@timestamp`, `log.level`, `apache.error.module`, `process.pid`, `process.thread.id`, `source.ip`, `source.port`, `message` |
//!
//! Every event also gets `event.dataset` (`weblog.access`, `weblog.iis` or
//! `weblog.apache_error`; it also marks the event as parsed for later parsers) and
//! `event.category` = `["web"]`, and those with an HTTP status `event.outcome` (`success`
//! below 400, `failure` from 400). A line in none of the formats is rejected with the
//! reason and the column where reading stopped.
//!
//! # Layout
//! - [`settings`]: `format` and `timezone`, checked by [`WebLogConfig::build`].
//! - `fields`: the borrowed field list every parser returns, and how it reaches the event.
//! - `access`, `request`: common/combined lines and their quoted request line.
//! - `iis`: directives, the per-origin `#Fields:` map (`iis::origins`), the columns and
//!   their ECS names (`iis::columns`, with the default order used before any `#Fields:`),
//!   data lines.
//! - `error_log`: Apache error lines.
//! - `cursor`, `time`: reading a line left to right; dates, clocks and UTC offsets to
//!   instants (the calendar is jiff's, through `logsift_sdk::calendar`).

mod access;
mod cursor;
mod error_log;
mod fields;
mod iis;
mod request;
pub mod settings;
mod time;

use logsift_sdk::{Context, Event, Kind, Metadata, Origin, Outcome, Plugin, Settings};

use access::Variant;
use fields::{Fields, Parsed};
use iis::Iis;
pub use settings::{Format, WebLogConfig};

/// The `weblog` parser plugin.
#[derive(Debug)]
pub struct WebLog {
    format: Format,
    /// Seconds east of UTC for Apache error log timestamps.
    offset_secs: i64,
    iis: Iis,
}

impl WebLog {
    pub(crate) fn new(format: Format, offset_secs: i64) -> Self {
        WebLog { format, offset_secs, iis: Iis::default() }
    }

    fn parse<'t>(&mut self, line: &'t str, origin: &Origin<'_>) -> Parsed<'t> {
        let line = line.trim_end_matches(['\r', '\n']);
        if line.trim().is_empty() {
            return Ok(None);
        }
        match self.format {
            Format::Common => access::parse(line, Variant::Common),
            Format::Combined => access::parse(line, Variant::Combined),
            Format::ApacheError => error_log::parse(line, self.offset_secs),
            Format::Iis if line.starts_with('#') => self.iis.directive(line, origin),
            Format::Iis => self.iis.data(line, origin),
            Format::Auto if line.starts_with('#') => self.iis.directive(line, origin),
            Format::Auto if self.iis.knows(origin) => self.iis.data(line, origin),
            Format::Auto if line.starts_with('[') => error_log::parse(line, self.offset_secs),
            Format::Auto if starts_with_date(line) => self.iis.data(line, origin),
            Format::Auto => access::parse(line, Variant::Either),
        }
    }
}

/// Whether the line opens with `YYYY-MM-DD ` (an IIS data line's default first columns).
fn starts_with_date(line: &str) -> bool {
    let b = line.as_bytes();
    b.len() > 11
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b[10] == b' '
}

impl Plugin for WebLog {
    const METADATA: Metadata = Metadata::new(
        "weblog",
        env!("CARGO_PKG_VERSION"),
        Kind::Parser,
        "parses Apache/Nginx access logs (common, combined), IIS W3C extended logs and Apache error logs into ECS fields",
    );

    fn init(settings: Settings) -> Result<Self, String> {
        settings.parse::<WebLogConfig>()?.build()
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        let origin = event.origin();
        event.parse_original(|line| self.parse(line, &origin).map(|fields| fields.map(Fields::into_vec)))
    }
}

logsift_sdk::export_plugin!(WebLog);
