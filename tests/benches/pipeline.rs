//! `make bench`: what the sandbox costs.
//!
//! Input: `../shared/data/loghub/OpenSSH_2k.log` cycled to 100,000 lines (the 2,000 real
//! lines repeated; timestamps and hosts as they are), in batches of 256.
//! Cases, run interleaved, each pass timed and the median of the passes reported:
//! - `native syslog`: the syslog parser crate compiled natively, called in-process through
//!   the SDK's batch loop on the encoded batches (no sandbox);
//! - `wasm syslog call`: the same crate as a component, the same batches, one component
//!   call per batch (copy in, parse, lift the result back);
//! - `wasm syslog stage`: the call plus the host's checking and re-framing of the result;
//! - `passthrough hop`: a plugin that changes nothing, on the *parsed* events (~20 fields
//!   each): the cost one more stage adds per record;
//! - `tagger hop`: the same with a plugin that sets one field on every event (the test plugin
//!   `tagger`), the least an enricher does;
//! - `host check`: the host's check of each event a parser returns (`EventView::from_frame`
//!   and `validate` over the parsed events: structure and UTF-8, part of `wasm syslog stage`);
//! - hops from outside: whole chains over the raw lines, the syslog parser then 1 or 11
//!   passthrough (or tagger) stages; (time of 11 - time of 1) / 10 is one hop, with nothing
//!   but the hop differing.
//!
//! - hops counted in instructions (when valgrind is installed): the same chains run by the
//!   `logsift` binary under callgrind over [`COUNTED`] lines, counting only inside
//!   `Chain::process` (guest code included, start-up left out); (count of 11 - count of 1) /
//!   10 per record. Unlike the rates (±30 %), the count of the same build moves 1–2 %: the
//!   figure to compare runs by.
//!
//! - `weblog` and `json` parsers: native vs one component call per batch, as for syslog, on
//!   `../shared/data/web/webshell_access_log.txt` and the comsvcs LSASS dump of
//!   `../shared/data/security-datasets/` (JSON lines), each cycled to 100,000 lines.
//!
//! Ratio = Wasm throughput / native throughput for the same code on the same input.

#[path = "../support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use logsift::Runtime;
use logsift::pipeline::{Batch, Chain, InputRecord, Stage, StageOptions};
use logsift::wasm::Limits;
use logsift_event::{EventView, Origin};
use logsift_sdk::testing;

const RECORDS: usize = 100_000;
const BATCH: usize = 256;
const PASSES: usize = 7;
/// Lines the instruction counts run over (callgrind runs ~50× slower than native).
const COUNTED: usize = 20_000;

fn wasmtime_version() -> String {
    let lock = include_str!("../../Cargo.lock");
    lock.split("[[package]]")
        .find(|p| p.contains("name = \"wasmtime\"\n"))
        .and_then(|p| p.lines().find_map(|l| l.strip_prefix("version = \"")))
        .map(|v| v.trim_end_matches('"').to_owned())
        .unwrap_or_else(|| "unknown".into())
}

