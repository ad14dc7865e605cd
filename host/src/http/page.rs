//! The live status page: `/` (HTML), `/status.js`, `/status.css` — three static files built
//! into the binary, so the page works with no network beyond this endpoint — and
//! `/status.json`, which the page polls every two seconds.
//!
//! What the page shows was partly written by attackers: dead letters are input records,
//! their reasons quote them, rule titles come from rule files, plugin names and versions from
//! plugin files. So every string in the JSON is bounded and made printable here
//! ([`printable`]), and the script only ever sets text (`textContent`, text nodes, plain
//! attributes), never markup; the Content-Security-Policy set by [`super::guard`] forbids
//! inline script and Trusted Types forbid turning a string into markup, should a bug try.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use super::history::Snapshot;
use super::{Status, unix_seconds};
use crate::metrics::OutputLabels;
use crate::metrics::activity::{TEXT_CHARS, printable};
use crate::pipeline::{ALERTS, EVENTS};

/// Rules listed, by hits.
pub const TOP_RULES: usize = 25;
/// Rules listed by cost.
pub const TOP_COSTS: usize = 10;
/// Dead-letter reasons listed, by count.
pub const TOP_REASONS: usize = 25;
/// Partitions drawn.
pub const MAX_PARTITIONS_SHOWN: usize = 64;
/// Characters kept of a refusal's reason (compiler errors run long).
const REFUSAL_CHARS: usize = 500;

/// `/`: the page.
pub async fn html() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], include_str!("status.html"))
}

/// `/status.js`: the page's only script.
pub async fn script() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/javascript; charset=utf-8")], include_str!("status.js"))
}

/// `/status.css`: the page's only style sheet.
pub async fn style() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], include_str!("status.css"))
}

/// The whole status, as `/status.json` serves it.
#[derive(Debug, Serialize)]
pub struct StatusJson {
    /// Now, in Unix seconds.
    pub now: f64,
    /// Seconds since the endpoint started.
    pub uptime_secs: u64,
    /// Partitions assigned and not stopping.
    pub ready: bool,
    /// Shutting down.
    pub stopping: bool,
    /// Input partitions this process owns.
    pub assigned_partitions: i64,
    /// Totals since start.
    pub totals: Totals,
    /// The running generation and its plugins.
    pub generation: GenerationJson,
    /// What the last reload refused.
    pub refused: Vec<RefusalJson>,
    /// Throughput and lag per partition.
    pub partitions: Snapshot,
    /// Hits per rule.
    pub rules: RulesJson,
    /// Dead letters by reason and the latest few.
    pub dead_letters: DeadLettersJson,
}

/// Totals since start.
#[derive(Debug, Serialize)]
pub struct Totals {
    /// Records consumed.
    pub records_in: u64,
    /// Events produced and acknowledged.
    pub events_out: u64,
    /// Alerts raised by plugins.
    pub alerts: u64,
    /// Alerts produced and acknowledged.
    pub alerts_out: u64,
    /// Records dead-lettered by the chain or after a broker refusal.
    pub dead_letters: u64,
    /// Dead letters acknowledged.
    pub dead_letters_out: u64,
    /// Records plugins dropped on purpose.
    pub dropped: u64,
}

/// The running generation.
#[derive(Debug, Serialize)]
pub struct GenerationJson {
    /// Its id.
    pub id: u64,
    /// When it was published, in Unix seconds.
    pub created: f64,
    /// Its stages in order.
    pub plugins: Vec<PluginJson>,
}

/// One stage of the running generation.
#[derive(Debug, Serialize)]
pub struct PluginJson {
    /// Stage name.
    pub stage: String,
    /// Plugin name, as the plugin declares it.
    pub plugin: String,
    /// Plugin version, as the plugin declares it.
    pub version: String,
    /// `parser`, `enricher` or `detector`.
    pub kind: String,
    /// BLAKE3 of the plugin file, hex.
    pub hash: String,
    /// `running` or `quarantined` (in at least one worker).
    pub status: &'static str,
    /// Plugin calls.
    pub calls: u64,
    /// Records handed in.
    pub records: u64,
    /// Calls that faulted.
    pub faults: u64,
    /// Alerts raised.
    pub alerts: u64,
    /// Times quarantined, over every worker.
    pub quarantines: u64,
    /// Workers where it is quarantined now.
    pub quarantined_workers: usize,
    /// When the latest quarantine ends, in Unix seconds.
    pub quarantined_until: Option<f64>,
}

