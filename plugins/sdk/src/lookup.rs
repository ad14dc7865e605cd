//! Lookup tables the host grants to this plugin's stage (`tables = [...]` in its
//! configuration): GeoIP databases, threat-intel indicator sets, key→record tables. One call
//! looks up many keys, so a plugin fetches what a whole batch needs in
//! [`Plugin::prepare`](crate::Plugin::prepare) and reads the answers per event:
//!
//! ```
//! use logsift_sdk::lookup::BatchLookup;
//! # logsift_sdk::testing::set_lookup(|_, keys| Ok(keys.iter().map(|k| (*k == "10.0.0.1").then(|| r#"{"owner":"it"}"#.to_owned())).collect()));
//! let found = BatchLookup::fetch("assets", ["10.0.0.1", "10.0.0.2", "10.0.0.1"]).unwrap();
//! assert_eq!(found.get("10.0.0.1").unwrap()["owner"], "it");
//! assert!(found.get("10.0.0.2").is_none());
//! ```
//!
//! Inside the component each call crosses to the host once. Natively (tests), answers come
//! from the function given to [`testing::set_lookup`](crate::testing::set_lookup).

use std::collections::{BTreeSet, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::ops::Range;

use crate::{Value, same_name};

/// A record a table holds for a key: a JSON object.
pub type Record = serde_json::Map<String, serde_json::Value>;

/// The host's answer: per key, the record's JSON text, or none.
pub(crate) type RawAnswer = Result<Vec<Option<String>>, String>;

#[cfg(target_arch = "wasm32")]
fn raw_get(table: &str, keys: &[String]) -> RawAnswer {
    crate::bindings::logsift::plugin::lookup::get(table, keys)
}

#[cfg(not(target_arch = "wasm32"))]
fn raw_get(table: &str, keys: &[String]) -> RawAnswer {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    crate::testing::lookup(table, &keys)
}

/// Looks up `keys` in `table`: per key, its record or none. An error says the table is not
/// granted to this plugin (or a record the host sent is not a JSON object).
pub fn get(table: &str, keys: &[String]) -> Result<Vec<Option<Record>>, String> {
    let answer = raw_get(table, keys)?;
    if answer.len() != keys.len() {
        return Err(format!("table {table}: {} answers for {} keys", answer.len(), keys.len()));
    }
    answer
        .into_iter()
        .map(|text| {
            text.map(|t| match serde_json::from_str(&t) {
                Ok(serde_json::Value::Object(record)) => Ok(record),
                _ => Err(format!("table {table}: a record is not a JSON object")),
            })
            .transpose()
        })
        .collect()
}

/// Checks that `table` is granted to this plugin, by asking it for no keys: for `init`, so
/// a stage configured without its table is refused at load with the reason.
pub fn check_granted(table: &str) -> Result<(), String> {
    get(table, &[]).map(drop)
}

/// The text a field's value is looked up by: a non-empty string, an IP address or a whole
/// number; none for anything else.
pub fn key(value: &Value<'_>) -> Option<String> {
    let mut text = String::new();
    write_key(value, &mut text).then_some(text)
}

/// Appends the [`key`] of `value` to `text`; false (nothing written) if it has none.
fn write_key(value: &Value<'_>, text: &mut String) -> bool {
    match value {
        Value::Str(s) if !s.is_empty() => text.push_str(s),
        Value::Ip(IpAddr::V4(ip)) => write_dotted(*ip, text),
        Value::Ip(ip) => text.push_str(&ip.to_string()),
        Value::Int(i) => text.push_str(&i.to_string()),
        _ => return false,
    }
    true
}

/// An IPv4 address as `Display` writes it (`10.0.0.1`), digit by digit rather than through
/// the formatting machinery: a key is made for every address of every record.
fn write_dotted(ip: Ipv4Addr, text: &mut String) {
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            text.push('.');
        }
        if octet >= 100 {
            text.push(char::from(b'0' + octet / 100));
        }
        if octet >= 10 {
            text.push(char::from(b'0' + octet / 10 % 10));
        }
        text.push(char::from(b'0' + octet % 10));
    }
}

/// The lookup keys of each record of a batch (the [`key`] of each of some fields), worked
/// out once in [`Plugin::prepare`](crate::Plugin::prepare) — where they are fetched — and
/// read back by record in [`Plugin::process`](crate::Plugin::process) (see
/// [`Context::record`](crate::Context::record)), instead of being made again. Each distinct
/// key of a field is kept once, with an id that the records holding it refer to: a batch
/// whose records share a few keys (one host, one attacker) fetches and makes each once, and
/// reading a record's back looks nothing up. The keys share one text and one list: making
/// them allocates per batch and distinct key, not per record.
#[derive(Debug, Default)]
pub struct BatchKeys {
    /// Each record's keys, record after record: ids in `distinct`.
    keys: Vec<u32>,
    /// The distinct keys, by id: the index in `fields` of its field, and where its text lies
    /// in `text`.
    distinct: Vec<(usize, Range<usize>)>,
    /// The distinct keys' text, one after another.
    text: String,
    /// Per record, where its keys start in `keys` (the next record's start, or the end of
    /// `keys`, closes them).
    starts: Vec<usize>,
}

