//! Loading the configured chain: every stage's plugin is read, compiled, linked, described
//! and initialised, and each load is written to the audit log (target `logsift::audit`)
//! with the plugin's path, content hash, name, version and kind.

use std::sync::Arc;

use wasmtime::Engine;

use crate::config::Settings;
use crate::pipeline::StageOptions;
use crate::wasm::{LoadError, LoadedPlugin};

/// Loads every stage of the configuration, in order, stopping at the first that fails.
pub fn load_chain(engine: &Engine, settings: &Settings) -> Result<Vec<(Arc<LoadedPlugin>, StageOptions)>, LoadError> {
    settings
        .pipeline
        .iter()
        .map(|stage| {
            let loaded = LoadedPlugin::load(
                engine,
                stage.name.as_deref(),
                &stage.plugin,
                &serde_json::Value::Object(stage.settings.clone()),
                settings.limits_for(stage),
            );
            match &loaded {
                Ok(p) => tracing::info!(
                    target: "logsift::audit",
                    stage = %p.name,
                    path = %p.path.display(),
                    hash = %p.hash,
                    plugin = %p.meta.name,
                    version = %p.meta.version,
                    kind = %p.meta.kind,
                    "plugin loaded"
                ),
                Err(e) => tracing::error!(target: "logsift::audit", path = %stage.plugin.display(), "plugin refused: {e}"),
            }
            Ok((loaded?, StageOptions { health: stage.health, on_reject: stage.on_reject }))
        })
        .collect()
}