fn main() {
    let Some(path) = testing::shared_data("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return;
    };
    let text = std::fs::read_to_string(path).expect("reading the sample");
    let lines: Vec<&str> = text.lines().collect();
    let inputs: Vec<Vec<InputRecord>> = (0..RECORDS)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].as_bytes().to_vec(),
            origin: Origin::File { path: "OpenSSH_2k.log".into(), line: i as u64 + 1 },
        })
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(<[InputRecord]>::to_vec)
        .collect();
    let raw_batches: Vec<Batch> = inputs.iter().map(|b| Batch::from_inputs(b)).collect();
    let inputs_by_batch = &inputs;

    let runtime = Runtime::empty().expect("runtime");
    let dir = support::plugin_dir();
    let settings = serde_json::json!({"year": 2024});
    let load = |name: &str, settings: &serde_json::Value| {
        runtime.load_plugin(&dir.join(format!("{name}.wasm")), settings, Limits::default()).expect("loading plugin")
    };
    let syslog = load("syslog", &settings);
    let passthrough = load("passthrough", &serde_json::json!({}));
    let tagger = runtime
        .load_plugin(&support::test_plugin_dir().join("tagger.wasm"), &serde_json::json!({}), Limits::default())
        .expect("loading the tagger (make plugins builds it)");
    let chain = |hop: &std::sync::Arc<logsift::wasm::LoadedPlugin>, hops: usize| {
        let stages = std::iter::once(syslog.clone()).chain(std::iter::repeat_n(hop.clone(), hops));
        Chain::new(stages.map(|p| (p, StageOptions::default())).collect::<Vec<_>>())
    };
    let mut chains = [chain(&passthrough, 1), chain(&passthrough, 11), chain(&tagger, 1), chain(&tagger, 11)];
    let mut tag_hop = Stage::new(tagger.clone(), StageOptions::default());

    let mut native = testing::plugin::<logsift_syslog::Syslog>(&settings.to_string());
    let mut instance = syslog.instantiate().expect("instance");
    let mut syslog_stage = Stage::new(syslog.clone(), StageOptions::default());
    let mut hop = Stage::new(passthrough, StageOptions::default());

    // The parsed events the passthrough hop runs on.
    let parsed: Vec<Batch> = raw_batches.iter().map(|b| syslog_stage.run(b.clone(), &mut Vec::new())).collect();
    let fields: usize = parsed.iter().flat_map(|b| b.iter()).map(|(_, f)| EventView::from_frame(f).unwrap().len()).sum();
    let parsed_records: usize = parsed.iter().map(Batch::len).sum();
    let bytes: usize = parsed.iter().flat_map(|b| b.iter()).map(|(_, f)| f.len()).sum();

    let mut samples: [Vec<Duration>; 6] = Default::default();
    let mut chain_samples: [Vec<Duration>; 4] = Default::default();
    for _ in 0..PASSES {
        samples[0].push(support::bench::native_pass(&mut native, &raw_batches));
        samples[1].push(support::bench::component_pass(&mut instance, &raw_batches));

        // Stages own their input batch (an unchanged one is handed on without a copy), so
        // each pass runs on clones made before the clock starts.
        let inputs = raw_batches.clone();
        let t = Instant::now();
        for b in inputs {
            black_box(syslog_stage.run(b, &mut Vec::new()));
        }
        samples[2].push(t.elapsed());

        let inputs = parsed.clone();
        let t = Instant::now();
        for b in inputs {
            black_box(hop.run(b, &mut Vec::new()));
        }
        samples[3].push(t.elapsed());

        let inputs = parsed.clone();
        let t = Instant::now();
        for b in inputs {
            black_box(tag_hop.run(b, &mut Vec::new()));
        }
        samples[4].push(t.elapsed());

        let t = Instant::now();
        for (_, frame) in parsed.iter().flat_map(|b| b.iter()) {
            black_box(EventView::from_frame(frame).and_then(|v| v.validate())).expect("a parsed event is well-formed");
        }
        samples[5].push(t.elapsed());

        for (chain, samples) in chains.iter_mut().zip(chain_samples.iter_mut()) {
            let t = Instant::now();
            for b in inputs_by_batch {
                black_box(chain.process(b));
            }
            samples.push(t.elapsed());
        }
    }
    let [native_t, call_t, stage_t, hop_t, tag_t, check_t] = samples.map(support::bench::median);
    let [pass_1, pass_11, tag_1, tag_11] = chain_samples.map(support::bench::median);
    let outside = |one: Duration, eleven: Duration| (eleven.as_nanos() as f64 - one.as_nanos() as f64) / 10.0 / RECORDS as f64;
    let rate = |d: Duration, n: usize| n as f64 / d.as_secs_f64();
    let ns = |d: Duration, n: usize| d.as_nanos() as f64 / n as f64;

    println!("logsift pipeline benchmark");
    println!("  input      {RECORDS} lines cycled from OpenSSH_2k.log, batches of {BATCH}, median of {PASSES} interleaved passes");
    println!(
        "  setup      wasmtime {} (Cranelift, opt speed), epoch interruption (tick 10 ms), guest allocator: Rust std (dlmalloc) on wasm32-wasip2, host allocator: system",
        wasmtime_version()
    );
    println!("  boundary   one call per batch: events as one flat list<u8> (wit/README.md), sparse per-record changes back");
    println!("  case                    records/s   ns/record");
    for (name, d, n) in [
        ("native syslog", native_t, RECORDS),
        ("wasm syslog call", call_t, RECORDS),
        ("wasm syslog stage", stage_t, RECORDS),
        ("passthrough hop", hop_t, parsed_records),
        ("tagger hop", tag_t, parsed_records),
    ] {
        println!("  {name:<22} {:>11.0} {:>11.1}", rate(d, n), ns(d, n));
    }
    println!(
        "  ratio wasm/native (same syslog crate, same input): call {:.2}, whole stage {:.2}",
        rate(call_t, RECORDS) / rate(native_t, RECORDS),
        rate(stage_t, RECORDS) / rate(native_t, RECORDS)
    );
    support::bench::record(&[
        ("pipeline.native_syslog_records_per_s", rate(native_t, RECORDS)),
        ("pipeline.wasm_syslog_call_records_per_s", rate(call_t, RECORDS)),
        ("pipeline.wasm_syslog_stage_records_per_s", rate(stage_t, RECORDS)),
        ("pipeline.wasm_call_per_native", rate(call_t, RECORDS) / rate(native_t, RECORDS)),
        ("pipeline.wasm_stage_per_native", rate(stage_t, RECORDS) / rate(native_t, RECORDS)),
        ("pipeline.passthrough_hop_ns_per_record", ns(hop_t, parsed_records)),
        ("pipeline.tagger_hop_ns_per_record", ns(tag_t, parsed_records)),
        ("pipeline.passthrough_hop_outside_ns_per_record", outside(pass_1, pass_11)),
        ("pipeline.tagger_hop_outside_ns_per_record", outside(tag_1, tag_11)),
        ("pipeline.syslog_event_check_ns_per_record", ns(check_t, parsed_records)),
    ]);
    println!(
        "  one hop from outside ((chain of 11 - chain of 1) / 10, syslog first): passthrough {:.1} ns/record, tagger (one field set) {:.1} ns/record",
        outside(pass_1, pass_11),
        outside(tag_1, tag_11)
    );
    println!(
        "  in-process, one stage on parsed events: passthrough {:.1} ns/record, tagger {:.1} ns/record",
        ns(hop_t, parsed_records),
        ns(tag_t, parsed_records)
    );
    println!(
        "  passthrough hop on parsed events: {:.1} ns/record ({:.1} fields and {:.0} bytes per event on average)",
        ns(hop_t, parsed_records),
        fields as f64 / parsed_records as f64,
        bytes as f64 / parsed_records as f64
    );
    println!(
        "  the host's check of each event a parser returns (structure, UTF-8; part of the stage): {:.1} ns/event",
        ns(check_t, parsed_records)
    );
    hop_instructions(&lines);
    parser_vs_native::<logsift_weblog::WebLog>(&runtime, "weblog", "data/web/webshell_access_log.txt");
    parser_vs_native::<logsift_json::JsonLines>(
        &runtime,
        "json",
        "data/security-datasets/psh_lsass_memory_dump_comsvcs__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
    );
}