impl BatchKeys {
    /// The keys of each event for `fields`, in the order of `fields`.
    pub fn of_fields<S: AsRef<str>>(events: &[crate::Event<'_>], fields: &[S]) -> Self {
        let mut keys = BatchKeys { starts: Vec::with_capacity(events.len()), ..BatchKeys::default() };
        // Per field, the id of each key seen, and of the last one (records in a row often
        // share a key: one host, one attacker; that one is told without hashing).
        let mut ids: Vec<HashMap<String, u32>> = (0..fields.len()).map(|_| HashMap::new()).collect();
        let mut last: Vec<Option<u32>> = vec![None; fields.len()];
        let names = crate::event::NamesByLength::new(fields);
        let (mut found, mut text) = (Vec::new(), String::new());
        for event in events {
            keys.starts.push(keys.keys.len());
            event.get_each_into(&names, &mut found);
            for (field, value) in found.drain(..) {
                text.clear();
                if !write_key(&value, &mut text) {
                    continue;
                }
                let id = match last[field]
                    .filter(|id| same_name(keys.text(&keys.distinct[*id as usize].1).as_bytes(), text.as_bytes()))
                    .or_else(|| ids[field].get(text.as_str()).copied())
                {
                    Some(id) => id,
                    None => {
                        let id = u32::try_from(keys.distinct.len()).expect("fewer keys in a batch than u32::MAX");
                        let from = keys.text.len();
                        keys.text.push_str(&text);
                        keys.distinct.push((field, from..keys.text.len()));
                        ids[field].insert(text.clone(), id);
                        id
                    }
                };
                last[field] = Some(id);
                keys.keys.push(id);
            }
        }
        keys
    }

    /// Each distinct key of the batch, once per field that holds it, with the index of its
    /// field: in the order first seen.
    pub fn all(&self) -> impl Iterator<Item = (usize, &str)> {
        self.distinct.iter().map(|(field, at)| (*field, self.text(at)))
    }

    /// The keys of the record at `record` in the batch: each one's field index, and the key.
    pub fn of(&self, record: usize) -> impl Iterator<Item = (usize, &str)> {
        self.ids_of(record).map(|id| {
            let (field, at) = &self.distinct[id];
            (*field, self.text(at))
        })
    }

    /// The ids of the keys of the record at `record` (indices in `distinct`).
    fn ids_of(&self, record: usize) -> impl Iterator<Item = usize> {
        let from = self.starts.get(record).copied().unwrap_or(self.keys.len());
        let to = self.starts.get(record + 1).copied().unwrap_or(self.keys.len());
        self.keys[from..to].iter().map(|id| *id as usize)
    }

    fn text(&self, at: &Range<usize>) -> &str {
        self.text.get(at.clone()).unwrap_or_default()
    }
}

/// What the keys of a batch make (the fields an enricher adds, the alert it raises): made
/// once per distinct key of each field, in [`Plugin::prepare`](crate::Plugin::prepare),
/// however many records share it, and read back by record in
/// [`Plugin::process`](crate::Plugin::process) by the key's id, with no lookup.
#[derive(Debug)]
pub struct ByKey<T> {
    /// By key id (as in the [`BatchKeys`]): what the key made, if anything.
    made: Vec<Option<T>>,
}

impl<T> Default for ByKey<T> {
    fn default() -> Self {
        ByKey { made: Vec::new() }
    }
}

impl<T> ByKey<T> {
    /// Forgets the last batch's and makes this one's: `make(field, key)` once for each
    /// distinct key of each field in `keys`; a key it makes nothing of (one the table does
    /// not hold) is left out.
    pub fn make(&mut self, keys: &BatchKeys, mut make: impl FnMut(usize, &str) -> Option<T>) {
        self.made.clear();
        self.made.extend(keys.all().map(|(field, key)| make(field, key)));
    }

    /// What the keys of the record at `record` made, in the order of its keys.
    pub fn of<'s>(&'s self, keys: &'s BatchKeys, record: usize) -> impl Iterator<Item = &'s T> {
        keys.ids_of(record).filter_map(|id| self.made.get(id)?.as_ref())
    }
}

/// The records a table holds for the keys of one batch, fetched in one call.
#[derive(Debug, Default)]
pub struct BatchLookup {
    found: HashMap<String, Record>,
}

impl BatchLookup {
    /// Fetches the records of `keys` (repeats are asked once) from `table`.
    pub fn fetch<K: Into<String> + Ord>(table: &str, keys: impl IntoIterator<Item = K>) -> Result<Self, String> {
        // Repeats are dropped before any key is copied.
        let keys: Vec<String> = keys.into_iter().collect::<BTreeSet<K>>().into_iter().map(Into::into).collect();
        if keys.is_empty() {
            return Ok(BatchLookup::default());
        }
        let records = get(table, &keys)?;
        let found = keys.into_iter().zip(records).filter_map(|(k, r)| Some((k, r?))).collect();
        Ok(BatchLookup { found })
    }

