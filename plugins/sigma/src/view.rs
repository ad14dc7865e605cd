//! An event as the Sigma engine sees it: field names go through the configured mapping
//! (Sigma's names, e.g. Sysmon's `Image`, to the event's, e.g. ECS `process.executable`),
//! values are borrowed from the decoded event where they are text.
//!
//! Keywords (a detection that names no field) search the event's values, as Sigma means
//! them, never the names of its fields: once a parser has claimed an event (it set
//! `event.dataset`), its raw text `event.original` — a JSON record's keys and all — is not
//! searched, only the values parsed from it. An event no parser claimed has only its raw
//! line, and that is searched.
//!
//! The view names the event's keys (under both the event's and Sigma's names), so rsigma's
//! candidate index probes only the indexed fields the event has rather than every field any
//! rule names: hundreds of lookups per event fewer over the SigmaHQ corpus.
//!
//! Fields are looked up in the event's list for the first few reads of an event, then
//! through a map of its names made once: rsigma reads a field for each indexed field the
//! event has and for each field of each rule it evaluates: ~35 reads of a 40-field Windows
//! event with the Windows and Linux rules, whose scans were 4 % of the json + sigma chain's
//! instructions. With the map the chain does 1.5 % fewer (making it costs ~100 per field).
//!
//! The texts keywords search are gathered once per event (numbers and timestamps written
//! out once, not per rule), and lowercased once when a case-insensitive keyword rule first
//! asks: every keyword rule of the set then compares against the same lowercased texts
//! instead of lowercasing (and allocating) each value again for itself.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};
use std::collections::{BTreeMap, HashMap};

use logsift_sdk::{Event, Value};
use rsigma_eval::EventValue;

/// The `field_mapping` setting, both ways.
#[derive(Debug, Default)]
pub struct FieldMapping {
    /// Sigma's name → the event's.
    to_event: HashMap<String, String>,
    /// The event's name → every Sigma name mapped to it.
    to_sigma: HashMap<String, Vec<String>>,
}

impl FieldMapping {
    /// The mapping of Sigma's names to the event's.
    pub fn new(sigma_to_event: BTreeMap<String, String>) -> Self {
        let mut to_sigma: HashMap<String, Vec<String>> = HashMap::new();
        for (sigma, event) in &sigma_to_event {
            to_sigma.entry(event.clone()).or_default().push(sigma.clone());
        }
        FieldMapping { to_event: sigma_to_event.into_iter().collect(), to_sigma }
    }

    /// The event's name for a Sigma field name.
    fn event_name<'n>(&'n self, sigma: &'n str) -> &'n str {
        self.to_event.get(sigma).map_or(sigma, String::as_str)
    }
}

/// Reads of an event's fields after which they are looked up through a map of its names.
const READS_BEFORE_MAP: u32 = 8;

/// A read-only view of one event under a field mapping.
pub struct SigmaView<'e, 'a> {
    event: &'e Event<'a>,
    mapping: &'e FieldMapping,
    /// The texts keywords search, gathered on first use.
    texts: OnceCell<Vec<Cow<'e, str>>>,
    /// Each of `texts` lowercased, `None` where it is already: made on first use.
    lowered: OnceCell<Vec<Option<String>>>,
    /// Fields read so far.
    reads: Cell<u32>,
    /// Each name's (first) field, made once `reads` passes [`READS_BEFORE_MAP`].
    by_name: OnceCell<rustc_hash::FxHashMap<&'e str, &'e Value<'a>>>,
}

impl<'e, 'a> SigmaView<'e, 'a> {
    /// A view of `event`; names absent from `mapping` are looked up as they are.
    pub fn new(event: &'e Event<'a>, mapping: &'e FieldMapping) -> Self {
        SigmaView { event, mapping, texts: OnceCell::new(), lowered: OnceCell::new(), reads: Cell::new(0), by_name: OnceCell::new() }
    }

    /// The event's (first) field of `name`, as [`Event::get`] reads it.
    fn field(&self, name: &str) -> Option<&'e Value<'a>> {
        let reads = self.reads.get();
        if reads < READS_BEFORE_MAP {
            self.reads.set(reads + 1);
            return self.event.get(name);
        }
        self.mapped_field(name)
    }

    /// [`field`](Self::field) through the map of names, made now if it is not yet: for a
    /// reader that knows the event will be read many times (routing, ahead of the rules).
    pub fn mapped_field(&self, name: &str) -> Option<&'e Value<'a>> {
        let event: &'e Event<'a> = self.event;
        let by_name = self.by_name.get_or_init(|| {
            // Fx: a multiply per eight bytes of a name. (ahash's fallback, without AES on
            // wasm32, multiplies 64 by 64 into 128 bits, which wasm has no instruction for:
            // the map then cost more than the scans it saves.)
            let fields = event.fields();
            let mut by_name = rustc_hash::FxHashMap::with_capacity_and_hasher(fields.size_hint().0, Default::default());
            for (name, value) in fields {
                by_name.entry(name).or_insert(value);
            }
            by_name
        });
        by_name.get(name).copied()
    }

