//! The event a plugin sees: decoded on first use, borrowed from the batch, re-encoded only
//! when changed.

use std::borrow::Cow;
use std::cell::OnceCell;

use logsift_event::{DecodeError, EventView, EventWriter, ORIGINAL, Origin, Value};

use crate::Outcome;

type Fields<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

/// What a parser made of one line (see [`Event::parse_original`]): the fields it found, in
/// order and each name once, borrowing from the line `'t` where they can; `None` for a
/// line that holds no record (a blank line, a format directive), which drops the event; or
/// why the line is not in the parser's format, which rejects it.
pub type Parsed<'t> = Result<Option<Vec<(Cow<'t, str>, Value<'t>)>>, String>;

/// One event: typed fields with ECS-style dotted names, plus where it came from.
///
/// Reading a field decodes the event's fields once (strings are borrowed, not copied);
/// setting or removing one marks the event modified, and only modified events are encoded
/// again on the way back to the host.
pub struct Event<'a> {
    view: Option<EventView<'a>>,
    fields: OnceCell<Result<Fields<'a>, DecodeError>>,
    modified: bool,
}

impl<'a> Event<'a> {
    /// A new, empty event, e.g. one part of a split. It takes its origin from the record it
    /// is split from.
    pub fn new() -> Event<'static> {
        Event { view: None, fields: OnceCell::from(Ok(Vec::new())), modified: true }
    }

    pub(crate) fn from_view(view: EventView<'a>) -> Self {
        Event { view: Some(view), fields: OnceCell::new(), modified: false }
    }

    fn decoded(&self) -> &Result<Fields<'a>, DecodeError> {
        self.fields.get_or_init(|| match &self.view {
            Some(view) => view.decode_all().map(|fields| fields.into_iter().map(|(n, v)| (Cow::Borrowed(n), v)).collect()),
            None => Ok(Vec::new()),
        })
    }

    /// The fields, to change them: marks the event modified.
    fn decoded_mut(&mut self) -> Option<&mut Fields<'a>> {
        self.decoded();
        let first_change = !self.modified;
        self.modified = true;
        let fields = self.fields.get_mut().and_then(|r| r.as_mut().ok())?;
        if first_change {
            // A parser is about to add a dozen fields or more: grow once.
            fields.reserve(16);
        }
        Some(fields)
    }

    /// Why the event's encoding could not be read, if it could not; the SDK then rejects it.
    pub(crate) fn decode_error(&self) -> Option<&DecodeError> {
        self.fields.get().and_then(|r| r.as_ref().err())
    }

    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.decoded().as_ref().ok()?.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// The text of a string field.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    /// The number of an integer field.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        self.get(name).and_then(Value::as_int)
    }

    /// The event time: a typed `@timestamp`, in nanoseconds since the epoch. Rules that keep
    /// state measure windows in it, so a replay decides as the live run did.
    pub fn timestamp(&self) -> Option<i64> {
        match self.get("@timestamp")? {
            Value::Timestamp(nanos) => Some(*nanos),
            _ => None,
        }
    }

    /// The event time in whole seconds (see [`timestamp`](Self::timestamp)).
    pub fn timestamp_secs(&self) -> Option<i64> {
        self.timestamp().map(|nanos| nanos.div_euclid(1_000_000_000))
    }

    /// The raw text of the record (`event.original`).
    pub fn original(&self) -> Option<&str> {
        self.get_str(ORIGINAL)
    }

    /// The raw text of the record, borrowed from the batch for as long as the batch lives
    /// (so a parser can keep slices of it without copying).
    pub fn original_ref(&self) -> Option<&'a str> {
        match self.get(ORIGINAL)? {
            Value::Str(Cow::Borrowed(s)) => Some(s),
            _ => None,
        }
    }

    /// The raw text of the record, for a parser: borrowed from the batch when it is (always,
    /// for a record straight from the host), else a copy of the text an earlier step of
    /// this call set. `Err` says why there is nothing to parse (no `event.original`, or not a
    /// string): the reason to reject the event with.
    pub fn original_to_parse(&self) -> Result<Cow<'a, str>, String> {
        match self.get(ORIGINAL) {
            Some(Value::Str(Cow::Borrowed(text))) => Ok(Cow::Borrowed(*text)),
            Some(Value::Str(Cow::Owned(text))) => Ok(Cow::Owned(text.clone())),
            Some(_) => Err("event.original is not a string".into()),
            None => Err("event has no event.original to parse".into()),
        }
    }

    /// Parses the record's raw text with `parse` and adds the fields it returns, what a
    /// parser plugin's [`process`](crate::Plugin::process) does: `Ok(Some(fields))` passes
    /// the event on with the fields added, `Ok(None)` drops it, `Err(reason)` rejects it, as
    /// does an event without a string `event.original`
    /// ([`original_to_parse`](Self::original_to_parse)).
    ///
    /// `parse` gets the text borrowed from the batch, so the fields can borrow it too and
    /// adding them copies no text; only if an earlier step of this call replaced
    /// `event.original` with text of its own are they copied. The fields are added with
    /// [`push`](Self::push), without looking for existing ones: their names must be unique
    /// and not already on the event (a first-stage parser sees only `event.original`).
    pub fn parse_original(&mut self, parse: impl for<'t> FnOnce(&'t str) -> Parsed<'t>) -> Outcome {
        match self.original_to_parse() {
            Ok(Cow::Borrowed(text)) => self.add_parsed(parse(text), |field| field),
            Ok(Cow::Owned(text)) => self.add_parsed(parse(&text), |(name, value)| (Cow::Owned(name.into_owned()), value.into_owned())),
            Err(reason) => Outcome::Reject(reason),
        }
    }

    /// Adds what a parser found, each field made to live as long as the event by `own`.
    fn add_parsed<'t>(&mut self, parsed: Parsed<'t>, own: impl Fn((Cow<'t, str>, Value<'t>)) -> (Cow<'a, str>, Value<'a>)) -> Outcome {
        match parsed {
            Ok(Some(fields)) => {
                for (name, value) in fields.into_iter().map(own) {
                    self.push(name, value);
                }
                Outcome::Pass
            }
            Ok(None) => Outcome::Drop,
            Err(reason) => Outcome::Reject(reason),
        }
    }

    /// Whether the field is present (even if null).
    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// All fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.decoded().as_ref().map(|f| f.as_slice()).unwrap_or_default().iter().map(|(n, v)| (n.as_ref(), v))
    }

    /// Sets a field, replacing any value it had.
    pub fn set(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let (name, value) = (name.into(), value.into());
        let Some(fields) = self.decoded_mut() else { return };
        match fields.iter_mut().find(|(n, _)| *n == name) {
            Some((_, slot)) => *slot = value,
            None => fields.push((name, value)),
        }
    }

    /// Adds a field the event does not have yet, without looking for an existing one (what a
    /// parser does for each field it extracts; [`set`](Self::set) scans the fields first).
    /// Adding a name twice breaks the event's unique names: debug builds panic on it.
    pub fn push(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let (name, value) = (name.into(), value.into());
        let Some(fields) = self.decoded_mut() else { return };
        debug_assert!(!fields.iter().any(|(n, _)| *n == name), "field {name} pushed twice");
        fields.push((name, value));
    }

    /// Removes a field and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value<'a>> {
        let at = self.decoded().as_ref().ok()?.iter().position(|(n, _)| n == name)?;
        Some(self.decoded_mut()?.remove(at).1)
    }

    /// Where the record came from.
    pub fn origin(&self) -> Origin<'a> {
        self.view.as_ref().and_then(|v| v.origin().ok()).unwrap_or_default()
    }

    /// Whether the plugin changed the event.
    pub fn is_modified(&self) -> bool {
        self.modified
    }

    /// Appends the event, framed, to `buf`, with the given encoded origin.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, raw_origin: &[u8]) {
        let mut w = EventWriter::begin_with_raw_origin(buf, raw_origin);
        for (name, value) in self.fields() {
            w.field(name, value);
        }
        w.finish();
    }

    pub(crate) fn raw_origin(&self) -> &'a [u8] {
        self.view.as_ref().map(EventView::raw_origin).unwrap_or(&[logsift_event::origin_tag::NONE])
    }
}

