//! The reloader: builds the next generation from the configuration and the plugin files,
//! loading only what changed, and publishes it when it differs from the running one.
//!
//! Compiled components are cached in memory by content hash (one engine, so one wasmtime
//! version and configuration), loaded plugins by hash, stage name, settings and limits: an
//! unchanged plugin is neither recompiled nor re-initialised, and its workers keep their
//! instances. Nothing is cached on disk, so no compiled code is ever read back unchecked.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

use super::generation::{Generation, Pipeline, Refusal};
use super::selfcheck::self_check;
use super::spec::{PluginSpec, RuleHistory, resolve};
use crate::config::{ConfigError, Settings};
use crate::metrics::{Metrics, ReloadLabels};
use crate::pipeline::StageOptions;
use crate::tables::{Refresh, TableError, Tables};
use crate::wasm::{Compiled, DeclaredLimits, Limits, LoadedPlugin, Sandbox, compile, content_hash};

/// Why the first generation could not be built: the service does not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A plugin of the configuration was refused.
    #[error("plugin {path:?} refused: {reason}")]
    Refused {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A lookup table of the configuration did not load.
    #[error("table {name:?} not loaded: {error}")]
    Table {
        /// The table.
        name: String,
        /// Why.
        error: TableError,
    },
}

/// A loaded plugin is reused when its bytes, stage name, settings, limits and granted tables
/// are the same. Bytes and settings are keyed by their BLAKE3 hashes: a rule plugin's
/// settings hold the text of every rule (megabytes for the Sigma corpus).
type PluginKey = (String, Option<String>, String, Limits, Vec<String>);

/// Builds and publishes generations. Lives on the reload thread; workers never wait on it.
pub struct Reloader {
    sandbox: Sandbox,
    config: Option<PathBuf>,
    settings: Settings,
    components: HashMap<String, Compiled>,
    plugins: HashMap<PluginKey, Arc<LoadedPlugin>>,
    pipeline: Arc<Pipeline>,
    metrics: Option<Arc<Metrics>>,
    rule_history: RuleHistory,
    tables: Tables,
    /// The file running in each `plugin` stage of the configuration, by its place.
    slots: HashMap<usize, PathBuf>,
}

/// What happened to one plugin file in a reload.
enum Step {
    /// In the new generation (newly loaded or unchanged).
    Run(Arc<LoadedPlugin>, StageOptions),
    /// Gone, and allowed to go.
    Leave,
}

fn owner(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata(path).map(|m| format!("uid {}", m.uid())).unwrap_or_else(|_| "unknown".into())
}

impl Reloader {
    /// Loads the first generation from `settings` (read from `settings.source`, which later
    /// reloads read again). Any refusal is an error: a service does not start half-built.
    pub fn start(sandbox: &Sandbox, settings: Settings, metrics: Option<Arc<Metrics>>) -> Result<Self, StartError> {
        let placeholder = Arc::new(Pipeline::new(Generation::new(0, Vec::new())));
        let tables = Tables::load(&settings.tables).map_err(|(name, error)| StartError::Table { name, error })?;
        for (name, config) in &settings.tables {
            tracing::info!(target: "logsift::audit", trigger = "start", table = %name, path = %config.path.display(), owner = %owner(&config.path), "table loaded");
        }
        let mut reloader = Reloader {
            sandbox: sandbox.clone(),
            config: settings.source.clone(),
            settings,
            components: HashMap::new(),
            plugins: HashMap::new(),
            pipeline: placeholder,
            metrics,
            rule_history: RuleHistory::default(),
            tables,
            slots: HashMap::new(),
        };
        let specs = resolve(&reloader.settings, &[], &mut reloader.rule_history);
        let previous = Generation::new(0, Vec::new());
        let (stages, refusals) = reloader.build(&specs, &previous, "start");
        if let Some(r) = refusals.into_iter().next() {
            return Err(StartError::Refused { path: r.path, reason: r.reason });
        }
        let first = Generation::new(1, stages);
        reloader.audit_generation(&first, "start");
        reloader.pipeline = Arc::new(Pipeline::new(first));
        Ok(reloader)
    }

    /// The handle workers read generations from.
    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    /// The settings the running generation was built from.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The configuration file, if the settings came from one.
    pub fn config_path(&self) -> Option<&Path> {
        self.config.as_deref()
    }

