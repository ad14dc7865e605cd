//! The settings tree: plain data, loaded from a TOML file plus environment overrides.
//!
//! Environment variables override the file: prefix `LOGSIFT_`, `__` between nested keys,
//! e.g. `LOGSIFT_BATCH_SIZE=512` or `LOGSIFT_LIMITS__TIMEOUT_MS=500`. Every struct refuses
//! unknown keys, so a misspelt key is an error that names it rather than a silent default.
//! Relative plugin paths are resolved against the configuration file's directory.
//!
//! # Layout
//! - this module: [`Settings`], the root of the tree, and [`ReloadConfig`];
//! - [`stage`]: one `[[pipeline]]` stage and its limits;
//! - [`output`]: what records are written as and where, and logsift's own logs;
//! - [`service`]: Kafka, its security and the HTTP endpoint of service mode;
//! - `load`: reading the file and the environment, checking values, resolving paths.

mod load;
pub mod output;
pub mod service;
pub mod stage;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub use load::{compile_cache_without_config, default_plugin_dir, install_prefix, plugin_dir_without_config, plugin_file};
pub use output::{FormatConfig, JsonStyle, LogConfig, LogFormat, OutputConfig, Schema};
pub use service::{HttpConfig, KafkaConfig, KafkaProps, PropValue, SecurityConfig};
pub use stage::{LimitOverrides, StageConfig};

use crate::wasm::Limits;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration {path:?}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
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
    /// The folder of the shipped plugins that stages name by bare name (`plugin = "syslog"`),
    /// relative to this file. Default: `lib/logsift/plugins` beside the folder of the
    /// `logsift` executable (`/usr/local/bin/logsift` → `/usr/local/lib/logsift/plugins`).
    /// `LOGSIFT_PLUGIN_DIR` or the `--plugin-dir` flag of every command override it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plugin_dir: Option<PathBuf>,
    /// A folder where compiled plugins are kept for later runs (`LOGSIFT_COMPILE_CACHE`),
    /// relative to this file; none by default. Made if missing; refused, with a warning,
    /// unless this user owns it alone. Read at start-up, not at reloads. See
    /// [`DiskCache`](crate::wasm::DiskCache) for what it saves and what it risks.
    #[serde(default)]
    pub compile_cache: Option<PathBuf>,
    /// The file these settings were read from (reloads read it again).
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// What the command line overrides; applied again at every reload.
    #[serde(skip)]
    pub overrides: Overrides,
}

/// Settings given on the command line: they win over the file and the environment, and
/// stay in force across reloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// `--plugin-dir`: the folder of the shipped plugins.
    pub plugin_dir: Option<PathBuf>,
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

fn default_batch_size() -> usize {
    256
}

impl Settings {
    /// Settings with every default and an empty chain.
    pub fn empty() -> Settings {
        // Every field has a serde default, so the empty object is complete.
        serde_json::from_value(serde_json::json!({})).expect("every setting has a default")
    }

    /// The topic an output is written to in service mode.
    pub fn topic_for(&self, output: &str) -> String {
        if let Some(topic) = self.outputs.get(output).and_then(|o| o.topic.clone()) {
            return topic;
        }
        match output {
            "dead_letter" => "dead-letter".into(),
            "alerts_shadow" => "alerts-shadow".into(),
            other => other.into(),
        }
    }

    /// How many workers service mode runs.
    pub fn worker_count(&self) -> usize {
        if self.workers > 0 { self.workers } else { std::thread::available_parallelism().map_or(1, |n| n.get()) }
    }
}
