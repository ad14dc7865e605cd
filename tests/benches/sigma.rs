//! `make bench`, Sigma: what SigmaHQ's rules (`../shared/sigma/rules*`) cost inside the
//! sandbox, and how fast they run against a native Sigma engine.
//!
//! - Loading the whole corpus (~3,750 rules): the first load, as start-up does it (every core
//!   compiles) and on one thread (as a reload does while workers run); then what a further
//!   instance costs — every worker, and every rebuild after a trap — and the smallest memory
//!   cap it loads under.
//! - Events/s through the `json` parser plus 1, 100 and all rules of the Windows and Linux
//!   folders, on real Windows telemetry (`../shared/data/security-datasets/*.json`,
//!   cycled), against the same rules in rsigma natively: `../shared/peers/rsigma-bench`, the
//!   stock crates from crates.io built outside this workspace (logsift carries a patch of
//!   `rsigma-eval`), as a user would run it: JSON parsed, every rule evaluated, each alert
//!   written as a JSON line (to /dev/null here). Without logsource routing on either side,
//!   then, for all of Windows + Linux and the whole snapshot, with the same routing on both
//!   (SigmaHQ's THOR mapping; the native side is `tests/peers/rsigma-routed`, rsigma as
//!   published, routing the way the plugin does). Each side runs over the events [`RUNS`]
//!   times, each from a fresh start (a new process natively, new instances in the chain),
//!   the two sides taking turns; the rates are each side's median and the ratio the median
//!   of the ratios of each turn's pair, so that a slow spell on a busy machine slows both
//!   sides of a pair rather than making the ratio.
//! - Beside each row, the floor: the same two crates (`json`, `sigma`) natively through the
//!   SDK's batch loop, each over what it sees in the chain, their times added (merging the
//!   parser's fields into the events left out) — what the chain would reach if the sandbox
//!   cost nothing. It takes its turn with the other two sides, and its ratio to rsigma is
//!   the median of the turns' ratios, as the chain's is.
//! - The whole corpus reloaded under load, and the memory each further worker adds.

#[path = "../support/mod.rs"]
mod support;

use support::under_reload::{Worker, percentile};

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use logsift::Runtime;
use logsift::pipeline::{Batch, Chain, InputRecord, Stage, StageOptions};
use logsift::reload::spec::rule_files;
use logsift::tables::Grants;
use logsift::wasm::{Limits, LoadedPlugin, Sandbox};
use logsift_event::Origin;
use logsift_sdk::testing;

const RECORDS: usize = 20_000;
/// Runs over the events per rate, on each side.
const RUNS: usize = 5;

/// The median of some rates (or ratios).
fn median_rate(mut rates: Vec<f64>) -> f64 {
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}

fn settings(files: &[PathBuf]) -> serde_json::Value {
    let rules: Vec<serde_json::Value> = files
        .iter()
        .map(|p| serde_json::json!({"path": p.display().to_string(), "text": std::fs::read_to_string(p).expect("rule")}))
        .collect();
    serde_json::json!({ "rules": rules })
}

