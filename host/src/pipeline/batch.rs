//! Host-side batches: records as they arrive, and encoded events as they move along the
//! chain, each remembering which input record it descends from.

use std::ops::Range;

use logsift_event::{EventView, EventWriter, FieldAt, ORIGINAL, Origin, Value};

/// A record as a source hands it over: its raw bytes and where it came from.
#[derive(Debug, Clone)]
pub struct InputRecord {
    /// The raw bytes (a log line without its newline, or a Kafka value).
    pub raw: Vec<u8>,
    /// Its position in the source.
    pub origin: Origin<'static>,
    /// Set when the source kept only the first bytes of a longer record (a file line past
    /// `limits.max_record_bytes`): the record's whole length.
    pub cut_from: Option<u64>,
}

/// Marks an event whose `event.original` holds only the first bytes of its record.
pub const TRUNCATED: &str = "logsift.truncated";
/// The whole length, in bytes, of a record whose event was cut.
pub const ORIGINAL_BYTES: &str = "logsift.original_bytes";

/// The longest prefix of `raw` of at most `max` bytes that does not split a UTF-8 sequence.
fn cut(raw: &[u8], max: usize) -> &[u8] {
    if raw.len() <= max {
        return raw;
    }
    let mut end = max;
    while end > 0 && raw[end] & 0xC0 == 0x80 {
        end -= 1;
    }
    &raw[..end]
}

/// Encoded events in one buffer (frames back to back), with the input record each came
/// from. Frames of a range of events are contiguous, so a range crosses into a plugin as
/// one slice without copying.
///
/// An event an update was merged into also keeps where its fields lie ([`FieldAt`], made by
/// the merge from the same bytes, carried along with the event unchanged): the next merge
/// over it finds the fields it replaces by name instead of walking every field.
#[derive(Debug, Default, Clone)]
pub struct Batch {
    buf: Vec<u8>,
    ends: Vec<usize>,
    sources: Vec<u32>,
    /// The field entries of every indexed event, back to back.
    names: Vec<FieldAt>,
    /// Per event: where its entries in `names` end, and whether it has any (an event no
    /// merge wrote has none, and is walked when merged over).
    name_ends: Vec<(usize, bool)>,
}

impl Batch {
    /// An empty batch with room for `events` events of `bytes` bytes in all, so that a stage
    /// writing its output grows it once, not event by event.
    pub fn with_capacity(events: usize, bytes: usize) -> Self {
        Batch {
            buf: Vec::with_capacity(bytes),
            ends: Vec::with_capacity(events),
            sources: Vec::with_capacity(events),
            names: Vec::new(),
            name_ends: Vec::with_capacity(events),
        }
    }

    /// Makes room for `bytes` more bytes of frames at once (a stage's result is about the size
    /// of the records it came from plus the events it returned: growing to that step by step
    /// would copy the batch more than once).
    pub fn reserve_bytes(&mut self, bytes: usize) {
        if self.buf.is_empty() && self.buf.capacity() < bytes {
            // Nothing to keep: a new allocation, where growing would copy the old one whole.
            self.buf = Vec::with_capacity(bytes);
        } else {
            self.buf.reserve(bytes);
        }
    }

    /// The bytes of all its frames.
    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    /// Encodes input records as events with `event.original` (invalid UTF-8 is replaced by
    /// U+FFFD there; the dead-letter output keeps the raw bytes).
    pub fn from_inputs(inputs: &[InputRecord]) -> Self {
        Self::from_inputs_capped(inputs, usize::MAX)
    }

    /// Like [`from_inputs`](Self::from_inputs), no record longer than `max_record_bytes`:
    /// a longer one keeps its first bytes as `event.original` (cut at a character boundary)
    /// and is marked with [`TRUNCATED`] and [`ORIGINAL_BYTES`], so parsers still see a line
    /// and detections still see its head.
    pub fn from_inputs_capped(inputs: &[InputRecord], max_record_bytes: usize) -> Self {
        let size: usize = inputs.iter().map(|r| r.raw.len().min(max_record_bytes) + 64).sum();
        let mut batch = Batch { buf: Vec::with_capacity(size), ..Batch::default() };
        for (i, input) in inputs.iter().enumerate() {
            let kept = cut(&input.raw, max_record_bytes);
            let whole = input.cut_from.unwrap_or(input.raw.len() as u64);
            // Valid text (nearly every line) is checked with SIMD; only invalid bytes take
            // the lossy conversion's slower walk.
            let text = match simdutf8::basic::from_utf8(kept) {
                Ok(valid) => std::borrow::Cow::Borrowed(valid),
                Err(_) => String::from_utf8_lossy(kept),
            };
            let mut w = EventWriter::begin(&mut batch.buf, &input.origin);
            w.field(ORIGINAL, &Value::from(text));
            if whole > kept.len() as u64 {
                w.field(TRUNCATED, &Value::Bool(true));
                w.field(ORIGINAL_BYTES, &Value::Int(i64::try_from(whole).unwrap_or(i64::MAX)));
            }
            w.finish();
            batch.pushed(u32::try_from(i).unwrap_or(u32::MAX), false);
        }
        batch
    }

