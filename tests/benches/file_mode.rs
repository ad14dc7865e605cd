//! `make bench`, file mode against VRL: the shipped example chain (`examples/logsift.toml`:
//! syslog, weblog, the root-login rule; JSON lines out) over 1,000,000 real sshd lines
//! (`../shared/data/loghub/OpenSSH_2k.log`, repeated) on one core, against Vector's VRL
//! engine doing the same parse and rule in a tight loop (`../shared/peers/vrl-bench`, built
//! as published; it reads the lines first and writes JSON lines too). Start-up is not
//! counted on either side (logsift's is reported apart: compiling and initialising its
//! plugins). MB/s written beside lines/s, since the two write different events: logsift's
//! carry every ECS field it parsed, VRL's the fields its program set.
//!
//! The floor: what the same run would cost per line if its plugins cost nothing beyond
//! their own code, added up from parts each timed on its own over the first [`FLOOR_LINES`]
//! lines — reading the lines, the syslog and root-login crates natively through the SDK's
//! batch loop (as the pipeline bench runs them), and writing the chain's real output records
//! (rendering and the sink, which do not depend on where the plugins ran). It leaves out
//! merging the plugins' changes into the events, so it bounds from below the time (from
//! above the rate) of these plugins and this renderer run any way, sandboxed or not.

#[path = "../support/mod.rs"]
mod support;

use std::hint::black_box;
use std::io::BufWriter;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use logsift::files::{JsonLinesSink, LineSource};
use logsift::pipeline::{Batch, Chain, ChainOutput, InputRecord, Stage};
use logsift::render::Renderer;
use logsift_sdk::testing;

const LINES: usize = 1_000_000;
/// Lines the floor's parts are timed over.
const FLOOR_LINES: usize = 200_000;

