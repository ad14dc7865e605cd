//! Instruction counts, for figures that do not swing with the machine: the `logsift` binary
//! run under valgrind's callgrind, counting only inside one function (the JIT-compiled guest
//! code it calls included). Rates on a shared VM move ±30 % between identical runs; the
//! count of the same build on the same input moves 1–2 % (how the file source's lines fall
//! into batches depends on how valgrind schedules the threads).

use std::path::Path;
use std::process::{Command, Stdio};

/// Whether valgrind can be run here (the benchmarks skip their counts, saying so, when not).
pub fn available() -> bool {
    Command::new("valgrind").arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|s| s.success())
}

/// Starts `logsift run --config <config> --input <input>` under callgrind, collecting only
/// inside `function` (a demangled path, e.g. `logsift::pipeline::chain::Chain::process`).
/// Several can run at once: [`Counting::instructions`] waits for one.
pub fn start(function: &str, config: &Path, input: &Path, out_dir: &Path) -> Counting {
    let name = config.file_stem().and_then(|s| s.to_str()).unwrap_or("run");
    let out_file = out_dir.join(format!("callgrind.{name}.out"));
    let child = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--toggle-collect={function}"))
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--config"])
        .arg(config)
        .arg("--input")
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("starting valgrind: {e}"));
    Counting { child, what: format!("{} over {}", config.display(), input.display()) }
}

/// A callgrind run under way.
pub struct Counting {
    child: std::process::Child,
    what: String,
}

impl Counting {
    /// Waits for the run; the instructions counted inside the function. Panics, with
    /// valgrind's and logsift's words, when the run failed or nothing was counted (the
    /// function was renamed or inlined away).
    pub fn instructions(self) -> u64 {
        let output = self.child.wait_with_output().expect("waiting for valgrind");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(output.status.success(), "callgrind run of {} failed:\n{stderr}", self.what);
        let collected = stderr
            .lines()
            .find_map(|line| line.split_once("Collected :").map(|(_, n)| n.trim().parse::<u64>()))
            .and_then(Result::ok)
            .unwrap_or_else(|| panic!("no count in callgrind's output for {}:\n{stderr}", self.what));
        assert!(collected > 0, "callgrind counted nothing inside the function for {}: renamed or inlined?", self.what);
        collected
    }
}
