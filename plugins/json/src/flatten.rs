//! One pass over a JSON object that writes its leaves as dotted fields:
//! `{"source":{"ip":"1.2.3.4"},"a.b":1}` → `source.ip`, `a.b`.
//!
//! Promise: the line is read once, straight into fields (by the [`direct`] reader, or by
//! serde_json for the lines it declines): no intermediate `serde_json::Value`. Top-level names and string values without escapes borrow from the
//! line; only nested names (`source` + `.` + `ip`) and unescaped strings are built. Numbers
//! are typed by [`number`](crate::number), `null` is `Null`; arrays are handled by [`array`](crate::array); empty objects leave no field. A JSON
//! `event.original` is skipped, so the raw line is never overwritten. Each name is written
//! once: a later duplicate (a key given twice, or `{"a.b":1,"a":{"b":2}}`) replaces the
//! earlier value in the earlier place, checked by [`dedupe`] at a cost that grows with
//! the names that may repeat, not with all pairs of names.

use std::borrow::Cow;
use std::fmt;

use logsift_sdk::{ORIGINAL, Value, same_name};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::array;
use crate::direct;
use crate::number;
use crate::settings::JsonConfig;
use crate::typed::{self, TypedNames};

/// Fields in the order the object lists them.
pub(crate) type Fields<'t> = Vec<(Cow<'t, str>, Value<'t>)>;

/// Flattens one line, which must hold exactly one JSON object: by the [`direct`] reader when
/// it takes the line, else by serde_json. The error is serde_json's, with its line and column.
pub(crate) fn flatten<'t>(line: &'t str, config: &JsonConfig, room: usize) -> Result<Fields<'t>, String> {
    let mut fields = Vec::with_capacity(room);
    let typed_names = TypedNames::of(config);
    if !direct::read(line, config, typed_names, &mut fields) {
        fields.clear();
        through_serde(line, config, typed_names, &mut fields)?;
    }
    dedupe(&mut fields);
    Ok(fields)
}

/// Writes the members of the line's object into `out` through serde_json (names not yet
/// made unique).
pub(crate) fn through_serde<'t>(line: &'t str, config: &JsonConfig, typed_names: TypedNames, out: &mut Fields<'t>) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_str(line);
    let root = Object { prefix: None, depth: 1, out, config, typed_names };
    (&mut de).deserialize_map(root).and_then(|()| de.end()).map_err(|e| format!("json: {e}"))
}

/// Bits of a name's [`fingerprint`].
const FINGERPRINT_BITS: u32 = 10;

/// Makes each name unique as setting the fields one by one would: a later value of a name
/// replaces the earlier one, in the earlier one's place.
///
/// Names repeat only when a key is given twice in one object or a dotted key meets a nested
/// one, both rare. So a first pass marks each name's [`fingerprint`] in a bitmap, and only
/// names whose fingerprint is marked twice (on average a handful of false alarms among a
/// hundred names, and none for most lines) are looked for among the earlier fields.
fn dedupe(fields: &mut Fields<'_>) {
    const WORDS: usize = 1 << FINGERPRINT_BITS >> 6;
    let (mut seen, mut twice) = ([0u64; WORDS], [0u64; WORDS]);
    let mut repeats = false;
    for (name, _) in fields.iter() {
        let bit = fingerprint(name);
        let (word, mask) = (bit >> 6, 1u64 << (bit & 63));
        if seen[word] & mask != 0 {
            twice[word] |= mask;
            repeats = true;
        }
        seen[word] |= mask;
    }
    if !repeats {
        return;
    }
    let mut at = 0;
    while at < fields.len() {
        let name = &fields[at].0;
        let bit = fingerprint(name);
        let earlier = match twice[bit >> 6] & 1u64 << (bit & 63) {
            0 => None,
            _ => fields[..at].iter().position(|(n, _)| n == name),
        };
        match earlier {
            Some(first) => fields[first].1 = fields.remove(at).1,
            None => at += 1,
        }
    }
}

/// A few bits that equal names share: from the length and the bytes at the start, middle
/// and end, where dotted names differ most (not a hash of every byte, to stay cheap).
fn fingerprint(name: &str) -> usize {
    let b = name.as_bytes();
    let byte = |i: usize| u64::from(b.get(i).copied().unwrap_or(0));
    let n = b.len();
    let key = n as u64 | byte(0) << 16 | byte(n / 2) << 24 | byte(n.wrapping_sub(2)) << 32 | byte(n.wrapping_sub(1)) << 40;
    // Fibonacci hashing: the top bits of the product mix all of the key.
    (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - FINGERPRINT_BITS)) as usize
}

/// One level deeper than `depth`, or the `max_depth` error.
pub(crate) fn nest<E: de::Error>(depth: usize, max_depth: usize) -> Result<usize, E> {
    if depth >= max_depth {
        return Err(E::custom(format_args!("nesting deeper than max_depth {max_depth}")));
    }
    Ok(depth + 1)
}

/// An object key: borrowed from the line unless it had escapes.
pub(crate) struct Key<'t>(pub(crate) Cow<'t, str>);

impl<'t> de::Deserialize<'t> for Key<'t> {
    fn deserialize<D: Deserializer<'t>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'t> Visitor<'t> for KeyVisitor {
            type Value = Key<'t>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'t str) -> Result<Key<'t>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'t>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'t>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// An object whose members are written under `prefix.` (no prefix at the top).
struct Object<'p, 'o, 't> {
    prefix: Option<&'p str>,
    depth: usize,
    out: &'o mut Fields<'t>,
    config: &'o JsonConfig,
    /// Which names `config` may type ([`TypedNames`]).
    typed_names: TypedNames,
}

