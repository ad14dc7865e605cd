//! The event a plugin sees: its field names read on first use, each value decoded when
//! read, borrowed from the batch, re-encoded only when changed.

mod encoding;
mod slots;
#[cfg(test)]
mod tests;

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use logsift_event::{DecodeError, EventView, NameLengths, ORIGINAL, Origin, Value};
use smallvec::SmallVec;

pub(crate) use encoding::Encoded;
use slots::{Fields, Name, Pending, Slot, decode_or_mark};

use crate::Outcome;

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
    modified: bool,
    /// Which of the first 64 fields that came in were set since (the fields after those that
    /// came in are all new).
    changed: Cell<u64>,
    /// A field was removed, or one past the 64th set: the whole event goes back.
    whole: Cell<bool>,
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
            modified: true,
            changed: Cell::new(0),
            whole: Cell::new(true),
        }
    }

    pub(crate) fn from_view(view: EventView<'a>) -> Self {
        Event {
            view: Some(view),
            fields: OnceCell::new(),
            bad: OnceCell::new(),
            pending: SmallVec::new(),
            modified: false,
            changed: Cell::new(0),
            whole: Cell::new(false),
        }
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
                match fields[..came_in].iter().position(|(n, _)| n.bytes() == name.as_bytes()) {
                    Some(at) => {
                        fields[at].1 = Slot::set(value.clone());
                        self.mark_changed(at);
                    }
                    None => fields.push((Name::Set(name.clone()), Slot::set(value.clone()))),
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

    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        let name = name.as_bytes();
        self.decoded().as_ref().ok()?.iter().find(|(n, _)| n.bytes() == name).map(|(_, slot)| slot.value(&self.bad))
    }

    /// The values of those of `names` the event has, each with its index in `names`, in the
    /// order of `names` — what [`get`](Self::get) reads for each, in one pass over the
    /// event's fields instead of one per name: for a stage that reads many names of every
    /// event (lookup keys). A field whose name is not as long as any of `names` is passed
    /// over without comparing it; on an event nothing has read yet, only the values found
    /// are decoded (the host checked every event it hands over), and the event stays
    /// undecoded (a stage that then only sets fields hands back the additions alone).
    pub fn get_each<S: AsRef<str>>(&self, names: &[S]) -> Vec<(usize, Value<'a>)> {
        let mut found = Vec::new();
        self.get_each_into(names, &mut found);
        found
    }

    /// [`get_each`](Self::get_each) into `found` (emptied first), so that a stage reading
    /// the same names of every event of a batch allocates one list for all of them.
    pub(crate) fn get_each_into<S: AsRef<str>>(&self, names: &[S], found: &mut Vec<(usize, Value<'a>)>) {
        found.clear();
        let lengths = NameLengths::of(names.iter().map(|name| name.as_ref().as_bytes()));
        match (&self.view, self.fields.get()) {
            (Some(view), None) if self.pending.is_empty() => {
                // Names compared as bytes: one equal to a name asked for is text.
                for span in view.field_spans() {
                    // A malformed event: decoding it keeps the error, for the SDK to reject it.
                    let Ok((name, field)) = span else {
                        found.clear();
                        found.extend(self.get_each_decoded(names));
                        return;
                    };
                    if !lengths.may_hold(name) {
                        continue;
                    }
                    for (at, n) in names.iter().enumerate() {
                        // The first field of a name is the one `get` reads.
                        if n.as_ref().as_bytes() == name && !found.iter().any(|(seen, _)| *seen == at) {
                            found.push((at, decode_or_mark(&view.field_value(field, name), &self.bad)));
                        }
                    }
                }
            }
            _ => found.extend(self.get_each_decoded(names)),
        }
        found.sort_unstable_by_key(|(at, _)| *at);
    }

    /// [`get_each`](Self::get_each) over the decoded fields.
    fn get_each_decoded<S: AsRef<str>>(&self, names: &[S]) -> Vec<(usize, Value<'a>)> {
        names.iter().enumerate().filter_map(|(at, name)| Some((at, self.get(name.as_ref())?.clone()))).collect()
    }

    /// What [`get`](Self::get) reads for `name`, as a value of its own: on an event nothing
    /// has read yet, that value alone is decoded and the event stays undecoded (a parser that
    /// reads `event.original` and then adds fields hands back the additions alone, without
    /// listing the fields that came in).
    fn get_value(&self, name: &str) -> Option<Value<'a>> {
        let (Some(view), None) = (&self.view, self.fields.get()) else { return self.get(name).cloned() };
        if let Some((_, value)) = self.pending.iter().find(|(n, _)| n == name) {
            return Some(value.clone());
        }
        let mut found = None;
        for span in view.field_spans() {
            // A malformed event: decoding it keeps the error, for the SDK to reject it.
            let Ok((n, field)) = span else { return self.get(name).cloned() };
            if found.is_none() && n == name.as_bytes() {
                found = Some(field);
            }
        }
        found.map(|field| decode_or_mark(&view.field_value(field, name.as_bytes()), &self.bad))
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
        match self.get_value(ORIGINAL) {
            Some(Value::Str(text)) => Ok(text),
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
        let parsed = match self.original_to_parse() {
            Ok(Cow::Borrowed(text)) => parse(text),
            Ok(Cow::Owned(text)) => parse(&text).map(|found| {
                found.map(|fields| fields.into_iter().map(|(name, value)| (Cow::Owned(name.into_owned()), value.into_owned())).collect())
            }),
            Err(reason) => return Outcome::Reject(reason),
        };
        match parsed {
            Ok(Some(fields)) => {
                self.add_parsed(fields);
                Outcome::Pass
            }
            Ok(None) => Outcome::Drop,
            Err(reason) => Outcome::Reject(reason),
        }
    }

    /// Adds what a parser found, as [`push`](Self::push) does each field; on an event
    /// nothing has read or set yet, the list itself is kept aside (no field is moved).
    fn add_parsed(&mut self, fields: Vec<(Cow<'a, str>, Value<'a>)>) {
        if self.unread() && self.pending.is_empty() {
            self.modified |= !fields.is_empty();
            self.pending = SmallVec::from_vec(fields);
            return;
        }
        for (name, value) in fields {
            self.push(name, value);
        }
    }

    /// Whether the field is present (even if null). Read from the names alone if the event is
    /// not decoded yet: no value is decoded or checked (the host checked every event it hands
    /// over), nothing is allocated, and the event stays undecoded.
    pub fn contains(&self, name: &str) -> bool {
        match (&self.view, self.fields.get()) {
            (Some(view), None) => {
                self.pending.iter().any(|(n, _)| n == name) || view.field_spans().any(|span| span.is_ok_and(|(n, _)| n == name.as_bytes()))
            }
            _ => self.get(name).is_some(),
        }
    }

    /// All fields, in order.
    pub fn fields(&self) -> impl Iterator<Item = (&str, &Value<'a>)> {
        self.slots().iter().map(|(n, slot)| (self.name(n), slot.value(&self.bad)))
    }

    /// All field names, in order, with no value decoded (see [`fields`](Self::fields)).
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.slots().iter().map(|(n, _)| self.name(n))
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

    /// Sets each of `fields` the event does not have yet (a field present, even null, keeps
    /// its value; of two entries with one name, the first counts): what
    /// [`contains`](Self::contains) then [`set`](Self::set) does for each, with one pass over
    /// the event's names instead of one per field. For an enricher that adds what it looked
    /// up without overwriting what the event says.
    pub fn fill(&mut self, fields: &[(String, Value<'a>)]) {
        let present = self.present(fields.iter().map(|(name, _)| name.as_str()));
        for (at, (name, value)) in fields.iter().enumerate() {
            if !present[at] && !fields[..at].iter().any(|(earlier, _)| earlier == name) {
                self.set(name.clone(), value.clone());
            }
        }
    }

    /// For each of `names`, whether the event has it: [`contains`](Self::contains) of each, in
    /// one pass over the names that came in.
    /// Held inline up to sixteen names (an enricher's fill is a few columns): no allocation per event.
    fn present<'n>(&self, names: impl Iterator<Item = &'n str> + Clone) -> SmallVec<[bool; 16]> {
        let (Some(view), None) = (&self.view, self.fields.get()) else {
            return names.map(|name| self.get(name).is_some()).collect();
        };
        let mut present: SmallVec<[bool; 16]> = names.clone().map(|name| self.pending.iter().any(|(n, _)| n == name)).collect();
        let lengths = NameLengths::of(names.clone());
        for span in view.field_spans() {
            // A malformed event has no fields to keep: decoding it keeps the error.
            let Ok((field, _)) = span else { return names.map(|name| self.get(name).is_some()).collect() };
            if !lengths.may_hold(field) {
                continue;
            }
            for (at, name) in names.clone().enumerate() {
                present[at] |= name.as_bytes() == field;
            }
        }
        present
    }

    /// Sets a field, replacing any value it had.
    pub fn set(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let (name, value) = (name.into(), value.into());
        if self.unread() {
            // Keep the field aside, decode nothing.
            self.modified = true;
            match self.pending.iter_mut().find(|(n, _)| *n == name) {
                Some((_, slot)) => *slot = value,
                None => self.pending.push((name, value)),
            }
            return;
        }
        let Some(fields) = self.decoded_mut() else { return };
        match fields.iter().position(|(n, _)| n.bytes() == name.as_bytes()) {
            Some(at) => {
                fields[at].1 = Slot::set(value);
                self.mark_changed(at);
            }
            None => fields.push((Name::Set(name), Slot::set(value))),
        }
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

    /// Adds a field the event does not have yet, without looking for an existing one (what a
    /// parser does for each field it extracts; [`set`](Self::set) scans the fields first).
    /// Adding a name twice breaks the event's unique names: debug builds panic on it.
    ///
    /// Inlined where it has room: a parser calls it for each field it extracts, and in a
    /// plugin a call that stays a call costs about forty instructions of prologue and
    /// epilogue (see [`EventWriter::field`]), more than keeping the field aside does.
    #[inline(always)]
    pub fn push(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Value<'a>>) {
        let (name, value) = (name.into(), value.into());
        if self.unread() && self.pending.len() < self.pending.capacity() {
            self.keep_aside(name, value);
            return;
        }
        self.push_out_of_line(name, value);
    }

    /// [`push`](Self::push) when the fields kept aside are full, or the event was read.
    #[inline(never)]
    fn push_out_of_line(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        if self.unread() {
            // The list kept aside is full: a parser adding a dozen fields or more grows it once.
            self.pending.reserve(16);
            self.keep_aside(name, value);
            return;
        }
        let Some(fields) = self.decoded_mut() else { return };
        debug_assert!(!fields.iter().any(|(n, _)| n.bytes() == name.as_bytes()), "field {name} pushed twice");
        fields.push((Name::Set(name), Slot::set(value)));
    }

    /// Adds a field to those kept aside while nothing has read the event (see
    /// [`unread`](Self::unread)); its name must not be among them.
    #[inline(always)]
    fn keep_aside(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        debug_assert!(!self.pending.iter().any(|(n, _)| *n == name), "field {name} pushed twice");
        self.modified = true;
        self.pending.push((name, value));
    }

    /// Whether nothing has read the event's fields yet: fields set or added are then kept
    /// aside and nothing is decoded.
    fn unread(&self) -> bool {
        self.fields.get().is_none() && self.view.is_some()
    }

    /// Removes a field and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value<'a>> {
        let at = self.decoded().as_ref().ok()?.iter().position(|(n, _)| n.bytes() == name.as_bytes())?;
        self.whole.set(true);
        let (_, slot) = self.decoded_mut()?.remove(at);
        // Decoded now if it never was.
        slot.value(&self.bad);
        slot.value.into_inner()
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
