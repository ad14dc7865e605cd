//! Loading a rule set. Every rule file is parsed and compiled on its own, so one broken
//! file is refused alone with its path and the parser's reason — or, when the host hands
//! over the file's earlier versions, the newest earlier version that loads keeps running.
//! Each file's syntax tree is dropped once compiled; the compiled rules then go into one
//! engine in one call (its indexes are built once, not once per file).
//!
//! Filters — Sigma filter documents in the rule files, and the `exceptions` of the
//! settings — are applied to the rules they name before the engine is built. Correlation
//! rules go into a [`CorrelationEngine`] that holds only them and the detection rules they
//! refer to (see [`crate::correlation`]).

use std::collections::{HashMap, HashSet};

use rsigma_eval::{CompiledRule, CorrelationConfig, CorrelationEngine, Engine};
use rsigma_parser::{
    ConditionOperator, CorrelationCondition, CorrelationRule, CorrelationType, FilterRule, FilterRuleTarget, SigmaCollection, SigmaRule,
};
use serde::Deserialize;

/// One rule file as the host hands it over.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Where it came from, for messages.
    pub path: String,
    /// Its YAML text.
    pub text: String,
    /// Its earlier texts, newest first: the host keeps them across reloads so that a file
    /// saved broken does not take its rules away.
    #[serde(default)]
    pub previous: Vec<String>,
}

/// A rule, or a rule file, that could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// The file.
    pub path: String,
    /// The rule's title, when the file parsed but the rule did not compile.
    pub rule: Option<String>,
    /// Why.
    pub reason: String,
}

/// A file whose newest text is broken, loaded from an earlier text instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kept {
    /// The file.
    pub path: String,
    /// Why its newest text was not loaded.
    pub reason: String,
}

/// An exception: alerts of `rule` are not raised for events that match `match`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// The rule's id (or title).
    pub rule: String,
    /// A Sigma selection: a map of `field|modifiers` to value(s), or a list of such maps (any
    /// of them).
    #[serde(rename = "match")]
    pub matches: serde_json::Value,
    /// Why the exception exists, for whoever reads the configuration.
    #[serde(default)]
    pub reason: Option<String>,
}

/// What a rule adds to its alerts beyond what the engine reports.
#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    /// `stable`, `test`, `experimental`, …
    pub status: Option<String>,
}

/// The compiled rules and what was refused.
pub struct RuleSet {
    /// The engine holding every loaded detection rule.
    pub engine: Engine,
    /// The correlation rules, when there are any.
    pub correlations: Option<CorrelationEngine>,
    /// Detection rules loaded.
    pub loaded: usize,
    /// Correlation rules loaded.
    pub correlation_rules: usize,
    /// Per rule id: what alerts need besides the engine's result.
    pub info: HashMap<String, RuleInfo>,
    /// Files and rules refused, each with its reason.
    pub refused: Vec<Refusal>,
    /// Files running an earlier version because the newest is broken.
    pub kept: Vec<Kept>,
    /// Ids of the rules that only feed correlations (`generate: false`, the default): they
    /// raise no alerts of their own.
    pub silent: HashSet<String>,
}

/// What to load, besides the rule files.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// Rule ids that do not run.
    pub disabled: &'a [String],
    /// Extra filters per rule.
    pub exceptions: &'a [Exception],
    /// The correlation engine's settings.
    pub correlation: CorrelationConfig,
}

/// A rule compiled, with what correlations and alerts need of it.
struct Loaded {
    rule: CompiledRule,
    id: Option<String>,
    name: Option<String>,
    status: Option<String>,
}

/// One file, compiled.
#[derive(Default)]
struct FileRules {
    rules: Vec<Loaded>,
    correlations: Vec<CorrelationRule>,
    filters: Vec<FilterRule>,
    /// Rules and documents that failed, as (rule title, reason).
    errors: Vec<(Option<String>, String)>,
}

fn compile_text(text: &str, disabled: &[String]) -> Result<FileRules, String> {
    let collection = rsigma_parser::parse_sigma_yaml(text).map_err(|e| e.to_string())?;
    Ok(compile_collection(collection, disabled))
}

fn is_disabled(id: Option<&String>, disabled: &[String]) -> bool {
    id.is_some_and(|id| disabled.contains(id))
}

