//! The event a plugin sees: its field names read on first use, each value decoded when
//! read, borrowed from the batch, re-encoded only when changed.

use std::borrow::Cow;
use std::cell::{Cell, OnceCell};

use logsift_event::{DecodeError, EventView, EventWriter, NameLengths, ORIGINAL, Origin, RawValue, Value};
use smallvec::SmallVec;

use crate::Outcome;

/// The event's fields: each name, and its value as it came in (decoded when first read) or
/// as the plugin set it.
type Fields<'a> = Vec<(Name<'a>, Slot<'a>)>;

/// A field's name: as it came in, compared as bytes and told text only when it is read as
/// text (so reading two fields of twenty checks no name), or as the plugin set it.
enum Name<'a> {
    In(&'a [u8], OnceCell<&'a str>),
    Set(Cow<'a, str>),
}

impl<'a> Name<'a> {
    fn bytes(&self) -> &[u8] {
        match self {
            Name::In(bytes, _) => bytes,
            Name::Set(name) => name.as_bytes(),
        }
    }

    /// The name as text. One that came in and is not UTF-8 (the host checks every event it
    /// hands over, so only a broken host sends one) reads as empty, and the error (decoding's,
    /// at that name) is kept in `bad` unless an earlier one is: the SDK then rejects the event.
    fn text(&self, view: Option<&EventView<'a>>, bad: &OnceCell<DecodeError>) -> &str {
        match self {
            Name::Set(name) => name,
            Name::In(bytes, text) => text.get_or_init(|| match view.map(|view| view.field_name(bytes)) {
                Some(Ok(text)) => text,
                Some(Err(error)) => {
                    let _ = bad.set(error);
                    ""
                }
                // Not made: a name comes in only with the event's view.
                None => "",
            }),
        }
    }
}

/// Fields set before the event was read, by name. An enricher sets one or two: held inline,
/// they cost no allocation per event.
type Pending<'a> = SmallVec<[(Cow<'a, str>, Value<'a>); 2]>;

/// One field's value: left encoded until something reads it, so a plugin that reads three
/// fields of twenty decodes (and checks) three values.
struct Slot<'a> {
    /// The value as it came in, when it did.
    raw: Option<RawValue<'a>>,
    value: OnceCell<Value<'a>>,
}

impl<'a> Slot<'a> {
    fn set(value: Value<'a>) -> Self {
        Slot { raw: None, value: OnceCell::from(value) }
    }

    fn encoded(raw: RawValue<'a>) -> Self {
        Slot { raw: Some(raw), value: OnceCell::new() }
    }

    /// The value, decoded on its first read (see [`decode_or_mark`]).
    fn value(&self, bad: &OnceCell<DecodeError>) -> &Value<'a> {
        self.value.get_or_init(|| self.raw.as_ref().map_or(Value::Null, |raw| decode_or_mark(raw, bad)))
    }

    /// Appends the field to `w`: copied as it came in when it was never read.
    fn write(&self, w: &mut EventWriter<'_>, name: &str) {
        match (self.value.get(), &self.raw) {
            (Some(value), _) => w.field(name, value),
            (None, Some(raw)) => w.raw_field(name, raw.bytes()),
            // Not made: a slot has either.
            (None, None) => w.field(name, &Value::Null),
        };
    }
}

/// A value as it came in, decoded; one that cannot be (a string that is not UTF-8) reads
/// as null, and the first such error is kept in `bad`: the SDK then rejects the event.
fn decode_or_mark<'a>(raw: &RawValue<'a>, bad: &OnceCell<DecodeError>) -> Value<'a> {
    raw.decode().unwrap_or_else(|error| {
        let _ = bad.set(error);
        Value::Null
    })
}

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

