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

use crate::config::{JsonStyle, Settings};
use crate::files::{Framing, LineSource};
use crate::pipeline::{Chain, Payload};
use crate::reload::Reloader;
use crate::render::Renderer;
use crate::run::{RuleHits, count_hits};
use crate::wasm::{EpochTicker, new_engine};

/// What a hunt runs.
pub struct Hunt {
    /// Rule files or directories.
    pub rules: Vec<PathBuf>,
    /// Input files; `-` is stdin.
    pub inputs: Vec<PathBuf>,
    /// The directory holding `json.wasm` and `sigma.wasm`.
    pub plugins: PathBuf,
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
    pub rules: BTreeMap<String, RuleHits>,
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
        crate::run::write_rule_hits(f, &self.rules)
    }
}

/// The pipeline a hunt runs: `json`, then `sigma` with the rules.
fn settings(hunt: &Hunt) -> anyhow::Result<Settings> {
    let plugin = |name: &str| -> anyhow::Result<PathBuf> {
        let path = hunt.plugins.join(format!("{name}.wasm"));
        anyhow::ensure!(path.is_file(), "plugin {} not found (set --plugins to the directory holding it)", path.display());
        Ok(path)
    };
    let config = serde_json::json!({
        "pipeline": [
            { "plugin": plugin("json")?, "on_reject": "dead-letter" },
            { "plugin": plugin("sigma")?, "rules": hunt.rules, "settings": hunt.settings, "limits": { "memory_mb": 512, "timeout_ms": 30000 } },
        ],
    });
    serde_json::from_value(config).context("building the hunt's pipeline")
}

/// Runs `hunt`, writing alerts as JSON lines to `out`.
pub fn hunt<W: Write>(hunt: &Hunt, mut out: W) -> anyhow::Result<HuntSummary> {
    for rules in &hunt.rules {
        anyhow::ensure!(rules.exists(), "rules {} not found", rules.display());
    }
    let settings = settings(hunt)?;
    let engine = new_engine().map_err(anyhow::Error::from).context("creating the WebAssembly engine")?;
    let _ticker = EpochTicker::start(&engine).context("starting the epoch ticker")?;
    let reloader = Reloader::start(&engine, settings.clone(), None).context("loading the Sigma rules")?;
    let mut chain = Chain::new(reloader.pipeline().current().stages.iter().cloned());
    let renderer = Renderer::new(if hunt.flat { JsonStyle::Flat } else { JsonStyle::Nested });
    let mut source = LineSource::framed(hunt.inputs.clone(), Framing::Json);
    let mut summary = HuntSummary::default();
    loop {
        let batch = source.next_batch(settings.batch_size)?;
        if batch.is_empty() {
            break;
        }
        summary.events += batch.len() as u64;
        let output = chain.process(&batch);
        count_hits(&output, &mut summary.rules);
        for record in &output.routed {
            match &record.payload {
                Payload::Alert(alert) => {
                    let json = renderer.alert(alert).context("rendering an alert")?;
                    serde_json::to_writer(&mut out, &json)?;
                    out.write_all(b"\n")?;
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

/// The sigma plugin's settings from a TOML file.
pub fn load_settings(path: &Path) -> anyhow::Result<serde_json::Map<String, serde_json::Value>> {
    config::Config::builder()
        .add_source(config::File::from(path).format(config::FileFormat::Toml).required(true))
        .build()
        .and_then(|c| c.try_deserialize())
        .with_context(|| format!("reading the Sigma settings {}", path.display()))
}
