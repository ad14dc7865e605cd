//! `logsift backtest`: how often would the rules have fired? The configured chain runs over
//! a time range of the input topics' history (by the records' Kafka timestamps; see
//! [`crate::kafka::history`]) or over files, its alerts come out as JSON lines, and a summary
//! gives the records read and, per rule, its hits and first and last hit. `--rules` replaces
//! the rules of the configuration's rule stages; `--candidate` runs a second chain with
//! another rule set over the same records and reports, per rule, the alerts only one of them
//! raises (see [`super::rule_diff`]).
//!
//! Alerts go to stdout, a file, or a scratch topic (`--output-topic`, refused when it is a
//! topic the live service reads or writes; see [`crate::kafka::scratch`]).
//!
//! Promise: a backtest writes to Kafka only the scratch topic it is given, and leaves the
//! live consumer group alone; its memory is bounded by a batch and the number of rules,
//! whatever the range.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;

use super::rule_diff::Diff;
use crate::config::{JsonStyle, Overrides, Settings};
use crate::files::LineSource;
use crate::kafka::history::{History, PartitionRange};
use crate::kafka::scratch::ScratchTopic;
use crate::pipeline::{Chain, ChainOutput, Content, InputRecord, Payload};
use crate::pipeline::{CostTable, RuleKey};
use crate::render::Renderer;
use crate::runtime::Runtime;

/// What a backtest runs.
#[derive(Debug, Clone, Default)]
pub struct Backtest {
    /// The configuration: its chain, and its `[kafka]` section for the history.
    pub config: PathBuf,
    /// The command line's overrides.
    pub overrides: Overrides,
    /// Start of the range (Kafka): RFC 3339, `now`, or relative (`-24h`).
    pub from: Option<String>,
    /// End of the range (Kafka), default now.
    pub to: Option<String>,
    /// Rules replacing those of the configuration's rule stages.
    pub rules: Vec<PathBuf>,
    /// A candidate rule set to compare with the current one.
    pub candidate: Vec<PathBuf>,
    /// Files to read instead of Kafka (`-` is stdin).
    pub inputs: Vec<PathBuf>,
    /// Flat (`rule.id`) rather than nested JSON.
    pub flat: bool,
    /// A scratch topic for the alerts instead of the writer.
    pub output_topic: Option<String>,
}

/// One rule's hits: how many, and the timestamps (Unix ms) of the first and last record it
/// fired on, when the records have timestamps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleTally {
    /// The rule's title.
    pub title: String,
    /// Alerts raised.
    pub hits: u64,
    /// The earliest timestamp of a record it fired on.
    pub first: Option<i64>,
    /// The latest.
    pub last: Option<i64>,
}

/// What a backtest found.
#[derive(Debug, Clone, Default)]
pub struct BacktestSummary {
    /// Records read inside the range.
    pub read: u64,
    /// Records read but stamped before the range, skipped.
    pub skipped: u64,
    /// The range (Unix ms), when reading Kafka.
    pub range: Option<(i64, i64)>,
    /// Per partition: where the range was and how much was read.
    pub partitions: Vec<PartitionRange>,
    /// Hits per rule of the current rule set.
    pub hits: BTreeMap<RuleKey, RuleTally>,
    /// Hits per rule of the candidate set, when there is one.
    pub candidate_hits: BTreeMap<RuleKey, RuleTally>,
    /// What the current rule set's rules cost, as their plugins measured.
    pub costs: CostTable,
    /// What the candidate's rules cost.
    pub candidate_costs: CostTable,
    /// Candidate vs current, when there is a candidate.
    pub diff: Option<Diff>,
    /// The scratch topic the alerts went to, and how many the broker acknowledged.
    pub scratch: Option<(String, u64)>,
    /// Wall-clock time.
    pub elapsed: Duration,
}