fn main() {
    let Some(root) = support::shared_data("sigma") else {
        eprintln!("bench skipped: ../shared/sigma is needed");
        return;
    };
    let Some(data) = support::shared_data("data/security-datasets") else { return };
    let Some(peer) = support::bench::peer("rsigma-bench") else { return };
    let runtime = Runtime::empty().expect("runtime");
    let limits = Limits { memory_mb: 1024, timeout_ms: 60_000, ..Limits::default() };

    let lines = support::bench::json_lines_in(&data);
    let inputs: Vec<InputRecord> = (0..RECORDS)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].clone().into_bytes(),
            origin: Origin::File { path: "datasets".into(), line: i as u64 + 1 },
        })
        .collect();

    let corpus = rule_files(&["rules", "rules-emerging-threats", "rules-threat-hunting"].map(|d| root.join(d))).expect("rule files");
    let all = settings(&corpus);
    // Compiling the component (once per process and file, whatever the rules) apart from
    // loading the rules into it: `init` in the sandbox, the snapshot, and compiling the
    // snapshot (whose unchanged functions come from the compiled-function cache).
    let path = support::plugin("sigma");
    let bytes = std::fs::read(&path).expect("sigma.wasm");
    let (compile, first, sigma) = compile_and_load(&runtime, &path, &bytes, &all, limits, false);
    // The same at start-up, in a new runtime (its compiled-function cache empty): before any
    // worker runs, `run` and `serve` compile on every core.
    let (start_up_compile, start_up_first, _) = compile_and_load(&Runtime::empty().expect("runtime"), &path, &bytes, &all, limits, true);
    // The same in a later run with the compile cache: the component read from disk, and the
    // corpus's snapshot compiled from the functions stored with it.
    let cache = tempfile::tempdir().expect("tempdir");
    let cached_runtime = || {
        let mut settings = logsift::Settings::empty();
        settings.compile_cache = Some(cache.path().join("compiled"));
        Runtime::start(settings, None).expect("runtime")
    };
    compile_and_load(&cached_runtime(), &path, &bytes, &all, limits, true);
    let (cached_compile, cached_first, _) = compile_and_load(&cached_runtime(), &path, &bytes, &all, limits, true);
    let mut inits = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        drop(sigma.instantiate().expect("instance"));
        inits.push(t.elapsed());
    }
    inits.sort();
    let per_worker = worker_footprint(&runtime, &sigma, &inputs[..256]);
    drop(sigma);
    // The smallest memory cap the corpus loads under, in 8 MiB steps.
    let mut cap = 64;
    while runtime.load_plugin(&support::plugin("sigma"), &all, Limits { memory_mb: cap, ..limits }).is_err() {
        cap += 8;
        assert!(cap <= 1024, "the corpus does not load in 1 GiB");
    }
    println!(
        "Sigma: {} rule files ({} KiB handed over as settings), wasm component, release build",
        corpus.len(),
        all.to_string().len() / 1024
    );
    println!("  compiling the component (once per process), one thread   {:>8.0} ms", ms(compile));
    println!("  the same at start-up (every core compiles)               {:>8.0} ms", ms(start_up_compile));
    println!("  loading the rules (init, snapshot, snapshot compiled),");
    println!("    first load at start-up (every core compiles)           {:>8.0} ms", ms(start_up_first));
    println!("    on one thread, as a reload while workers run           {:>8.0} ms", ms(first));
    println!(
        "  with the compile cache, a later run at start-up: reading the component {:.0} ms, first load {:.0} ms",
        ms(cached_compile),
        ms(cached_first)
    );
    println!("  another instance (a worker, or a rebuild after a trap)   {:>8.0} ms median of 3", ms(inits[1]));
    println!(
        "  resident memory each further worker adds (json + sigma)  {:>8.1} MiB after a batch, {:.1} MiB of it its own",
        per_worker.0, per_worker.1
    );
    println!("  smallest memory cap it loads under                       {:>8} MiB", cap);
    support::bench::record(&[
        ("sigma.component_compile_ms", ms(compile)),
        ("sigma.corpus_load_ms", ms(first)),
        ("sigma.component_compile_start_up_ms", ms(start_up_compile)),
        ("sigma.corpus_load_start_up_ms", ms(start_up_first)),
        ("sigma.component_compile_cached_ms", ms(cached_compile)),
        ("sigma.corpus_load_cached_ms", ms(cached_first)),
        ("sigma.corpus_instance_ms", ms(inits[1])),
        ("sigma.corpus_instance_per_load", ms(inits[1]) / ms(first)),
        ("sigma.corpus_min_memory_mib", f64::from(cap)),
        ("sigma.corpus_worker_rss_mib", per_worker.0),
        ("sigma.corpus_worker_private_mib", per_worker.1),
    ]);
    reload_under_load(&root, &inputs);

    let windows_linux = rule_files(&["rules/windows", "rules/linux"].map(|d| root.join(d))).expect("rule files");
    let comsvcs: Vec<PathBuf> =
        windows_linux.iter().filter(|p| p.ends_with("proc_creation_win_rundll32_process_dump_via_comsvcs.yml")).cloned().collect();
    let hundred: Vec<PathBuf> =
        windows_linux.iter().filter(|p| p.to_string_lossy().contains("process_creation")).take(100).cloned().collect();
    // Routed rows: both sides route events to logsources by SigmaHQ's THOR mapping (the
    // plugin's `logsources` setting; the native side, rsigma as published, routes the same
    // way in `tests/peers/rsigma-routed`).
    let routes = support::thor::routes(&root);
    let routes_file = tempfile::NamedTempFile::new().expect("routes file");
    std::fs::write(routes_file.path(), routes.to_string()).expect("writing the routes");
    let routed_peer = support::bench::own_peer("rsigma-routed");
    let routed = |files: &[PathBuf]| {
        let mut settings = settings(files);
        settings["logsources"] = routes.clone();
        settings
    };
    println!("  events/s, json parser + rules, {RECORDS} events of Windows telemetry:");
    println!("  {:<34} {:>12} {:>12} {:>7} {:>8} {:>12} {:>7}", "rules", "logsift wasm", "rsigma", "ratio", "alerts", "floor", "ratio");
    for (key, name, files, route) in [
        ("one_rule", "1 (comsvcs dump)", comsvcs, false),
        ("hundred_rules", "100 (process_creation)", hundred, false),
        ("windows_linux", "all Windows + Linux", windows_linux.clone(), false),
        ("whole_corpus", "the whole snapshot", corpus.clone(), false),
        ("windows_linux_routed", "all Windows + Linux, routed", windows_linux, true),
        ("whole_corpus_routed", "the whole snapshot, routed", corpus.clone(), true),
    ] {
        let row_settings = if route { routed(&files) } else { settings(&files) };
        let wasm_chain = WasmChain::load(&runtime, &row_settings);
        let mut floor_chain = Floor::new(&wasm_chain, &row_settings, &inputs);
        let native_peer = if route {
            NativePeer::new(&routed_peer, &[routes_file.path()], &files, &inputs)
        } else {
            NativePeer::new(&peer, &[], &files, &inputs)
        };
        let (mut wasm, mut native, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
        let (mut floors, mut floor_ratios) = (Vec::new(), Vec::new());
        let mut alerts = None;
        for _ in 0..RUNS {
            let (wasm_rate, wasm_alerts) = wasm_chain.run(&inputs);
            let (native_rate, native_alerts) = native_peer.run(inputs.len());
            assert_eq!(wasm_alerts, native_alerts, "{name}: the plugin and rsigma raise the same alerts");
            assert!(alerts.is_none_or(|a| a == wasm_alerts), "{name}: every run raises the same alerts");
            alerts = Some(wasm_alerts);
            wasm.push(wasm_rate);
            native.push(native_rate);
            ratios.push(wasm_rate / native_rate);
            let floor_rate = floor_chain.run();
            floors.push(floor_rate);
            floor_ratios.push(floor_rate / native_rate);
        }
        let (wasm, native, ratio) = (median_rate(wasm), median_rate(native), median_rate(ratios));
        let (floor, floor_ratio) = (median_rate(floors), median_rate(floor_ratios));
        let alerts = alerts.unwrap_or_default();
        println!(
            "  {:<34} {:>12.0} {:>12.0} {:>7.2} {:>8} {:>12.0} {:>7.2}",
            format!("{name}: {}", files.len()),
            wasm,
            native,
            ratio,
            alerts,
            floor,
            floor_ratio
        );
        support::bench::record(&[
            (&format!("sigma.{key}.wasm_events_per_s"), wasm),
            (&format!("sigma.{key}.native_events_per_s"), native),
            (&format!("sigma.{key}.wasm_per_native"), ratio),
            (&format!("sigma.{key}.floor_events_per_s"), floor),
            (&format!("sigma.{key}.floor_per_native"), floor_ratio),
        ]);
    }
}

