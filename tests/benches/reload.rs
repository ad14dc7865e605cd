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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use logsift::pipeline::{Chain, InputRecord};
use logsift_event::Origin;

const BATCH: usize = 256;
const RELOADS: usize = 6;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

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

    // The worker: batches back to back, following generations, each batch timed.
    let reloading = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let worker = {
        let (pipeline, reloading, stop) = (Arc::clone(&pipeline), Arc::clone(&reloading), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut current = pipeline.current();
            let mut chain = Chain::new(current.stages.iter().cloned());
            let (mut steady, mut during) = (Vec::new(), Vec::new());
            let mut switches = 0;
            for batch in inputs.iter().cycle() {
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let t = Instant::now();
                if pipeline.current_id() != current.id {
                    current = pipeline.current();
                    chain.update(&current.stages);
                    switches += 1;
                }
                std::hint::black_box(chain.process(batch));
                let took = t.elapsed();
                if reloading.load(Ordering::Relaxed) { during.push(took) } else { steady.push(took) }
            }
            (steady, during, switches)
        })
    };

    std::thread::sleep(Duration::from_secs(2));
    let (mut cold, mut cached) = (Vec::new(), Vec::new());
    let mut unchanged = Vec::new();
    for n in 0..RELOADS {
        reloading.store(true, Ordering::Relaxed);
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
        reloading.store(false, Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(700));
    }
    stop.store(true, Ordering::Relaxed);
    let (mut steady, mut during, switches) = worker.join().expect("worker");
    for v in [&mut cold, &mut cached, &mut unchanged, &mut steady, &mut during] {
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
    println!("worker batches of {BATCH} lines ({switches} generation switches)");
    println!(
        "  steady state    p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} batches)",
        ms(percentile(&steady, 0.5)),
        ms(percentile(&steady, 0.99)),
        ms(*steady.last().expect("batches")),
        steady.len()
    );
    println!(
        "  during reloads  p50 {:>6.2} ms  p99 {:>6.2} ms  max {:>6.2} ms  ({} batches)  p99 ratio {:.2}",
        ms(percentile(&during, 0.5)),
        ms(percentile(&during, 0.99)),
        ms(*during.last().expect("batches")),
        during.len(),
        percentile(&during, 0.99).as_secs_f64() / percentile(&steady, 0.99).as_secs_f64()
    );
    support::bench::record(&[
        ("reload.first_generation_ms", ms(first_load)),
        ("reload.cold_compile_ms", ms(percentile(&cold, 0.5))),
        ("reload.new_settings_ms", ms(percentile(&cached, 0.5))),
        ("reload.unchanged_ms", ms(percentile(&unchanged, 0.5))),
        ("reload.batch_p99_during_per_steady", percentile(&during, 0.99).as_secs_f64() / percentile(&steady, 0.99).as_secs_f64()),
    ]);
}
