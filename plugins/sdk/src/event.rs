//! The event a plugin sees: decoded on first use, borrowed from the batch, re-encoded only
//! when changed.

use std::borrow::Cow;
use std::cell::OnceCell;

use logsift_event::{DecodeError, EventView, EventWriter, ORIGINAL, Origin, Value};

type Fields<'a> = Vec<(Cow<'a, str>, Value<'a>)>;

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
