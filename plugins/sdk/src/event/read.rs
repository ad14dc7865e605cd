//! Reading an event: one field, several in one pass, the raw text to parse, every field;
//! each value decoded only when read, and the event left undecoded where nothing needs it.

use std::borrow::Cow;

use logsift_event::{ORIGINAL, Value, same_name};

use super::Event;
use super::NameFilter;
use super::names_by_length::NamesByLength;
use super::slots::decode_or_mark;

/// Reads by name [`peek`](Event::peek) serves from one encoded event; after them the event
/// is decoded once (each read then compares names without walking the encoding), so that
/// a stage reading many fields of each event pays the walk a bounded number of times.
pub(super) const PEEKS: u8 = 4;

impl<'a> Event<'a> {
    /// The value of a field.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        let name = name.as_bytes();
        self.decoded().as_ref().ok()?.iter().find(|(n, _)| same_name(n.bytes(), name)).map(|(_, slot)| slot.value(&self.bad))
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
        self.get_each_into(&NamesByLength::new(names), &mut found);
        found
    }

    /// [`get_each`](Self::get_each) into `found` (emptied first), for names grouped once:
    /// a stage reading the same names of every event of a batch groups them and allocates
    /// one list for all of its events, and each field is compared only with the names as
    /// long as its own.
    pub(crate) fn get_each_into(&self, names: &NamesByLength<'_>, found: &mut Vec<(usize, Value<'a>)>) {
        found.clear();
        match (&self.view, self.fields.get()) {
            (Some(view), None) if self.pending.is_empty() && self.shared.is_empty() => {
                // Names compared as bytes: one equal to a name asked for is text.
                let mut seen = NameFilter::default();
                for span in view.field_spans() {
                    // A malformed event: decoding it keeps the error, for the SDK to reject it.
                    let Ok((name, field)) = span else {
                        found.clear();
                        found.extend(self.get_each_decoded(names));
                        return;
                    };
                    seen.add(name);
                    for at in names.equal_to(name) {
                        // The first field of a name is the one `get` reads.
                        if !found.iter().any(|(seen, _)| *seen == at) {
                            found.push((at, decode_or_mark(&view.field_value(field, name), &self.bad)));
                        }
                    }
                }
                self.names_seen.set(Some(seen));
            }
            _ => found.extend(self.get_each_decoded(names)),
        }
        found.sort_unstable_by_key(|(at, _)| *at);
    }

    /// [`get_each`](Self::get_each) over the decoded fields.
    fn get_each_decoded(&self, names: &NamesByLength<'_>) -> Vec<(usize, Value<'a>)> {
        names.all().iter().filter_map(|(name, at)| Some((*at, self.get(name)?.clone()))).collect()
    }

    /// What [`get`](Self::get) reads for `name`, as a value of its own: on an event nothing
    /// has read yet, that value alone is decoded and the event stays undecoded (a parser that
    /// reads `event.original` and then adds fields hands back the additions alone, without
    /// listing the fields that came in).
    fn get_value(&self, name: &str) -> Option<Value<'a>> {
        let (Some(view), None) = (&self.view, self.fields.get()) else { return self.get(name).cloned() };
        if let Some(value) = self.kept_aside_value(name) {
            return Some(value.clone());
        }
        let mut found = None;
        for span in view.field_spans() {
            // A malformed event: decoding it keeps the error, for the SDK to reject it.
            let Ok((n, field)) = span else { return self.get(name).cloned() };
            if found.is_none() && same_name(n, name.as_bytes()) {
                found = Some(field);
            }
        }
        found.map(|field| decode_or_mark(&view.field_value(field, name.as_bytes()), &self.bad))
    }

    /// The text of a string field.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        match self.peek(name) {
            Some(Some(Value::Str(Cow::Borrowed(text)))) => Some(text),
            Some(Some(Value::Str(Cow::Owned(_)))) | None => self.get(name).and_then(Value::as_str),
            Some(_) => None,
        }
    }

    /// The number of an integer field.
    pub fn get_int(&self, name: &str) -> Option<i64> {
        match self.peek(name) {
            Some(found) => found?.as_int(),
            None => self.get(name).and_then(Value::as_int),
        }
    }

    /// The event time: a typed `@timestamp`, in nanoseconds since the epoch. Rules that keep
    /// state measure windows in it, so a replay decides as the live run did.
    pub fn timestamp(&self) -> Option<i64> {
        let found = match self.peek("@timestamp") {
            Some(found) => found?,
            None => self.get("@timestamp")?.clone(),
        };
        match found {
            Value::Timestamp(nanos) => Some(nanos),
            _ => None,
        }
    }

    /// What [`get`](Self::get) reads for `name`, read from the encoded event without decoding
    /// it, while nothing has decoded it, set or added a field, and it has been read this way
    /// fewer than [`PEEKS`] times: the fields are walked up to the first of that name and its
    /// value alone is decoded. A detector reading a few fields of each event then never
    /// builds the list of all of them (most of what reading one field cost). `None`: not
    /// read this way (the caller decodes, as `get` does); so is an event whose fields up to
    /// the one read are malformed, for decoding to keep the error.
    fn peek(&self, name: &str) -> Option<Option<Value<'a>>> {
        let view = self.view.as_ref().filter(|_| self.fields.get().is_none() && self.pending.is_empty() && self.shared.is_empty())?;
        let peeks = self.peeks.get();
        if peeks >= PEEKS {
            return None;
        }
        self.peeks.set(peeks + 1);
        for span in view.field_spans() {
            let (n, field) = span.ok()?;
            if same_name(n, name.as_bytes()) {
                return Some(Some(decode_or_mark(&view.field_value(field, n), &self.bad)));
            }
        }
        Some(None)
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

    /// Whether the field is present (even if null). Read from the names alone if the event is
    /// not decoded yet: no value is decoded or checked (the host checked every event it hands
    /// over), nothing is allocated, and the event stays undecoded.
    pub fn contains(&self, name: &str) -> bool {
        match (&self.view, self.fields.get()) {
            (Some(view), None) => self.kept_aside_value(name).is_some() || view.has(name),
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
}