/// An instant given on the command line, as Unix milliseconds: RFC 3339
/// (`2026-11-30T00:00:00Z`), `now`, or relative to `now_ms` (`-30s`, `-90m`, `-24h`, `-7d`).
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, String> {
    let text = text.trim();
    if text == "now" {
        return Ok(now_ms);
    }
    if let Some(ago) = text.strip_prefix('-') {
        let (number, unit) = ago.split_at(ago.find(|c: char| !c.is_ascii_digit()).unwrap_or(ago.len()));
        let n: i64 = number.parse().map_err(|_| format!("{text:?}: a relative time is a number and a unit, like -24h"))?;
        let unit_ms = match unit {
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            _ => return Err(format!("{text:?}: the unit of a relative time is s, m, h or d")),
        };
        return n.checked_mul(unit_ms).and_then(|ago| now_ms.checked_sub(ago)).ok_or_else(|| format!("{text:?} is too far back"));
    }
    let at: jiff::Timestamp =
        text.parse().map_err(|e| format!("{text:?} is not a time: RFC 3339 (2026-11-30T00:00:00Z), now, or relative (-24h): {e}"))?;
    Ok(at.as_millisecond())
}

/// Unix milliseconds as RFC 3339.
fn show_time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |t| t.to_string())
}

/// The settings with `rules` in place of the rules of every stage that takes rules.
fn with_rules(mut settings: Settings, rules: &[PathBuf]) -> anyhow::Result<Settings> {
    if rules.is_empty() {
        return Ok(settings);
    }
    let rules: Vec<PathBuf> = rules.iter().map(std::path::absolute).collect::<Result<_, _>>()?;
    let mut taken = false;
    for stage in settings.pipeline.iter_mut().filter(|s| !s.rules.is_empty()) {
        stage.rules.clone_from(&rules);
        taken = true;
    }
    anyhow::ensure!(
        taken,
        "no stage of the configuration takes rules (`rules = [...]`, as a Sigma stage does): --rules and --candidate replace those"
    );
    Ok(settings)
}

/// A loaded chain, with the runtime that keeps its plugins.
struct Loaded {
    _runtime: Runtime,
    chain: Chain,
}

fn load(settings: Settings, what: &str) -> anyhow::Result<Loaded> {
    let max = settings.limits.max_record_bytes;
    let runtime = Runtime::start(settings, None).with_context(|| format!("loading the {what} pipeline"))?;
    let chain = Chain::new(runtime.pipeline().current().stages.iter().cloned()).with_max_record_bytes(max);
    Ok(Loaded { _runtime: runtime, chain })
}

/// Where the records come from.
enum Records {
    Kafka(History),
    Files(LineSource),
}

impl Records {
    fn next_batch(&mut self, max: usize) -> anyhow::Result<(Vec<InputRecord>, Vec<Option<i64>>)> {
        Ok(match self {
            Records::Kafka(history) => history.next_batch(max)?.into_iter().unzip(),
            Records::Files(files) => {
                let batch = files.next_batch(max)?;
                let stamps = vec![None; batch.len()];
                (batch, stamps)
            }
        })
    }
}

/// Counts a batch's alerts by rule, with the first and last timestamp each fired on.
fn tally(hits: &mut BTreeMap<RuleKey, RuleTally>, out: &ChainOutput, stamps: &[Option<i64>]) {
    for routed in &out.routed {
        if let Payload::Alert(alert) = &routed.payload {
            let entry = hits
                .entry((alert.rule_id.clone(), alert.shadow))
                .or_insert_with(|| RuleTally { title: alert.title.clone(), ..RuleTally::default() });
            entry.hits += 1;
            if let Some(at) = stamps.get(routed.source as usize).copied().flatten() {
                entry.first = Some(entry.first.map_or(at, |f| f.min(at)));
                entry.last = Some(entry.last.map_or(at, |l| l.max(at)));
            }
        }
    }
}

/// Where a backtest's alerts go.
enum AlertSink<W: Write> {
    /// JSON lines to a file or stdout.
    Lines(W),
    /// Records of a scratch topic, keyed by alert id.
    Topic(ScratchTopic),
}

