//! Helpers shared by the integration tests: where the built plugins are, how to load a
//! chain in-process, and how to read what came out.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::sync::Arc;

use logsift::pipeline::{Chain, ChainOutput, InputRecord, Payload, StageOptions};
use logsift::wasm::{EpochTicker, Limits, LoadedPlugin, new_engine};
use logsift_event::Origin;

pub mod kafka;

pub use logsift_sdk::testing::shared_data;

/// The directory holding the plugins the host's build script built.
pub fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("SHIPPED_PLUGINS_DIR"))
}

/// One built plugin, e.g. `plugin("syslog")`.
pub fn plugin(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is in the workspace").to_path_buf()
}

/// An engine with its ticker, kept alive together.
pub struct Sandbox {
    pub engine: wasmtime::Engine,
    _ticker: EpochTicker,
}

impl Sandbox {
    pub fn new() -> Self {
        let engine = new_engine().expect("engine");
        let ticker = EpochTicker::start(&engine).expect("ticker");
        Sandbox { engine, _ticker: ticker }
    }

    /// Loads a built plugin with JSON settings and limits.
    pub fn load(&self, name: &str, settings: serde_json::Value, limits: Limits) -> Arc<LoadedPlugin> {
        LoadedPlugin::load(&self.engine, None, &plugin(name), &settings, limits).unwrap_or_else(|e| panic!("loading {name}: {e}"))
    }

    /// A chain of one plugin.
    pub fn chain(&self, name: &str, settings: serde_json::Value, limits: Limits, options: StageOptions) -> Chain {
        Chain::new([(self.load(name, settings, limits), options)])
    }
}

/// Input records from lines, with file origins `name` line 1, 2, ….
pub fn records(name: &str, lines: &[String]) -> Vec<InputRecord> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| InputRecord {
            raw: line.clone().into_bytes(),
            origin: Origin::File { path: name.to_owned().into(), line: i as u64 + 1 },
        })
        .collect()
}

/// The dead letters of an output: (input index, plugin, reason).
pub fn dead_letters(out: &ChainOutput) -> Vec<(u32, String, String)> {
    out.routed
        .iter()
        .filter_map(|r| match &r.payload {
            Payload::DeadLetter(d) => Some((r.source, d.plugin.to_string(), d.reason.clone())),
            _ => None,
        })
        .collect()
}

/// The rule ids of the alerts of an output.
pub fn alerts(out: &ChainOutput) -> Vec<String> {
    out.routed
        .iter()
        .filter_map(|r| match &r.payload {
            Payload::Alert(a) => Some(a.rule_id.clone()),
            _ => None,
        })
        .collect()
}

/// The input indexes that came out as events, in order.
pub fn event_sources(out: &ChainOutput) -> Vec<u32> {
    out.events.iter().map(|(source, _)| source).collect()
}

/// Reads a shared data file's lines, or `None` (skip) when `../shared` is absent. Real logs
/// hold stray bytes that are not UTF-8: they become U+FFFD, the same for every case compared.
pub fn shared_lines(relative: &str) -> Option<Vec<String>> {
    let path = shared_data(relative)?;
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    Some(String::from_utf8_lossy(&bytes).lines().map(str::to_owned).collect())
}
