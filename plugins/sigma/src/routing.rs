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
//! `Channel`, `EventID`, …) and looked up among the values the entries accept, which gives
//! the entries it satisfies as a bit set: no entry's values are compared one by one. The
//! logsources a set of entries gives are built once and kept for the next event of that
//! kind.

use std::borrow::Cow;
use std::collections::BTreeMap;

use logsift_sdk::Value;
use rsigma_parser::LogSource;
use rustc_hash::FxHashMap;
use serde::Deserialize;
use smallvec::SmallVec;

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

/// A set of routing entries, one bit per entry, in order.
type Routes = Box<[u64]>;

/// Sets of entries kept with the logsources they give: enough for every combination of
/// `Channel` and `EventID` a real configuration routes, while a configuration whose
/// values combine into more costs the sets past this a computation per event, not memory.
const MEMO_LIMIT: usize = 4096;

/// One field the conditions read: which entries put a condition on it, and for each value
/// one of them accepts (lowercase), which entries accept it.
struct FieldRoutes {
    name: String,
    conditioned: Routes,
    by_text: FxHashMap<String, Routes>,
    /// The entries accepting an integer, under its number: an `EventID` read as an
    /// integer is looked up without being written out as text.
    by_int: FxHashMap<i64, Routes>,
}

/// Routing entries compiled for matching: an event's fields are read once each and looked
/// up, rather than compared with every value of every entry.
pub struct Router {
    fields: Vec<FieldRoutes>,
    dimensions: Vec<Dimensions>,
    /// The logsources of each set of entries that held for an event so far (up to
    /// [`MEMO_LIMIT`] sets).
    memo: FxHashMap<Routes, Vec<LogSource>>,
}

impl Router {
    /// Prepares `routes`; a condition value that is neither text, a number, a boolean nor a
    /// list of those is an error naming the field.
    pub fn new(routes: Vec<Route>) -> Result<Self, String> {
        let words = routes.len().div_ceil(64);
        let no_routes = || -> Routes { vec![0; words].into_boxed_slice() };
        let mut fields: Vec<FieldRoutes> = Vec::new();
        let mut dimensions = Vec::with_capacity(routes.len());
        for (at, route) in routes.into_iter().enumerate() {
            let (word, bit) = (at / 64, 1u64 << (at % 64));
            for (field, value) in route.when {
                let values: Option<Vec<String>> = match &value {
                    serde_json::Value::Array(items) => items.iter().map(text).collect(),
                    other => text(other).map(|t| vec![t]),
                };
                let values = values.ok_or_else(|| format!("logsources: the condition on {field:?} must be a value or a list of values"))?;
                let index = fields.iter().position(|f| f.name == field).unwrap_or_else(|| {
                    fields.push(FieldRoutes {
                        name: field,
                        conditioned: no_routes(),
                        by_text: FxHashMap::default(),
                        by_int: FxHashMap::default(),
                    });
                    fields.len() - 1
                });
                let routes = &mut fields[index];
                routes.conditioned[word] |= bit;
                for value in values {
                    let value = value.to_lowercase();
                    if let Ok(number) = value.parse::<i64>()
                        && number.to_string() == value
                    {
                        routes.by_int.entry(number).or_insert_with(no_routes)[word] |= bit;
                    }
                    routes.by_text.entry(value).or_insert_with(no_routes)[word] |= bit;
                }
            }
            dimensions.push(route.logsource);
        }
        Ok(Router { fields, dimensions, memo: FxHashMap::default() })
    }

    /// Whether any routing is configured.
    pub fn is_empty(&self) -> bool {
        self.dimensions.is_empty()
    }

    /// The logsources of the event whose fields `read` gives by name: one per category it
    /// has (one without a category if none).
    pub fn route<'v>(&mut self, read: impl Fn(&str) -> Option<&'v Value<'v>>) -> Cow<'_, [LogSource]> {
        let mut held: SmallVec<[u64; 4]> = SmallVec::from_elem(u64::MAX, self.dimensions.len().div_ceil(64));
        for field in &self.fields {
            let accepted = read(&field.name).and_then(|value| match value {
                Value::Str(s) => field.by_text.get(rsigma_eval::matcher::ascii_lowercase_cow(s).as_ref()),
                Value::Int(n) => field.by_int.get(n),
                other => field.by_text.get(&other.to_string().to_lowercase()),
            });
            for (at, word) in held.iter_mut().enumerate() {
                *word &= !field.conditioned[at] | accepted.map_or(0, |routes| routes[at]);
            }
        }
        if self.memo.contains_key(held.as_slice()) {
            return Cow::Borrowed(&self.memo[held.as_slice()]);
        }
        let logsources = logsources(&self.dimensions, &held);
        if self.memo.len() >= MEMO_LIMIT {
            return Cow::Owned(logsources);
        }
        Cow::Borrowed(self.memo.entry(held.as_slice().into()).or_insert(logsources))
    }
}

