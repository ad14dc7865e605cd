//! The plugin's settings, as the host configuration gives them (a JSON object), and their
//! check: [`JsonConfig::build`] refuses anything it cannot honour, with a message that says
//! which setting and why.

use serde::Deserialize;

use crate::JsonLines;

/// Deepest nesting the event encoding can carry: its decoder refuses arrays nested more
/// than 32 deep, and the line's own object is one level.
pub const MAX_DEPTH_LIMIT: usize = 32;

/// Settings of the `json` parser. Every field is optional.
///
/// ```json
/// { "timestamp_fields": ["@timestamp"], "ip_fields": ["source.ip"], "max_depth": 20, "max_fields": 1000 }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JsonConfig {
    /// Flattened names whose RFC 3339 string values become timestamps (a value that is not
    /// RFC 3339 stays a string). Default `["@timestamp"]`.
    pub timestamp_fields: Vec<String>,
    /// Flattened names whose IP address string values become IP values (other strings stay
    /// strings). Default: `source.ip`, `destination.ip`, `client.ip`, `server.ip`, `host.ip`.
    pub ip_fields: Vec<String>,
    /// How deeply objects and arrays may nest, counting the line's own object as 1; a
    /// deeper line is rejected. Default 20 (Elasticsearch's mapping depth limit), at most
    /// [`MAX_DEPTH_LIMIT`].
    pub max_depth: usize,
    /// The most fields one line may flatten into; a line with more is rejected with the
    /// reason, before it costs more time or memory. Default 1,000 (Elasticsearch's
    /// `index.mapping.total_fields.limit`), at most [`MAX_FIELDS_LIMIT`].
    pub max_fields: usize,
}

/// The largest `max_fields` a stage may set.
pub const MAX_FIELDS_LIMIT: usize = 100_000;

impl Default for JsonConfig {
    fn default() -> Self {
        JsonConfig {
            timestamp_fields: vec!["@timestamp".into()],
            ip_fields: ["source.ip", "destination.ip", "client.ip", "server.ip", "host.ip"].map(String::from).to_vec(),
            max_depth: 20,
            max_fields: 1_000,
        }
    }
}

impl JsonConfig {
    /// Checks the settings and builds the parser.
    pub fn build(self) -> Result<JsonLines, String> {
        if !(1..=MAX_DEPTH_LIMIT).contains(&self.max_depth) {
            return Err(format!("invalid settings: max_depth must be between 1 and {MAX_DEPTH_LIMIT}, not {}", self.max_depth));
        }
        if !(1..=MAX_FIELDS_LIMIT).contains(&self.max_fields) {
            return Err(format!("invalid settings: max_fields must be between 1 and {MAX_FIELDS_LIMIT}, not {}", self.max_fields));
        }
        if let Some(empty) = self.timestamp_fields.iter().chain(&self.ip_fields).find(|name| name.is_empty()) {
            return Err(format!("invalid settings: field names in timestamp_fields and ip_fields must not be empty ({empty:?})"));
        }
        Ok(JsonLines::new(self))
    }
}
