//! The hand-off between the pure line parsers and the event: parsers return [`Fields`]
//! borrowed from the line, which become the SDK's [`logsift_sdk::Parsed`] fields that
//! [`Event::parse_original`](logsift_sdk::Event::parse_original) adds to the event.
//!
//! Promise: a parser never sees the event and never allocates a field's text when the
//! line already holds it; the only copies are of values that had to change (unescaped
//! quotes, `+` turned into spaces) and of names built at run time (`iis.<column>`).

use std::borrow::Cow;

use logsift_sdk::Value;

/// What a line became: fields to set, or nothing (a directive or a blank line), or a
/// reason it is not in the format.
pub(crate) type Parsed<'t> = Result<Option<Fields<'t>>, String>;

/// Named values a parser extracted from one line, in order.
#[derive(Debug, Default)]
pub(crate) struct Fields<'t>(Vec<(Cow<'t, str>, Value<'t>)>);

impl<'t> Fields<'t> {
    /// Room for `n` fields.
    pub(crate) fn with_capacity(n: usize) -> Self {
        Fields(Vec::with_capacity(n))
    }

    /// Adds a field with a fixed name.
    pub(crate) fn put(&mut self, name: &'static str, value: impl Into<Value<'t>>) {
        self.0.push((Cow::Borrowed(name), value.into()));
    }

    /// Adds a field whose name was built at run time.
    pub(crate) fn put_named(&mut self, name: Cow<'t, str>, value: impl Into<Value<'t>>) {
        self.0.push((name, value.into()));
    }

    /// Adds what every weblog event carries: `event.category` = `["web"]`, and
    /// `event.dataset` = `weblog.<kind>`, which also tells later parsers in the chain that
    /// the event is claimed ([`logsift_sdk::PARSED_MARK`]).
    pub(crate) fn put_common(&mut self, dataset: &'static str) {
        self.put("event.category", Value::Array(vec![Value::from("web")]));
        self.put(logsift_sdk::PARSED_MARK, dataset);
    }

    /// Adds `event.outcome` from an HTTP status: success below 400, failure from 400 on.
    pub(crate) fn put_outcome(&mut self, status: i64) {
        self.put("event.outcome", if status < 400 { "success" } else { "failure" });
    }

    /// The fields, in order, as the SDK takes them.
    pub(crate) fn into_vec(self) -> Vec<(Cow<'t, str>, Value<'t>)> {
        self.0
    }

    /// A field's value, for unit tests.
    #[cfg(test)]
    pub(crate) fn get(&self, name: &str) -> Option<&Value<'t>> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}
