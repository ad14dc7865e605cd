//! Loading the settings: the TOML file, then `LOGSIFT_` environment overrides; checking the
//! values serde cannot (ranges, one of `plugin`/`directory`, tables that exist); resolving
//! paths against the file's directory and bare plugin names to the shipped plugins.

use std::path::{Path, PathBuf};

use super::{ConfigError, Settings, StageConfig};
use crate::wasm::Limits;

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