    /// The texts keywords search: each value's, an array's items each.
    fn texts(&self) -> &[Cow<'e, str>] {
        self.texts.get_or_init(|| {
            let event: &'e Event<'a> = self.event;
            let parsed = event.get("event.dataset").is_some();
            let mut texts = Vec::new();
            for (name, value) in event.fields() {
                if !(parsed && name == "event.original") {
                    text(value, &mut |t| texts.push(t));
                }
            }
            texts
        })
    }

    /// [`Self::texts`] lowercased, `None` for each that already is.
    fn lowered(&self) -> &[Option<String>] {
        self.lowered.get_or_init(|| {
            self.texts()
                .iter()
                .map(|t| match rsigma_eval::matcher::ascii_lowercase_cow(t) {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(lower) => Some(lower),
                })
                .collect()
        })
    }
}

fn to_sigma<'v>(value: &'v Value<'_>) -> EventValue<'v> {
    match value {
        Value::Null => EventValue::Null,
        Value::Bool(b) => EventValue::Bool(*b),
        Value::Int(i) => EventValue::Int(*i),
        Value::Float(f) => EventValue::Float(*f),
        Value::Str(s) => EventValue::Str(Cow::Borrowed(s)),
        Value::Timestamp(_) | Value::Ip(_) => EventValue::Str(Cow::Owned(value.to_string())),
        Value::Array(items) => EventValue::Array(items.iter().map(to_sigma).collect()),
    }
}

fn text<'v>(value: &'v Value<'_>, out: &mut dyn FnMut(Cow<'v, str>)) {
    match value {
        Value::Str(s) => out(Cow::Borrowed(s)),
        Value::Array(items) => items.iter().for_each(|v| text(v, out)),
        Value::Null => {}
        other => out(Cow::Owned(other.to_string())),
    }
}

impl rsigma_eval::Event for SigmaView<'_, '_> {
    fn get_field(&self, path: &str) -> Option<EventValue<'_>> {
        self.field(self.mapping.event_name(path)).map(to_sigma)
    }

    /// Every name `get_field` answers for: each field's own name (the event's fields are
    /// flat, dotted names included) and the Sigma names mapped to it. A name visited that
    /// `get_field` then maps elsewhere costs one lookup; none it answers for is left out.
    fn visit_top_level_keys(&self, visit: &mut dyn FnMut(&str)) -> bool {
        for name in self.event.names() {
            visit(name);
            for sigma in self.mapping.to_sigma.get(name).into_iter().flatten() {
                visit(sigma);
            }
        }
        true
    }

    fn any_string_value(&self, pred: &dyn Fn(&str) -> bool) -> bool {
        self.texts().iter().any(|t| pred(t))
    }

    fn any_string_value_lowered(&self, pred: &dyn Fn(&str, &str) -> bool) -> bool {
        self.texts().iter().zip(self.lowered()).any(|(t, lower)| pred(t, lower.as_deref().unwrap_or(t)))
    }

    fn all_string_values(&self) -> Vec<Cow<'_, str>> {
        self.texts().iter().map(|t| Cow::Borrowed(t.as_ref())).collect()
    }

    fn visit_string_values(&self, visit: &mut dyn FnMut(&str)) {
        self.texts().iter().for_each(|t| visit(t));
    }

    fn to_json(&self) -> serde_json::Value {
        let fields = self.event.fields().map(|(name, value)| (name.to_owned(), serde_json::Value::String(value.to_string())));
        serde_json::Value::Object(fields.collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsigma_eval::Event as _;

    /// Past the reads that scan the list, fields come from the map of names: the same values
    /// (mapped names included), and nothing for a name the event lacks.
    #[test]
    fn reads_through_the_map_find_what_reads_through_the_list_do() {
        let mut event = Event::new();
        for i in 0..40 {
            event.set(format!("Field{i}"), format!("value {i}"));
        }
        event.set("process.executable", "C:\\Windows\\System32\\cmd.exe");
        let mapping = FieldMapping::new(BTreeMap::from([("Image".to_owned(), "process.executable".to_owned())]));
        let view = SigmaView::new(&event, &mapping);
        let read = |name: &str| match view.get_field(name) {
            Some(EventValue::Str(s)) => Some(s.into_owned()),
            None => None,
            other => panic!("{name}: {other:?}"),
        };
        for round in 0..3 {
            for i in 0..40 {
                assert_eq!(read(&format!("Field{i}")).as_deref(), Some(format!("value {i}").as_str()), "round {round}");
            }
            assert_eq!(read("Image").as_deref(), Some("C:\\Windows\\System32\\cmd.exe"));
            assert_eq!(read("Missing"), None);
        }
        assert!(view.by_name.get().is_some(), "the map was made");
    }
}
