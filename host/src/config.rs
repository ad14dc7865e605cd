//! The settings tree: plain data, loaded from a TOML file plus environment overrides.
//!
//! Environment variables override the file: prefix `LOGSIFT_`, `__` between nested keys,
//! e.g. `LOGSIFT_BATCH_SIZE=512` or `LOGSIFT_LIMITS__TIMEOUT_MS=500`. Every struct refuses
//! unknown keys, so a misspelt key is an error that names it rather than a silent default.
//! Relative plugin paths are resolved against the configuration file's directory.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::pipeline::{HealthConfig, RejectPolicy};
use crate::wasm::Limits;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or the environment holds something that does not fit the settings.
    #[error("invalid configuration {path:?}: {cause}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What is wrong, with the key it concerns.
        cause: config::ConfigError,
    },
    /// A value is out of its range.
    #[error("invalid configuration {path:?}: {key}: {why}")]
    Value {
        /// The file.
        path: PathBuf,
        /// The key.
        key: String,
        /// Why.
        why: String,
    },
}

/// logsift's settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Records handed to the chain per batch (one plugin call per stage). Default 256.
    #[serde(default = "default_batch_size")]
    pub batch_size: usize,
    /// Limits for every plugin, unless a stage overrides them.
    #[serde(default)]
    pub limits: Limits,
    /// How events and other records are written as JSON.
    #[serde(default)]
    pub format: FormatConfig,
    /// Where each output goes, by output name (`events`, `alerts`, `dead_letter`, or any
    /// name a plugin emits to). An output not listed goes to standard output.
    #[serde(default)]
    pub outputs: BTreeMap<String, OutputConfig>,
    /// The chain, in order.
    #[serde(default)]
    pub pipeline: Vec<StageConfig>,
    /// Lookup tables, by name: loaded from files, refreshed when the files change, and
    /// readable by the stages that name them in their `tables`.
    #[serde(default)]
    pub tables: BTreeMap<String, crate::tables::TableConfig>,
    /// Logging.
    #[serde(default)]
    pub log: LogConfig,
    /// Service mode: worker threads, each with its own consumer and plugin instances.
    /// 0 (default) means one per CPU core.
    #[serde(default)]
    pub workers: usize,
    /// Service mode: the brokers, the input and the consumer group.
    #[serde(default)]
    pub kafka: Option<KafkaConfig>,
    /// Service mode: the HTTP endpoint for `/metrics`, `/health`, `/ready` and `/plugins`.
    #[serde(default)]
    pub http: HttpConfig,
    /// Hot reload of the plugins and this file.
    #[serde(default)]
    pub reload: ReloadConfig,
    /// The file these settings were read from (reloads read it again).
    #[serde(skip)]
    pub source: Option<PathBuf>,
}

/// Hot reload: what is watched and what may be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReloadConfig {
    /// Watch the configuration file and the plugin files and directories, and reload on a
    /// change (SIGHUP reloads either way). Default true.
    pub watch: bool,
    /// Quiet time after the last change before reloading, so a file being written is read
    /// once complete. Default 300 ms.
    pub debounce_ms: u64,
    /// If not empty, only plugins whose BLAKE3 content hash (hex) is listed are loaded.
    pub allow_hashes: Vec<String>,
}

impl Default for ReloadConfig {
    fn default() -> Self {
        ReloadConfig { watch: true, debounce_ms: 300, allow_hashes: Vec::new() }
    }
}

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
    /// `enable.idempotence = true`, `message.timeout.ms = 0`: retriable errors are retried
    /// until they succeed and never advance an offset). `[outputs.<name>.producer]` overrides
    /// per output.
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

fn default_batch_size() -> usize {
    256
}

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

impl Settings {
    /// The topic an output is written to in service mode.
    pub fn topic_for(&self, output: &str) -> String {
        if let Some(topic) = self.outputs.get(output).and_then(|o| o.topic.clone()) {
            return topic;
        }
        match output {
            "dead_letter" => "dead-letter".into(),
            other => other.into(),
        }
    }

    /// How many workers service mode runs.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }
}

/// One stage of the chain: one plugin (`plugin`) or every plugin of a directory
/// (`directory`), which then run one after the other in file-name order, each as its own
/// stage named after its file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StageConfig {
    /// The component file (`.wasm`), relative to the configuration file's directory; or the
    /// bare name of a plugin shipped with logsift (`syslog`, `sigma`, …).
    pub plugin: Option<PathBuf>,
    /// A directory of component files, relative to the configuration file's directory:
    /// dropping a `.wasm` file in deploys it, removing it undeploys it.
    pub directory: Option<PathBuf>,
    /// The stage's name; default: the plugin's own name (directory stages: the file stem).
    pub name: Option<String>,
    /// Settings handed to the plugin's `init` as a JSON object (in a directory stage, to
    /// every plugin of it).
    #[serde(default)]
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Directory stages: settings for one plugin, by file stem, over `settings`. A sidecar
    /// file `<stem>.toml` next to the plugin goes over both.
    #[serde(default)]
    pub plugins: BTreeMap<String, serde_json::Map<String, serde_json::Value>>,
    /// Rule files or directories (searched recursively for `.yml`/`.yaml`), relative to the
    /// configuration file: the host reads them and hands them to the plugin as the setting
    /// `rules = [{path, text}]` (a Sigma stage, say). They are watched like plugin files.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// Lookup tables (names of `[tables.<name>]`) the stage's plugins may read.
    #[serde(default)]
    pub tables: Vec<String>,
    /// Whether the stage's plugin may leave the chain when its file is removed. Default:
    /// false for a `plugin` stage (a removal is refused and the plugin keeps running),
    /// true for a `directory` stage.
    pub optional: Option<bool>,
    /// Overrides of the global limits for this plugin, key by key.
    #[serde(default)]
    pub limits: LimitOverrides,
    /// What happens to records the plugin rejects: `dead-letter` (default) or `pass` (on
    /// to the next stage unchanged, for parsers over mixed input).
    #[serde(default)]
    pub on_reject: RejectPolicy,
    /// Quarantine policy.
    #[serde(default)]
    pub health: HealthConfig,
}

