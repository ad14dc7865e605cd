//! Changing an event: a parser's fields added, fields set, filled or removed; kept aside
//! while nothing has read the event, so that nothing is decoded to add to it.

use std::borrow::Cow;
use std::rc::Rc;

use logsift_event::{NameLengths, Value, same_name};
use smallvec::SmallVec;

use super::slots::{Name, SHARED_MAX, SharedFields, Slot};
use super::{Event, Parsed};
use crate::Outcome;

impl<'a> Event<'a> {
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

    /// Sets each of `fields` the event does not have yet (a field present, even null, keeps
    /// its value; of two entries with one name, the first counts): what
    /// [`contains`](Self::contains) then [`set`](Self::set) does for each, with one pass over
    /// the event's names instead of one per field. For an enricher that adds what it looked
    /// up without overwriting what the event says.
    ///
    /// The fields are shared, not copied: on an event nothing has read yet (an enricher's,
    /// which reads its keys in `prepare`), the event keeps a reference to the list and which
    /// of its entries apply, and they are encoded from the list. Make the list once per key
    /// and batch ([`ByKey`](crate::lookup::ByKey)) and fill every event of that key from it.
    pub fn fill(&mut self, fields: &SharedFields) {
        let present = self.present(fields.iter().map(|(name, _)| name.as_str()));
        let fresh = |at: usize| !present[at] && !fields[..at].iter().any(|(earlier, _)| *earlier == fields[at].0);
        if self.unread() && fields.len() <= SHARED_MAX {
            let mask = (0..fields.len()).filter(|&at| fresh(at)).fold(0, |mask, at| mask | 1 << at);
            self.keep_shared_aside(fields, mask);
            return;
        }
        for (at, (name, value)) in fields.iter().enumerate() {
            if fresh(at) {
                let value: Value<'a> = value.clone();
                self.set(name.clone(), value);
            }
        }
    }

    /// Sets each of `fields`, replacing any value it had: what [`set`](Self::set) does for
    /// each in turn (of two entries with one name, the last counts). Shared as
    /// [`fill`](Self::fill) shares them.
    pub fn set_all(&mut self, fields: &SharedFields) {
        if self.unread() && fields.len() <= SHARED_MAX {
            let mut mask = 0;
            for (at, (name, _)) in fields.iter().enumerate() {
                if !fields[at + 1..].iter().any(|(later, _)| same_name(later.as_bytes(), name.as_bytes())) {
                    self.forget_kept_aside(name);
                    mask |= 1 << at;
                }
            }
            self.keep_shared_aside(fields, mask);
            return;
        }
        for (name, value) in fields.iter() {
            let value: Value<'a> = value.clone();
            self.set(name.clone(), value);
        }
    }

    /// Keeps the entries of `fields` in `mask` aside; their names are not kept aside yet.
    fn keep_shared_aside(&mut self, fields: &SharedFields, mask: u64) {
        if mask != 0 {
            self.modified = true;
            self.shared.push((Rc::clone(fields), mask));
        }
    }

    /// Forgets what was kept aside for `name`, set or shared, on an event nothing has read.
    fn forget_kept_aside(&mut self, name: &str) {
        self.pending.retain(|(n, _)| !same_name(n.as_bytes(), name.as_bytes()));
        self.forget_shared(name);
    }

    /// Forgets the shared fields kept aside for `name`.
    fn forget_shared(&mut self, name: &str) {
        for (fields, mask) in &mut self.shared {
            for (at, (n, _)) in fields.iter().enumerate() {
                if same_name(n.as_bytes(), name.as_bytes()) {
                    *mask &= !(1 << at);
                }
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
        let mut present: SmallVec<[bool; 16]> = names.clone().map(|name| self.kept_aside_value(name).is_some()).collect();
        // Names a walk already listed: none of these among them, no need to walk again.
        if let Some(seen) = self.names_seen.get()
            && !names.clone().any(|name| seen.may_hold(name.as_bytes()))
        {
            return present;
        }
        let lengths = NameLengths::of(names.clone());
        for span in view.field_spans() {
            // A malformed event has no fields to keep: decoding it keeps the error.
            let Ok((field, _)) = span else { return names.map(|name| self.get(name).is_some()).collect() };
            if !lengths.may_hold(field) {
                continue;
            }
            for (at, name) in names.clone().enumerate() {
                present[at] |= same_name(name.as_bytes(), field);
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
            self.forget_shared(&name);
            match self.pending.iter_mut().find(|(n, _)| same_name(n.as_bytes(), name.as_bytes())) {
                Some((_, slot)) => *slot = value,
                None => self.pending.push((name, value)),
            }
            return;
        }
        let Some(fields) = self.decoded_mut() else { return };
        match fields.iter().position(|(n, _)| same_name(n.bytes(), name.as_bytes())) {
            Some(at) => {
                fields[at].1 = Slot::set(value);
                self.mark_changed(at);
            }
            None => fields.push((Name::Set(name), Slot::set(value))),
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

    /// Removes a field and returns its value.
    pub fn remove(&mut self, name: &str) -> Option<Value<'a>> {
        let at = self.decoded().as_ref().ok()?.iter().position(|(n, _)| same_name(n.bytes(), name.as_bytes()))?;
        self.whole.set(true);
        let (_, slot) = self.decoded_mut()?.remove(at);
        // Decoded now if it never was.
        slot.value(&self.bad);
        slot.value.into_inner()
    }
}