    /// Reads the configuration and plugin files again and publishes a new generation if
    /// anything changed. Returns the id of the generation running afterwards.
    pub fn reload(&mut self, trigger: &str) -> u64 {
        if let Some(path) = self.config.clone() {
            match self.settings.reread(&path) {
                Ok(settings) => self.settings = settings,
                Err(e) => {
                    self.refused_config(&e);
                    return self.pipeline.current_id();
                }
            }
        }
        self.refresh_tables(trigger);
        let current = self.pipeline.current();
        let running: Vec<PathBuf> = current.stages.iter().map(|(p, _)| p.path.clone()).collect();
        let specs = resolve(&self.settings, &running, &mut self.rule_history);
        let (stages, refusals) = self.build(&specs, &current, trigger);
        self.pipeline.set_refusals(refusals);
        if current.same_stages(&stages) {
            tracing::debug!(trigger, generation = current.id, "reload: nothing changed");
            return current.id;
        }
        let next = Generation::new(current.id + 1, stages);
        for (old, _) in &current.stages {
            if !next.stages.iter().any(|(p, _)| p.path == old.path) {
                tracing::info!(target: "logsift::audit", trigger, generation = next.id, stage = %old.name, path = %old.path.display(), hash = %old.hash, "plugin unloaded");
                self.count("unloaded");
            }
        }
        self.audit_generation(&next, trigger);
        let id = next.id;
        self.pipeline.publish(next);
        self.forget_unused();
        id
    }

    /// Reloads the tables whose files changed (and those the configuration added); a table
    /// that does not load is refused and its running version stays.
    fn refresh_tables(&mut self, trigger: &str) {
        for (name, outcome) in self.tables.refresh(&self.settings.tables) {
            match outcome {
                Refresh::Loaded(entries) => {
                    tracing::info!(target: "logsift::audit", trigger, table = %name, entries, "table loaded");
                }
                Refresh::Refused(error) => {
                    tracing::error!(target: "logsift::audit", trigger, table = %name, "table refused, its running version stays: {error}");
                    self.count("refused");
                }
            }
        }
    }

    /// The files of the lookup tables (watched like plugin files).
    pub fn table_paths(&self) -> Vec<&Path> {
        self.tables.paths()
    }

    fn refused_config(&self, e: &ConfigError) {
        tracing::error!(target: "logsift::audit", "reload refused: the configuration is invalid, the running generation stays: {e}");
        self.count("refused");
    }

    fn count(&self, result: &str) {
        if let Some(m) = &self.metrics {
            m.plugin_reloads.get_or_create(&ReloadLabels { result: result.into() }).inc();
        }
    }

    fn audit_generation(&self, generation: &Generation, trigger: &str) {
        tracing::info!(target: "logsift::audit", trigger, generation = generation.id, plugins = %generation.plugins_header, "generation published");
        if let Some(m) = &self.metrics {
            m.generation.set(generation.id as i64);
        }
    }

    /// Builds the stage list for `specs`; a refused plugin keeps its running version.
    fn build(
        &mut self,
        specs: &[PluginSpec],
        previous: &Generation,
        trigger: &str,
    ) -> (Vec<(Arc<LoadedPlugin>, StageOptions)>, Vec<Refusal>) {
        let mut stages = Vec::new();
        let mut refusals = Vec::new();
        let generation = previous.id + 1;
        let mut slots = HashMap::new();
        for spec in specs {
            // What runs for this spec: the same file, or what ran in the same stage of the
            // configuration (a stage pointed at a new file that is refused keeps running).
            let slot_path = spec.slot.and_then(|slot| self.slots.get(&slot));
            let running = previous
                .stages
                .iter()
                .find(|(p, _)| p.path == spec.path)
                .or_else(|| previous.stages.iter().find(|(p, _)| Some(&p.path) == slot_path))
                .map(|(p, _)| Arc::clone(p));
            let mut keep_slot = |path: &Path| {
                if let Some(slot) = spec.slot {
                    slots.insert(slot, path.to_owned());
                }
            };
            match self.step(spec, generation, trigger) {
                Ok(Step::Run(plugin, options)) => {
                    keep_slot(&plugin.path);
                    stages.push((plugin, options));
                }
                Ok(Step::Leave) => {}
                Err(reason) => {
                    let kept = running.is_some();
                    tracing::error!(
                        target: "logsift::audit",
                        trigger,
                        path = %spec.path.display(),
                        owner = %owner(&spec.path),
                        kept_previous = kept,
                        "plugin refused: {reason}{}",
                        if kept { "; the running version stays" } else { "" }
                    );
                    self.count("refused");
                    refusals.push(Refusal { path: spec.path.clone(), reason, kept_previous: kept, at: SystemTime::now() });
                    if let Some(plugin) = running {
                        keep_slot(&plugin.path);
                        stages.push((plugin, spec.options));
                    }
                }
            }
        }
        self.slots = slots;
        (stages, refusals)
    }

