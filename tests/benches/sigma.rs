//! `make bench`, Sigma: what the whole SigmaHQ corpus (`../shared/sigma/rules*`, ~3,750
//! rules) costs inside the sandbox — loading it into one plugin instance (the cost every
//! worker, and every rebuild after a trap, pays), the instance's memory, and events/s
//! through JSON parsing plus all rules on real Windows telemetry
//! (`../shared/data/security-datasets/*.json`, cycled).

#[path = "../support/mod.rs"]
mod support;

use std::time::{Duration, Instant};

use logsift::pipeline::{Chain, InputRecord, StageOptions};
use logsift::reload::spec::rule_files;
use logsift::wasm::{EpochTicker, Limits, LoadedPlugin, new_engine};
use logsift_event::Origin;

const RECORDS: usize = 20_000;

fn main() {
    let Some(root) = support::shared_data("sigma") else {
        eprintln!("bench skipped: ../shared/sigma is needed");
        return;
    };
    let Some(data) = support::shared_data("data/security-datasets") else { return };
    let dirs: Vec<_> = ["rules", "rules-emerging-threats", "rules-threat-hunting"].iter().map(|d| root.join(d)).collect();
    let files = rule_files(&dirs).expect("rule files");
    let rules: Vec<serde_json::Value> = files
        .iter()
        .map(|p| serde_json::json!({"path": p.display().to_string(), "text": std::fs::read_to_string(p).expect("rule")}))
        .collect();
    let settings = serde_json::json!({ "rules": rules });
    let bytes: usize = settings.to_string().len();

    let engine = new_engine().expect("engine");
    let _ticker = EpochTicker::start(&engine).expect("ticker");
    let limits = Limits { memory_mb: 1024, timeout_ms: 60_000, ..Limits::default() };
    let started = Instant::now();
    let sigma = LoadedPlugin::load(&engine, None, &support::plugin("sigma"), &settings, limits).expect("sigma loads the corpus");
    let first = started.elapsed();
    let mut inits = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        drop(sigma.instantiate().expect("instance"));
        inits.push(t.elapsed());
    }
    inits.sort();
    // The smallest memory cap the corpus loads under, in 16 MiB steps.
    let mut cap = 16;
    while LoadedPlugin::load(&engine, None, &support::plugin("sigma"), &settings, Limits { memory_mb: cap, ..limits }).is_err() {
        cap += 16;
        assert!(cap <= 1024, "the corpus does not load in 1 GiB");
    }

    let json = LoadedPlugin::load(&engine, None, &support::plugin("json"), &serde_json::json!({}), Limits::default()).expect("json");
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(&data).expect("datasets") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            lines.extend(std::fs::read_to_string(&path).expect("dataset").lines().map(str::to_owned));
        }
    }
    let inputs: Vec<InputRecord> = (0..RECORDS)
        .map(|i| InputRecord {
            raw: lines[i % lines.len()].clone().into_bytes(),
            origin: Origin::File { path: "datasets".into(), line: i as u64 + 1 },
        })
        .collect();
    let mut chain = Chain::new([(json, StageOptions::default()), (sigma, StageOptions::default())]);
    let t = Instant::now();
    let mut alerts = 0;
    for batch in inputs.chunks(256) {
        alerts += chain.process(batch).routed.len();
    }
    let run = t.elapsed();

    println!("Sigma: {} rule files ({} KiB handed over as settings), wasm component, release build", files.len(), bytes / 1024);
    println!("  compile + first instance (parse and compile every rule)  {:>8.0} ms", ms(first));
    println!("  another instance (a worker, or a rebuild after a trap)   {:>8.0} ms median of 3", ms(inits[1]));
    println!("  smallest memory cap it loads under                       {:>8} MiB", cap);
    println!(
        "  json parser + all rules (no logsource routing) on Windows telemetry: {:.0} events/s ({} events, {} routed records)",
        RECORDS as f64 / run.as_secs_f64(),
        RECORDS,
        alerts
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
