//! From the configuration to the list of plugin files to run, in order, each with its
//! settings, limits and options. A `directory` stage becomes one entry per `.wasm` file
//! in it, in file-name order; its settings are the stage's, then the
//! `[pipeline.plugins.<stem>]` section's, then a sidecar `<stem>.toml` next to the file.
//! A stage's `rules` files are read here and handed over as the setting `rules`, each with
//! its earlier texts (see [`RuleHistory`]).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::{Settings, StageConfig};
use crate::pipeline::StageOptions;
use crate::wasm::Limits;

/// One plugin to load.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The stage name to give it (`None`: the plugin's own name).
    pub name: Option<String>,
    /// The file.
    pub path: PathBuf,
    /// Settings for `init`.
    pub settings: serde_json::Value,
    /// Its limits.
    pub limits: Limits,
    /// The limits its stage sets itself (the rest are the global ones, which a plugin's
    /// declared needs may raise).
    pub own_limits: crate::config::LimitOverrides,
    /// Its stage options.
    pub options: StageOptions,
    /// Whether it may leave the chain when its file is gone.
    pub optional: bool,
    /// Why it cannot be loaded as configured (a broken sidecar, an unreadable directory):
    /// the running version, if any, is kept.
    pub problem: Option<String>,
    /// The lookup tables it may read.
    pub tables: Vec<String>,
    /// For a `plugin` stage, its place in the configuration's `[[pipeline]]` list: a new
    /// file for that stage that is refused keeps whatever runs there, even from another
    /// path. `None` for the plugins of a directory stage.
    pub slot: Option<usize>,
}

/// Whether a directory entry is a plugin to run: `*.wasm`, not hidden (editors and copy
/// tools write temporary files as `.name`).
fn is_plugin_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm") && !path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

/// The plugin files of a directory, by name. A missing directory is empty.
pub fn plugin_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| is_plugin_file(p) && p.is_file()).collect();
    files.sort();
    Ok(files)
}

fn sidecar(path: &Path) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    let sidecar = path.with_extension("toml");
    let text = match std::fs::read_to_string(&sidecar) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
        Err(e) => return Err(format!("cannot read its settings {}: {e}", sidecar.display())),
    };
    toml::from_str(&text).map_err(|e| format!("its settings {} are not valid TOML: {e}", sidecar.display()))
}

