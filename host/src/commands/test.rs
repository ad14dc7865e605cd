//! `logsift test`: rule and plugin tests as YAML files, one test per file — what analysts
//! write next to a rule. A test names the stages to run (as in `logsift.toml`), the input
//! (log lines, or events as JSON objects), and what must come out: alerts that must fire
//! (each a set of fields, by their flat ECS names), alerts that must not, events' fields,
//! counts. It runs in the same sandbox as the pipeline; a failure prints what was expected
//! beside the closest thing that came out, field by field.
//!
//! ```yaml
//! description: a failed root password login raises an alert
//! pipeline:                       # stages, in order; paths are relative to this file
//!   - plugin: syslog              # a bare name is a shipped plugin
//!   - plugin: self                # the plugin under test (`logsift test DIR` builds it)
//!     settings: { level: high }
//!   - plugin: sigma
//!     rules: [rules/]
//! tables:                         # lookup tables, as [tables.<name>]
//!   iocs: { kind: ioc, path: iocs.csv }
//! input:
//!   - "Dec 10 06:55:48 LabSZ sshd[24202]: Failed password for root from 203.0.113.7 port 58318 ssh2"
//!   - {"source.ip": "203.0.113.7"}  # an object is written as a JSON line
//! expect:
//!   alerts:                       # each must match some alert
//!     - { rule.id: logsift.sshd.failed-root-password, source.ip: 203.0.113.7 }
//!   not_alerts:                   # none may match any alert
//!     - { rule.id: something.else }
//!   alert_count: 1                # exactly this many alerts
//!   events:                       # the n-th event out has these fields
//!     - { user.name: root }
//!   dead_letters: 0
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::config::{JsonStyle, Settings};
use crate::pipeline::{ALERTS, Chain, DEAD_LETTER, InputRecord};
use crate::render::Renderer;
use crate::runtime::Runtime;
use crate::tables::TableConfig;

/// One stage of a test's pipeline.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Stage {
    /// A shipped plugin's name, `self`, or a path to a `.wasm` file.
    plugin: String,
    #[serde(default)]
    settings: Map<String, Json>,
    #[serde(default)]
    rules: Vec<PathBuf>,
    #[serde(default)]
    tables: Vec<String>,
}

/// What must come out.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Expect {
    alerts: Vec<Map<String, Json>>,
    not_alerts: Vec<Map<String, Json>>,
    alert_count: Option<usize>,
    events: Vec<Map<String, Json>>,
    event_count: Option<usize>,
    dead_letters: Option<usize>,
}

impl Expect {
    /// Whether nothing is expected at all.
    fn is_empty(&self) -> bool {
        self.alerts.is_empty()
            && self.not_alerts.is_empty()
            && self.alert_count.is_none()
            && self.events.is_empty()
            && self.event_count.is_none()
            && self.dead_letters.is_none()
    }
}

/// A test file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TestFile {
    #[serde(default)]
    description: Option<String>,
    pipeline: Vec<Stage>,
    #[serde(default)]
    tables: BTreeMap<String, TableConfig>,
    input: Vec<Json>,
    #[serde(default)]
    expect: Expect,
}

/// Where the plugins a test names are.
pub struct Plugins {
    /// The shipped plugins' directory.
    pub shipped: PathBuf,
    /// The plugin under test (`self`), if any.
    pub own: Option<PathBuf>,
}

/// The outcome of one test file.
#[derive(Debug)]
pub struct Outcome {
    /// The file.
    pub path: PathBuf,
    /// Its description.
    pub description: Option<String>,
    /// Every expectation that failed, each with what came out instead.
    pub failures: Vec<String>,
}