/// Resident memory a further worker's chain (json + the loaded corpus) adds once it has
/// processed a batch, MiB, averaged over four such chains: in all (RSS counts a page of the
/// shared snapshot again in every instance that maps it), and what is the worker's own
/// (anonymous: the pages its instances wrote, its buffers).
fn worker_footprint(runtime: &Runtime, sigma: &Arc<LoadedPlugin>, batch: &[InputRecord]) -> (f64, f64) {
    let json = runtime.load_plugin(&support::plugin("json"), &serde_json::json!({}), Limits::default()).expect("json");
    let before = resident_mib();
    let chains: Vec<Chain> = (0..4)
        .map(|_| {
            let mut chain = Chain::new([(Arc::clone(&json), StageOptions::default()), (Arc::clone(sigma), StageOptions::default())]);
            std::hint::black_box(chain.process(batch));
            chain
        })
        .collect();
    let after = resident_mib();
    let n = chains.len() as f64;
    drop(chains);
    ((after.0 - before.0) / n, (after.1 - before.1) / n)
}

/// This process's resident memory in all and its anonymous part, MiB.
fn resident_mib() -> (f64, f64) {
    let mib = support::bench::status_mib("self");
    (mib("VmRSS"), mib("RssAnon"))
}

/// A worker runs json + the whole corpus back to back while the corpus is reloaded three
/// times beside it (new settings: `init`, snapshot and compile again, as when a rule
/// changes): its batch times during the reloads against its steady state, and the batches
/// that moved to the new generation.
fn reload_under_load(root: &Path, inputs: &[InputRecord]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("logsift.toml");
    let rules: Vec<String> =
        ["rules", "rules-emerging-threats", "rules-threat-hunting"].iter().map(|d| root.join(d).display().to_string()).collect();
    let text = |n: u64| {
        format!(
            "batch_size = 256\n[reload]\nwatch = false\n[[pipeline]]\nplugin = {:?}\n[[pipeline]]\nplugin = {:?}\nrules = {rules:?}\n[pipeline.settings]\ncost_sample_every = {}\n",
            support::plugin("json").display().to_string(),
            support::plugin("sigma").display().to_string(),
            100_000 + n
        )
    };
    std::fs::write(&config, text(0)).expect("config");
    let mut reloader = Runtime::start(logsift::Settings::load(&config).expect("settings"), None).expect("the corpus loads");
    let batches: Vec<Vec<InputRecord>> = inputs[..inputs.len().min(4096)].chunks(256).map(<[InputRecord]>::to_vec).collect();
    let worker = Worker::start(Arc::clone(reloader.pipeline()), batches);
    std::thread::sleep(Duration::from_secs(3));
    let mut reloads = Vec::new();
    for n in 1..=3 {
        worker.reloading(true);
        std::fs::write(&config, text(n)).expect("new settings");
        let t = Instant::now();
        let generation = reloader.reload("bench");
        reloads.push(t.elapsed());
        assert_eq!(generation, Some(n + 1), "the corpus reloaded");
        std::thread::sleep(Duration::from_secs(1));
        worker.reloading(false);
        std::thread::sleep(Duration::from_secs(2));
    }
    let timings = worker.finish();
    let reload = support::bench::median(reloads);
    println!("  reloading the whole corpus under load (new settings), worker batches of 256 events:");
    println!("  reload (init, snapshot, compile, self-check)             {:>8.0} ms median of 3", ms(reload));
    timings.print();
    support::bench::record(&[
        ("sigma.corpus_reload_ms", ms(reload)),
        ("sigma.corpus_reload_batch_p99_during_per_steady", timings.p99_during_per_steady()),
        ("sigma.corpus_reload_longest_batch_ms", ms(*timings.during.last().expect("batches"))),
        ("sigma.corpus_reload_switch_batch_max_ms", ms(timings.longest_switch())),
        ("sigma.corpus_steady_batch_p99_ms", ms(percentile(&timings.steady, 0.99))),
    ]);
}

