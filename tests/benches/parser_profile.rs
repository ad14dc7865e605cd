//! Not part of `make bench`: one shipped parser over 20,000 lines of its `make bench` sample,
//! natively (the SDK's batch loop in-process) or as its component (one call per batch), for a
//! profiler to look at. Instructions per line, guest functions named:
//!
//! ```text
//! cargo bench -p logsift --bench parser_profile --no-run
//! WASMTIME_PROFILE=perfmap valgrind --tool=callgrind \
//!   --toggle-collect='logsift::wasm::instance::PluginInstance::process' \
//!   --toggle-collect='logsift_sdk::runtime::process_batch*' \
//!   target/release/deps/parser_profile-<hash> weblog wasm 1
//! ```
//!
//! Arguments: the parser (`syslog`, `weblog`, `json`), `native` or `wasm`, and how many times
//! to go over the lines. Callgrind leaves the guest's functions unnamed (`???:0x…`); the
//! perf map wasmtime writes (`/tmp/perf-<pid>.map`) names each address range.

#[path = "../support/mod.rs"]
mod support;

use std::time::Duration;

use logsift::Runtime;
use logsift::pipeline::{Batch, InputRecord};
use logsift::wasm::Limits;
use logsift_event::Origin;
use logsift_sdk::testing;

const LINES: usize = 20_000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let [parser, side, passes] = args.as_slice() else {
        eprintln!("usage: parser_profile syslog|weblog|json native|wasm PASSES");
        return;
    };
    let passes: usize = passes.parse().expect("PASSES is a number");
    let (sample, settings) = match parser.as_str() {
        "syslog" => ("data/loghub/OpenSSH_2k.log", serde_json::json!({"year": 2024})),
        "weblog" => ("data/web/webshell_access_log.txt", serde_json::json!({})),
        "json" => (
            "data/security-datasets/psh_lsass_memory_dump_comsvcs__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
            serde_json::json!({}),
        ),
        other => panic!("no parser {other:?} (syslog, weblog, json)"),
    };
    let Some(path) = testing::shared_data(sample) else { return };
    let text = String::from_utf8_lossy(&std::fs::read(path).expect("reading the sample")).into_owned();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let batches: Vec<Batch> = (0..LINES)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].as_bytes().to_vec(),
            origin: Origin::File { path: parser.clone().into(), line: i as u64 + 1 },
        })
        .collect::<Vec<_>>()
        .chunks(256)
        .map(Batch::from_inputs)
        .collect();
    macro_rules! native {
        ($plugin:ty) => {{
            let mut native = testing::plugin::<$plugin>(&settings.to_string());
            (0..passes).map(|_| support::bench::native_pass(&mut native, &batches)).sum::<Duration>()
        }};
    }
    let elapsed = match (side.as_str(), parser.as_str()) {
        ("native", "syslog") => native!(logsift_syslog::Syslog),
        ("native", "weblog") => native!(logsift_weblog::WebLog),
        ("native", _) => native!(logsift_json::JsonLines),
        _ => {
            let runtime = Runtime::empty().expect("runtime");
            let plugin = runtime
                .load_plugin(&support::plugin_dir().join(format!("{parser}.wasm")), &settings, Limits::default())
                .expect("loading the parser (make plugins builds it)");
            let mut instance = plugin.instantiate().expect("instance");
            (0..passes).map(|_| support::bench::component_pass(&mut instance, &batches)).sum::<Duration>()
        }
    };
    eprintln!("{parser} {side}: {passes} x {LINES} lines in {elapsed:?}");
}
