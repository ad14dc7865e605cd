//! File mode: the pipeline over files or stdin, JSON lines out, a summary at the end.
//! Plugins reload while it runs, as in service mode (a long `--input -` is a service too).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::config::Settings;
use crate::files::{JsonLinesSink, LineSource};
use crate::pipeline::{Chain, StageStats};
use crate::reload::{Reloader, watch};
use crate::render::Renderer;
use crate::wasm::{EpochTicker, new_engine};

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Records read.
    pub records: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Wall-clock time.
    pub elapsed: Duration,
    /// Records written per output.
    pub outputs: BTreeMap<String, u64>,
    /// Per stage: name, plugin version, counters.
    pub stages: Vec<(String, String, StageStats)>,
}

impl RunSummary {
    /// Records written to an output.
    pub fn output(&self, name: &str) -> u64 {
        self.outputs.get(name).copied().unwrap_or(0)
    }

    /// Records dropped on purpose by plugins.
    pub fn dropped(&self) -> u64 {
        self.stages.iter().map(|(_, _, s)| s.dropped).sum()
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "logsift: {} records in {:.2} s ({:.0} records/s), {} blank lines skipped",
            self.records,
            secs,
            self.records as f64 / secs,
            self.blank
        )?;
        let outputs: Vec<String> = self.outputs.iter().map(|(name, n)| format!("{name} {n}")).collect();
        writeln!(f, "  out: {}; dropped {}", if outputs.is_empty() { "nothing".into() } else { outputs.join(", ") }, self.dropped())?;
        writeln!(
            f,
            "  {:<16} {:>8} {:>10} {:>9} {:>9} {:>8} {:>8} {:>7} {:>7} {:>7}",
            "stage", "version", "records", "time ms", "ns/rec", "dropped", "rejected", "alerts", "faults", "skipped"
        )?;
        for (name, version, s) in &self.stages {
            let ns = (s.busy.as_nanos() as u64).checked_div(s.records).unwrap_or(0);
            writeln!(
                f,
                "  {:<16} {:>8} {:>10} {:>9.1} {:>9} {:>8} {:>8} {:>7} {:>7} {:>7}",
                name,
                version,
                s.records,
                s.busy.as_secs_f64() * 1e3,
                ns,
                s.dropped,
                s.rejected,
                s.alerts,
                s.faults(),
                s.skipped
            )?;
        }
        Ok(())
    }
}

/// Runs the configured chain over `inputs` (`-` is stdin), writing JSON lines to `out` for
/// every output without a file of its own.
pub fn run_files<W: Write>(settings: &Settings, inputs: Vec<PathBuf>, out: W) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let engine = new_engine().map_err(anyhow::Error::from).context("creating the WebAssembly engine")?;
    let _ticker = EpochTicker::start(&engine).context("starting the epoch ticker")?;
    let reloader = Reloader::start(&engine, settings.clone(), None).context("loading the pipeline")?;
    let pipeline = Arc::clone(reloader.pipeline());
    let _reload = watch(reloader).context("starting the reload thread")?;
    let mut current = pipeline.current();
    let mut chain = Chain::new(current.stages.iter().cloned());
    let mut source = LineSource::new(inputs);
    let mut sink = JsonLinesSink::new(Renderer::new(settings.format.json), out, &settings.outputs)?;
    let mut records = 0;
    loop {
        let batch = source.next_batch(settings.batch_size)?;
        if batch.is_empty() {
            break;
        }
        records += batch.len() as u64;
        if pipeline.current_id() != current.id {
            current = pipeline.current();
            chain.update(&current.stages);
        }
        let output = chain.process(&batch);
        sink.write_batch(&batch, &output).context("writing output")?;
        sink.flush().context("flushing output")?;
    }
    sink.flush().context("flushing output")?;
    Ok(RunSummary {
        records,
        blank: source.blank,
        bytes: source.bytes,
        elapsed: started.elapsed(),
        outputs: sink.counts.clone(),
        stages: chain.stages().iter().map(|s| (s.plugin().name.to_string(), s.plugin().meta.version.clone(), s.stats.clone())).collect(),
    })
}
