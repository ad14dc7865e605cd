//! One stage of the chain (`[[pipeline]]`): which plugin or plugin directory, its settings,
//! rules, granted tables, limits and failure policies.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::pipeline::{HealthConfig, RejectPolicy, StageMode};

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
    /// `live` (default) or `shadow`: a shadow stage runs beside the live chain on the
    /// records at its place, in its own instance; its alerts go to `alerts_shadow` marked
    /// `rule.shadow = true`, and nothing else of it is kept (see [`StageMode`]).
    #[serde(default)]
    pub mode: StageMode,
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