impl<W: Write> AlertSink<W> {
    /// Writes one rendered alert.
    fn alert(&mut self, id: &str, line: &mut Vec<u8>) -> anyhow::Result<()> {
        match self {
            AlertSink::Lines(to) => {
                line.push(b'\n');
                to.write_all(line).context("writing alerts")
            }
            AlertSink::Topic(topic) => topic.send(id, line),
        }
    }

    /// Flushes, or waits for every acknowledgement of the scratch topic.
    fn finish(self) -> anyhow::Result<Option<(String, u64)>> {
        match self {
            AlertSink::Lines(mut to) => to.flush().context("writing alerts").map(|()| None),
            AlertSink::Topic(topic) => topic.finish().map(Some),
        }
    }
}

/// Writes a batch's alerts, marked with their rule set when there are two.
fn write_alerts<W: Write>(
    renderer: &mut Renderer,
    inputs: &[InputRecord],
    out: &ChainOutput,
    set: Option<&str>,
    to: &mut AlertSink<W>,
) -> anyhow::Result<()> {
    let mut line = Vec::new();
    for item in out.items() {
        let Content::Routed(Payload::Alert(alert)) = item.content else { continue };
        line.clear();
        renderer.write(&item, inputs, set.map(|s| ("backtest", s)), &mut line)?;
        to.alert(&alert.id, &mut line)?;
    }
    Ok(())
}

/// Runs the backtest, writing alerts to `out` (or to its scratch topic, when it has one).
pub fn run<W: Write>(backtest: &Backtest, out: W) -> anyhow::Result<BacktestSummary> {
    let started = Instant::now();
    let mut settings = Settings::load_with(&backtest.config, backtest.overrides.clone(), std::env::vars())?;
    if backtest.flat {
        settings.format.json = JsonStyle::Flat;
    }
    let mut out = match &backtest.output_topic {
        Some(topic) => AlertSink::Topic(ScratchTopic::open(&settings, topic)?),
        None => AlertSink::Lines(out),
    };
    let (mut records, range) = if backtest.inputs.is_empty() {
        let kafka =
            settings.kafka.as_ref().context("nothing to read: the configuration has no [kafka] section; give --input files instead")?;
        let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis() as i64;
        let from = backtest.from.as_deref().context("--from is needed to read Kafka (e.g. --from -24h)")?;
        let from = parse_time(from, now).map_err(|e| anyhow::anyhow!("--from {e}"))?;
        let to = parse_time(backtest.to.as_deref().unwrap_or("now"), now).map_err(|e| anyhow::anyhow!("--to {e}"))?;
        anyhow::ensure!(from <= to, "--from {} is after --to {}", show_time(from), show_time(to));
        let history = History::open(kafka, from, to).context("finding the range in the input topics")?;
        for (topic, partition, low) in &history.truncated {
            tracing::warn!(%topic, partition, earliest = low, "the range may begin before the oldest record the partition keeps; reading from its earliest record");
        }
        (Records::Kafka(history), Some((from, to)))
    } else {
        anyhow::ensure!(
            backtest.from.is_none() && backtest.to.is_none(),
            "--from and --to select Kafka timestamps; over --input files every line is read"
        );
        (Records::Files(LineSource::new(backtest.inputs.clone()).with_max_record_bytes(settings.limits.max_record_bytes)), None)
    };
    let batch_size = settings.batch_size;
    let mut renderer = Renderer::for_format(&settings.format);
    let mut current = load(with_rules(settings.clone(), &backtest.rules)?, "current")?;
    let mut candidate =
        if backtest.candidate.is_empty() { None } else { Some(load(with_rules(settings, &backtest.candidate)?, "candidate")?) };
    let progress = match &records {
        Records::Kafka(history) => progress_bar(history.span()),
        Records::Files(_) => None,
    };
    let mut summary = BacktestSummary { range, ..BacktestSummary::default() };
    let mut diff = Diff::default();
    loop {
        let (batch, stamps) = records.next_batch(batch_size)?;
        if batch.is_empty() {
            break;
        }
        summary.read += batch.len() as u64;
        let current_out = current.chain.process(&batch);
        tally(&mut summary.hits, &current_out, &stamps);
        summary.costs.add(&current_out.costs);
        let set = candidate.as_ref().map(|_| "current");
        write_alerts(&mut renderer, &batch, &current_out, set, &mut out)?;
        if let Some(candidate) = &mut candidate {
            let candidate_out = candidate.chain.process(&batch);
            tally(&mut summary.candidate_hits, &candidate_out, &stamps);
            summary.candidate_costs.add(&candidate_out.costs);
            write_alerts(&mut renderer, &batch, &candidate_out, Some("candidate"), &mut out)?;
            diff.add(&batch, &current_out, &candidate_out);
        }
        if let (Some(bar), Records::Kafka(history)) = (&progress, &records) {
            bar.set_position(summary.read + history.skipped);
        }
    }
    summary.scratch = out.finish()?;
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    if let Records::Kafka(history) = &records {
        summary.skipped = history.skipped;
        summary.partitions = history.ranges().to_vec();
    }
    summary.diff = candidate.map(|_| diff);
    summary.elapsed = started.elapsed();
    Ok(summary)
}

