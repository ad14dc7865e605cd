//! A detector that runs Sigma rules as they are written — no Rust needed — inside the
//! sandbox. Rules are parsed and compiled once, at `init`, by the `rsigma` crates; each
//! event is then matched against all of them, and every match raises an alert with the
//! rule's id, title, level, tags (ATT&CK) and status, and the selections that matched.
//!
//! Settings:
//!
//! | key | what |
//! |---|---|
//! | `rules` | the rule files, `[{path, text, previous}]`: the host fills it from the stage's `rules` paths |
//! | `field_mapping` | Sigma field name → event field name (e.g. `Image` → `process.executable`); unmapped names are looked up as they are |
//! | `disabled` | rule ids that do not run |
//! | `exceptions` | `[{rule, match, reason}]`: the rule does not fire on events that `match` (a Sigma selection) |
//! | `throttle` | `{seconds, by = [fields], max_keys, rules = {<id> = {seconds, by}}}`: hold back repeats of a rule for the same key within a window of event time (see [`throttle`]) |
//! | `logsources` | `[{when = {field = value}, logsource = {product, category, service}}]`: how to tell an event's logsource, so rules meet only the events they are for (see [`routing`]) |
//! | `correlation` | `{max_groups, max_entries_per_group}`: the bounds of correlation state (see [`correlation`]) |
//! | `cost_sample_every` | measure every rule's cost on one event in this many (0: never); default 64 × the rules, at least 1,024 (see [`cost`]) |
//!
//! A rule file that does not parse, or a rule that does not compile, is refused alone: it
//! is logged with its file and reason, and the other rules load. When the host hands over
//! the file's earlier texts (`previous`, as it does on a reload), the newest earlier text
//! that loads keeps running instead, and the log says so.

pub mod base64offset;
pub mod correlation;
pub mod cost;
pub mod routing;
mod ruleset;
pub mod throttle;
mod view;

use std::collections::BTreeMap;

use logsift_sdk::{Alert, Context, Event, Kind, Level, Metadata, Outcome, Plugin, Settings, export_plugin, log};
use serde::Deserialize;

pub use ruleset::{Exception, Kept, LoadOptions, Refusal, RuleFile, RuleSet, load};
pub use view::{FieldMapping, SigmaView};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct SigmaSettings {
    rules: Vec<RuleFile>,
    field_mapping: BTreeMap<String, String>,
    disabled: Vec<String>,
    exceptions: Vec<Exception>,
    logsources: Vec<routing::Route>,
    throttle: throttle::ThrottleConfig,
    correlation: correlation::CorrelationSettings,
    cost_sample_every: Option<u64>,
}

/// The Sigma detector.
pub struct Sigma {
    rules: RuleSet,
    mapping: FieldMapping,
    router: routing::Router,
    throttle: throttle::Throttle,
    correlator: Option<correlation::Correlator>,
    sampler: cost::Sampler,
}

impl Sigma {
    /// The loaded rule set.
    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }
}

fn level(level: Option<rsigma_parser::Level>) -> Level {
    use rsigma_parser::Level as Sigma;
    match level {
        Some(Sigma::Informational) => Level::Informational,
        Some(Sigma::Low) => Level::Low,
        Some(Sigma::Medium) | None => Level::Medium,
        Some(Sigma::High) => Level::High,
        Some(Sigma::Critical) => Level::Critical,
    }
}

impl Plugin for Sigma {
    const METADATA: Metadata = Metadata::new("sigma", env!("CARGO_PKG_VERSION"), Kind::Detector, "runs Sigma rules");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: SigmaSettings = settings.parse()?;
        let options =
            LoadOptions { disabled: &settings.disabled, exceptions: &settings.exceptions, correlation: settings.correlation.config() };
        let mut rules = load(&settings.rules, options);
        for k in &rules.kept {
            log::warn("sigma rule file is broken; its previous version keeps running", &[("file", &k.path), ("reason", &k.reason)]);
        }
        for r in &rules.refused {
            let rule = r.rule.as_deref().unwrap_or("-");
            log::warn("sigma rule refused", &[("file", &r.path), ("rule", rule), ("reason", &r.reason)]);
        }
        let loaded = rules.loaded.to_string();
        let correlations = rules.correlation_rules.to_string();
        let refused = rules.refused.len().to_string();
        log::info("sigma rules loaded", &[("rules", &loaded), ("correlations", &correlations), ("refused", &refused)]);
        let router = routing::Router::new(settings.logsources)?;
        let throttle = throttle::Throttle::new(settings.throttle);
        let correlator = rules.correlations.take().map(correlation::Correlator::new);
        let sampler = cost::Sampler::new(settings.cost_sample_every, rules.engine.rule_count());
        Ok(Sigma { rules, mapping: FieldMapping::new(settings.field_mapping), router, throttle, correlator, sampler })
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        let view = SigmaView::new(event, &self.mapping);
        cost::measure(self.rules.engine.rules(), &view, self.sampler.due(), ctx);
        let results = if self.router.is_empty() {
            self.rules.engine.evaluate(&view)
        } else {
            // Each rule whose logsource conflicts with none of the event's, evaluated once. The
            // rules read the event many times: routing reads it through the map of its names.
            self.rules.engine.evaluate_pruned_any(&view, &self.router.route(|name| view.mapped_field(name)))
        };
        let results = match &mut self.correlator {
            Some(correlator) => correlator.process(event, &view, results),
            None => results,
        };
        for result in results {
            let header = &result.header;
            let id = header.rule_id.clone().unwrap_or_else(|| header.rule_title.clone());
            if result.is_detection() && self.rules.silent.contains(&id) {
                continue;
            }
            let throttle::Verdict::Send { held } = self.throttle.check(&id, event) else { continue };
            let mut alert = Alert::new(id.clone(), header.rule_title.clone(), level(header.level)).with_tags(header.tags.iter().cloned());
            if let Some(status) = self.rules.info.get(&id).and_then(|i| i.status.clone()) {
                alert = alert.with_status(status);
            }
            if let Some(detection) = result.as_detection() {
                // In name order: rsigma lists a selector's (`1 of selection_*`) matches in
                // its hash map's order, which changes from one build to the next.
                let mut selections: Vec<&str> = detection.matched_selections.iter().map(String::as_str).collect();
                selections.sort_unstable();
                alert = alert.with_detail("sigma.selections", selections.join(","));
            }
            if let Some(correlation) = result.as_correlation() {
                let group: Vec<String> = correlation.group_key.iter().map(|(field, value)| format!("{field}={value}")).collect();
                let group = group.join(",");
                alert = alert
                    .with_dedupe_key(group.clone())
                    .with_detail("sigma.correlation.type", correlation.correlation_type.as_str())
                    .with_detail("sigma.correlation.group", group)
                    .with_detail("sigma.correlation.value", correlation.aggregated_value.to_string())
                    .with_detail("sigma.correlation.timespan_secs", correlation.timespan_secs.to_string());
            }
            if held > 0 {
                alert = alert.with_detail("sigma.suppressed", held.to_string());
            }
            ctx.alert(alert);
        }
        Outcome::Pass
    }
}

// The whole SigmaHQ corpus needs about 224 MiB once compiled (mostly rsigma's candidate
// index): the default of 64 would refuse it.
logsift_sdk::declare_limits!(memory_mb = 512);

export_plugin!(Sigma);