impl Outcome {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The test files under `path` (itself if a file; `*.yaml`/`*.yml` below it if a folder,
/// found as rule files are).
pub fn test_files(path: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if path.is_file() {
        return Ok(vec![path.to_owned()]);
    }
    crate::reload::spec::rule_files(&[path.to_owned()]).with_context(|| format!("reading {}", path.display()))
}

fn plugin_path(name: &str, base: &Path, plugins: &Plugins) -> anyhow::Result<PathBuf> {
    if name == "self" {
        return plugins.own.clone().context("`plugin: self` needs a plugin under test: run `logsift test` on the plugin's folder");
    }
    Ok(crate::config::plugin_file(Path::new(name), &plugins.shipped).unwrap_or_else(|| base.join(name)))
}

fn settings(test: &TestFile, base: &Path, plugins: &Plugins) -> anyhow::Result<Settings> {
    let mut pipeline = Vec::new();
    for stage in &test.pipeline {
        let rules: Vec<PathBuf> = stage.rules.iter().map(|r| base.join(r)).collect();
        pipeline.push(serde_json::json!({
            "plugin": plugin_path(&stage.plugin, base, plugins)?,
            "settings": stage.settings,
            "rules": rules,
            "tables": stage.tables,
            "limits": { "memory_mb": 512, "timeout_ms": 30000 },
        }));
    }
    let tables: BTreeMap<&String, TableConfig> =
        test.tables.iter().map(|(name, t)| (name, TableConfig { path: base.join(&t.path), ..t.clone() })).collect();
    let config = serde_json::json!({ "pipeline": pipeline, "tables": tables });
    let mut settings: Settings = serde_json::from_value(config).context("the test's pipeline")?;
    settings.compile_cache = crate::config::compile_cache_without_config();
    Ok(settings)
}

/// Whether `actual` has every field of `expected` (numbers and text compare by value, so
/// `port: 22` matches `"22"`).
fn matches(expected: &Map<String, Json>, actual: &Map<String, Json>) -> bool {
    expected.iter().all(|(k, v)| actual.get(k).is_some_and(|a| same(v, a)))
}

fn same(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::String(e), Json::Number(a)) | (Json::Number(a), Json::String(e)) => e == &a.to_string(),
        (Json::String(e), Json::Bool(a)) => e == &a.to_string(),
        (Json::Number(e), Json::Number(a)) => e.as_f64() == a.as_f64(),
        (Json::String(e), Json::Array(items)) => items.iter().any(|i| same(&Json::String(e.clone()), i)),
        _ => expected == actual,
    }
}

/// Field by field: what `expected` wanted and what `actual` had.
fn diff(expected: &Map<String, Json>, actual: &Map<String, Json>) -> String {
    let mut out = String::new();
    for (k, v) in expected {
        match actual.get(k) {
            Some(a) if same(v, a) => {
                let _ = writeln!(out, "        {k}: {v}");
            }
            Some(a) => {
                let _ = writeln!(out, "      ✗ {k}: expected {v}, got {a}");
            }
            None => {
                let _ = writeln!(out, "      ✗ {k}: expected {v}, missing");
            }
        }
    }
    out
}

/// The record of `records` closest to `expected` (most fields equal).
fn closest<'r>(expected: &Map<String, Json>, records: &'r [Map<String, Json>]) -> Option<&'r Map<String, Json>> {
    records.iter().max_by_key(|r| expected.iter().filter(|(k, v)| r.get(*k).is_some_and(|a| same(v, a))).count())
}

fn summary(alerts: &[Map<String, Json>]) -> String {
    let ids: Vec<String> = alerts.iter().map(|a| a.get("rule.id").map_or("?".into(), |v| v.to_string())).collect();
    if ids.is_empty() { "no alert".into() } else { format!("{} alerts: {}", ids.len(), ids.join(", ")) }
}

fn check(expect: &Expect, alerts: &[Map<String, Json>], events: &[Map<String, Json>], dead: &[Map<String, Json>]) -> Vec<String> {
    let mut failures = Vec::new();
    for (i, wanted) in expect.alerts.iter().enumerate() {
        if !alerts.iter().any(|a| matches(wanted, a)) {
            let near = match closest(wanted, alerts) {
                Some(a) => format!("    the closest alert:\n{}", diff(wanted, a)),
                None => "    no alert fired\n".into(),
            };
            failures.push(format!("expected alert {} did not fire ({})\n{near}", i + 1, summary(alerts)));
        }
    }
    for unwanted in &expect.not_alerts {
        if let Some(a) = alerts.iter().find(|a| matches(unwanted, a)) {
            failures.push(format!(
                "an alert that must not fire did: {}\n{}",
                a.get("rule.id").map_or("?".into(), Json::to_string),
                diff(unwanted, a)
            ));
        }
    }
    if let Some(n) = expect.alert_count.filter(|n| *n != alerts.len()) {
        failures.push(format!("expected {n} alerts, got {} ({})", alerts.len(), summary(alerts)));
    }
    if let Some(n) = expect.event_count.filter(|n| *n != events.len()) {
        failures.push(format!("expected {n} events, got {}", events.len()));
    }
    for (i, wanted) in expect.events.iter().enumerate() {
        match events.get(i) {
            Some(e) if matches(wanted, e) => {}
            Some(e) => failures.push(format!("event {} differs:\n{}", i + 1, diff(wanted, e))),
            None => failures.push(format!("expected an event {}, only {} came out", i + 1, events.len())),
        }
    }
    if let Some(n) = expect.dead_letters.filter(|n| *n != dead.len()) {
        let reasons: Vec<String> = dead.iter().filter_map(|d| d.get("error.message").map(Json::to_string)).collect();
        failures.push(format!("expected {n} dead letters, got {} {reasons:?}", dead.len()));
    }
    failures
}