    fn step(&mut self, spec: &PluginSpec, generation: u64, trigger: &str) -> Result<Step, String> {
        if let Some(problem) = &spec.problem {
            return Err(problem.clone());
        }
        let bytes = match std::fs::read(&spec.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && spec.optional => return Ok(Step::Leave),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(format!(
                    "cannot read plugin: {e}; the stage is not optional (`optional = true` lets it go when its file does)"
                ));
            }
            Err(e) => return Err(format!("cannot read plugin: {e}")),
        };
        let hash = content_hash(&bytes);
        let allow = &self.settings.reload.allow_hashes;
        if !allow.is_empty() && !allow.iter().any(|h| h.eq_ignore_ascii_case(&hash)) {
            return Err(format!("its content hash {hash} is not in reload.allow_hashes"));
        }
        let limits = DeclaredLimits::read(&spec.path, &bytes).apply(
            spec.limits,
            spec.own_limits.memory_mb.is_some(),
            spec.own_limits.timeout_ms.is_some(),
        );
        let key: PluginKey =
            (hash.clone(), spec.name.clone(), content_hash(spec.settings.to_string().as_bytes()), limits, spec.tables.clone());
        if let Some(plugin) = self.plugins.get(&key) {
            return Ok(Step::Run(Arc::clone(plugin), spec.options));
        }
        let (compiled, code) = match self.components.get(&hash) {
            Some(c) => (c.clone(), "kept from an earlier load"),
            None => {
                let c = compile(&self.sandbox, &spec.path, &bytes).map_err(|e| e.to_string())?;
                self.components.insert(hash.clone(), c.clone());
                let code = if c.from_disk_cache() { "read from the compile cache" } else { "compiled" };
                (c, code)
            }
        };
        let grants = self.tables.grants(&spec.tables)?;
        let loaded =
            LoadedPlugin::from_component(&self.sandbox, spec.name.as_deref(), &spec.path, &compiled, &spec.settings, limits, grants);
        // The load's transient buffers (the initialised instance, the snapshot) are freed by
        // now, whether it succeeded or not: hand them back. Reloads that load nothing skip this.
        crate::heap::give_back();
        let plugin = loaded.map_err(|e| e.to_string())?;
        self_check(&plugin)?;
        tracing::info!(
            target: "logsift::audit",
            trigger,
            generation,
            stage = %plugin.name,
            path = %plugin.path.display(),
            owner = %owner(&plugin.path),
            hash = %plugin.hash,
            plugin = %plugin.meta.name,
            version = %plugin.meta.version,
            kind = %plugin.meta.kind,
            snapshot_bytes = plugin.snapshot_size().unwrap_or(0),
            code,
            "plugin loaded"
        );
        self.count("loaded");
        self.plugins.insert(key, Arc::clone(&plugin));
        Ok(Step::Run(plugin, spec.options))
    }

    /// Drops cached plugins the running generation no longer uses; keeps a few compiled
    /// components besides the running ones, so rolling back is quick.
    fn forget_unused(&mut self) {
        const SPARE_COMPONENTS: usize = 16;
        let current = self.pipeline.current();
        self.plugins.retain(|_, p| current.stages.iter().any(|(s, _)| Arc::ptr_eq(s, p)));
        let running: HashSet<&str> = current.stages.iter().map(|(p, _)| p.hash.as_str()).collect();
        let spare: Vec<String> = self.components.keys().filter(|h| !running.contains(h.as_str())).cloned().collect();
        for hash in spare.into_iter().skip(SPARE_COMPONENTS) {
            self.components.remove(&hash);
        }
    }
}
