//! Loading a rule set: every rule file is parsed on its own (so one broken file is refused
//! alone, with its path and the parser's reason), then all rules are compiled into one
//! engine in one call (indexing once, not once per file).

use std::collections::HashMap;

use rsigma_eval::Engine;
use rsigma_parser::SigmaRule;
use serde::Deserialize;

/// One rule file as the host hands it over.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFile {
    /// Where it came from, for messages.
    pub path: String,
    /// Its YAML text.
    pub text: String,
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

/// What a rule adds to its alerts beyond what the engine reports.
#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    /// `stable`, `test`, `experimental`, …
    pub status: Option<String>,
}

/// The compiled rules and what was refused.
pub struct RuleSet {
    /// The engine holding every loaded rule.
    pub engine: Engine,
    /// Rules loaded.
    pub loaded: usize,
    /// Per rule id: what alerts need besides the engine's result.
    pub info: HashMap<String, RuleInfo>,
    /// Files and rules refused, each with its reason.
    pub refused: Vec<Refusal>,
}

/// Parses and compiles `files`, leaving out rules whose id is in `disabled`.
pub fn load(files: &[RuleFile], disabled: &[String]) -> RuleSet {
    let mut rules: Vec<(usize, SigmaRule)> = Vec::new();
    let mut refused = Vec::new();
    for (i, file) in files.iter().enumerate() {
        match rsigma_parser::parse_sigma_yaml(&file.text) {
            Ok(collection) => {
                refused.extend(collection.errors.iter().map(|e| Refusal { path: file.path.clone(), rule: None, reason: e.clone() }));
                rules.extend(collection.rules.into_iter().map(|r| (i, r)));
            }
            Err(e) => refused.push(Refusal { path: file.path.clone(), rule: None, reason: e.to_string() }),
        }
    }
    rules.retain(|(_, r)| r.id.as_ref().is_none_or(|id| !disabled.contains(id)));
    let mut engine = Engine::new();
    let errors = engine.add_rules(rules.iter().map(|(_, r)| r));
    for (index, error) in &errors {
        let (file, rule) = &rules[*index];
        refused.push(Refusal { path: files[*file].path.clone(), rule: Some(rule.title.clone()), reason: error.to_string() });
    }
    let info = rules
        .iter()
        .filter_map(|(_, r)| Some((r.id.clone()?, RuleInfo { status: r.status.map(|s| format!("{s:?}").to_lowercase()) })))
        .collect();
    RuleSet { loaded: rules.len() - errors.len(), engine, info, refused }
}