impl StageConfig {
    /// Whether its plugins may leave the chain when their files are removed.
    pub fn is_optional(&self) -> bool {
        self.optional.unwrap_or(self.directory.is_some())
    }
}

/// A stage's own limits; each key left out takes the global value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitOverrides {
    /// See [`Limits::memory_mb`].
    pub memory_mb: Option<u32>,
    /// See [`Limits::timeout_ms`].
    pub timeout_ms: Option<u32>,
    /// See [`Limits::max_split`].
    pub max_split: Option<u32>,
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

/// A plugin named by a bare name (`syslog`: no folder, no `.wasm`) is one of the plugins
/// shipped with logsift, in the folder its build put them in.
pub fn shipped_plugin(name: &Path) -> Option<PathBuf> {
    let text = name.to_str()?;
    let bare = !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    bare.then(|| Path::new(env!("SHIPPED_PLUGINS_DIR")).join(format!("{text}.wasm")))
}

impl Settings {
    /// Loads the file, applies `LOGSIFT_` environment overrides, checks values and resolves
    /// plugin paths.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        Self::load_with_env(path, std::env::vars())
    }

    /// Like [`load`](Self::load) with the environment given (for tests).
    pub fn load_with_env(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Settings, ConfigError> {
        let invalid = |cause| ConfigError::Invalid { path: path.to_owned(), cause };
        let env: std::collections::HashMap<String, String> = env.into_iter().filter(|(k, _)| k.starts_with("LOGSIFT_")).collect();
        let source = config::Config::builder()
            .add_source(config::File::from(path).format(config::FileFormat::Toml).required(true))
            .add_source(
                config::Environment::with_prefix("LOGSIFT").prefix_separator("_").separator("__").try_parsing(true).source(Some(env)),
            )
            .build()
            .map_err(invalid)?;
        let mut settings: Settings = source.try_deserialize().map_err(invalid)?;
        settings.check(path)?;
        settings.source = Some(path.to_owned());
        let base = path.parent().unwrap_or(Path::new("."));
        for stage in &mut settings.pipeline {
            if let Some(plugin) = &mut stage.plugin
                && let Some(shipped) = shipped_plugin(plugin)
            {
                *plugin = shipped;
            }
            for path in [&mut stage.plugin, &mut stage.directory].into_iter().flatten().chain(&mut stage.rules) {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
        }
        for table in settings.tables.values_mut() {
            if table.path.is_relative() {
                table.path = base.join(&table.path);
            }
        }
        Ok(settings)
    }

    fn check(&self, path: &Path) -> Result<(), ConfigError> {
        let value = |key: &str, why: &str| ConfigError::Value { path: path.to_owned(), key: key.into(), why: why.into() };
        if self.batch_size == 0 || self.batch_size > 65_536 {
            return Err(value("batch_size", "must be between 1 and 65536"));
        }
        for (i, stage) in self.pipeline.iter().enumerate() {
            if stage.plugin.is_some() == stage.directory.is_some() {
                return Err(value(&format!("pipeline[{i}]"), "set exactly one of `plugin` (a .wasm file) and `directory`"));
            }
            if stage.directory.is_none() && !stage.plugins.is_empty() {
                return Err(value(&format!("pipeline[{i}].plugins"), "per-plugin settings belong to a `directory` stage"));
            }
            if let Some(unknown) = stage.tables.iter().find(|t| !self.tables.contains_key(*t)) {
                return Err(value(&format!("pipeline[{i}].tables"), &format!("no table {unknown:?} is defined under [tables]")));
            }
        }
        let limits = std::iter::once(("limits".to_owned(), self.limits))
            .chain(self.pipeline.iter().enumerate().map(|(i, s)| (format!("pipeline[{i}].limits"), self.limits_for(s))));
        for (key, l) in limits {
            if l.memory_mb == 0 || l.timeout_ms == 0 || l.max_split == 0 {
                return Err(value(&key, "memory_mb, timeout_ms and max_split must be positive"));
            }
        }
        Ok(())
    }

    /// The limits of a stage: its own overrides over the global ones.
    pub fn limits_for(&self, stage: &StageConfig) -> Limits {
        let own = stage.limits;
        Limits {
            memory_mb: own.memory_mb.unwrap_or(self.limits.memory_mb),
            timeout_ms: own.timeout_ms.unwrap_or(self.limits.timeout_ms),
            max_split: own.max_split.unwrap_or(self.limits.max_split),
        }
    }
}