fn compile_collection(collection: SigmaCollection, disabled: &[String]) -> FileRules {
    let mut out = FileRules { errors: collection.errors.into_iter().map(|e| (None, e)).collect(), ..FileRules::default() };
    for mut rule in collection.rules.into_iter().filter(|r| !is_disabled(r.id.as_ref(), disabled)) {
        crate::base64offset::rewrite(&mut rule);
        match rsigma_eval::compile_rule(&rule) {
            Ok(compiled) => out.rules.push(Loaded {
                rule: compiled,
                id: rule.id.clone(),
                name: rule.name.clone(),
                status: rule.status.map(|s| format!("{s:?}").to_lowercase()),
            }),
            Err(e) => out.errors.push((Some(rule.title.clone()), e.to_string())),
        }
    }
    out.correlations = collection.correlations.into_iter().filter(|c| !is_disabled(c.id.as_ref(), disabled)).collect();
    out.filters = collection.filters;
    out
}

/// Compiles one file: its newest text, or else the newest earlier text that loads whole.
fn compile_file(file: &RuleFile, disabled: &[String], kept: &mut Vec<Kept>) -> (Result<FileRules, String>, usize) {
    let newest = compile_text(&file.text, disabled);
    let broken = match &newest {
        Ok(rules) => rules.errors.first().map(|(rule, reason)| match rule {
            Some(rule) => format!("rule {rule:?}: {reason}"),
            None => reason.clone(),
        }),
        Err(reason) => Some(reason.clone()),
    };
    if let Some(reason) = broken {
        for (i, text) in file.previous.iter().enumerate() {
            if let Ok(rules) = compile_text(text, disabled)
                && rules.errors.is_empty()
            {
                kept.push(Kept { path: file.path.clone(), reason });
                return (Ok(rules), i + 1);
            }
        }
    }
    (newest, 0)
}

/// An exception as a Sigma filter document: the rule fires only where `match` does not.
fn exception_filter(exception: &Exception) -> Result<FilterRule, String> {
    let doc = serde_json::json!({
        "title": format!("exception for {}", exception.rule),
        "filter": { "rules": [exception.rule], "selection": exception.matches, "condition": "not selection" },
    });
    let collection = rsigma_parser::parse_sigma_yaml(&doc.to_string()).map_err(|e| e.to_string())?;
    if let Some(error) = collection.errors.first() {
        return Err(error.clone());
    }
    collection.filters.into_iter().next().ok_or_else(|| "not a selection".to_owned())
}

fn targets(filter: &FilterRule, rule: &CompiledRule) -> bool {
    match &filter.rules {
        FilterRuleTarget::Any => true,
        FilterRuleTarget::Specific(refs) => refs.iter().any(|r| rule.id.as_deref() == Some(r.as_str()) || rule.title == *r),
    }
}

/// Applies `filters` to the rules they name, in a small engine of those rules only (the big
/// engine's index is then built once, with the filtered rules).
fn apply_filters(rules: &mut [Loaded], filters: &[(String, FilterRule)], refused: &mut Vec<Refusal>) {
    if filters.is_empty() {
        return;
    }
    let hit: Vec<usize> = (0..rules.len()).filter(|&i| filters.iter().any(|(_, f)| targets(f, &rules[i].rule))).collect();
    let mut scratch = Engine::new();
    scratch.extend_compiled_rules(hit.iter().map(|&i| rules[i].rule.clone()));
    for (path, filter) in filters {
        if let Err(e) = scratch.apply_filter(filter) {
            refused.push(Refusal { path: path.clone(), rule: Some(filter.title.clone()), reason: e.to_string() });
        }
    }
    for (&i, filtered) in hit.iter().zip(scratch.rules()) {
        rules[i].rule = filtered.clone();
    }
}

/// Parses and compiles `files` under `options`.
pub fn load(files: &[RuleFile], options: LoadOptions<'_>) -> RuleSet {
    let mut refused = Vec::new();
    let mut kept = Vec::new();
    let mut rules: Vec<Loaded> = Vec::new();
    let mut correlations: Vec<(usize, CorrelationRule)> = Vec::new();
    let mut filters: Vec<(String, FilterRule)> = Vec::new();
    // Which text of each file was loaded (0: the newest), and which file holds each rule
    // id and name, so the rules correlations refer to can be found again.
    let mut used = vec![0; files.len()];
    let mut defined_in: HashMap<String, usize> = HashMap::new();
    for (i, file) in files.iter().enumerate() {
        let (compiled, version) = compile_file(file, options.disabled, &mut kept);
        used[i] = version;
        match compiled {
            Ok(compiled) => {
                refused.extend(compiled.errors.into_iter().map(|(rule, reason)| Refusal { path: file.path.clone(), rule, reason }));
                for r in &compiled.rules {
                    for key in r.id.iter().chain(r.name.iter()) {
                        defined_in.insert(key.clone(), i);
                    }
                }
                rules.extend(compiled.rules);
                correlations.extend(compiled.correlations.into_iter().map(|c| (i, c)));
                filters.extend(compiled.filters.into_iter().map(|f| (file.path.clone(), f)));
            }
            Err(reason) => refused.push(Refusal { path: file.path.clone(), rule: None, reason }),
        }
    }
    for exception in options.exceptions {
        match exception_filter(exception) {
            Ok(filter) => filters.push(("exceptions".to_owned(), filter)),
            Err(reason) => refused.push(Refusal {
                path: "exceptions".to_owned(),
                rule: Some(exception.rule.clone()),
                reason: format!("exception not loaded: {reason}"),
            }),
        }
    }
    apply_filters(&mut rules, &filters, &mut refused);

    let info = rules.iter().filter_map(|r| Some((r.id.clone()?, RuleInfo { status: r.status.clone() }))).collect::<HashMap<_, _>>();
    let loaded = rules.len();
    let mut silent = HashSet::new();
    let correlation_engine = if correlations.is_empty() {
        None
    } else {
        Some(correlation_engine(files, &used, &defined_in, options, &correlations, &mut refused, &mut silent))
    };
    let correlation_rules = correlation_engine.as_ref().map_or(0, CorrelationEngine::correlation_rule_count);
    let mut engine = Engine::new();
    engine.extend_compiled_rules(rules.into_iter().map(|r| r.rule));
    RuleSet { engine, correlations: correlation_engine, loaded, correlation_rules, info, refused, kept, silent }
}