/// A refused plugin file.
#[derive(Debug, Serialize)]
pub struct RefusalJson {
    /// The file.
    pub path: String,
    /// Why.
    pub reason: String,
    /// Whether a previous version keeps running.
    pub kept_previous: bool,
    /// When, in Unix seconds.
    pub at: f64,
}

/// Hits per rule.
#[derive(Debug, Serialize)]
pub struct RulesJson {
    /// The most hit rules, most first.
    pub top: Vec<RuleJson>,
    /// Rules tracked now.
    pub tracked: usize,
    /// The most rules tracked at once.
    pub capacity: usize,
    /// Rules folded away (least hit when the table was full).
    pub folded_rules: u64,
    /// The hits those rules had.
    pub folded_hits: u64,
    /// The rules that cost most to evaluate per event, costliest first, as their plugins
    /// measured on sampled events.
    pub costliest: Vec<RuleCostJson>,
    /// Rules measured.
    pub measured: usize,
}

/// What one rule costs.
#[derive(Debug, Serialize)]
pub struct RuleCostJson {
    /// Rule id.
    pub rule_id: String,
    /// Measured in a shadow stage.
    pub shadow: bool,
    /// Mean microseconds to evaluate one event.
    pub cost_us: f64,
    /// Events sampled.
    pub sampled: u64,
}

/// One rule.
#[derive(Debug, Serialize)]
pub struct RuleJson {
    /// Rule id.
    pub rule_id: String,
    /// Raised by a shadow stage (a rule on trial), counted apart from the same rule live.
    pub shadow: bool,
    /// Title.
    pub title: String,
    /// Level.
    pub level: &'static str,
    /// The stage that raised it.
    pub plugin: String,
    /// Alerts.
    pub hits: u64,
    /// The latest, in Unix seconds.
    pub last: f64,
    /// Mean microseconds to evaluate one event, when measured.
    pub cost_us: Option<f64>,
}

/// Dead letters.
#[derive(Debug, Serialize)]
pub struct DeadLettersJson {
    /// Counts per stage and reason, most first.
    pub by_reason: Vec<ReasonJson>,
    /// Reasons tracked now.
    pub tracked: usize,
    /// The most reasons tracked at once.
    pub capacity: usize,
    /// Reasons folded away.
    pub folded_reasons: u64,
    /// The dead letters they had.
    pub folded_count: u64,
    /// The latest few, newest first.
    pub latest: Vec<LatestJson>,
}

/// Dead letters of one reason.
#[derive(Debug, Serialize)]
pub struct ReasonJson {
    /// The stage.
    pub plugin: String,
    /// The reason.
    pub reason: String,
    /// How many.
    pub count: u64,
    /// The latest, in Unix seconds.
    pub last: f64,
}

/// One recent dead letter.
#[derive(Debug, Serialize)]
pub struct LatestJson {
    /// When, in Unix seconds.
    pub at: f64,
    /// The stage.
    pub plugin: String,
    /// Why.
    pub reason: String,
    /// `topic[partition]@offset`.
    pub source: String,
    /// The start of the record, as text.
    pub original: String,
    /// The record's length in bytes.
    pub original_bytes: usize,
}

fn seconds(t: Option<SystemTime>) -> f64 {
    t.map_or(0.0, unix_seconds)
}