    /// The record of `key`, if the table holds one.
    pub fn get(&self, key: &str) -> Option<&Record> {
        self.found.get(key)
    }

    /// How many keys were found.
    pub fn len(&self) -> usize {
        self.found.len()
    }

    /// Whether no key was found.
    pub fn is_empty(&self) -> bool {
        self.found.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use logsift_event::{Batch, EventWriter, Origin};

    use super::*;
    use crate::Event;

    #[test]
    fn each_records_keys_are_read_back_by_its_place_in_the_batch() {
        let mut buf = Vec::new();
        let ip = Value::Ip("10.0.0.1".parse().expect("address"));
        let records: [&[(&str, Value<'_>)]; 3] =
            [&[("source.ip", ip), ("user.name", Value::from("root"))], &[], &[("user.name", Value::from("bob"))]];
        for fields in records {
            let mut w = EventWriter::begin(&mut buf, &Origin::None);
            for (name, value) in fields {
                w.field(name, value);
            }
            w.finish();
        }
        let events: Vec<Event<'_>> = Batch::new(&buf).map(|view| Event::from_view(view.expect("well-formed"))).collect();
        let keys = BatchKeys::of_fields(&events, &["user.name", "source.ip"]);
        assert_eq!(keys.of(0).collect::<Vec<_>>(), [(0, "root"), (1, "10.0.0.1")]);
        assert_eq!(keys.of(1).count(), 0);
        assert_eq!(keys.of(2).collect::<Vec<_>>(), [(0, "bob")]);
        assert_eq!(keys.of(3).count(), 0, "past the batch");
        assert_eq!(keys.all().collect::<Vec<_>>(), [(0, "root"), (1, "10.0.0.1"), (0, "bob")]);
        let repeated: Vec<Event<'_>> =
            Batch::new(&buf).chain(Batch::new(&buf)).map(|view| Event::from_view(view.expect("well-formed"))).collect();
        let keys = BatchKeys::of_fields(&repeated, &["user.name", "source.ip"]);
        assert_eq!(keys.all().count(), 3, "each distinct key of a field once");
        assert_eq!(keys.of(3).collect::<Vec<_>>(), [(0, "root"), (1, "10.0.0.1")], "a repeated key read back by record");
        assert_eq!(keys.of(5).collect::<Vec<_>>(), [(0, "bob")]);
    }

    #[test]
    fn an_ipv4_key_is_the_address_as_display_writes_it() {
        for octet in 0..=255u8 {
            for at in 0..4 {
                let mut octets = [1, 20, 255, 0];
                octets[at] = octet;
                let ip = Ipv4Addr::from(octets);
                assert_eq!(key(&Value::Ip(IpAddr::V4(ip))).as_deref(), Some(ip.to_string().as_str()));
            }
        }
        let v6: IpAddr = "2001:db8::1".parse().expect("address");
        assert_eq!(key(&Value::Ip(v6)).as_deref(), Some("2001:db8::1"));
    }

    #[test]
    fn each_distinct_key_is_made_once_and_read_back_by_record() {
        let mut buf = Vec::new();
        for name in ["root", "bob", "root", "eve", "eve"] {
            let mut w = EventWriter::begin(&mut buf, &Origin::None);
            w.field("user.name", &Value::from(name));
            w.field("source.ip", &Value::from("root"));
            w.finish();
        }
        let events: Vec<Event<'_>> = Batch::new(&buf).map(|view| Event::from_view(view.expect("well-formed"))).collect();
        let keys = BatchKeys::of_fields(&events, &["user.name", "source.ip"]);
        let mut made = ByKey::default();
        let mut calls = Vec::new();
        made.make(&keys, |field, key| {
            calls.push((field, key.to_owned()));
            (key != "eve").then(|| format!("{field}:{key}"))
        });
        let expected = [(0, "root"), (1, "root"), (0, "bob"), (0, "eve")].map(|(f, k)| (f, k.to_owned()));
        assert_eq!(calls, expected, "once per distinct key of each field (the same text under two fields counting twice)");
        assert_eq!(made.of(&keys, 2).collect::<Vec<_>>(), ["0:root", "1:root"]);
        assert_eq!(made.of(&keys, 3).collect::<Vec<_>>(), ["1:root"], "a key nothing was made of is left out");
        made.make(&BatchKeys::default(), |_, _| Some(String::new()));
        assert_eq!(made.of(&keys, 0).count(), 0, "the next batch forgets this one's");
    }
}