fn main() {
    let Some(lines) = support::shared_lines("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return;
    };
    let Some(vrl) = support::bench::peer("vrl-bench") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("sshd.log");
    let mut text = String::new();
    for line in lines.iter().cycle().take(LINES) {
        text.push_str(line);
        text.push('\n');
    }
    std::fs::write(&input, text).expect("writing the input");

    let settings = support::load_settings(&support::workspace().join("examples/logsift.toml"));
    let out = dir.path().join("logsift.jsonl");
    let sink = BufWriter::with_capacity(1 << 16, std::fs::File::create(&out).expect("output"));
    let summary = logsift::run_files(&settings, vec![input.clone()], sink).expect("logsift runs");
    assert_eq!(summary.records, LINES as u64, "logsift read every line");
    let running = (summary.elapsed - summary.startup).as_secs_f64();
    let logsift_rate = summary.records_per_second();
    let logsift_mb = size_mb(&out) / running;

    let vrl_out = dir.path().join("vrl.jsonl");
    let run =
        Command::new(&vrl).arg(&input).stdout(std::fs::File::create(&vrl_out).expect("vrl output")).output().expect("running vrl-bench");
    assert!(run.status.success(), "vrl-bench failed: {}", String::from_utf8_lossy(&run.stderr));
    let figures = String::from_utf8_lossy(&run.stderr);
    let figure = |key: &str| -> f64 {
        figures
            .split_whitespace()
            .find_map(|word| word.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
            .unwrap_or_else(|| panic!("vrl-bench printed no {key}: {figures}"))
    };
    assert_eq!(figure("records") as usize, LINES, "vrl-bench read every line");
    let vrl_rate = figure("rec_per_s");
    let vrl_mb = size_mb(&vrl_out) / figure("secs");

    println!("file mode, {LINES} sshd lines, one core, start-up not counted:");
    println!("  {:<44} {:>12} {:>10}", "", "lines/s", "MB/s out");
    println!("  {:<44} {:>12.0} {:>10.1}", "logsift run, examples/logsift.toml", logsift_rate, logsift_mb);
    println!("  {:<44} {:>12.0} {:>10.1}", "VRL 0.38 in a tight loop (vrl-bench)", vrl_rate, vrl_mb);
    println!("  logsift / VRL: {:.2}x lines/s, {:.2}x MB/s", logsift_rate / vrl_rate, logsift_mb / vrl_mb);
    println!("  logsift start-up (compiling and initialising the plugins): {:.0} ms", summary.startup.as_secs_f64() * 1e3);
    let cached = startup_with_compile_cache(&settings, dir.path());
    println!("  the same with the compile cache, a later run: {:.0} ms ({:.2}x)", cached * 1e3, cached / summary.startup.as_secs_f64());
    // The two outputs go before the floor writes its own: pages of theirs still waiting to be
    // written back would slow the floor's writing.
    for written in [&out, &vrl_out] {
        std::fs::remove_file(written).expect("removing an output");
    }
    let floor = Floor::measure(&settings, &input, dir.path());
    let floor_rate = 1e9 / floor.total_ns();
    println!("  the floor, ns per line (plugins natively, merging left out; {FLOOR_LINES} lines):");
    println!(
        "    reading {:.0} + syslog natively {:.0} + root-login natively {:.0} + rendering and writing {:.0} = {:.0} ns: {:.0} lines/s, {:.2}x VRL",
        floor.read_ns,
        floor.syslog_ns,
        floor.rule_ns,
        floor.sink_ns,
        floor.total_ns(),
        floor_rate,
        floor_rate / vrl_rate
    );
    println!("    logsift's running time per line: {:.0} ns, {:.2}x the floor", 1e9 / logsift_rate, floor_rate / logsift_rate);
    support::bench::record(&[
        ("file_mode.floor_read_ns_per_line", floor.read_ns),
        ("file_mode.floor_syslog_native_ns_per_line", floor.syslog_ns),
        ("file_mode.floor_rule_native_ns_per_line", floor.rule_ns),
        ("file_mode.floor_render_write_ns_per_line", floor.sink_ns),
        ("file_mode.floor_lines_per_s", floor_rate),
        ("file_mode.floor_per_vrl", floor_rate / vrl_rate),
        ("file_mode.logsift_per_floor", logsift_rate / floor_rate),
    ]);
    support::bench::record(&[
        ("file_mode.logsift_lines_per_s", logsift_rate),
        ("file_mode.vrl_lines_per_s", vrl_rate),
        ("file_mode.logsift_per_vrl", logsift_rate / vrl_rate),
        ("file_mode.logsift_mb_per_s", logsift_mb),
        ("file_mode.vrl_mb_per_s", vrl_mb),
        ("file_mode.startup_ms", summary.startup.as_secs_f64() * 1e3),
        ("file_mode.startup_cached_ms", cached * 1e3),
        ("file_mode.startup_cached_per_uncached", cached / summary.startup.as_secs_f64()),
    ]);
}

/// Start-up, seconds, of a run whose plugins an earlier run put in the compile cache (a new
/// one in `dir`): the later of two runs over an empty file.
fn startup_with_compile_cache(settings: &logsift::Settings, dir: &Path) -> f64 {
    let mut settings = settings.clone();
    settings.compile_cache = Some(dir.join("compile-cache"));
    let empty = dir.join("empty.log");
    std::fs::write(&empty, "").expect("empty input");
    let run = || logsift::run_files(&settings, vec![empty.clone()], std::io::sink()).expect("logsift runs").startup.as_secs_f64();
    run();
    run()
}

/// The floor's parts, ns per line (see the module doc).
struct Floor {
    read_ns: f64,
    syslog_ns: f64,
    rule_ns: f64,
    sink_ns: f64,
}

impl Floor {
    fn total_ns(&self) -> f64 {
        self.read_ns + self.syslog_ns + self.rule_ns + self.sink_ns
    }

    /// Times each part over the first [`FLOOR_LINES`] lines of `input`, with the stages
    /// `settings` configures.
    fn measure(settings: &logsift::Settings, input: &Path, dir: &Path) -> Floor {
        let read = || {
            let mut source = LineSource::new(vec![input.to_path_buf()]);
            let mut batches = Vec::new();
            let mut lines = 0;
            while lines < FLOOR_LINES {
                let batch = source.next_batch(settings.batch_size.min(FLOOR_LINES - lines)).expect("reading the input");
                lines += batch.len();
                batches.push(batch);
            }
            batches
        };
        let read_ns = per_line(|| drop(black_box(read())));
        let inputs: Vec<Vec<InputRecord>> = read();

        // The chain as `run_files` builds it, run once: its output is what the sink writes.
        let runtime = logsift::Runtime::start(settings.clone(), None).expect("loading the pipeline");
        let stages = runtime.pipeline().current().stages.clone();
        let mut chain = Chain::new(stages.iter().cloned());
        let outputs: Vec<ChainOutput> = inputs.iter().map(|batch| chain.process(batch)).collect();
        let sink_ns = per_line(|| {
            let file = std::fs::File::create(dir.join("floor.jsonl")).expect("output");
            let out = BufWriter::with_capacity(1 << 16, file);
            let mut sink = JsonLinesSink::new(Renderer::for_format(&settings.format), out, &settings.outputs).expect("sink");
            for (batch, output) in inputs.iter().zip(&outputs) {
                sink.write_batch(batch, output).expect("writing");
                sink.flush().expect("flushing");
            }
        });
        drop(outputs);

        // The plugins natively, each over what it sees in the chain: syslog the lines, the
        // rule syslog's events (weblog sees none: syslog claims every sshd line).
        let stage = |name: &str| stages.iter().find(|(plugin, _)| plugin.name.as_ref() == name).expect("the stage").clone();
        let settings_of = |name: &str| {
            let named = |s: &&logsift::config::StageConfig| s.plugin.as_deref().and_then(Path::file_stem).is_some_and(|stem| stem == name);
            serde_json::Value::Object(settings.pipeline.iter().find(named).expect("the stage").settings.clone()).to_string()
        };
        let raw: Vec<Batch> = inputs.iter().map(|b| Batch::from_inputs(b)).collect();
        let (syslog_plugin, options) = stage("syslog");
        let mut syslog_stage = Stage::new(syslog_plugin, options);
        let parsed: Vec<Batch> = raw.iter().map(|b| syslog_stage.run(b.clone(), &mut Vec::new())).collect();
        let mut syslog = testing::plugin::<logsift_syslog::Syslog>(&settings_of("syslog"));
        let mut rule = testing::plugin::<logsift_ssh_root_login::SshRootLogin>(&settings_of("ssh-root-login"));
        let syslog_ns = per_line(|| {
            support::bench::native_pass(&mut syslog, &raw);
        });
        let rule_ns = per_line(|| {
            support::bench::native_pass(&mut rule, &parsed);
        });
        Floor { read_ns, syslog_ns, rule_ns, sink_ns }
    }
}

/// ns per line of `pass` over the floor's lines: the median of 5 passes.
fn per_line(mut pass: impl FnMut()) -> f64 {
    let samples = (0..5)
        .map(|_| {
            let t = Instant::now();
            pass();
            t.elapsed()
        })
        .collect();
    support::bench::median(samples).as_nanos() as f64 / FLOOR_LINES as f64
}

fn size_mb(path: &Path) -> f64 {
    std::fs::metadata(path).expect("output written").len() as f64 / 1e6
}
