//! Service mode's settings: the Kafka input and outputs, their TLS/SASL security, and the
//! HTTP endpoint for metrics and health.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// A librdkafka property value; numbers and booleans are accepted and passed as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropValue {
    /// Text.
    Text(String),
    /// A whole number.
    Int(i64),
    /// true or false.
    Bool(bool),
}

impl std::fmt::Display for PropValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropValue::Text(s) => f.write_str(s),
            PropValue::Int(i) => write!(f, "{i}"),
            PropValue::Bool(b) => write!(f, "{b}"),
        }
    }
}

/// librdkafka properties by name (`"linger.ms" = 5`), passed through as they are.
pub type KafkaProps = BTreeMap<String, PropValue>;

/// The Kafka side of service mode.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KafkaConfig {
    /// Bootstrap brokers, comma-separated `host:port` (`LOGSIFT_KAFKA__BROKERS`).
    pub brokers: String,
    /// The consumer group every worker of every logsift host joins. Default `logsift`.
    #[serde(default = "default_group")]
    pub group_id: String,
    /// Input topics.
    #[serde(default)]
    pub topics: Vec<String>,
    /// Or input topics by regular expression (librdkafka syntax; starts with `^`).
    pub topic_pattern: Option<String>,
    /// librdkafka consumer properties, over logsift's defaults (`fetch.min.bytes = 1`,
    /// `fetch.wait.max.ms = 100`, `auto.offset.reset = earliest`, `session.timeout.ms = 10000`).
    #[serde(default)]
    pub consumer: KafkaProps,
    /// librdkafka producer properties for every output, over logsift's defaults
    /// (`linger.ms = 5`, `batch.size = 1000000`, `compression.type = lz4`,
    /// `enable.idempotence = true`). `message.timeout.ms` is always 0 (retriable errors are
    /// retried until they succeed and never advance an offset) and cannot be set.
    /// `[outputs.<name>.producer]` overrides per output.
    #[serde(default)]
    pub producer: KafkaProps,
    /// TLS and SASL.
    #[serde(default)]
    pub security: SecurityConfig,
    /// How long shutdown waits for in-flight records to be acknowledged, in seconds.
    /// Default 30.
    #[serde(default = "default_drain_secs")]
    pub drain_timeout_secs: u64,
}

fn default_group() -> String {
    "logsift".into()
}

fn default_drain_secs() -> u64 {
    30
}

/// TLS and SASL settings. Secrets are never written in this file: they are read from an
/// environment variable or a file named here, and never logged.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecurityConfig {
    /// `plaintext` (default), `ssl`, `sasl_plaintext` or `sasl_ssl`.
    pub protocol: Option<String>,
    /// `PLAIN`, `SCRAM-SHA-256` or `SCRAM-SHA-512`.
    pub sasl_mechanism: Option<String>,
    /// SASL user name.
    pub username: Option<String>,
    /// Name of the environment variable holding the SASL password.
    pub password_env: Option<String>,
    /// A file holding the SASL password (e.g. a mounted secret); trailing newlines ignored.
    pub password_file: Option<PathBuf>,
    /// CA certificate file (PEM) to verify the brokers.
    pub ca_location: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS.
    pub certificate_location: Option<PathBuf>,
    /// Client key (PEM) for mutual TLS.
    pub key_location: Option<PathBuf>,
}

/// The HTTP endpoint of service mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    /// Address to listen on. Default `127.0.0.1:9464` (localhost only); `127.0.0.1:0` picks a
    /// free port (logged at start).
    pub listen: std::net::SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig { listen: std::net::SocketAddr::from(([127, 0, 0, 1], 9464)) }
    }
}