impl std::fmt::Debug for Event<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.fields()).finish()
    }
}

impl Default for Event<'static> {
    fn default() -> Self {
        Event::new()
    }
}

#[cfg(test)]
mod tests {
    use logsift_event::{Batch, EventWriter};

    use super::*;

    /// One encoded event with these fields.
    fn encoded(fields: &[(&str, Value<'_>)]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = EventWriter::begin(&mut buf, &Origin::None);
        for (name, value) in fields {
            w.field(name, value);
        }
        w.finish();
        buf
    }

    fn event(buf: &[u8]) -> Event<'_> {
        Event::from_view(Batch::new(buf).next().expect("one event").expect("well-formed"))
    }

    /// Splits `key=value` into one field that borrows both from the line.
    fn key_value(line: &str) -> Parsed<'_> {
        match line.split_once('=') {
            Some((key, value)) => Ok(Some(vec![(Cow::Borrowed(key), Value::from(value))])),
            None if line.is_empty() => Ok(None),
            None => Err(format!("no = in {line:?}")),
        }
    }

    #[test]
    fn parsed_fields_borrow_from_the_batch() {
        let buf = encoded(&[(ORIGINAL, Value::from("user=root"))]);
        let mut e = event(&buf);
        assert!(matches!(e.parse_original(key_value), Outcome::Pass));
        assert!(e.is_modified());
        assert!(matches!(e.get("user"), Some(Value::Str(Cow::Borrowed("root")))));
        let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
        assert_eq!(names, [ORIGINAL, "user"]);
    }

    #[test]
    fn an_original_set_in_this_call_is_parsed_from_a_copy() {
        let buf = encoded(&[(ORIGINAL, Value::from("user=root"))]);
        let mut e = event(&buf);
        e.set(ORIGINAL, "user=admin".to_owned());
        assert!(matches!(e.parse_original(key_value), Outcome::Pass));
        assert!(matches!(e.get("user"), Some(Value::Str(Cow::Owned(v))) if v == "admin"));
    }

    #[test]
    fn no_record_drops_and_a_refusal_rejects_without_changing_the_event() {
        let buf = encoded(&[(ORIGINAL, Value::from(""))]);
        let mut e = event(&buf);
        assert!(matches!(e.parse_original(key_value), Outcome::Drop));
        assert!(!e.is_modified());

        let buf = encoded(&[(ORIGINAL, Value::from("root"))]);
        let mut e = event(&buf);
        assert!(matches!(e.parse_original(key_value), Outcome::Reject(r) if r == "no = in \"root\""));
        assert!(!e.is_modified());
    }

    #[test]
    fn events_without_a_string_original_are_rejected_unparsed() {
        let cases = [
            (encoded(&[("message", Value::from("a=b"))]), "event has no event.original to parse"),
            (encoded(&[(ORIGINAL, Value::Int(1))]), "event.original is not a string"),
        ];
        for (buf, reason) in &cases {
            let outcome = event(buf).parse_original(|_| panic!("parsed an event without a string event.original"));
            assert!(matches!(&outcome, Outcome::Reject(r) if r == reason), "{outcome:?}");
        }
    }
}