/// How a modified event went back to the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoded {
    /// The whole event.
    Whole,
    /// Only the fields set or added (the contract's `update`).
    Update,
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
        if self.fields.get().is_none() && self.view.is_some() && self.pending.is_empty() {
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
        if self.fields.get().is_none() && self.view.is_some() {
            // Nothing has read the event yet: keep the field aside, decode nothing.
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
        if self.fields.get().is_none() && self.view.is_some() && self.pending.len() < self.pending.capacity() {
            // Nothing has read the event yet: keep the field aside, decode nothing.
            debug_assert!(!self.pending.iter().any(|(n, _)| *n == name), "field {name} pushed twice");
            self.modified = true;
            self.pending.push((name, value));
            return;
        }
        self.push_out_of_line(name, value);
    }

    /// [`push`](Self::push) when the fields kept aside are full, or the event was read.
    #[inline(never)]
    fn push_out_of_line(&mut self, name: Cow<'a, str>, value: Value<'a>) {
        if self.fields.get().is_none() && self.view.is_some() {
            // Kept aside, and the list is full: a parser adding a dozen fields or more
            // grows it once.
            debug_assert!(!self.pending.iter().any(|(n, _)| *n == name), "field {name} pushed twice");
            self.modified = true;
            self.pending.reserve(16);
            self.pending.push((name, value));
            return;
        }
        let Some(fields) = self.decoded_mut() else { return };
        debug_assert!(!fields.iter().any(|(n, _)| n.bytes() == name.as_bytes()), "field {name} pushed twice");
        fields.push((Name::Set(name), Slot::set(value)));
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

    /// Appends the event, framed, to `buf`, with the given encoded origin.
    pub(crate) fn encode(&self, buf: &mut Vec<u8>, raw_origin: &[u8]) {
        let mut w = EventWriter::begin_with_raw_origin(buf, raw_origin);
        for (name, slot) in self.slots() {
            slot.write(&mut w, self.name(name));
        }
        w.finish();
    }

    /// Appends what changed, framed, to `buf`: only the fields set or added since the event
    /// came in (an update, merged by the host over the event it sent), or the whole event
    /// when a field was removed or the event is new.
    pub(crate) fn encode_changes(&self, buf: &mut Vec<u8>) -> Encoded {
        let came_in = match &self.view {
            Some(view) if !self.whole.get() => view.len(),
            _ => {
                self.encode(buf, self.raw_origin());
                return Encoded::Whole;
            }
        };
        let mut w = EventWriter::begin_with_raw_origin(buf, &[logsift_event::origin_tag::NONE]);
        if self.fields.get().is_none() {
            // Never decoded: what was set is all there is to send.
            for (name, value) in &self.pending {
                w.field(name, value);
            }
        } else {
            let changed = self.changed.get();
            for (at, (name, slot)) in self.slots().iter().enumerate() {
                if at >= came_in || (at < 64 && changed & (1 << at) != 0) {
                    slot.write(&mut w, self.name(name));
                }
            }
        }
        w.finish();
        Encoded::Update
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
    fn get_each_reads_what_get_reads_for_every_name_in_the_order_of_the_names() {
        let long = "x".repeat(70);
        let buf = encoded(&[
            ("host.name", Value::from("web-1")),
            ("source.ip", Value::from("10.0.0.1")),
            ("user.id", Value::Int(7)),
            ("source.ip", Value::from("10.0.0.2")),
            (&long, Value::Bool(true)),
        ]);
        let e = event(&buf);
        let names = ["user.id", "missing", "source.ip", long.as_str(), "user.name", "source.ip", "host.nam"];
        let each = e.get_each(&names);
        assert!(e.fields.get().is_none(), "read without decoding the event");
        let one_by_one: Vec<(usize, Value<'_>)> = names.iter().enumerate().filter_map(|(at, n)| Some((at, e.get(n)?.clone()))).collect();
        assert_eq!(each, one_by_one);
        assert_eq!(each.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [0, 2, 3, 5], "the first source.ip, for both names");
        assert_eq!(each[1].1, Value::from("10.0.0.1"));
        assert_eq!(e.get_each(&names), each, "the same once the event is decoded");
        assert!(e.contains("user.id") && !e.contains("user.name"));
        let undecoded = event(&buf);
        assert!(undecoded.contains("user.id") && !undecoded.contains("user.name") && undecoded.contains(&long));
        assert!(undecoded.fields.get().is_none(), "contains reads the names alone");
    }

    #[test]
    fn fill_sets_only_what_contains_then_set_would() {
        let buf = encoded(&[(ORIGINAL, Value::from("x")), ("host.name", Value::from("web-1")), ("owner", Value::Null)]);
        let fill: Vec<(String, Value<'static>)> = [
            ("owner", Value::from("secops")),
            ("host.nam", Value::from("prefix")),
            ("criticality", Value::from("high")),
            ("host.name", Value::from("other")),
            ("criticality", Value::from("low")),
            ("pending", Value::from("from the list")),
        ]
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v))
        .collect();
        let one_by_one = |e: &mut Event<'_>| {
            for (name, value) in &fill {
                if !e.contains(name) {
                    e.set(name.clone(), value.clone());
                }
            }
        };
        let mut outputs = Vec::new();
        for decoded_first in [false, true] {
            let (mut filled, mut expected) = (event(&buf), event(&buf));
            for e in [&mut filled, &mut expected] {
                e.set("pending", "set before");
                if decoded_first {
                    assert_eq!(e.get("host.name"), Some(&Value::from("web-1")));
                }
            }
            filled.fill(&fill);
            one_by_one(&mut expected);
            assert_eq!(filled.fields.get().is_some(), decoded_first, "fill decodes nothing");
            let (mut a, mut b) = (Vec::new(), Vec::new());
            assert_eq!(filled.encode_changes(&mut a), Encoded::Update);
            expected.encode_changes(&mut b);
            assert_eq!(fields_of(&a), fields_of(&b));
            outputs.push(fields_of(&a));
        }
        assert_eq!(outputs[0], outputs[1]);
        let added: Vec<&str> = outputs[0].iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(added, ["pending", "host.nam", "criticality"], "present fields (even null) and later repeats are left");
        assert_eq!(outputs[0][2].1, Value::from("high"));
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

    /// The fields of an encoded event, decoded.
    fn fields_of(buf: &[u8]) -> Vec<(String, Value<'static>)> {
        let view = Batch::new(buf).next().expect("one event").expect("well-formed");
        view.decode_all().expect("decoded").into_iter().map(|(n, v)| (n.to_owned(), v.into_owned())).collect()
    }

    #[test]
    fn only_the_fields_set_or_added_go_back_unless_one_was_removed() {
        let buf = encoded(&[(ORIGINAL, Value::from("x")), ("a", Value::Int(1)), ("b", Value::Int(2))]);
        let mut e = event(&buf);
        e.set("b", Value::Int(3));
        e.set("c", "new");
        let mut out = Vec::new();
        assert_eq!(e.encode_changes(&mut out), Encoded::Update);
        assert_eq!(fields_of(&out), [("b".to_owned(), Value::Int(3)), ("c".to_owned(), Value::from("new"))]);
        // Merged over the event that came in, it is the event as the plugin left it.
        let mut merged = Vec::new();
        let base = Batch::new(&buf).next().expect("one").expect("ok");
        let update = Batch::new(&out).next().expect("one").expect("ok");
        logsift_event::write_update(&mut merged, &base, &update).expect("merged");
        let mut whole = Vec::new();
        e.encode(&mut whole, e.raw_origin());
        assert_eq!(merged, whole);

        let mut e = event(&buf);
        e.set("c", "new");
        e.remove("a");
        let mut out = Vec::new();
        assert_eq!(e.encode_changes(&mut out), Encoded::Whole);
        let names: Vec<String> = fields_of(&out).into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, [ORIGINAL, "b", "c"]);
    }

    #[test]
    fn fields_set_before_any_read_are_not_decoded_and_reads_see_them() {
        let buf = encoded(&[(ORIGINAL, Value::from("x")), ("a", Value::Int(1))]);
        let mut e = event(&buf);
        e.set("a", Value::Int(2));
        e.set("b", "new");
        e.set("b", "newer");
        assert!(e.fields.get().is_none(), "nothing decoded yet");
        let mut out = Vec::new();
        assert_eq!(e.encode_changes(&mut out), Encoded::Update);
        assert_eq!(fields_of(&out), [("a".to_owned(), Value::Int(2)), ("b".to_owned(), Value::from("newer"))]);
        // A read decodes the event with the fields set over it, in place or after.
        assert_eq!(e.get("a"), Some(&Value::Int(2)));
        let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
        assert_eq!(names, [ORIGINAL, "a", "b"]);
        let mut again = Vec::new();
        assert_eq!(e.encode_changes(&mut again), Encoded::Update);
        assert_eq!(again, out, "the same update either way");
    }

    #[test]
    fn a_parser_reads_only_the_original_and_hands_back_its_fields_alone() {
        let buf = encoded(&[("host.name", Value::from("web-1")), (ORIGINAL, Value::from("user=root")), ("n", Value::Int(7))]);
        let mut e = event(&buf);
        assert!(matches!(e.parse_original(key_value), Outcome::Pass));
        e.push("pushed", Value::Int(1));
        assert!(e.fields.get().is_none(), "the event was not decoded");
        let mut out = Vec::new();
        assert_eq!(e.encode_changes(&mut out), Encoded::Update);
        assert_eq!(fields_of(&out), [("user".to_owned(), Value::from("root")), ("pushed".to_owned(), Value::Int(1))]);
        // Read afterwards, the event is the one that came in with the fields added.
        assert!(matches!(e.get("user"), Some(Value::Str(Cow::Borrowed("root")))));
        let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
        assert_eq!(names, ["host.name", ORIGINAL, "n", "user", "pushed"]);
        let mut again = Vec::new();
        assert_eq!(e.encode_changes(&mut again), Encoded::Update);
        assert_eq!(again, out, "the same update either way");

        // A malformed value elsewhere in the event still rejects it, as when it was decoded.
        let mut buf = encoded(&[(ORIGINAL, Value::from("user=root")), ("bad", Value::from("zzz"))]);
        let at = buf.windows(3).position(|w| w == b"zzz").expect("the value");
        buf[at] = 0xFF;
        let mut e = event(&buf);
        assert!(matches!(e.parse_original(key_value), Outcome::Pass));
        assert!(e.decode_error().is_none(), "a value not read is not decoded");
        // A field whose frame cannot be read, after the original: the event is rejected.
        let mut broken = buf.clone();
        let at = broken.windows(3).position(|w| w == b"bad").expect("the name");
        broken[at - 4..at].copy_from_slice(&u32::MAX.to_le_bytes());
        let mut e = event(&broken);
        assert!(matches!(e.parse_original(|_| panic!("parsed a malformed event")), Outcome::Reject(_)));
        assert!(e.decode_error().is_some());
    }

    #[test]
    fn only_the_values_read_are_decoded_and_a_bad_one_read_rejects_the_event() {
        let mut buf = encoded(&[(ORIGINAL, Value::from("x")), ("bad", Value::from("zzz")), ("n", Value::Int(7))]);
        let at = buf.windows(3).position(|w| w == b"zzz").expect("the value");
        buf[at] = 0xFF;
        let e = event(&buf);
        assert_eq!(e.names().collect::<Vec<_>>(), [ORIGINAL, "bad", "n"]);
        assert_eq!(e.get("n"), Some(&Value::Int(7)));
        assert!(e.decode_error().is_none(), "the value not read is not decoded, nor by listing the names");
        let mut copy = Vec::new();
        e.encode(&mut copy, e.raw_origin());
        assert_eq!(copy, buf, "an event encoded whole copies the values never read");
        assert_eq!(e.get("bad"), Some(&Value::Null), "a value that cannot be decoded reads as null");
        assert_eq!(e.decode_error().map(|d| d.what), Some("string is not UTF-8"));
        let error = e.decode_error().cloned();

        // The same through `get_each` on an event nothing has read, at the same position.
        let e = event(&buf);
        assert_eq!(e.get_each(&["n"]), [(0, Value::Int(7))]);
        assert!(e.decode_error().is_none(), "the value not asked for is not decoded");
        assert_eq!(e.get_each(&["n", "bad"]), [(0, Value::Int(7)), (1, Value::Null)]);
        assert_eq!(e.decode_error().cloned(), error);
    }

    #[test]
    fn names_are_checked_only_when_read_as_text_and_a_bad_one_then_rejects_the_event() {
        let mut buf = encoded(&[(ORIGINAL, Value::from("x")), ("nAme", Value::Int(1)), ("n", Value::Int(7))]);
        let at = buf.windows(4).position(|w| w == b"nAme").expect("the name");
        buf[at + 1] = 0xFF;
        let view = Batch::new(&buf).next().expect("one event").expect("well-formed");
        let expected = view.decode_all().expect_err("a name that is not UTF-8");

        let mut e = event(&buf);
        assert_eq!(e.get("n"), Some(&Value::Int(7)));
        e.set("n", Value::Int(8));
        assert!(e.decode_error().is_none(), "reading and setting by name compares bytes");
        let mut update = Vec::new();
        assert_eq!(e.encode_changes(&mut update), Encoded::Update);
        assert_eq!(fields_of(&update), [("n".to_owned(), Value::Int(8))], "the update carries no name that came in");

        let e = event(&buf);
        let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
        assert_eq!(names, [ORIGINAL, "", "n"], "read as text, the bad name is empty");
        assert_eq!(e.decode_error(), Some(&expected), "with the error decoding gives, at the same offset");

        // Sent back whole — a field removed, the event emitted changed, or split into parts
        // that copy its fields — the event is rejected and nothing of it is sent.
        struct Whole(&'static str);
        impl crate::Plugin for Whole {
            const METADATA: crate::Metadata = crate::Metadata::new("whole", "0.0.0", crate::Kind::Enricher, "sends events back whole");
            fn init(_settings: crate::Settings) -> Result<Self, String> {
                Ok(Whole(""))
            }
            fn process(&mut self, event: &mut Event<'_>, _ctx: &mut crate::Context) -> Outcome {
                match self.0 {
                    "remove" => {
                        event.remove("n");
                        Outcome::Pass
                    }
                    "emit" => {
                        event.set("n", Value::Int(9));
                        Outcome::Emit("other".into())
                    }
                    _ => {
                        let mut part = Event::new();
                        for (name, value) in event.fields() {
                            part.set(name.to_owned(), value.clone().into_owned());
                        }
                        Outcome::Split(vec![part, Event::new()])
                    }
                }
            }
        }
        for how in ["remove", "emit", "split"] {
            let out = crate::runtime::process_batch(&mut Whole(how), &buf);
            assert!(out.events.is_empty(), "{how}: nothing of the event is sent");
            let [crate::runtime::Change { record: 0, action: crate::runtime::Action::Reject(reason) }] = &out.changes[..] else {
                panic!("{how}: {:?}", out.changes)
            };
            assert_eq!(*reason, expected.to_string(), "{how}");
        }
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