fn stem(path: &Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The rule files under `paths` (files as they are, directories searched recursively for
/// `.yml` and `.yaml`), in path order.
pub fn rule_files(paths: &[PathBuf]) -> std::io::Result<Vec<PathBuf>> {
    fn walk(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
        if path.is_dir() {
            for entry in std::fs::read_dir(path)? {
                walk(&entry?.path(), out)?;
            }
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") || !path.exists() {
            out.push(path.to_owned());
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        walk(path, &mut out)?;
    }
    out.sort();
    Ok(out)
}

/// How many earlier texts of a rule file are kept.
const RULE_HISTORY: usize = 3;

/// The texts each rule file had in earlier generations, newest first, so that a rule
/// plugin can keep running a file's previous version when the newest is saved broken (the
/// plugin decides what "broken" is; the host only remembers). Bounded: the last
/// [`RULE_HISTORY`] distinct texts per file, for the files still named.
#[derive(Debug, Default)]
pub struct RuleHistory {
    texts: HashMap<PathBuf, Vec<String>>,
}

impl RuleHistory {
    /// Records `text` as `path`'s newest; returns its earlier texts, newest first.
    fn record(&mut self, path: &Path, text: &str) -> Vec<String> {
        let texts = self.texts.entry(path.to_owned()).or_default();
        if texts.first().is_none_or(|newest| newest != text) {
            texts.insert(0, text.to_owned());
            texts.truncate(RULE_HISTORY + 1);
        }
        texts[1..].to_vec()
    }
}

/// The stage's rules as the `rules` setting: `[{path, text, previous}]`.
fn rules_setting(paths: &[PathBuf], history: &mut RuleHistory) -> Result<serde_json::Value, String> {
    let files = rule_files(paths).map_err(|e| format!("cannot list the rules: {e}"))?;
    let rules: Result<Vec<serde_json::Value>, String> = files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read rule file {}: {e}", path.display()))?;
            let previous = history.record(path, &text);
            Ok(serde_json::json!({"path": path.display().to_string(), "text": text, "previous": previous}))
        })
        .collect();
    Ok(serde_json::Value::Array(rules?))
}

/// The stage's rules, read once for all its plugins: none when it names no rules.
type StageRules = Option<Result<serde_json::Value, String>>;

fn stage_rules(stage: &StageConfig, history: &mut RuleHistory) -> StageRules {
    (!stage.rules.is_empty()).then(|| rules_setting(&stage.rules, history))
}

/// The settings for `init` of one plugin of a stage: the stage's `settings`, the plugin's
/// own over them, plus the rules the stage names.
fn stage_settings(
    stage: &StageConfig,
    own: &serde_json::Map<String, serde_json::Value>,
    rules: &StageRules,
) -> (serde_json::Value, Option<String>) {
    let mut merged = stage.settings.clone();
    merged.extend(own.clone());
    let mut problem = None;
    match rules {
        Some(Ok(rules)) => {
            merged.insert("rules".into(), rules.clone());
        }
        Some(Err(e)) => problem = Some(e.clone()),
        None => {}
    }
    (serde_json::Value::Object(merged), problem)
}

/// Resolves every stage. `previous` lists the files of the running generation: a file of a
/// non-optional directory stage that has gone stays in the list (its load will find it
/// missing and keep the running version). `history` gives the rule files' earlier texts.
pub fn resolve(settings: &Settings, previous: &[PathBuf], history: &mut RuleHistory) -> Vec<PluginSpec> {
    let mut specs = Vec::new();
    for (index, stage) in settings.pipeline.iter().enumerate() {
        let options = StageOptions { health: stage.health, on_reject: stage.on_reject, mode: stage.mode };
        let limits = settings.limits_for(stage);
        let optional = stage.is_optional();
        if let Some(path) = &stage.plugin {
            let (settings, problem) = stage_settings(stage, &serde_json::Map::new(), &stage_rules(stage, history));
            let tables = stage.tables.clone();
            specs.push(PluginSpec {
                name: stage.name.clone(),
                path: path.clone(),
                settings,
                limits,
                own_limits: stage.limits,
                options,
                optional,
                problem,
                tables,
                slot: Some(index),
            });
        } else if let Some(dir) = &stage.directory {
            let template = PluginSpec {
                name: None,
                path: dir.clone(),
                settings: serde_json::Value::Null,
                limits,
                own_limits: stage.limits,
                options,
                optional,
                problem: None,
                tables: stage.tables.clone(),
                slot: None,
            };
            resolve_directory(stage, dir, previous, &template, &mut specs, history);
        }
    }
    specs
}

fn resolve_directory(
    stage: &StageConfig,
    dir: &Path,
    previous: &[PathBuf],
    template: &PluginSpec,
    specs: &mut Vec<PluginSpec>,
    history: &mut RuleHistory,
) {
    let mut files = match plugin_files(dir) {
        Ok(files) => files,
        Err(e) => {
            // Keep what runs from this directory rather than drop it over a listing error.
            let problem = Some(format!("cannot list the plugin directory {}: {e}", dir.display()));
            let running = previous.iter().filter(|p| p.parent() == Some(dir));
            specs.extend(running.map(|path| PluginSpec { path: path.clone(), problem: problem.clone(), ..template.clone() }));
            return;
        }
    };
    if !stage.is_optional() {
        files.extend(previous.iter().filter(|p| p.parent() == Some(dir) && !p.exists()).cloned());
        files.sort();
    }
    let rules = stage_rules(stage, history);
    for path in files {
        let stem = stem(&path);
        let own = stage.plugins.get(&stem).cloned().unwrap_or_default();
        let (mut settings, mut problem) = stage_settings(stage, &own, &rules);
        match sidecar(&path) {
            Ok(sidecar) => {
                if let serde_json::Value::Object(map) = &mut settings {
                    map.extend(sidecar);
                }
            }
            Err(e) => problem = problem.or(Some(e)),
        }
        let name = Some(match &stage.name {
            Some(prefix) => format!("{prefix}/{stem}"),
            None => stem,
        });
        specs.push(PluginSpec { name, path, settings, problem, ..template.clone() });
    }
}