    /// Appends an event made by the host with the given fields (self-check samples, say).
    pub fn push_event(&mut self, origin: &Origin<'_>, fields: &[(&str, Value<'_>)], source: u32) {
        let mut w = EventWriter::begin(&mut self.buf, origin);
        for (name, value) in fields {
            w.field(name, value);
        }
        w.finish();
        self.pushed(source, false);
    }

    /// Records the event just written to `buf` (and, if `indexed`, to `names`).
    fn pushed(&mut self, source: u32, indexed: bool) {
        self.ends.push(self.buf.len());
        self.sources.push(source);
        self.name_ends.push((self.names.len(), indexed));
    }

    /// How many events.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    fn start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.ends[i - 1] }
    }

    /// The framed event `i`.
    pub fn frame(&self, i: usize) -> &[u8] {
        &self.buf[self.start(i)..self.ends[i]]
    }

    /// Whether every event has a field named `name`, among its fields up to the first that
    /// does not decode.
    pub fn all_have(&self, name: &str) -> bool {
        (0..self.len()).all(|i| EventView::from_frame(self.frame(i)).is_ok_and(|view| view.has(name)))
    }

    fn names_start(&self, i: usize) -> usize {
        if i == 0 { 0 } else { self.name_ends[i - 1].0 }
    }

    /// Where the fields of event `i` lie, if a merge wrote it.
    pub fn known_fields(&self, i: usize) -> Option<&[FieldAt]> {
        let (end, indexed) = self.name_ends[i];
        indexed.then(|| &self.names[self.names_start(i)..end])
    }

    /// The input record event `i` descends from.
    pub fn source(&self, i: usize) -> u32 {
        self.sources[i]
    }

    /// The frames of a range of events, as one slice.
    pub fn slice(&self, range: Range<usize>) -> &[u8] {
        if range.is_empty() {
            return &[];
        }
        &self.buf[self.start(range.start)..self.ends[range.end - 1]]
    }

    /// Appends a range of another batch's events unchanged.
    pub fn extend_from(&mut self, other: &Batch, range: Range<usize>) {
        if range.is_empty() {
            return;
        }
        let shift = self.buf.len() as isize - other.start(range.start) as isize;
        self.buf.extend_from_slice(other.slice(range.clone()));
        self.ends.extend(other.ends[range.clone()].iter().map(|&e| (e as isize + shift) as usize));
        self.sources.extend_from_slice(&other.sources[range.clone()]);
        // Entries point within their own event: they are copied as they are.
        let names_shift = self.names.len() as isize - other.names_start(range.start) as isize;
        self.names.extend_from_slice(&other.names[other.names_start(range.start)..other.name_ends[range.end - 1].0]);
        self.name_ends.extend(other.name_ends[range].iter().map(|&(e, indexed)| ((e as isize + names_shift) as usize, indexed)));
    }

    /// Appends an event framed from an origin and a field section (count and fields).
    pub fn push_parts(&mut self, raw_origin: &[u8], counted_fields: &[u8], source: u32) {
        let len = u32::try_from(raw_origin.len() + counted_fields.len()).unwrap_or(u32::MAX);
        self.buf.extend_from_slice(&len.to_le_bytes());
        self.buf.extend_from_slice(raw_origin);
        self.buf.extend_from_slice(counted_fields);
        self.pushed(source, false);
    }

    /// Appends `base` with the fields of `update` set over it (see
    /// [`logsift_event::write_update`]): `base`'s origin, its fields in place, replaced
    /// where `update` names them, `update`'s other fields after. `known` is where `base`'s
    /// fields lie, if the batch it is in knows ([`known_fields`](Self::known_fields)).
    pub fn push_update(
        &mut self,
        base: &EventView<'_>,
        known: Option<&[FieldAt]>,
        update: &EventView<'_>,
        source: u32,
    ) -> Result<(), logsift_event::DecodeError> {
        if self.names.capacity() == 0 {
            // Reserved once per batch, at its first update: an encoded field takes more
            // than 16 bytes nearly always.
            self.names.reserve(self.buf.capacity() / 16);
        }
        logsift_event::write_update_indexed(&mut self.buf, base, known, update, &mut self.names)?;
        self.pushed(source, true);
        Ok(())
    }

    /// Drops events from `len` on (used to undo a half-applied result).
    pub fn truncate(&mut self, len: usize) {
        if len < self.len() {
            self.buf.truncate(self.start(len));
            self.ends.truncate(len);
            self.sources.truncate(len);
            self.names.truncate(self.names_start(len));
            self.name_ends.truncate(len);
        }
    }

    /// The events with their sources, in order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &[u8])> {
        (0..self.len()).map(|i| (self.sources[i], self.frame(i)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An update as a plugin returns it: one event, no origin.
    fn update(fields: &[(&str, Value<'_>)]) -> Batch {
        let mut update = Batch::default();
        update.push_event(&Origin::None, fields, 0);
        update
    }

    fn view(frame: &[u8]) -> EventView<'_> {
        EventView::from_frame(frame).expect("an event")
    }

    #[test]
    fn all_have_asks_every_event_and_finds_names_by_their_bytes() {
        let mut batch = Batch::default();
        assert!(batch.all_have("event.dataset"), "an empty batch: every event (none) has it");
        batch.push_event(&Origin::None, &[("a", Value::Int(1)), ("event.dataset", Value::from("syslog"))], 0);
        batch.push_event(&Origin::None, &[("event.dataset", Value::Null)], 1);
        assert!(batch.all_have("event.dataset") && !batch.all_have("event.datase") && !batch.all_have("a"));
        batch.push_event(&Origin::None, &[("event.datasets", Value::from("x"))], 2);
        assert!(!batch.all_have("event.dataset"), "the last event lacks it");
        // A field that does not decode ends the search.
        let mut broken = Batch::default();
        broken.push_event(&Origin::None, &[("event.dataset", Value::from("x")), ("b", Value::from("y"))], 0);
        let last = broken.buf.len() - 1;
        broken.buf[last - 1..].copy_from_slice(&[0xFF, 0xFF]);
        assert!(view(broken.frame(0)).validate().is_err());
        assert!(broken.all_have("event.dataset"), "found before the broken field");
        assert!(!broken.all_have("b"));
    }

    #[test]
    fn field_entries_travel_with_their_events() {
        let inputs: Vec<InputRecord> = ["one", "two", "three"]
            .iter()
            .map(|line| InputRecord { raw: line.as_bytes().to_vec(), origin: Origin::None, cut_from: None })
            .collect();
        let raw = Batch::from_inputs(&inputs);
        assert!((0..3).all(|i| raw.known_fields(i).is_none()), "no merge wrote these");
        let tag = update(&[("labels.hop", Value::from("seen")), ("n", Value::Int(1))]);
        let mut tagged = Batch::default();
        for i in 0..3 {
            tagged.push_update(&view(raw.frame(i)), raw.known_fields(i), &view(tag.frame(0)), i as u32).expect("merged");
        }
        // Handed on in part, then merged over again: with the entries the batch carries, the
        // same event as a merge that walks it.
        let mut next = Batch::default();
        next.extend_from(&tagged, 1..3);
        next.extend_from(&tagged, 3..3);
        assert_eq!(next.known_fields(1).map(<[FieldAt]>::len), Some(3));
        let retag = update(&[("labels.hop", Value::from("seen again, longer")), ("m", Value::Null)]);
        let mut again = Batch::default();
        let mut expected = Vec::new();
        for i in 0..2 {
            again.push_update(&view(next.frame(i)), next.known_fields(i), &view(retag.frame(0)), 0).expect("merged");
            let mut walked = Vec::new();
            logsift_event::write_update(&mut walked, &view(next.frame(i)), &view(retag.frame(0))).expect("walked");
            assert_eq!(again.frame(i), walked.as_slice());
            expected.push(walked);
        }
        let fields = view(again.frame(1)).decode_all().expect("decodes");
        let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, ["event.original", "labels.hop", "n", "m"]);
        assert_eq!(fields[0].1, Value::from("three"));
        // Undone in part: what is left keeps its entries, and what comes after lines up.
        again.truncate(1);
        again.push_update(&view(next.frame(1)), next.known_fields(1), &view(retag.frame(0)), 0).expect("merged");
        assert_eq!(again.known_fields(1).map(<[FieldAt]>::len), Some(4));
        assert_eq!(again.frame(1), expected[1].as_slice());
        let mut over = Batch::default();
        over.push_update(&view(again.frame(1)), again.known_fields(1), &view(tag.frame(0)), 0).expect("merged");
        let mut walked = Vec::new();
        logsift_event::write_update(&mut walked, &view(again.frame(1)), &view(tag.frame(0))).expect("walked");
        assert_eq!(over.frame(0), walked.as_slice(), "the entries kept after the undo are the event's");
    }
}