/// A parser natively (the SDK's batch loop in-process) against the same crate as a component
/// (one call per batch), on a shared sample cycled to [`RECORDS`] lines.
fn parser_vs_native<P: logsift_sdk::Plugin>(runtime: &Runtime, name: &str, sample: &str) {
    let Some(path) = testing::shared_data(sample) else { return };
    // Real logs: not every byte is UTF-8 (the host hands such lines on with U+FFFD too).
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("reading the sample")).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let batches: Vec<Batch> = (0..RECORDS)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].as_bytes().to_vec(),
            origin: Origin::File { path: name.to_owned().into(), line: i as u64 + 1 },
        })
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(Batch::from_inputs)
        .collect();
    let plugin = runtime
        .load_plugin(&support::plugin_dir().join(format!("{name}.wasm")), &serde_json::json!({}), Limits::default())
        .expect("loading the parser");
    let mut instance = plugin.instantiate().expect("instance");
    let mut native = testing::plugin::<P>("{}");
    let mut samples: [Vec<Duration>; 2] = Default::default();
    for _ in 0..PASSES {
        samples[0].push(support::bench::native_pass(&mut native, &batches));
        samples[1].push(support::bench::component_pass(&mut instance, &batches));
    }
    let [native_t, call_t] = samples.map(support::bench::median);
    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    println!(
        "  {name}: native {:.0} records/s, wasm call {:.0} records/s, ratio {:.2} ({} distinct lines)",
        rate(native_t),
        rate(call_t),
        rate(call_t) / rate(native_t),
        lines.len()
    );
    let keys = ["native_records_per_s", "wasm_call_records_per_s", "wasm_call_per_native"].map(|k| format!("pipeline.{name}.{k}"));
    support::bench::record(&[
        (keys[0].as_str(), rate(native_t)),
        (keys[1].as_str(), rate(call_t)),
        (keys[2].as_str(), rate(call_t) / rate(native_t)),
    ]);
}

