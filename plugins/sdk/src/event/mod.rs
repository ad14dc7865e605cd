//! The event a plugin sees: its field names read on first use, each value decoded when
//! read, borrowed from the batch, re-encoded only when changed.

mod encoding;
mod name_filter;
mod names_by_length;
mod read;
mod slots;
#[cfg(test)]
mod tests;
mod write;

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use logsift_event::{DecodeError, EventView, Origin, Value, same_name};
use smallvec::SmallVec;

pub(crate) use encoding::Encoded;
use name_filter::NameFilter;
pub(crate) use names_by_length::NamesByLength;
pub use slots::SharedFields;
use slots::{Fields, Name, Pending, Shared, Slot};

/// What a parser made of one line (see [`Event::parse_original`]): the fields it found, in
/// order and each name once, borrowing from the line `'t` where they can; `None` for a
/// line that holds no record (a blank line, a format directive), which drops the event; or
/// why the line is not in the parser's format, which rejects it.
pub type Parsed<'t> = Result<Option<Vec<(Cow<'t, str>, Value<'t>)>>, String>;

/// One event: typed fields with ECS-style dotted names, plus where it came from.
///
/// Reading a field lists the event's fields once (names compared as bytes, checked as text
/// only when read as text or sent back whole) and decodes the value read, only that one
/// (strings are borrowed, not copied): a detector that reads five fields of twenty decodes
/// five values and checks no name. Setting or removing one marks the event modified, and only modified
/// events are encoded again on the way back to the host — as an update (only the fields set
/// or added) unless a field was removed. Fields set or added before any is read are kept aside, and the event
/// is never decoded if nothing reads it (what an enricher that only adds a field costs, and a parser that
/// reads `event.original` alone, which is read from the encoding without listing the other fields).
pub struct Event<'a> {
    view: Option<EventView<'a>>,
    fields: OnceCell<Result<Fields<'a>, DecodeError>>,
    /// Why a value read, or a name read as text, could not be decoded, if one could not.
    bad: OnceCell<DecodeError>,
    /// Fields set or added while `fields` was not decoded yet: applied when it is.
    pending: Pending<'a>,
    /// Shared fields added while `fields` was not decoded yet, after `pending`: applied when
    /// it is. No name is in both.
    shared: Shared,
    modified: bool,
    /// Which of the first 64 fields that came in were set since (the fields after those that
    /// came in are all new).
    changed: Cell<u64>,
    /// A field was removed, or one past the 64th set: the whole event goes back.
    whole: Cell<bool>,
    /// Fields read by name from the encoded event, before it is decoded (see
    /// [`peek`](Self::peek)).
    peeks: Cell<u8>,
    /// The names of the fields that came in, once a walk over all of them made it.
    names_seen: Cell<Option<NameFilter>>,
}

impl<'a> Event<'a> {
    /// A new, empty event, e.g. one part of a split. It takes its origin from the record it
    /// is split from.
    pub fn new() -> Event<'static> {
        Event {
            view: None,
            fields: OnceCell::from(Ok(Vec::new())),
            bad: OnceCell::new(),
            pending: SmallVec::new(),
            shared: SmallVec::new(),
            modified: true,
            changed: Cell::new(0),
            whole: Cell::new(true),
            peeks: Cell::new(0),
            names_seen: Cell::new(None),
        }
    }

    pub(crate) fn from_view(view: EventView<'a>) -> Self {
        Event {
            view: Some(view),
            fields: OnceCell::new(),
            bad: OnceCell::new(),
            pending: SmallVec::new(),
            shared: SmallVec::new(),
            modified: false,
            changed: Cell::new(0),
            whole: Cell::new(false),
            peeks: Cell::new(0),
            names_seen: Cell::new(None),
        }
    }

    /// Frees what working on the event allocated (its decoded fields, those set or added),
    /// once the SDK is done with it; the event is not read again.
    pub(crate) fn release(&mut self) {
        self.fields.take();
        self.pending.clear();
        self.shared.clear();
    }

    fn decoded(&self) -> &Result<Fields<'a>, DecodeError> {
        self.fields.get_or_init(|| {
            let Some(view) = &self.view else { return Ok(Vec::new()) };
            let mut fields: Fields<'a> = Vec::with_capacity(view.len().min(256));
            for span in view.field_spans() {
                let (name, field) = span?;
                fields.push((Name::In(name, OnceCell::new()), Slot::encoded(view.field_value(field, name))));
            }
            // Names set aside are unique among themselves: each is looked for among the fields
            // that came in only, so applying a parser's hundreds of fields stays linear in them.
            let came_in = fields.len();
            for (name, value) in &self.pending {
                match fields[..came_in].iter().position(|(n, _)| same_name(n.bytes(), name.as_bytes())) {
                    Some(at) => {
                        fields[at].1 = Slot::set(value.clone());
                        self.mark_changed(at);
                    }
                    None => fields.push((Name::Set(name.clone()), Slot::set(value.clone()))),
                }
            }
            for (name, value) in self.shared_fields() {
                match fields[..came_in].iter().position(|(n, _)| same_name(n.bytes(), name.as_bytes())) {
                    Some(at) => {
                        fields[at].1 = Slot::set(value.clone());
                        self.mark_changed(at);
                    }
                    None => fields.push((Name::Set(Cow::Owned(name.to_owned())), Slot::set(value.clone()))),
                }
            }
            Ok(fields)
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
        self.fields.get().and_then(|r| r.as_ref().err()).or_else(|| self.bad.get())
    }

    /// Records that field `at` was set in place.
    fn mark_changed(&self, at: usize) {
        let came_in = self.view.as_ref().map_or(0, EventView::len);
        match at {
            at if at >= came_in => {}
            at if at < 64 => self.changed.set(self.changed.get() | 1 << at),
            _ => self.whole.set(true),
        }
    }

    /// The shared fields kept aside that apply, in order.
    fn shared_fields(&self) -> impl Iterator<Item = (&str, &Value<'static>)> {
        self.shared.iter().flat_map(|(fields, mask)| {
            fields.iter().enumerate().filter(move |(at, _)| mask & (1 << at) != 0).map(|(_, (name, value))| (name.as_str(), value))
        })
    }

    /// The value kept aside for `name` while nothing has read the event: set, or shared.
    fn kept_aside_value(&self, name: &str) -> Option<&Value<'a>> {
        match self.pending.iter().find(|(n, _)| same_name(n.as_bytes(), name.as_bytes())) {
            Some((_, value)) => Some(value),
            None => self.shared_fields().find(|(n, _)| same_name(n.as_bytes(), name.as_bytes())).map(|(_, value)| value),
        }
    }

    /// Whether nothing has read the event's fields yet: fields set or added are then kept
    /// aside and nothing is decoded.
    fn unread(&self) -> bool {
        self.fields.get().is_none() && self.view.is_some()
    }

    /// A field's name as text (see [`Name::text`]).
    fn name<'s>(&'s self, name: &'s Name<'a>) -> &'s str {
        name.text(self.view.as_ref(), &self.bad)
    }

    /// The fields with their values as they are (read or not); none if the event's encoding
    /// is broken.
    fn slots(&self) -> &[(Name<'a>, Slot<'a>)] {
        self.decoded().as_ref().map(|f| f.as_slice()).unwrap_or_default()
    }

    /// Where the record came from.
    pub fn origin(&self) -> Origin<'a> {
        self.view.as_ref().and_then(|v| v.origin().ok()).unwrap_or_default()
    }

    /// Whether the plugin changed the event.
    pub fn is_modified(&self) -> bool {
        self.modified
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
