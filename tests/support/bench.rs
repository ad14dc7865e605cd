//! Benchmark figures for comparing runs: every bench merges its figures into
//! `target/bench/results.json` under stable keys (`<bench>.<what>`), next to what it prints.

use std::hint::black_box;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use logsift::pipeline::Batch;
use logsift::wasm::PluginInstance;

/// `target/bench/results.json` of this build tree.
pub fn results_path() -> PathBuf {
    super::prefix().join("bench/results.json")
}

/// Merges `figures` into the results file, replacing keys already there.
pub fn record(figures: &[(&str, f64)]) {
    let path = results_path();
    let mut all: serde_json::Map<String, serde_json::Value> =
        std::fs::read(&path).ok().and_then(|bytes| serde_json::from_slice(&bytes).ok()).unwrap_or_default();
    for (key, value) in figures {
        // Three significant decimals keep diffs between runs readable.
        let rounded = (value * 1000.0).round() / 1000.0;
        all.insert((*key).to_owned(), serde_json::json!(rounded));
    }
    let text = serde_json::to_string_pretty(&serde_json::Value::Object(all)).expect("figures are JSON");
    std::fs::create_dir_all(path.parent().expect("target/bench"))
        .and_then(|()| std::fs::write(&path, text + "\n"))
        .expect("writing the results");
}

/// How long one pass of a plugin crate natively over `batches` takes: the SDK's batch loop
/// in-process, the code its component runs.
pub fn native_pass<P: logsift_sdk::Plugin>(plugin: &mut P, batches: &[Batch]) -> Duration {
    let t = Instant::now();
    for b in batches {
        black_box(logsift_sdk::process_batch(plugin, b.slice(0..b.len())));
    }
    t.elapsed()
}

/// How long one pass of a plugin's component over `batches` takes: one call per batch.
pub fn component_pass(instance: &mut PluginInstance, batches: &[Batch]) -> Duration {
    let t = Instant::now();
    for b in batches {
        black_box(instance.process(b.slice(0..b.len())).expect("plugin call"));
    }
    t.elapsed()
}

/// The median of timed passes.
pub fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// A peer baseline from `../shared/peers/<name>` (a small Rust program), built as published —
/// outside this workspace, so none of its `[patch]`es apply — into `target/peers`. `None`
/// (skip the comparison) when `../shared` is absent.
pub fn peer(name: &str) -> Option<PathBuf> {
    let manifest = super::shared_data(&format!("peers/{name}/Cargo.toml"))?;
    Some(build_peer(&manifest, name))
}

/// One of logsift's own peer baselines (`tests/peers/<name>`, each its own workspace with
/// its own lock file), built like [`peer`].
pub fn own_peer(name: &str) -> PathBuf {
    build_peer(&super::workspace().join(format!("tests/peers/{name}/Cargo.toml")), name)
}

fn build_peer(manifest: &std::path::Path, name: &str) -> PathBuf {
    let target = super::prefix().join("peers");
    let status = std::process::Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
        .args(["build", "--release", "--locked", "--quiet", "--manifest-path"])
        .arg(manifest)
        .arg("--target-dir")
        .arg(&target)
        .status()
        .unwrap_or_else(|e| panic!("running cargo to build the peer {name}: {e}"));
    assert!(status.success(), "building the peer {name} ({}) failed", manifest.display());
    target.join("release").join(name)
}

/// A process's `/proc/<pid>/status` (`pid` "self" for this one), read once: the figure
/// under `key` (`VmRSS`, `RssAnon`, …) in MiB.
pub fn status_mib(pid: &str) -> impl Fn(&str) -> f64 + use<> {
    let path = format!("/proc/{pid}/status");
    let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    move |key: &str| -> f64 {
        let kib: f64 = status
            .lines()
            .find_map(|line| line.strip_prefix(key)?.strip_prefix(':')?.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no {key} in {path}"));
        kib / 1024.0
    }
}

/// Every line of the JSON files in `data` (the security datasets: real Windows telemetry).
pub fn json_lines_in(data: &std::path::Path) -> Vec<String> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(data).expect("datasets") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            lines.extend(std::fs::read_to_string(&path).expect("dataset").lines().map(str::to_owned));
        }
    }
    lines
}
