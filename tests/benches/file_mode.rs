//! `make bench`, file mode against VRL: the shipped example chain (`examples/logsift.toml`:
//! syslog, weblog, the root-login rule; JSON lines out) over 1,000,000 real sshd lines
//! (`../shared/data/loghub/OpenSSH_2k.log`, repeated) on one core, against Vector's VRL
//! engine doing the same parse and rule in a tight loop (`../shared/peers/vrl-bench`, built
//! as published; it reads the lines first and writes JSON lines too). Start-up is not
//! counted on either side (logsift's is reported apart: compiling and initialising its
//! plugins). MB/s written beside lines/s, since the two write different events: logsift's
//! carry every ECS field it parsed, VRL's the fields its program set.

#[path = "../support/mod.rs"]
mod support;

use std::io::BufWriter;
use std::path::Path;
use std::process::Command;

const LINES: usize = 1_000_000;

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

fn size_mb(path: &Path) -> f64 {
    std::fs::metadata(path).expect("output written").len() as f64 / 1e6
}
