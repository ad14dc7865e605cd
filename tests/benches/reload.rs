//! `make bench`, hot reload: how long a reload of a typical plugin (the syslog parser) takes
//! cold (compile instrumented, init, snapshot, compile the snapshot, self-check), with the
//! instrumented build cached (new settings: init, snapshot, compile the snapshot,
//! self-check), and when nothing changed; and how long worker batches take while
//! reloads happen under load, against the same worker's steady state.
//!
//! The worker runs batches of 256 real sshd lines (`OpenSSH_2k.log`) through syslog and the
//! root-login detector, following generations between batches as service workers do. The
//! reload thread alternates loads of new bytes (a byte-different copy of the plugin, so the
//! component cache misses; its functions are the same, so the engine's cache of compiled
//! functions hits, as it does for a new version of a plugin whose code barely changed) and
//! cached ones (new settings). The first generation is the truly cold case.

#[path = "../support/mod.rs"]
mod support;

use support::under_reload::{Worker, percentile};

use std::sync::Arc;
use std::time::{Duration, Instant};

use logsift::pipeline::InputRecord;
use logsift_event::Origin;

const BATCH: usize = 256;
const RELOADS: usize = 6;

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// A copy of a component with one more custom section: the same plugin, other bytes.
fn variant(bytes: &[u8], n: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let name = b"logsift-bench";
    let payload = format!("{n}");
    let size = 1 + name.len() + payload.len();
    out.push(0); // custom section id
    out.push(size as u8);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(payload.as_bytes());
    out
}

fn main() {
    let Some(lines) = support::shared_lines("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let syslog = std::fs::read(support::plugin("syslog")).expect("syslog plugin");
    let plugin = dir.path().join("syslog.wasm");
    let sidecar_free_config = format!(
        "batch_size = {BATCH}\n[reload]\nwatch = false\n[[pipeline]]\nplugin = \"syslog.wasm\"\n[pipeline.settings]\nyear = 2024\n[[pipeline]]\nplugin = {:?}\n",
        support::plugin("ssh-root-login").display().to_string()
    );
    let config = dir.path().join("logsift.toml");
    std::fs::write(&plugin, &syslog).expect("plugin");
    std::fs::write(&config, &sidecar_free_config).expect("config");

    let settings = logsift::Settings::load(&config).expect("settings");
    let started = Instant::now();
    let mut reloader = logsift::Runtime::start(settings, None).expect("first generation");
    let first_load = started.elapsed();
    let pipeline = Arc::clone(reloader.pipeline());

    let inputs: Vec<Vec<InputRecord>> = lines
        .chunks(BATCH)
        .map(|c| {
            c.iter()
                .enumerate()
                .map(|(i, l)| InputRecord {
                    cut_from: None,
                    raw: l.as_bytes().to_vec(),
                    origin: Origin::File { path: "OpenSSH_2k.log".into(), line: i as u64 + 1 },
                })
                .collect()
        })
        .collect();

    let worker = Worker::start(Arc::clone(&pipeline), inputs);

    std::thread::sleep(Duration::from_secs(2));
    let (mut cold, mut cached) = (Vec::new(), Vec::new());
    let mut unchanged = Vec::new();
    for n in 0..RELOADS {
        worker.reloading(true);
        std::fs::write(&plugin, variant(&syslog, n)).expect("new plugin bytes");
        let t = Instant::now();
        reloader.reload("bench");
        cold.push(t.elapsed());
        std::fs::write(&config, sidecar_free_config.replace("year = 2024", &format!("year = {}", 2000 + n))).expect("new settings");
        let t = Instant::now();
        reloader.reload("bench");
        cached.push(t.elapsed());
        let t = Instant::now();
        reloader.reload("bench");
        unchanged.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        worker.reloading(false);
        std::thread::sleep(Duration::from_millis(700));
    }
    let timings = worker.finish();
    for v in [&mut cold, &mut cached, &mut unchanged] {
        v.sort_unstable();
    }

    println!("hot reload of the syslog parser ({} KiB component), wasmtime single-threaded compilation, 2-core VM", syslog.len() / 1024);
    println!("  first generation (syslog + detector, cold)  {:>8.1} ms", ms(first_load));
    println!(
        "  reload, new plugin bytes (same functions)   {:>8.1} ms median, {:.1} ms max",
        ms(percentile(&cold, 0.5)),
        ms(*cold.last().expect("runs"))
    );
    println!(
        "  reload, new settings (init, snapshot, compile) {:>5.1} ms median, {:.1} ms max",
        ms(percentile(&cached, 0.5)),
        ms(*cached.last().expect("runs"))
    );
    println!("  reload, nothing changed                     {:>8.2} ms median", ms(percentile(&unchanged, 0.5)));
    println!("worker batches of {BATCH} lines");
    timings.print();
    support::bench::record(&[
        ("reload.first_generation_ms", ms(first_load)),
        ("reload.cold_compile_ms", ms(percentile(&cold, 0.5))),
        ("reload.new_settings_ms", ms(percentile(&cached, 0.5))),
        ("reload.unchanged_ms", ms(percentile(&unchanged, 0.5))),
        ("reload.switch_batch_max_ms", ms(timings.longest_switch())),
        ("reload.batch_p99_during_per_steady", timings.p99_during_per_steady()),
    ]);
}
