//! File mode: the pipeline over files or stdin, JSON lines out, a progress bar while it
//! reads big files (when stderr is a terminal), and a summary at the end with the hits per
//! rule.
//! Plugins reload while it runs, as in service mode (a long `--input -` is a service too).

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;

use crate::config::{JsonStyle, Overrides, Settings};
use crate::files::{JsonLinesSink, LineSource};
use crate::pipeline::{Chain, CostTable, RuleKey, StageStats};
use crate::render::Renderer;
use crate::runtime::Runtime;

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RunSummary {
    /// Records read.
    pub records: u64,
    /// Blank lines skipped.
    pub blank: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Wall-clock time, start-up included.
    pub elapsed: Duration,
    /// Of that, the start-up: loading the plugins (compiling them, `init`, snapshots).
    pub startup: Duration,
    /// Records written per output.
    pub outputs: BTreeMap<String, u64>,
    /// Per stage: name, plugin version, counters.
    pub stages: Vec<(String, String, StageStats)>,
    /// Per rule id that fired: its title, level and alerts.
    pub rules: BTreeMap<RuleKey, RuleHits>,
    /// What the rules cost, as their plugins measured.
    pub costs: CostTable,
}

/// Costliest rules listed in a summary.
pub const SUMMARY_COSTLIEST: usize = 10;

/// The alerts of one rule in a run.
#[derive(Debug, Clone, Default)]
pub struct RuleHits {
    /// The rule's title.
    pub title: String,
    /// Its level.
    pub level: &'static str,
    /// Alerts raised.
    pub hits: u64,
}

impl RunSummary {
    /// Records written to an output.
    pub fn output(&self, name: &str) -> u64 {
        self.outputs.get(name).copied().unwrap_or(0)
    }

    /// Records per second once started (start-up not counted).
    pub fn records_per_second(&self) -> f64 {
        self.records as f64 / self.elapsed.saturating_sub(self.startup).as_secs_f64().max(1e-9)
    }

    /// Records dropped on purpose by plugins.
    pub fn dropped(&self) -> u64 {
        self.stages.iter().map(|(_, _, s)| s.dropped).sum()
    }
}

impl fmt::Display for RunSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "logsift: {} records in {:.2} s ({:.0} records/s after a start-up of {:.2} s), {} blank lines skipped",
            self.records,
            self.elapsed.as_secs_f64(),
            self.records_per_second(),
            self.startup.as_secs_f64(),
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
        write_rule_hits(f, &self.rules)?;
        self.costs.write_costliest(f, SUMMARY_COSTLIEST)
    }
}

/// The hits per rule, a line each, most hits (the noisiest) first.
pub(crate) fn write_rule_hits(f: &mut fmt::Formatter<'_>, rules: &BTreeMap<RuleKey, RuleHits>) -> fmt::Result {
    let mut rules: Vec<(&RuleKey, &RuleHits)> = rules.iter().collect();
    rules.sort_by(|a, b| b.1.hits.cmp(&a.1.hits).then(a.0.cmp(b.0)));
    for ((id, shadow), r) in rules {
        let mode = if *shadow { " (shadow)" } else { "" };
        writeln!(f, "  {:>8}  {:<13} {id}{mode}  {}", r.hits, r.level, r.title)?;
    }
    Ok(())
}

/// `logsift run`: the configured chain over `inputs`, JSON lines on stdout, the summary on
/// stderr unless `quiet`.
pub fn execute(config: &std::path::Path, overrides: Overrides, inputs: Vec<PathBuf>, flat: bool, quiet: bool) -> anyhow::Result<()> {
    let mut settings = Settings::load_with(config, overrides, std::env::vars())?;
    if flat {
        settings.format.json = JsonStyle::Flat;
    }
    crate::telemetry::init(&settings.log);
    let stdout = std::io::stdout().lock();
    let summary = run_files(&settings, inputs, std::io::BufWriter::with_capacity(1 << 16, stdout)).context("running the pipeline")?;
    if !quiet {
        eprint!("{summary}");
    }
    Ok(())
}

/// Runs the configured chain over `inputs` (`-` is stdin), writing JSON lines to `out` for
/// every output without a file of its own.
pub fn run_files<W: Write>(settings: &Settings, inputs: Vec<PathBuf>, out: W) -> anyhow::Result<RunSummary> {
    let started = Instant::now();
    let mut runtime = Runtime::start(settings.clone(), None).context("loading the pipeline")?;
    runtime.watch()?;
    let pipeline = Arc::clone(runtime.pipeline());
    let mut current = pipeline.current();
    let mut chain = Chain::new(current.stages.iter().cloned()).with_max_record_bytes(settings.limits.max_record_bytes);
    let startup = started.elapsed();
    let progress = progress_bar(&inputs);
    let mut source = LineSource::new(inputs).with_max_record_bytes(settings.limits.max_record_bytes);
    let mut sink = JsonLinesSink::new(Renderer::for_format(&settings.format), out, &settings.outputs)?;
    let mut records = 0;
    let mut rules = BTreeMap::new();
    let mut costs = CostTable::default();
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
        count_hits(&output, &mut rules);
        costs.add(&output.costs);
        if let Some(bar) = &progress {
            bar.set_position(source.bytes);
        }
        sink.write_batch(&batch, &output).context("writing output")?;
        sink.flush().context("flushing output")?;
    }
    sink.flush().context("flushing output")?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    Ok(RunSummary {
        records,
        blank: source.blank,
        bytes: source.bytes,
        elapsed: started.elapsed(),
        startup,
        outputs: sink.counts.clone(),
        stages: chain.stages().iter().map(|s| (s.plugin().name.to_string(), s.plugin().meta.version.clone(), s.stats.clone())).collect(),
        rules,
        costs,
    })
}

/// Counts the alerts of one batch's output by rule.
pub(crate) fn count_hits(output: &crate::pipeline::ChainOutput, rules: &mut BTreeMap<RuleKey, RuleHits>) {
    for record in &output.routed {
        if let crate::pipeline::Payload::Alert(alert) = &record.payload {
            let entry = rules.entry((alert.rule_id.clone(), alert.shadow)).or_insert_with(|| RuleHits {
                title: alert.title.clone(),
                level: alert.level.as_str(),
                hits: 0,
            });
            entry.hits += 1;
        }
    }
}

/// A progress bar over the inputs' bytes, when stderr is a terminal and every input is a
/// file of known size (a pipe has no end to measure against).
fn progress_bar(inputs: &[PathBuf]) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() || inputs.iter().any(|p| p.as_os_str() == "-") {
        return None;
    }
    let total: u64 = inputs.iter().filter_map(|p| std::fs::metadata(p).ok()).map(|m| m.len()).sum();
    let bar = indicatif::ProgressBar::new(total);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}").ok()?;
    bar.set_style(style);
    Some(bar)
}