/// The logsources an event has when the entries in `held` hold for it: the first of them to
/// name a product or a service sets it, and each category they name gives one logsource.
fn logsources(dimensions: &[Dimensions], held: &[u64]) -> Vec<LogSource> {
    let mut base = LogSource::default();
    let mut categories: Vec<&str> = Vec::new();
    let holding = dimensions.iter().enumerate().filter(|(at, _)| held[at / 64] & 1 << (at % 64) != 0);
    for (_, dims) in holding {
        fill(&mut base.product, &dims.product);
        fill(&mut base.service, &dims.service);
        if let Some(c) = dims.category.as_deref().filter(|c| !categories.contains(c)) {
            categories.push(c);
        }
    }
    if categories.is_empty() {
        return vec![base];
    }
    categories.into_iter().map(|c| LogSource { category: Some(c.to_owned()), ..base.clone() }).collect()
}

fn fill(slot: &mut Option<String>, value: &Option<String>) {
    if slot.is_none() {
        slot.clone_from(value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsift_sdk::Event;

    fn route(when: serde_json::Value, product: &str, category: Option<&str>, service: Option<&str>) -> Route {
        Route {
            when: serde_json::from_value(when).expect("conditions"),
            logsource: Dimensions { product: Some(product.into()), category: category.map(Into::into), service: service.map(Into::into) },
        }
    }

    fn categories(logsources: &[LogSource]) -> Vec<Option<&str>> {
        logsources.iter().map(|ls| ls.category.as_deref()).collect()
    }

    /// Seventy entries, so that the ones that matter sit in both words of the bit sets: an
    /// integer and its text, a list, other case, a missing field and a value no entry names
    /// each route as comparing them one by one would, and the second event of a kind gets
    /// what the first got.
    #[test]
    fn entries_hold_as_their_conditions_say_in_either_word_of_the_set() {
        let mut routes: Vec<Route> = (0..64)
            .map(|i| route(serde_json::json!({"Channel": format!("filler-{i}"), "EventID": i}), "filler", Some("filler"), None))
            .collect();
        routes.push(route(
            serde_json::json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 13}),
            "windows",
            Some("registry_set"),
            Some("sysmon"),
        ));
        routes.push(route(
            serde_json::json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": [12, 13, 14]}),
            "windows",
            Some("registry_event"),
            Some("sysmon"),
        ));
        routes.push(route(
            serde_json::json!({"Channel": "Security", "EventID": "4688"}),
            "windows",
            Some("process_creation"),
            Some("security"),
        ));
        routes.push(route(serde_json::json!({"Channel": "Security"}), "windows", None, Some("security")));
        routes.insert(0, route(serde_json::json!({"Channel": "Microsoft-Windows-Sysmon/Operational"}), "windows", None, Some("sysmon")));
        let mut router = Router::new(routes).expect("routes");

        let mut sysmon = Event::new();
        sysmon.set("Channel", "microsoft-windows-sysmon/OPERATIONAL");
        sysmon.set("EventID", 13i64);
        for _ in 0..2 {
            let routed = router.route(|name| sysmon.get(name));
            assert_eq!(categories(&routed), [Some("registry_set"), Some("registry_event")]);
            assert!(routed.iter().all(|ls| ls.service.as_deref() == Some("sysmon") && ls.product.as_deref() == Some("windows")));
        }

        let mut creation = Event::new();
        creation.set("Channel", "Security");
        creation.set("EventID", "4688");
        assert_eq!(categories(&router.route(|name| creation.get(name))), [Some("process_creation")]);
        creation.set("EventID", 4688i64);
        assert_eq!(categories(&router.route(|name| creation.get(name))), [Some("process_creation")]);

        let mut logon = Event::new();
        logon.set("Channel", "Security");
        logon.set("EventID", 4624i64);
        let routed = router.route(|name| logon.get(name));
        assert_eq!(categories(&routed), [None]);
        assert_eq!(routed[0].service.as_deref(), Some("security"));

        let mut filler = Event::new();
        filler.set("Channel", "filler-7");
        filler.set("EventID", 7i64);
        assert_eq!(categories(&router.route(|name| filler.get(name))), [Some("filler")]);
        filler.set("EventID", 8i64);
        let nothing = router.route(|name| filler.get(name));
        assert_eq!((categories(&nothing), nothing[0].product.as_deref()), (vec![None], None));

        let unnamed = Event::new();
        assert_eq!(categories(&router.route(|name| unnamed.get(name))), [None]);
    }

    #[test]
    fn a_condition_that_is_not_a_value_is_refused_with_its_field() {
        let error = Router::new(vec![route(serde_json::json!({"Channel": {"nested": 1}}), "windows", None, None)]).err().expect("refused");
        assert!(error.contains("\"Channel\""), "{error}");
    }
}
