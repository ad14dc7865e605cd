//! Helpers shared by the integration tests: where the built plugins are, how to load a
//! chain in-process, and how to read what came out.

#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::sync::Arc;

use logsift::Runtime;
use logsift::pipeline::{Chain, ChainOutput, InputRecord, Payload, StageOptions};
use logsift::wasm::{Limits, LoadedPlugin};
use logsift_event::Origin;

pub mod bench;
pub mod callgrind;
pub mod kafka;
pub mod mock_service;
pub mod service;
pub mod thor;
pub mod under_reload;

pub use logsift_sdk::testing::shared_data;

/// The build tree's prefix: `target/`, laid out like an installed logsift.
fn prefix() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_logsift")).parent().and_then(Path::parent).expect("target/<profile>/logsift").to_owned()
}

/// The shipped plugins, where `make plugins` puts them: `target/lib/logsift/plugins`, the
/// folder the binary finds by itself.
pub fn plugin_dir() -> PathBuf {
    let dir = prefix().join("lib/logsift/plugins");
    assert!(dir.join("passthrough.wasm").is_file(), "no plugins in {}: run `make plugins` (or `make test`) first", dir.display());
    dir
}

/// The plugins only tests load (`faulty`, `sandbox-probe`): `target/test-plugins`.
pub fn test_plugin_dir() -> PathBuf {
    let dir = prefix().join("test-plugins");
    assert!(dir.join("faulty.wasm").is_file(), "no test plugins in {}: run `make plugins` (or `make test`) first", dir.display());
    dir
}

/// Loads a configuration file as the binary would, its bare plugin names resolved against
/// [`plugin_dir`] (an in-process test runs from `target/<profile>/deps`, not beside the
/// plugins).
pub fn load_settings(path: &Path) -> logsift::Settings {
    let overrides = logsift::config::Overrides { plugin_dir: Some(plugin_dir()) };
    logsift::Settings::load_with(path, overrides, std::env::vars()).unwrap_or_else(|e| panic!("loading {}: {e}", path.display()))
}

/// One built plugin, shipped or test-only, e.g. `plugin("syslog")`, `plugin("faulty")`.
pub fn plugin(name: &str) -> PathBuf {
    let shipped = plugin_dir().join(format!("{name}.wasm"));
    if shipped.is_file() { shipped } else { test_plugin_dir().join(format!("{name}.wasm")) }
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("host/ is in the workspace").to_path_buf()
}

/// A runtime with no configured chain, to load plugins one by one.
pub struct Sandbox {
    pub runtime: Runtime,
}

impl Sandbox {
    pub fn new() -> Self {
        Sandbox { runtime: Runtime::empty().expect("runtime") }
    }

    /// Loads a built plugin with JSON settings and limits.
    pub fn load(&self, name: &str, settings: serde_json::Value, limits: Limits) -> Arc<LoadedPlugin> {
        self.runtime.load_plugin(&plugin(name), &settings, limits).unwrap_or_else(|e| panic!("loading {name}: {e}"))
    }

    /// Loads the plugin at `path`.
    pub fn load_path(
        &self,
        path: &Path,
        settings: serde_json::Value,
        limits: Limits,
    ) -> Result<Arc<LoadedPlugin>, logsift::wasm::LoadError> {
        self.runtime.load_plugin(path, &settings, limits)
    }

    /// A chain of one plugin.
    pub fn chain(&self, name: &str, settings: serde_json::Value, limits: Limits, options: StageOptions) -> Chain {
        Chain::new([(self.load(name, settings, limits), options)])
    }
}

/// 2,000 sshd lines made here (so tests need no `../shared`), shaped like loghub's
/// OpenSSH_2k: 370 failed password logins for root (the `ssh-root-login` alerts), failures
/// for invalid users, invalid users, and successes, from a rotating set of sources.
pub fn sshd_lines() -> Vec<String> {
    (0..2000usize)
        .map(|i| {
            let (ip, port, pid) = (format!("203.0.113.{}", i % 250), 40000 + i, 24000 + i);
            let at = format!("Dec 10 {:02}:{:02}:{:02}", 6 + i / 3600, (i / 60) % 60, i % 60);
            // 37 of every 200 residues, each met ten times: exactly 370 root failures.
            match (i * 37 % 200, i % 3) {
                (0..37, _) => format!("{at} LabSZ sshd[{pid}]: Failed password for root from {ip} port {port} ssh2"),
                (_, 0) => format!("{at} LabSZ sshd[{pid}]: Failed password for invalid user admin from {ip} port {port} ssh2"),
                (_, 1) => format!("{at} LabSZ sshd[{pid}]: Invalid user test from {ip}"),
                _ => format!("{at} LabSZ sshd[{pid}]: Accepted password for alice from {ip} port {port} ssh2"),
            }
        })
        .collect()
}

/// Input records from lines, with file origins `name` line 1, 2, ….
pub fn records(name: &str, lines: &[String]) -> Vec<InputRecord> {
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| InputRecord {
            cut_from: None,
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