/// The text of file `i` that was loaded.
fn loaded_text<'f>(files: &'f [RuleFile], used: &[usize], i: usize) -> &'f str {
    match used[i] {
        0 => &files[i].text,
        n => &files[i].previous[n - 1],
    }
}

/// A correlation engine with the correlation rules and the detection rules they refer to
/// (parsed again from their files: the detection engine keeps no syntax trees).
fn correlation_engine(
    files: &[RuleFile],
    used: &[usize],
    defined_in: &HashMap<String, usize>,
    options: LoadOptions<'_>,
    correlations: &[(usize, CorrelationRule)],
    refused: &mut Vec<Refusal>,
    silent: &mut HashSet<String>,
) -> CorrelationEngine {
    let refs: HashSet<&str> = correlations.iter().flat_map(|(_, c)| c.rules.iter().map(String::as_str)).collect();
    let quiet: HashSet<&str> =
        correlations.iter().filter(|(_, c)| !c.generate).flat_map(|(_, c)| c.rules.iter().map(String::as_str)).collect();
    let mut sources: Vec<usize> = refs.iter().filter_map(|r| defined_in.get(*r).copied()).collect();
    sources.sort_unstable();
    sources.dedup();
    let mut engine = CorrelationEngine::new(options.correlation);
    for i in sources {
        let Ok(collection) = rsigma_parser::parse_sigma_yaml(loaded_text(files, used, i)) else { continue };
        let referenced = |r: &&SigmaRule| r.id.iter().chain(r.name.iter()).any(|k| refs.contains(k.as_str()));
        for rule in collection.rules.iter().filter(referenced) {
            if rule.id.iter().chain(rule.name.iter()).any(|k| quiet.contains(k.as_str())) {
                silent.extend(rule.id.clone());
            }
            // A rule that failed to compile was refused above already.
            let _ = engine.add_rule(rule);
        }
    }
    let known: HashSet<&str> = defined_in
        .keys()
        .map(String::as_str)
        .chain(correlations.iter().flat_map(|(_, c)| c.id.iter().chain(c.name.iter()).map(String::as_str)))
        .collect();
    for (i, correlation) in correlations {
        let refusal = |reason: String| Refusal { path: files[*i].path.clone(), rule: Some(correlation.title.clone()), reason };
        if let Some(missing) = correlation.rules.iter().find(|r| !known.contains(r.as_str())) {
            refused.push(refusal(format!("refers to rule {missing:?}, which is not loaded")));
        } else if let Err(e) = engine.add_correlation(&all_rules_by_default(correlation)) {
            refused.push(refusal(e.to_string()));
        }
    }
    engine
}

/// The Sigma specification's default for `temporal` correlations: every rule they name must
/// match. (The parser reads a missing condition as `gte: 1`, which would make the correlation
/// fire on any single rule.)
fn all_rules_by_default(correlation: &CorrelationRule) -> CorrelationRule {
    let mut correlation = correlation.clone();
    let temporal = matches!(correlation.correlation_type, CorrelationType::Temporal | CorrelationType::TemporalOrdered);
    if let CorrelationCondition::Threshold { predicates, field: None, .. } = &mut correlation.condition
        && temporal
        && predicates.as_slice() == [(ConditionOperator::Gte, 1)]
    {
        predicates[0].1 = correlation.rules.len() as u64;
    }
    correlation
}
