//! Logsource routing: which Sigma `logsource` an event belongs to, from its own fields.
//!
//! Configured as an ordered list of `{ when = { field = value | [values] }, logsource =
//! { product, category, service } }`. Every entry whose conditions all hold applies: the
//! first to name a product or a service sets it; categories add up, because one event can
//! be of several (a Sysmon event 13 is both `registry_set` and `registry_event`). The
//! engine then skips rules whose logsource conflicts with the event's (a
//! `process_creation` rule on a network event); a dimension no entry sets prunes nothing,
//! so an event nobody described meets every rule.
//!
//! Each field the conditions name is read from the event once per event (a few fields:
//! `Channel`, `EventID`, …), not once per condition of each entry.

use std::borrow::Cow;
use std::collections::BTreeMap;

use logsift_sdk::Event;
use rsigma_parser::LogSource;
use serde::Deserialize;

/// A logsource's dimensions.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Dimensions {
    /// e.g. `windows`, `linux`.
    pub product: Option<String>,
    /// e.g. `process_creation`.
    pub category: Option<String>,
    /// e.g. `sysmon`, `security`, `sshd`.
    pub service: Option<String>,
}

/// One routing entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Route {
    /// Field conditions, all of which must hold: a value, or a list of which one must.
    pub when: BTreeMap<String, serde_json::Value>,
    /// The dimensions an event meeting them has.
    pub logsource: Dimensions,
}

fn text(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A field (its index in [`Router::fields`]) and the values (lowercase) one of which it
/// must have.
type Condition = (usize, Vec<String>);

/// Routing entries with their accepted values prepared for matching.
pub struct Router {
    /// The fields the conditions read, each once.
    fields: Vec<String>,
    routes: Vec<(Vec<Condition>, Dimensions)>,
}

impl Router {
    /// Prepares `routes`; a condition value that is neither text, a number, a boolean nor a
    /// list of those is an error naming the field.
    pub fn new(routes: Vec<Route>) -> Result<Self, String> {
        let mut fields: Vec<String> = Vec::new();
        let mut prepared = Vec::new();
        for route in routes {
            let mut conditions = Vec::new();
            for (field, value) in route.when {
                let values: Option<Vec<String>> = match &value {
                    serde_json::Value::Array(items) => items.iter().map(text).collect(),
                    other => text(other).map(|t| vec![t]),
                };
                let values = values.ok_or_else(|| format!("logsources: the condition on {field:?} must be a value or a list of values"))?;
                let at = fields.iter().position(|f| *f == field).unwrap_or_else(|| {
                    fields.push(field);
                    fields.len() - 1
                });
                conditions.push((at, values.into_iter().map(|v| v.to_lowercase()).collect()));
            }
            prepared.push((conditions, route.logsource));
        }
        Ok(Router { fields, routes: prepared })
    }

    /// Whether any routing is configured.
    pub fn is_empty(&self) -> bool {
        self.routes.is_empty()
    }

    /// The event's logsources: one per category it has (one without a category if none).
    pub fn route(&self, event: &Event<'_>) -> Vec<LogSource> {
        let texts: Vec<Option<Cow<'_, str>>> = self
            .fields
            .iter()
            .map(|field| {
                event.get(field).map(|v| match v.as_str() {
                    Some(s) => rsigma_eval::matcher::ascii_lowercase_cow(s),
                    None => Cow::Owned(v.to_string().to_lowercase()),
                })
            })
            .collect();
        let mut base = LogSource::default();
        let mut categories: Vec<&str> = Vec::new();
        for (conditions, dims) in &self.routes {
            let holds = conditions.iter().all(|(at, values)| texts[*at].as_deref().is_some_and(|t| values.iter().any(|v| v == t)));
            if holds {
                fill(&mut base.product, &dims.product);
                fill(&mut base.service, &dims.service);
                if let Some(c) = dims.category.as_deref().filter(|c| !categories.contains(c)) {
                    categories.push(c);
                }
            }
        }
        if categories.is_empty() {
            return vec![base];
        }
        categories.into_iter().map(|c| LogSource { category: Some(c.to_owned()), ..base.clone() }).collect()
    }
}

fn fill(slot: &mut Option<String>, value: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}
