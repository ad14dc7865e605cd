//! Loading the settings: the TOML file, then `LOGSIFT_` environment overrides, then the
//! command line's; checking the values serde cannot (ranges, one of `plugin`/`directory`,
//! tables that exist); resolving paths against the file's directory and bare plugin names
//! against the plugin directory.
//!
//! The plugin directory is found at run time, never fixed when logsift is built: the
//! `--plugin-dir` flag, else `plugin_dir` (file or `LOGSIFT_PLUGIN_DIR`), else
//! `../lib/logsift/plugins` from the executable's folder — the layout `make install` makes,
//! and the one the build tree has (`target/release/logsift`, `target/lib/logsift/plugins`).

use std::path::{Path, PathBuf};

use super::{ConfigError, Overrides, Settings, StageConfig};
use crate::wasm::Limits;

/// The folder logsift is installed under: the parent of the folder holding the running
/// executable (`/usr/local` for `/usr/local/bin/logsift`, `target` in the build tree).
pub fn install_prefix() -> PathBuf {
    let exe = std::env::current_exe().ok().and_then(|p| std::fs::canonicalize(p).ok());
    exe.as_deref().and_then(Path::parent).and_then(Path::parent).unwrap_or(Path::new(".")).to_owned()
}

/// The plugin directory of an installed logsift: `lib/logsift/plugins` under the
/// [`install_prefix`].
pub fn default_plugin_dir() -> PathBuf {
    install_prefix().join("lib/logsift/plugins")
}

/// The plugin directory of a command run without a configuration file (`logsift test`):
/// `--plugin-dir`, else `LOGSIFT_PLUGIN_DIR`, else the default.
pub fn plugin_dir_without_config(overrides: &Overrides) -> PathBuf {
    let configured = || std::env::var_os("LOGSIFT_PLUGIN_DIR").map(PathBuf::from);
    overrides.plugin_dir.clone().or_else(configured).unwrap_or_else(default_plugin_dir)
}

/// The compile cache of a command run without a configuration file (`logsift test`,
/// `logsift sigma`): `LOGSIFT_COMPILE_CACHE`, else none.
pub fn compile_cache_without_config() -> Option<PathBuf> {
    std::env::var_os("LOGSIFT_COMPILE_CACHE").filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// The file of a plugin named by a bare name (`syslog`: lowercase letters, digits and
/// dashes, no folder, no `.wasm`) in `plugin_dir`; `None` for a path.
pub fn plugin_file(name: &Path, plugin_dir: &Path) -> Option<PathBuf> {
    let text = name.to_str()?;
    let bare = !text.is_empty() && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    bare.then(|| plugin_dir.join(format!("{text}.wasm")))
}

impl Settings {
    /// Loads the file, applies `LOGSIFT_` environment overrides, checks values and resolves
    /// plugin paths.
    pub fn load(path: &Path) -> Result<Settings, ConfigError> {
        Self::load_with(path, Overrides::default(), std::env::vars())
    }

    /// Like [`load`](Self::load) with the environment given (for tests).
    pub fn load_with_env(path: &Path, env: impl IntoIterator<Item = (String, String)>) -> Result<Settings, ConfigError> {
        Self::load_with(path, Overrides::default(), env)
    }

    /// Loads the file with the environment and the command line's overrides.
    pub fn load_with(path: &Path, overrides: Overrides, env: impl IntoIterator<Item = (String, String)>) -> Result<Settings, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read { path: path.to_owned(), error })?;
        Self::from_toml(&text, path, overrides, env)
    }

    /// Settings from TOML text, as if read from `path` (whose folder relative paths are
    /// resolved against), with the environment and the command line's overrides.
    pub fn from_toml(
        text: &str,
        path: &Path,
        overrides: Overrides,
        env: impl IntoIterator<Item = (String, String)>,
    ) -> Result<Settings, ConfigError> {
        let invalid = |cause| ConfigError::Invalid { path: path.to_owned(), cause };
        let env: std::collections::HashMap<String, String> = env.into_iter().filter(|(k, _)| k.starts_with("LOGSIFT_")).collect();
        let source = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(
                config::Environment::with_prefix("LOGSIFT").prefix_separator("_").separator("__").try_parsing(true).source(Some(env)),
            )
            .build()
            .map_err(invalid)?;
        let mut settings: Settings = source.try_deserialize().map_err(invalid)?;
        settings.check(path)?;
        settings.source = Some(path.to_owned());
        settings.overrides = overrides;
        settings.resolve_paths(path.parent().unwrap_or(Path::new(".")));
        Ok(settings)
    }

    /// Reads the file these settings came from again, with the same command-line overrides.
    pub fn reread(&self, path: &Path) -> Result<Settings, ConfigError> {
        Self::load_with(path, self.overrides.clone(), std::env::vars())
    }

    /// Resolves the plugin directory and every relative path against `base` (the
    /// configuration file's folder), and bare plugin names against the plugin directory.
    pub fn resolve_paths(&mut self, base: &Path) {
        let plugin_dir = match (&self.overrides.plugin_dir, &self.plugin_dir) {
            (Some(flag), _) => flag.clone(),
            (None, Some(configured)) => base.join(configured),
            (None, None) => default_plugin_dir(),
        };
        for stage in &mut self.pipeline {
            if let Some(plugin) = &mut stage.plugin
                && let Some(shipped) = plugin_file(plugin, &plugin_dir)
            {
                *plugin = shipped;
            }
            for path in [&mut stage.plugin, &mut stage.directory].into_iter().flatten().chain(&mut stage.rules) {
                if path.is_relative() {
                    *path = base.join(&*path);
                }
            }
        }
        for table in self.tables.values_mut() {
            if table.path.is_relative() {
                table.path = base.join(&table.path);
            }
        }
        if let Some(cache) = &mut self.compile_cache
            && cache.is_relative()
        {
            *cache = base.join(&*cache);
        }
        self.plugin_dir = Some(plugin_dir);
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
        if self.limits.max_record_bytes < 1024 {
            return Err(value("limits.max_record_bytes", "must be at least 1024"));
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
            max_record_bytes: self.limits.max_record_bytes,
        }
    }
}
