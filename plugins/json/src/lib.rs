//! logsift parser for JSON lines: each `event.original` is one JSON object, flattened into
//! typed fields with dotted names (`event.original` is kept).
//!
//! | JSON | field |
//! |---|---|
//! | `{"source":{"ip":"1.2.3.4"}}` | `source.ip` (nested objects join names with `.`; names that already hold dots are kept) |
//! | whole number (`3`, `3.0`) / other number | `Int` (`Float` beyond `i64`) / `Float` |
//! | string, `true`/`false`, `null` | `Str`, `Bool`, `Null` |
//! | array of scalars (or of such arrays) | `Array` |
//! | array with an object anywhere inside | the array as compact JSON text (a string) |
//! | RFC 3339 string in a `timestamp_fields` field | `Timestamp` |
//! | IP string in an `ip_fields` field | `Ip` |
//!
//! A Windows event exported as JSON (`{"Event": {"System": …, "EventData": …}}`) gets the
//! flat names Sigma rules use (`EventID`, `Channel`, `Image`, …; see `winevent`).
//!
//! `event.dataset` is set to `json` unless the object has its own (either way it marks the
//! event as parsed for later parsers). A line that is not JSON, not an object, or nests
//! deeper than `max_depth` is rejected with serde_json's message and its line and column;
//! a blank line is dropped.
//!
//! # Layout
//! - [`settings`]: `timestamp_fields`, `ip_fields`, `max_depth`, checked by
//!   [`JsonConfig::build`].
//! - `flatten`: the one-pass object walk through serde_json, tried after `direct`, which
//!   reads the lines JSON logs mostly are without serde's visitors; `array`: arrays; `number`: Int or Float;
//!   `typed`: timestamps and IPs (RFC 3339 read by the SDK's `rfc3339`); `winevent`: Windows
//!   events' names.
//!
//! The SDK's [`Event::parse_original`] takes the line from `event.original` and adds the
//! fields.

mod array;
mod direct;
mod flatten;
mod number;
pub mod settings;
mod typed;
mod winevent;

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, PARSED_MARK, Plugin, Settings};

pub use settings::JsonConfig;

/// `event.dataset` of a line that does not name its own.
pub const DATASET: &str = "json";

/// The `json` parser plugin.
#[derive(Debug)]
pub struct JsonLines {
    config: JsonConfig,
    /// How many fields the last line made: the room the next line's list starts with (lines
    /// of one source are alike), so that it is not grown field by field.
    last_fields: usize,
}

impl JsonLines {
    pub(crate) fn new(config: JsonConfig) -> Self {
        JsonLines { config, last_fields: 0 }
    }
}

impl Plugin for JsonLines {
    const METADATA: Metadata = Metadata::new(
        "json",
        env!("CARGO_PKG_VERSION"),
        Kind::Parser,
        "parses JSON lines into fields, flattening nested objects to dotted names",
    );

    fn init(settings: Settings) -> Result<Self, String> {
        settings.parse::<JsonConfig>()?.build()
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        let (config, last_fields) = (&self.config, &mut self.last_fields);
        event.parse_original(|line| {
            if line.trim().is_empty() {
                return Ok(None);
            }
            let mut fields = flatten::flatten(line, config, *last_fields + 1)?;
            *last_fields = fields.len();
            if winevent::is_windows_event(&fields) {
                winevent::normalise(&mut fields);
            }
            if !fields.iter().any(|(name, _)| name == PARSED_MARK) {
                fields.push((PARSED_MARK.into(), DATASET.into()));
            }
            Ok(Some(fields))
        })
    }
}

logsift_sdk::export_plugin!(JsonLines);
