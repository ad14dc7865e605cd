//! `logsift sigma`: hunting with a Sigma rule directory over a log file, as analysts do
//! with chainsaw or hayabusa — through the same `json` parser and `sigma` plugin, in the
//! same sandbox, as the pipeline. Input is JSON: lines of flat events, or Windows events
//! exported as JSON (`{"Event": {"System": …, "EventData": …}}`, pretty-printed, several
//! per file). One JSON alert per line comes out; a per-rule hit summary goes to stderr.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::run::{RuleHits, count_hits};
use crate::config::{JsonStyle, Overrides, Settings};
use crate::files::{Framing, LineSource};
use crate::pipeline::{Chain, Payload};
use crate::render::Renderer;
use crate::runtime::Runtime;

/// What a hunt runs.
pub struct Hunt {
    /// Rule files or directories.
    pub rules: Vec<PathBuf>,
    /// Input files; `-` is stdin.
    pub inputs: Vec<PathBuf>,
    /// The command line's overrides (`--plugin-dir`: where `json` and `sigma` are).
    pub overrides: Overrides,
    /// The sigma plugin's settings (field mapping, logsources, exceptions, …), if any.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// Flat (`rule.id`) rather than nested JSON.
    pub flat: bool,
}

/// What a hunt found.
#[derive(Debug, Default)]
pub struct HuntSummary {
    /// Events read.
    pub events: u64,
    /// Records that were not JSON events, with where and why.
    pub unreadable: Vec<String>,
    /// Per rule id.
    pub rules: BTreeMap<crate::pipeline::RuleKey, RuleHits>,
    /// What the rules cost, as the plugin measured.
    pub costs: crate::pipeline::CostTable,
}

impl fmt::Display for HuntSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alerts: u64 = self.rules.values().map(|r| r.hits).sum();
        writeln!(
            f,
            "logsift sigma: {} events, {} alerts from {} rules, {} unreadable records",
            self.events,
            alerts,
            self.rules.len(),
            self.unreadable.len()
        )?;
        super::run::write_rule_hits(f, &self.rules)?;
        self.costs.write_costliest(f, super::run::SUMMARY_COSTLIEST)
    }
}

/// The pipeline a hunt runs: `json`, then `sigma` with the rules.
fn settings(hunt: &Hunt) -> anyhow::Result<Settings> {
    let config = serde_json::json!({
        "pipeline": [
            { "plugin": "json", "on_reject": "dead-letter" },
            { "plugin": "sigma", "rules": hunt.rules, "settings": hunt.settings, "limits": { "memory_mb": 512, "timeout_ms": 30000 } },
        ],
    });
    let mut settings: Settings = serde_json::from_value(config).context("building the hunt's pipeline")?;
    settings.overrides = hunt.overrides.clone();
    settings.plugin_dir = std::env::var_os("LOGSIFT_PLUGIN_DIR").map(PathBuf::from);
    settings.compile_cache = crate::config::compile_cache_without_config();
    settings.resolve_paths(Path::new("."));
    for stage in &settings.pipeline {
        let path = stage.plugin.as_deref().unwrap_or(Path::new(""));
        anyhow::ensure!(path.is_file(), "plugin {} not found (give the folder of the shipped plugins with --plugin-dir)", path.display());
    }
    Ok(settings)
}

/// Runs `hunt`, writing alerts as JSON lines to `out`.
pub fn hunt<W: Write>(hunt: &Hunt, mut out: W) -> anyhow::Result<HuntSummary> {
    for rules in &hunt.rules {
        anyhow::ensure!(rules.exists(), "rules {} not found", rules.display());
    }
    let settings = settings(hunt)?;
    let (batch_size, max_record_bytes) = (settings.batch_size, settings.limits.max_record_bytes);
    let runtime = Runtime::start(settings, None).context("loading the Sigma rules")?;
    let mut chain = Chain::new(runtime.pipeline().current().stages.iter().cloned()).with_max_record_bytes(max_record_bytes);
    let mut renderer = Renderer::new(if hunt.flat { JsonStyle::Flat } else { JsonStyle::Nested });
    let mut source = LineSource::framed(hunt.inputs.clone(), Framing::Json).with_max_record_bytes(max_record_bytes);
    let mut summary = HuntSummary::default();
    let mut line = Vec::new();
    loop {
        let batch = source.next_batch(batch_size)?;
        if batch.is_empty() {
            break;
        }
        summary.events += batch.len() as u64;
        let output = chain.process(&batch);
        count_hits(&output, &mut summary.rules);
        summary.costs.add(&output.costs);
        for record in &output.routed {
            match &record.payload {
                Payload::Alert(alert) => {
                    line.clear();
                    renderer.alert(alert, &mut line).context("rendering an alert")?;
                    line.push(b'\n');
                    out.write_all(&line)?;
                }
                Payload::DeadLetter(dead) => {
                    let at = match &batch[record.source as usize].origin {
                        logsift_event::Origin::File { path, line } => format!("{path} line {line}"),
                        other => format!("{other:?}"),
                    };
                    summary.unreadable.push(format!("{at}: {}", dead.reason));
                }
                Payload::Event(_) => {}
            }
        }
        out.flush()?;
    }
    summary.events -= summary.unreadable.len() as u64;
    Ok(summary)
}

/// `logsift sigma`: alerts as JSON lines on stdout; unreadable records and, unless `quiet`,
/// the hits per rule on stderr.
pub fn execute(hunt: &Hunt, quiet: bool) -> anyhow::Result<()> {
    let stdout = std::io::stdout().lock();
    let summary = self::hunt(hunt, std::io::BufWriter::with_capacity(1 << 16, stdout)).context("hunting")?;
    for problem in &summary.unreadable {
        eprintln!("logsift sigma: skipped {problem}");
    }
    if !quiet {
        eprint!("{summary}");
    }
    Ok(())
}

/// The sigma plugin's settings from a TOML file.
pub fn load_settings(path: &Path) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml).required(true))
        .build()
        .and_then(|c| c.try_deserialize())
        .with_context(|| format!("reading the Sigma settings {}", path.display()))
}