/// One hop in instructions: the binary runs syslog then 1 or 11 stages of the passthrough and
/// of the tagger under callgrind (the four runs two at a time), over the first [`COUNTED`]
/// cycled lines.
fn hop_instructions(lines: &[&str]) {
    if !support::callgrind::available() {
        println!("  hop in instructions: skipped (valgrind is not installed)");
        return;
    }
    let dir = support::bench::results_path().with_file_name("hop");
    std::fs::create_dir_all(&dir).expect("target/bench/hop");
    let input = dir.join("sshd.log");
    let text: String = (0..COUNTED).map(|i| format!("{}\n", lines[i % lines.len()])).collect();
    std::fs::write(&input, text).expect("writing the counted lines");
    let config = |hop: &str, plugin: &std::path::Path, hops: usize| {
        let mut text =
            String::from("batch_size = 256\n\n[[pipeline]]\nplugin = \"syslog\"\n[pipeline.settings]\nyear = 2024\ntimezone = \"UTC\"\n");
        for _ in 0..hops {
            text += &format!("\n[[pipeline]]\nplugin = {:?}\n", plugin.display().to_string());
        }
        let path = dir.join(format!("{hop}{hops}.toml"));
        std::fs::write(&path, text).expect("writing a chain");
        path
    };
    let count = |hop: &str, plugin: std::path::PathBuf| {
        let runs = [1, 11]
            .map(|hops| support::callgrind::start("logsift::pipeline::chain::Chain::process", &config(hop, &plugin, hops), &input, &dir));
        let [one, eleven] = runs.map(support::callgrind::Counting::instructions);
        (eleven as f64 - one as f64) / 10.0 / COUNTED as f64
    };
    let passthrough = count("passthrough", support::plugin("passthrough"));
    let tagger = count("tagger", support::plugin("tagger"));
    println!(
        "  one hop in instructions (callgrind, (count of 11 - count of 1) / 10, {COUNTED} lines): passthrough {passthrough:.0}, tagger (one field set) {tagger:.0}"
    );
    support::bench::record(&[
        ("pipeline.passthrough_hop_instructions_per_record", passthrough),
        ("pipeline.tagger_hop_instructions_per_record", tagger),
    ]);
}
