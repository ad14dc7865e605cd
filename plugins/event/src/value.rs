//! Field values and record origins: the event model's data types.

use std::borrow::Cow;
use std::net::IpAddr;

use crate::calendar;

/// A typed field value. Strings borrow from the encoded buffer when decoded.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// JSON `null`: the field is present but empty.
    Null,
    /// true or false
    Bool(bool),
    /// A signed integer.
    Int(i64),
    /// A floating-point number.
    Float(f64),
    /// UTF-8 text.
    Str(Cow<'a, str>),
    /// An instant, in nanoseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// An IPv4 or IPv6 address.
    Ip(IpAddr),
    /// An ordered list of values.
    Array(Vec<Value<'a>>),
}

impl Value<'_> {
    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The number of an integer value.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// A copy that owns its strings, so it can outlive the buffer it was decoded from.
    pub fn into_owned(self) -> Value<'static> {
        match self {
            Value::Null => Value::Null,
            Value::Bool(b) => Value::Bool(b),
            Value::Int(i) => Value::Int(i),
            Value::Float(f) => Value::Float(f),
            Value::Str(s) => Value::Str(Cow::Owned(s.into_owned())),
            Value::Timestamp(t) => Value::Timestamp(t),
            Value::Ip(ip) => Value::Ip(ip),
            Value::Array(items) => Value::Array(items.into_iter().map(Value::into_owned).collect()),
        }
    }
}

impl<'a> From<&'a str> for Value<'a> {
    fn from(s: &'a str) -> Self {
        Value::Str(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::Str(Cow::Owned(s))
    }
}

impl<'a> From<Cow<'a, str>> for Value<'a> {
    fn from(s: Cow<'a, str>) -> Self {
        Value::Str(s)
    }
}

impl From<i64> for Value<'_> {
    fn from(i: i64) -> Self {
        Value::Int(i)
    }
}

impl From<u16> for Value<'_> {
    fn from(i: u16) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<u32> for Value<'_> {
    fn from(i: u32) -> Self {
        Value::Int(i64::from(i))
    }
}

impl From<f64> for Value<'_> {
    fn from(f: f64) -> Self {
        Value::Float(f)
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<IpAddr> for Value<'_> {
    fn from(ip: IpAddr) -> Self {
        Value::Ip(ip)
    }
}

/// Where a record came from. Later stages never need to know which source fed them, but
/// the host uses the origin for provenance, stable ids and dead letters.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Origin<'a> {
    /// A synthetic event with no source position.
    #[default]
    None,
    /// A line of a file (`-` for stdin); lines count from 1.
    File {
        /// The path as given to the host.
        path: Cow<'a, str>,
        /// The line number, from 1.
        line: u64,
    },
    /// A record of a Kafka partition.
    Kafka {
        /// The topic.
        topic: Cow<'a, str>,
        /// The partition.
        partition: i32,
        /// The offset in the partition.
        offset: i64,
        /// The record key, if it had one.
        key: Option<Cow<'a, [u8]>>,
        /// The record headers, in order.
        headers: Vec<(Cow<'a, str>, Cow<'a, [u8]>)>,
    },
}

impl Origin<'_> {
    /// A copy that owns its data.
    pub fn into_owned(self) -> Origin<'static> {
        match self {
            Origin::None => Origin::None,
            Origin::File { path, line } => Origin::File { path: Cow::Owned(path.into_owned()), line },
            Origin::Kafka { topic, partition, offset, key, headers } => Origin::Kafka {
                topic: Cow::Owned(topic.into_owned()),
                partition,
                offset,
                key: key.map(|k| Cow::Owned(k.into_owned())),
                headers: headers.into_iter().map(|(n, v)| (Cow::Owned(n.into_owned()), Cow::Owned(v.into_owned()))).collect(),
            },
        }
    }
}

/// Text form: strings as they are, IPs as addresses, timestamps in RFC 3339 (UTC, `Z`,
/// fractional seconds only when present), arrays as `[a, b]`, null as `null`.
impl std::fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::Timestamp(ns) => write_rfc3339(f, *ns),
            Value::Ip(ip) => write!(f, "{ip}"),
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("]")
            }
        }
    }
}

/// Writes nanoseconds since the epoch as an RFC 3339 UTC instant: jiff's printing, which
/// writes a fraction only when there is one, without trailing zeros.
fn write_rfc3339(f: &mut std::fmt::Formatter<'_>, ns: i64) -> std::fmt::Result {
    let timestamp = calendar::timestamp(ns).ok_or(std::fmt::Error)?;
    write!(f, "{timestamp}")
}

#[cfg(test)]
mod tests {
    use super::Value;

    #[test]
    fn timestamps_print_as_rfc3339_utc() {
        assert_eq!(Value::Timestamp(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Value::Timestamp(1_733_813_746_000_000_000).to_string(), "2024-12-10T06:55:46Z");
        assert_eq!(Value::Timestamp(951_782_400_123_000_000).to_string(), "2000-02-29T00:00:00.123Z");
        assert_eq!(Value::Timestamp(-1_000_000_000).to_string(), "1969-12-31T23:59:59Z");
        assert_eq!(Value::Timestamp(1_000_000_001).to_string(), "1970-01-01T00:00:01.000000001Z");
        assert_eq!(Value::Timestamp(i64::MIN).to_string(), "1677-09-21T00:12:43.145224192Z");
        assert_eq!(Value::Timestamp(i64::MAX).to_string(), "2262-04-11T23:47:16.854775807Z");
    }

    #[test]
    fn ips_and_arrays_print_plainly() {
        let v = Value::Array(vec![Value::Ip("10.0.0.1".parse().unwrap()), Value::from("x"), Value::Null]);
        assert_eq!(v.to_string(), "[10.0.0.1, x, null]");
    }
}