/// Compiles the component and loads `settings` into it — on the calling thread, or as
/// start-up does (every core compiles) — returning how long each took and the plugin.
fn compile_and_load(
    runtime: &Runtime,
    path: &Path,
    bytes: &[u8],
    settings: &serde_json::Value,
    limits: Limits,
    at_start_up: bool,
) -> (Duration, Duration, Arc<LoadedPlugin>) {
    let sandbox = runtime.sandbox();
    let (compiled, compile) = timed(sandbox, at_start_up, || logsift::wasm::compile(sandbox, path, bytes).expect("sigma compiles"));
    let (loaded, load) = timed(sandbox, at_start_up, || {
        LoadedPlugin::from_component(sandbox, None, path, &compiled, settings, limits, Grants::default()).expect("sigma loads the corpus")
    });
    (compile, load, loaded)
}

/// `f`'s result and how long it took, run as start-up runs when `at_start_up`.
fn timed<R>(sandbox: &Sandbox, at_start_up: bool, f: impl FnOnce() -> R) -> (R, Duration) {
    let started = Instant::now();
    let out = if at_start_up { sandbox.at_start_up(f) } else { f() };
    (out, started.elapsed())
}

/// json + sigma in the sandbox, loaded once.
struct WasmChain {
    json: Arc<LoadedPlugin>,
    sigma: Arc<LoadedPlugin>,
}