/// A progress bar over the offsets of the range, when stderr is a terminal.
fn progress_bar(total: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal as _;
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} records {per_sec} eta {eta}").ok()?);
    Some(bar)
}

/// `logsift backtest`: alerts to `output` (or stdout), the summary on stderr unless `quiet`.
pub fn execute(backtest: &Backtest, output: Option<&std::path::Path>, quiet: bool) -> anyhow::Result<()> {
    let summary = match output {
        Some(path) => {
            let file = std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
            run(backtest, std::io::BufWriter::new(file))?
        }
        None => run(backtest, std::io::BufWriter::new(std::io::stdout().lock()))?,
    };
    if !quiet {
        eprint!("{summary}");
    }
    Ok(())
}

fn write_hits(f: &mut fmt::Formatter<'_>, hits: &BTreeMap<RuleKey, RuleTally>) -> fmt::Result {
    let mut rules: Vec<_> = hits.iter().collect();
    rules.sort_by(|a, b| b.1.hits.cmp(&a.1.hits).then(a.0.cmp(b.0)));
    let time = |t: Option<i64>| t.map_or_else(|| "-".to_owned(), show_time);
    for ((id, shadow), r) in rules {
        let mode = if *shadow { " (shadow)" } else { "" };
        writeln!(f, "  {:>8}  {:<24} {:<24} {id}{mode}  {}", r.hits, time(r.first), time(r.last), r.title)?;
    }
    Ok(())
}

impl fmt::Display for BacktestSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "logsift backtest: {} records read in {:.1} s", self.read, self.elapsed.as_secs_f64())?;
        if let Some((from, to)) = self.range {
            write!(f, ", stamped {} .. {}; {} stamped before the range skipped", show_time(from), show_time(to), self.skipped)?;
        }
        writeln!(f)?;
        for p in &self.partitions {
            writeln!(f, "  {}[{}] offsets {}..{}: {} records", p.topic, p.partition, p.start, p.end, p.read)?;
        }
        if let Some((topic, n)) = &self.scratch {
            writeln!(f, "  {n} alerts written to topic {topic} (acknowledged by the broker)")?;
        }
        writeln!(f, "  {:>8}  {:<24} {:<24} rule", "hits", "first", "last")?;
        write_hits(f, &self.hits)?;
        self.costs.write_costliest(f, super::run::SUMMARY_COSTLIEST)?;
        if let Some(diff) = &self.diff {
            writeln!(f, "candidate rule set:")?;
            write_hits(f, &self.candidate_hits)?;
            self.candidate_costs.write_costliest(f, super::run::SUMMARY_COSTLIEST)?;
            write!(f, "{diff}")?;
        }
        Ok(())
    }
}