impl<'t> Visitor<'t> for Object<'_, '_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        let Object { prefix, depth, out, config, typed_names } = self;
        while let Some(Key(key)) = map.next_key()? {
            let name = match prefix {
                None => key,
                Some(prefix) => Cow::Owned([prefix, ".", &key].concat()),
            };
            map.next_value_seed(Member { name, depth, out: &mut *out, config, typed_names })?;
        }
        Ok(())
    }
}

/// The value of one object member, named in full.
struct Member<'o, 't> {
    name: Cow<'t, str>,
    /// Depth of the object holding the member.
    depth: usize,
    out: &'o mut Fields<'t>,
    config: &'o JsonConfig,
    /// Which names `config` may type ([`TypedNames`]).
    typed_names: TypedNames,
}

impl<'t> Member<'_, 't> {
    fn push<E: de::Error>(self, value: Value<'t>) -> Result<(), E> {
        if self.out.len() >= self.config.max_fields {
            return Err(E::custom(format_args!("more than max_fields {} fields", self.config.max_fields)));
        }
        keep(self.out, self.config, self.typed_names, self.name, value);
        Ok(())
    }
}

/// Writes a member's value under its full name, typed as `config` says, unless the name is
/// `event.original`.
#[inline(always)]
pub(crate) fn keep<'t>(out: &mut Fields<'t>, config: &JsonConfig, typed_names: TypedNames, name: Cow<'t, str>, value: Value<'t>) {
    if !same_name(name.as_bytes(), ORIGINAL.as_bytes()) {
        let value = if typed_names.may_hold(name.as_bytes()) { typed::convert(config, &name, value) } else { value };
        out.push((name, value));
    }
}

impl<'t> DeserializeSeed<'t> for Member<'_, 't> {
    type Value = ();

    fn deserialize<D: Deserializer<'t>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'t> Visitor<'t> for Member<'_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.push(Value::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.push(Value::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.push(number::unsigned(v))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.push(number::float(v))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'t str) -> Result<(), E> {
        self.push(Value::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.push(Value::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.push(Value::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.push(Value::Null)
    }

    fn visit_map<A: MapAccess<'t>>(self, map: A) -> Result<(), A::Error> {
        let depth = nest(self.depth, self.config.max_depth)?;
        Object { prefix: Some(&self.name), depth, out: self.out, config: self.config, typed_names: self.typed_names }.visit_map(map)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, seq: A) -> Result<(), A::Error> {
        let depth = nest(self.depth, self.config.max_depth)?;
        let value = array::read(seq, depth, self.config.max_depth)?;
        self.push(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names<'t>(fields: &'t Fields<'_>) -> Vec<&'t str> {
        fields.iter().map(|(n, _)| n.as_ref()).collect()
    }

    #[test]
    fn top_level_names_and_plain_strings_borrow_from_the_line() {
        let fields = flatten(r#"{"a":"x","b":{"c":"y\n"}}"#, &JsonConfig::default(), 0).unwrap();
        assert!(matches!(fields[0], (Cow::Borrowed("a"), Value::Str(Cow::Borrowed("x")))));
        assert!(matches!(&fields[1], (Cow::Owned(n), Value::Str(Cow::Owned(v))) if n == "b.c" && v == "y\n"));
    }

    #[test]
    fn a_dotted_key_and_a_nested_one_make_one_field_and_the_later_value_wins() {
        let fields = flatten(r#"{"a.b":1,"x":0,"a":{"b":2}}"#, &JsonConfig::default(), 0).unwrap();
        assert_eq!(names(&fields), ["a.b", "x"]);
        assert_eq!(fields[0].1, Value::Int(2));
        let fields = flatten(r#"{"a":{"b":1},"a.b":"two","a.b":3}"#, &JsonConfig::default(), 0).unwrap();
        assert_eq!(names(&fields), ["a.b"]);
        assert_eq!(fields[0].1, Value::Int(3));
    }

    #[test]
    fn names_that_only_share_a_fingerprint_are_all_kept() {
        // Same length and the same first, middle and last two bytes.
        assert_eq!(fingerprint("ab.xyz"), fingerprint("ac.xyz"));
        let fields = flatten(r#"{"ab.xyz":1,"ac.xyz":2,"ab.xyz":3}"#, &JsonConfig::default(), 0).unwrap();
        assert_eq!(names(&fields), ["ab.xyz", "ac.xyz"]);
        assert_eq!((&fields[0].1, &fields[1].1), (&Value::Int(3), &Value::Int(2)));
    }

    #[test]
    fn hostile_shapes_are_refused_with_the_reason() {
        let config = JsonConfig::default();
        let deep_objects = format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000));
        assert!(flatten(&deep_objects, &config, 0).unwrap_err().contains("nesting deeper than max_depth 20"));
        let deep_arrays = format!("{{\"a\":{}1{}}}", "[".repeat(50_000), "]".repeat(50_000));
        assert!(flatten(&deep_arrays, &config, 0).unwrap_err().contains("nesting deeper than max_depth 20"));
        let keys: Vec<String> = (0..200_000).map(|i| format!("\"k{i}\":1")).collect();
        let wide = format!("{{{}}}", keys.join(","));
        assert!(flatten(&wide, &config, 0).unwrap_err().contains("more than max_fields 1000 fields"));
        let big = format!("{{\"a\":\"{}\"}}", "x".repeat(3 << 20));
        assert_eq!(flatten(&big, &config, 0).expect("a big field is a field").len(), 1);
    }

    #[test]
    fn empty_objects_leave_no_field_and_event_original_is_skipped() {
        let fields = flatten(r#"{"a":{},"event":{"original":"x"},"event.original":"y","b":1}"#, &JsonConfig::default(), 0).unwrap();
        assert_eq!(names(&fields), ["b"]);
    }
}