impl WasmChain {
    fn load(runtime: &Runtime, settings: &serde_json::Value) -> Self {
        let limits = Limits { memory_mb: 1024, timeout_ms: 60_000, ..Limits::default() };
        let sigma = runtime.load_plugin(&support::plugin("sigma"), settings, limits).expect("sigma");
        let json = runtime.load_plugin(&support::plugin("json"), &serde_json::json!({}), Limits::default()).expect("json");
        WasmChain { json, sigma }
    }

    /// Events/s and alerts of one run over `inputs`, on new instances.
    fn run(&self, inputs: &[InputRecord]) -> (f64, usize) {
        let mut chain = Chain::new([(Arc::clone(&self.json), StageOptions::default()), (Arc::clone(&self.sigma), StageOptions::default())]);
        let t = Instant::now();
        let mut alerts = 0;
        for batch in inputs.chunks(256) {
            alerts += chain.process(batch).routed.len();
        }
        (inputs.len() as f64 / t.elapsed().as_secs_f64(), alerts)
    }
}

/// The floor (see the module doc): the json and sigma crates natively, each over what it
/// sees in the chain.
struct Floor {
    raw: Vec<Batch>,
    parsed: Vec<Batch>,
    json: logsift_json::JsonLines,
    sigma: logsift_sigma::Sigma,
}

impl Floor {
    /// The crates loaded with `settings`, and the events the chain's json stage makes of
    /// `inputs`, for sigma to run over.
    fn new(chain: &WasmChain, settings: &serde_json::Value, inputs: &[InputRecord]) -> Self {
        let raw: Vec<Batch> = inputs.chunks(256).map(Batch::from_inputs).collect();
        let mut json_stage = Stage::new(Arc::clone(&chain.json), StageOptions::default());
        let parsed = raw.iter().map(|b| json_stage.run(b.clone(), &mut Vec::new())).collect();
        Floor {
            raw,
            parsed,
            json: testing::plugin::<logsift_json::JsonLines>("{}"),
            sigma: testing::plugin::<logsift_sigma::Sigma>(&settings.to_string()),
        }
    }

    /// Events/s of one pass of each crate, their times added.
    fn run(&mut self) -> f64 {
        let time = support::bench::native_pass(&mut self.json, &self.raw) + support::bench::native_pass(&mut self.sigma, &self.parsed);
        self.raw.iter().map(Batch::len).sum::<usize>() as f64 / time.as_secs_f64()
    }
}

/// rsigma natively: the peer program (given `leading` arguments, then the rule files) over
/// the same events, written to a file as JSON lines.
struct NativePeer {
    command: Vec<std::ffi::OsString>,
    _dir: tempfile::TempDir,
}

impl NativePeer {
    fn new(peer: &Path, leading: &[&Path], files: &[PathBuf], inputs: &[InputRecord]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let events = dir.path().join("events.jsonl");
        let mut text = Vec::new();
        for input in inputs {
            text.extend_from_slice(&input.raw);
            text.push(b'\n');
        }
        std::fs::write(&events, text).expect("writing the events");
        let command = std::iter::once(peer.as_os_str())
            .chain(leading.iter().map(|p| p.as_os_str()))
            .chain(files.iter().map(|p| p.as_os_str()))
            .chain(std::iter::once(events.as_os_str()))
            .map(std::ffi::OsStr::to_owned)
            .collect();
        NativePeer { command, _dir: dir }
    }

    /// Events/s and alerts of one run, a new process: its own figures (stderr, `key value`
    /// lines) read back.
    fn run(&self, events: usize) -> (f64, usize) {
        let out = Command::new(&self.command[0]).args(&self.command[1..]).stdout(Stdio::null()).output().expect("running rsigma-bench");
        assert!(out.status.success(), "rsigma-bench failed: {}", String::from_utf8_lossy(&out.stderr));
        let figures = String::from_utf8_lossy(&out.stderr);
        let figure = |key: &str| -> f64 {
            figures
                .lines()
                .find_map(|l| l.strip_prefix(key)?.strip_prefix(' ')?.trim().parse().ok())
                .unwrap_or_else(|| panic!("rsigma-bench printed no {key}: {figures}"))
        };
        assert_eq!(figure("events") as usize, events, "rsigma-bench read every event");
        assert_eq!(figure("rules_refused"), 0.0, "rsigma-bench compiled every rule");
        (figure("events_per_s"), figure("matches") as usize)
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
