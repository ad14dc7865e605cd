//! Typing the string values of chosen fields: RFC 3339 strings in `timestamp_fields`
//! become timestamps, address strings in `ip_fields` become IPs, applied to the field's
//! string or to each string of its array (ECS's `host.ip` is often a list).
//!
//! Promise: a value that does not read as the type stays exactly as it was, so a
//! `sourceIPAddress` of `ec2.amazonaws.com` is kept as text rather than lost.

use std::net::IpAddr;

use logsift_sdk::{NameLengths, Value, same_name};

use crate::settings::JsonConfig;
use logsift_sdk::rfc3339;

/// A quick test of whether a field may be one `config` types, before its name is compared
/// with each: its length and its last byte must be those of a typed name. Most names fail
/// one of the two (the defaults all end in `p`), each told with a shift and a mask.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TypedNames {
    lengths: NameLengths,
    /// The last bytes of the typed names, one bit each.
    last: [u64; 4],
}

impl TypedNames {
    pub(crate) fn of(config: &JsonConfig) -> Self {
        let names = || config.timestamp_fields.iter().chain(&config.ip_fields);
        let mut last = [0; 4];
        for byte in names().filter_map(|name| name.as_bytes().last()) {
            last[usize::from(byte >> 6)] |= 1 << (byte & 63);
        }
        TypedNames { lengths: NameLengths::of(names()), last }
    }

    /// Whether `name` may be typed (`false`: it is not).
    #[inline(always)]
    pub(crate) fn may_hold(&self, name: &[u8]) -> bool {
        name.last().is_some_and(|&byte| self.last[usize::from(byte >> 6)] & (1 << (byte & 63)) != 0) && self.lengths.may_hold(name)
    }
}

/// The value a field named `name` gets.
pub(crate) fn convert<'t>(config: &JsonConfig, name: &str, value: Value<'t>) -> Value<'t> {
    match typer(config, name) {
        Some(as_type) => retype(value, as_type),
        None => value,
    }
}

/// How the text of a field named `name` is typed, if it is: the test that decides, apart
/// from the value, so that the value of a field no setting names is not moved through it.
#[inline]
fn typer(config: &JsonConfig, name: &str) -> Option<fn(&str) -> Option<Value<'static>>> {
    let named = |f: &String| same_name(f.as_bytes(), name.as_bytes());
    if config.timestamp_fields.iter().any(named) {
        Some(|s| rfc3339::parse(s).map(Value::Timestamp))
    } else if config.ip_fields.iter().any(named) {
        Some(|s| s.parse::<IpAddr>().ok().map(Value::Ip))
    } else {
        None
    }
}

fn retype<'t>(value: Value<'t>, as_type: fn(&str) -> Option<Value<'static>>) -> Value<'t> {
    match value {
        Value::Str(s) => as_type(&s).unwrap_or(Value::Str(s)),
        Value::Array(items) => Value::Array(items.into_iter().map(|item| retype(item, as_type)).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_as_long_as_a_listed_one_and_ending_alike_may_be_typed() {
        let config = JsonConfig { ip_fields: vec!["a.ip".into(), "x".repeat(70)], ..JsonConfig::default() };
        let typed = TypedNames::of(&config);
        let (long, long_y) = ("y".repeat(69) + "x", "y".repeat(70));
        for name in ["b.ip", "@timestamp", &long] {
            assert!(typed.may_hold(name.as_bytes()), "{name}");
        }
        for name in ["", "ip", "message", "src.ip", "source.ip", "b.iq", "@timestamq", &long_y] {
            assert!(!typed.may_hold(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn only_listed_fields_are_typed_and_misfits_stay_strings() {
        let config = JsonConfig::default();
        assert_eq!(convert(&config, "source.ip", Value::from("10.0.0.1")), Value::Ip("10.0.0.1".parse().unwrap()));
        assert_eq!(convert(&config, "source.ip", Value::from("ec2.amazonaws.com")), Value::from("ec2.amazonaws.com"));
        assert_eq!(convert(&config, "other.ip", Value::from("10.0.0.1")), Value::from("10.0.0.1"));
        assert_eq!(convert(&config, "@timestamp", Value::from("1970-01-01T00:00:01Z")), Value::Timestamp(1_000_000_000));
        assert_eq!(convert(&config, "@timestamp", Value::Int(5)), Value::Int(5));
        let hosts = Value::Array(vec![Value::from("::1"), Value::from("nope")]);
        assert_eq!(convert(&config, "host.ip", hosts), Value::Array(vec![Value::Ip("::1".parse().unwrap()), Value::from("nope")]));
    }
}
