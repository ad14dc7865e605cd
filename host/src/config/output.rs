//! What records are written as (ECS or OCSF, nested or flat keys) and where each output
//! goes, and how logsift logs for itself.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::KafkaProps;

/// The JSON written for each record.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FormatConfig {
    /// `nested` (default): dotted names expanded into objects, as Elastic and OpenSearch
    /// ingest them. `flat`: dotted names kept as keys.
    pub json: JsonStyle,
    /// `ecs` (default): events as ECS documents. `ocsf`: events and alerts as OCSF 1.3.0
    /// records (sshd logins as Authentication, web access lines as HTTP Activity, alerts as
    /// Detection Finding, anything else as Base Event), always nested.
    pub schema: Schema,
}

/// The schema events and alerts are written in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Schema {
    /// Elastic Common Schema.
    #[default]
    Ecs,
    /// Open Cybersecurity Schema Framework.
    Ocsf,
}

/// Nested or flat JSON keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonStyle {
    /// `{"source":{"ip":"…"}}`
    #[default]
    Nested,
    /// `{"source.ip":"…"}`
    Flat,
}

/// Where one output's records go.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    /// File mode: a JSON-lines file this output is appended to (relative to the working
    /// directory). Without it, the records go to standard output with an `output` field
    /// (records of `events` carry none).
    pub file: Option<PathBuf>,
    /// Service mode: the topic. Default: `events`, `alerts`, `dead-letter` for the three
    /// standard outputs, and the output's own name for any other.
    pub topic: Option<String>,
    /// Service mode: librdkafka producer properties for this output only (`batch.size`,
    /// `linger.ms`, `compression.type`, …).
    #[serde(default)]
    pub producer: KafkaProps,
}

/// Logging of logsift itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// `text` (default) or `json` (one JSON object per line).
    pub format: LogFormat,
    /// A `tracing` filter, e.g. `info` or `logsift=debug`. Default `info`; `RUST_LOG`
    /// overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { format: LogFormat::Text, level: "info".into() }
    }
}

/// Log line format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// JSON objects.
    Json,
}
