//! JSON arrays. An array of scalars (or of arrays of scalars) becomes a `Value::Array`;
//! an array holding an object anywhere inside it cannot be flattened into one field, so it
//! becomes the array re-serialised as compact JSON text (a string) under the array's name.
//!
//! Promise: the nesting limit applies inside arrays too, and the JSON text keeps member
//! order and values (strings, integers, floats, booleans, nulls) as they were read.

use std::borrow::Cow;
use std::fmt;

use logsift_sdk::Value;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};

use crate::flatten::{Key, nest};
use crate::number;

/// Reads the elements of an array at `depth` into one value.
pub(crate) fn read<'t, A: SeqAccess<'t>>(mut seq: A, depth: usize, max_depth: usize) -> Result<Value<'t>, A::Error> {
    let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(64));
    while let Some(item) = seq.next_element_seed(ElemSeed { depth, max_depth })? {
        items.push(item);
    }
    value_of(items).map_err(de::Error::custom)
}

/// The value of an array read into `items`: the array, or its JSON text when an object is
/// inside.
pub(crate) fn value_of(items: Vec<Elem<'_>>) -> Result<Value<'_>, serde_json::Error> {
    if items.iter().any(Elem::holds_object) {
        return Ok(Value::Str(Cow::Owned(serde_json::to_string(&Items(&items))?)));
    }
    Ok(Value::Array(items.into_iter().map(Elem::into_value).collect()))
}

/// One element of an array, as read.
pub(crate) enum Elem<'t> {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Cow<'t, str>),
    List(Vec<Elem<'t>>),
    Object(Vec<(Cow<'t, str>, Elem<'t>)>),
}

impl<'t> Elem<'t> {
    /// The element of a scalar value (a number, string, boolean or null; anything else, which
    /// a JSON scalar never reads as, would be null).
    pub(crate) fn scalar(value: Value<'t>) -> Elem<'t> {
        match value {
            Value::Int(i) => Elem::Int(i),
            Value::Float(f) => Elem::Float(f),
            Value::Bool(b) => Elem::Bool(b),
            Value::Str(s) => Elem::Str(s),
            _ => Elem::Null,
        }
    }

    fn holds_object(&self) -> bool {
        match self {
            Elem::List(items) => items.iter().any(Elem::holds_object),
            Elem::Object(_) => true,
            _ => false,
        }
    }

    /// The value of an element; only called on elements with no object inside (an object
    /// would read as null).
    fn into_value(self) -> Value<'t> {
        match self {
            Elem::Null | Elem::Object(_) => Value::Null,
            Elem::Bool(b) => Value::Bool(b),
            Elem::Int(i) => Value::Int(i),
            Elem::Float(f) => Value::Float(f),
            Elem::Str(s) => Value::Str(s),
            Elem::List(items) => Value::Array(items.into_iter().map(Elem::into_value).collect()),
        }
    }
}

/// Reads one element at a depth.
struct ElemSeed {
    depth: usize,
    max_depth: usize,
}

impl<'t> DeserializeSeed<'t> for ElemSeed {
    type Value = Elem<'t>;

    fn deserialize<D: Deserializer<'t>>(self, deserializer: D) -> Result<Elem<'t>, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'t> Visitor<'t> for ElemSeed {
    type Value = Elem<'t>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Elem<'t>, E> {
        Ok(Elem::Bool(v))
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Elem<'t>, E> {
        Ok(Elem::Int(v))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Elem<'t>, E> {
        Ok(Elem::scalar(number::unsigned(v)))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Elem<'t>, E> {
        Ok(Elem::scalar(number::float(v)))
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'t str) -> Result<Elem<'t>, E> {
        Ok(Elem::Str(Cow::Borrowed(v)))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Elem<'t>, E> {
        Ok(Elem::Str(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Elem<'t>, E> {
        Ok(Elem::Str(Cow::Owned(v)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Elem<'t>, E> {
        Ok(Elem::Null)
    }

    fn visit_seq<A: SeqAccess<'t>>(self, mut seq: A) -> Result<Elem<'t>, A::Error> {
        let depth = nest(self.depth, self.max_depth)?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(ElemSeed { depth, max_depth: self.max_depth })? {
            items.push(item);
        }
        Ok(Elem::List(items))
    }

    fn visit_map<A: MapAccess<'t>>(self, mut map: A) -> Result<Elem<'t>, A::Error> {
        let depth = nest(self.depth, self.max_depth)?;
        let mut members = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            members.push((key, map.next_value_seed(ElemSeed { depth, max_depth: self.max_depth })?));
        }
        Ok(Elem::Object(members))
    }
}

/// Elements written back as JSON.
struct Items<'e, 't>(&'e [Elem<'t>]);

impl Serialize for Items<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for item in self.0 {
            seq.serialize_element(item)?;
        }
        seq.end()
    }
}

impl Serialize for Elem<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Elem::Null => serializer.serialize_unit(),
            Elem::Bool(b) => serializer.serialize_bool(*b),
            Elem::Int(i) => serializer.serialize_i64(*i),
            Elem::Float(f) => serializer.serialize_f64(*f),
            Elem::Str(s) => serializer.serialize_str(s),
            Elem::List(items) => Items(items).serialize(serializer),
            Elem::Object(members) => {
                let mut map = serializer.serialize_map(Some(members.len()))?;
                for (key, value) in members {
                    map.serialize_entry(key.as_ref(), value)?;
                }
                map.end()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn array(json: &str) -> Value<'_> {
        let mut de = serde_json::Deserializer::from_str(json);
        struct Top;
        impl<'t> Visitor<'t> for Top {
            type Value = Value<'t>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an array")
            }
            fn visit_seq<A: SeqAccess<'t>>(self, seq: A) -> Result<Value<'t>, A::Error> {
                read(seq, 2, 20)
            }
        }
        (&mut de).deserialize_seq(Top).unwrap()
    }

    #[test]
    fn scalars_and_nested_scalar_arrays_stay_arrays() {
        let got = array(r#"[1, "a", null, [true, 2.5]]"#);
        let want =
            Value::Array(vec![Value::Int(1), Value::from("a"), Value::Null, Value::Array(vec![Value::Bool(true), Value::Float(2.5)])]);
        assert_eq!(got, want);
    }

    #[test]
    fn an_object_anywhere_inside_makes_the_array_json_text_in_order() {
        let got = array(r#"[1, [{"z": 1, "a": [2, "x\"y"]}], 18446744073709551615]"#);
        assert_eq!(got, Value::from(r#"[1,[{"z":1,"a":[2,"x\"y"]}],1.8446744073709552e+19]"#.to_owned()));
    }
}