/// `logsift test`: builds each plugin folder named, then runs every test file; prints a
/// line per test and the failures with their diffs, and fails if any test failed.
pub fn execute(paths: Vec<PathBuf>, overrides: &crate::config::Overrides) -> anyhow::Result<()> {
    crate::telemetry::init(&crate::config::LogConfig { level: "warn".into(), ..Default::default() });
    let shipped = crate::config::plugin_dir_without_config(overrides);
    let (mut passed, mut failed) = (0, 0);
    for path in paths {
        let (own, tests) = if path.join("Cargo.toml").is_file() {
            let built = super::new::build(&path)?;
            (Some(built), path.join("tests"))
        } else {
            (None, path.clone())
        };
        let plugins = Plugins { shipped: shipped.clone(), own };
        let files = test_files(&tests)?;
        anyhow::ensure!(!files.is_empty(), "no test files (*.yaml) in {}", tests.display());
        for file in files {
            let outcome = run_file(&file, &plugins)?;
            let what = outcome.description.as_deref().unwrap_or_default();
            if outcome.passed() {
                passed += 1;
                println!("ok      {}  {what}", file.display());
            } else {
                failed += 1;
                println!("FAILED  {}  {what}", file.display());
                for failure in &outcome.failures {
                    println!("  - {failure}");
                }
            }
        }
    }
    println!("{passed} passed, {failed} failed");
    anyhow::ensure!(failed == 0, "{failed} tests failed");
    Ok(())
}

/// Runs one test file.
pub fn run_file(path: &Path, plugins: &Plugins) -> anyhow::Result<Outcome> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let test: TestFile = yaml_serde::from_str(&text).with_context(|| format!("{}: not a logsift test", path.display()))?;
    anyhow::ensure!(
        !test.expect.is_empty(),
        "{}: the test expects nothing, so it could never fail: give `expect` at least one of alerts, not_alerts, alert_count, events, event_count, dead_letters",
        path.display()
    );
    let base = path.parent().unwrap_or(Path::new("."));
    let settings = settings(&test, base, plugins).with_context(|| path.display().to_string())?;
    let max_record_bytes = settings.limits.max_record_bytes;
    let runtime = Runtime::start(settings, None).with_context(|| format!("{}: loading the pipeline", path.display()))?;
    let mut chain = Chain::new(runtime.pipeline().current().stages.iter().cloned()).with_max_record_bytes(max_record_bytes);
    let inputs: Vec<InputRecord> = test
        .input
        .iter()
        .enumerate()
        .map(|(i, item)| InputRecord {
            cut_from: None,
            raw: match item {
                Json::String(line) => line.clone().into_bytes(),
                other => other.to_string().into_bytes(),
            },
            origin: logsift_event::Origin::File { path: path.display().to_string().into(), line: i as u64 + 1 },
        })
        .collect();
    let mut renderer = Renderer::new(JsonStyle::Flat);
    let (mut alerts, mut events, mut dead) = (Vec::new(), Vec::new(), Vec::new());
    for batch in inputs.chunks(256) {
        let output = chain.process(batch);
        for item in output.items() {
            let map = renderer.item(&item, batch)?;
            match item.output {
                ALERTS => alerts.push(map),
                DEAD_LETTER => dead.push(map),
                _ => events.push(map),
            }
        }
    }
    Ok(Outcome { path: path.to_owned(), description: test.description, failures: check(&test.expect, &alerts, &events, &dead) })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(v: Json) -> Map<String, Json> {
        v.as_object().expect("object").clone()
    }

    #[test]
    fn fields_compare_by_value_and_failures_say_what_differed() {
        let alert = map(serde_json::json!({"rule.id": "r", "source.port": 22, "user.name": "root", "tags": ["a", "b"]}));
        assert!(matches(&map(serde_json::json!({"source.port": "22", "tags": "b"})), &alert));
        let expect = Expect {
            alerts: vec![map(serde_json::json!({"rule.id": "r", "user.name": "admin"}))],
            not_alerts: vec![map(serde_json::json!({"rule.id": "r"}))],
            alert_count: Some(2),
            ..Expect::default()
        };
        let failures = check(&expect, &[alert], &[], &[]);
        assert_eq!(failures.len(), 3, "{failures:#?}");
        assert!(failures[0].contains("✗ user.name: expected \"admin\", got \"root\""), "{}", failures[0]);
        assert!(failures[1].contains("must not fire"), "{}", failures[1]);
        assert!(failures[2].contains("expected 2 alerts, got 1"), "{}", failures[2]);
    }
}
