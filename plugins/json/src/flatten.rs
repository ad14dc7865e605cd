//! One pass over a JSON object that writes its leaves as dotted fields:
//! `{"source":{"ip":"1.2.3.4"},"a.b":1}` → `source.ip`, `a.b`.
//!
//! Promise: the line is read once, by serde_json, straight into fields: no intermediate
//! `serde_json::Value`. Top-level names and string values without escapes borrow from the
//! line; only nested names (`source` + `.` + `ip`) and unescaped strings are built. Numbers
//! are typed by [`number`](crate::number), `null` is `Null`; arrays are handled by [`array`](crate::array); empty objects leave no field. A JSON
//! `event.original` is skipped, so the raw line is never overwritten. Later duplicates
//! of a name win.

use std::borrow::Cow;
use std::fmt;

use logsift_sdk::Value;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use crate::array;
use crate::number;
use crate::settings::JsonConfig;
use crate::typed;

/// Fields in the order the object lists them.
pub(crate) type Fields<'t> = Vec<(Cow<'t, str>, Value<'t>)>;

/// The field that holds the raw line.
const ORIGINAL: &str = "event.original";

/// Flattens one line, which must hold exactly one JSON object. The error is serde_json's,
/// with its line and column.
pub(crate) fn flatten<'t>(line: &'t str, config: &JsonConfig) -> Result<Fields<'t>, String> {
    let mut fields = Vec::new();
    let mut de = serde_json::Deserializer::from_str(line);
    let root = Object { prefix: None, depth: 1, out: &mut fields, config };
    (&mut de).deserialize_map(root).and_then(|()| de.end()).map_err(|e| format!("json: {e}"))?;
    Ok(fields)
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
}

impl<'t> Visitor<'t> for Object<'_, '_, 't> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<(), A::Error> {
        let Object { prefix, depth, out, config } = self;
        while let Some(Key(key)) = map.next_key()? {
            let name = match prefix {
                None => key,
                Some(prefix) => Cow::Owned(format!("{prefix}.{key}")),
            };
            map.next_value_seed(Member { name, depth, out: &mut *out, config })?;
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
}

impl<'t> Member<'_, 't> {
    fn push<E>(self, value: Value<'t>) -> Result<(), E> {
        if self.name != ORIGINAL {
            let value = typed::convert(self.config, &self.name, value);
            self.out.push((self.name, value));
        }
        Ok(())
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
        Object { prefix: Some(&self.name), depth, out: self.out, config: self.config }.visit_map(map)
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
        let fields = flatten(r#"{"a":"x","b":{"c":"y\n"}}"#, &JsonConfig::default()).unwrap();
        assert!(matches!(fields[0], (Cow::Borrowed("a"), Value::Str(Cow::Borrowed("x")))));
        assert!(matches!(&fields[1], (Cow::Owned(n), Value::Str(Cow::Owned(v))) if n == "b.c" && v == "y\n"));
    }

    #[test]
    fn empty_objects_leave_no_field_and_event_original_is_skipped() {
        let fields = flatten(r#"{"a":{},"event":{"original":"x"},"event.original":"y","b":1}"#, &JsonConfig::default()).unwrap();
        assert_eq!(names(&fields), ["b"]);
    }
}