/// Gathers the status. Locks taken: the activity tables and the history, one after the
/// other, each for a copy of what is shown.
pub fn snapshot(status: &Status) -> StatusJson {
    let now = SystemTime::now();
    let metrics = &status.metrics;
    let output = |name: &str| metrics.records_out.get(&OutputLabels { output: name.to_owned() }).map_or(0, |c| c.get());
    let generation = status.pipeline.current();
    let (rules, dead_letters, quarantines, alerts, dead_total) = {
        let tables = metrics.activity.tables();
        let rules = RulesJson {
            top: tables
                .rules
                .top(TOP_RULES)
                .into_iter()
                .map(|((rule_id, shadow), t)| RuleJson {
                    rule_id: rule_id.clone(),
                    shadow: *shadow,
                    title: t.info.title.clone(),
                    level: t.info.level,
                    plugin: t.info.plugin.clone(),
                    hits: t.count,
                    last: seconds(t.last),
                    cost_us: tables.costs.get(&(rule_id.clone(), *shadow)).map(|c| c.mean_ns() / 1e3),
                })
                .collect(),
            tracked: tables.rules.len(),
            capacity: tables.rules.capacity(),
            folded_rules: tables.rules.folded_keys(),
            folded_hits: tables.rules.folded_count(),
            costliest: tables
                .costs
                .costliest(TOP_COSTS)
                .into_iter()
                .map(|((rule_id, shadow), c)| RuleCostJson {
                    rule_id: rule_id.clone(),
                    shadow: *shadow,
                    cost_us: c.mean_ns() / 1e3,
                    sampled: c.evaluations,
                })
                .collect(),
            measured: tables.costs.len(),
        };
        let dead_letters = DeadLettersJson {
            by_reason: tables
                .reasons
                .top(TOP_REASONS)
                .into_iter()
                .map(|((plugin, reason), t)| ReasonJson {
                    plugin: plugin.clone(),
                    reason: reason.clone(),
                    count: t.count,
                    last: seconds(t.last),
                })
                .collect(),
            tracked: tables.reasons.len(),
            capacity: tables.reasons.capacity(),
            folded_reasons: tables.reasons.folded_keys(),
            folded_count: tables.reasons.folded_count(),
            latest: tables
                .latest
                .iter()
                .rev()
                .map(|d| LatestJson {
                    at: unix_seconds(d.at),
                    plugin: d.plugin.clone(),
                    reason: d.reason.clone(),
                    source: d.source.clone(),
                    original: d.original.clone(),
                    original_bytes: d.original_bytes,
                })
                .collect(),
        };
        let quarantines: Vec<(String, u64, Vec<SystemTime>)> = tables
            .quarantines
            .top(tables.quarantines.len())
            .into_iter()
            .map(|(k, t)| (k.clone(), t.count, t.info.values().copied().collect()))
            .collect();
        (rules, dead_letters, quarantines, tables.alerts, tables.dead_letters)
    };
    // Quarantined now: as the workers last reported (a quarantine can lift early); until
    // when: from when each began and how long it lasts.
    let degraded = metrics.degraded_stages();
    let plugins = generation
        .stages
        .iter()
        .map(|(p, _)| {
            let stage = printable(&p.name, TEXT_CHARS);
            let (count, until) =
                quarantines.iter().find(|(s, _, _)| *s == stage).map_or((0, &[][..]), |(_, n, until)| (*n, until.as_slice()));
            let workers = degraded.iter().find(|(s, _)| **s == *p.name).map_or(0, |(_, n)| usize::try_from(*n).unwrap_or(0));
            let active: Vec<SystemTime> = until.iter().copied().filter(|u| *u > now).collect();
            let load = |c: &std::sync::atomic::AtomicU64| c.load(Ordering::Relaxed);
            PluginJson {
                plugin: printable(&p.meta.name, TEXT_CHARS),
                version: printable(&p.meta.version, TEXT_CHARS),
                kind: p.meta.kind.to_string(),
                hash: p.hash.clone(),
                status: if workers == 0 { "running" } else { "quarantined" },
                calls: load(&p.counters.calls),
                records: load(&p.counters.records),
                faults: load(&p.counters.faults),
                alerts: load(&p.counters.alerts),
                quarantines: count,
                quarantined_workers: workers,
                quarantined_until: if workers == 0 { None } else { active.iter().max().copied().map(unix_seconds) },
                stage,
            }
        })
        .collect();
    let refused = status
        .pipeline
        .refusals()
        .into_iter()
        .map(|r| RefusalJson {
            path: printable(&r.path.display().to_string(), TEXT_CHARS),
            reason: printable(&r.reason, REFUSAL_CHARS),
            kept_previous: r.kept_previous,
            at: unix_seconds(r.at),
        })
        .collect();
    let stopping = status.stopping.load(Ordering::Relaxed);
    let assigned_partitions = metrics.assigned_partitions.get();
    StatusJson {
        now: unix_seconds(now),
        uptime_secs: status.started.elapsed().as_secs(),
        ready: !stopping && assigned_partitions > 0,
        stopping,
        assigned_partitions,
        totals: Totals {
            records_in: metrics.partitions().iter().map(|p| p.records).sum(),
            events_out: output(EVENTS),
            alerts,
            alerts_out: output(ALERTS),
            dead_letters: dead_total,
            dead_letters_out: metrics.dead_letters.get(),
            dropped: metrics.dropped.get(),
        },
        generation: GenerationJson { id: generation.id, created: unix_seconds(generation.created), plugins },
        refused,
        partitions: status.history.snapshot(MAX_PARTITIONS_SHOWN),
        rules,
        dead_letters,
    }
}

/// `/status.json`.
pub async fn json(State(status): State<Arc<Status>>) -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], Json(snapshot(&status)))
}
