//! How an [`Event`](super::Event) holds its fields: each name and value as it came in,
//! decoded when first read, or as the plugin set it.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::rc::Rc;

use logsift_event::{DecodeError, EventView, EventWriter, RawValue, Value};
use smallvec::SmallVec;

/// The event's fields: each name, and its value as it came in (decoded when first read) or
/// as the plugin set it.
pub(super) type Fields<'a> = Vec<(Name<'a>, Slot<'a>)>;

/// A field's name: as it came in, compared as bytes and told text only when it is read as
/// text (so reading two fields of twenty checks no name), or as the plugin set it.
pub(super) enum Name<'a> {
    In(&'a [u8], OnceCell<&'a str>),
    Set(Cow<'a, str>),
}

impl<'a> Name<'a> {
    pub(super) fn bytes(&self) -> &[u8] {
        match self {
            Name::In(bytes, _) => bytes,
            Name::Set(name) => name.as_bytes(),
        }
    }

    /// The name as text. One that came in and is not UTF-8 (the host checks every event it
    /// hands over, so only a broken host sends one) reads as empty, and the error (decoding's,
    /// at that name) is kept in `bad` unless an earlier one is: the SDK then rejects the event.
    pub(super) fn text(&self, view: Option<&EventView<'a>>, bad: &OnceCell<DecodeError>) -> &str {
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
pub(super) type Pending<'a> = SmallVec<[(Cow<'a, str>, Value<'a>); 2]>;

/// Fields a stage adds to many events of a batch — what an enricher looked up for a key —
/// made once and shared by those events rather than copied into each (see
/// [`Event::fill`](super::Event::fill) and [`Event::set_all`](super::Event::set_all)).
pub type SharedFields = Rc<[(String, Value<'static>)]>;

/// Lists of shared fields added before the event was read, each with which of its entries
/// apply (bit `i`: entry `i`; a list holds at most 64 entries). Held inline: adding one
/// costs no allocation, only a count.
pub(super) type Shared = SmallVec<[(SharedFields, u64); 1]>;

/// The most entries a shared list kept aside can hold: one bit each.
pub(super) const SHARED_MAX: usize = 64;

/// One field's value: left encoded until something reads it, so a plugin that reads three
/// fields of twenty decodes (and checks) three values.
pub(super) struct Slot<'a> {
    /// The value as it came in, when it did.
    pub(super) raw: Option<RawValue<'a>>,
    pub(super) value: OnceCell<Value<'a>>,
}

impl<'a> Slot<'a> {
    pub(super) fn set(value: Value<'a>) -> Self {
        Slot { raw: None, value: OnceCell::from(value) }
    }

    pub(super) fn encoded(raw: RawValue<'a>) -> Self {
        Slot { raw: Some(raw), value: OnceCell::new() }
    }

    /// The value, decoded on its first read (see [`decode_or_mark`]).
    pub(super) fn value(&self, bad: &OnceCell<DecodeError>) -> &Value<'a> {
        self.value.get_or_init(|| self.raw.as_ref().map_or(Value::Null, |raw| decode_or_mark(raw, bad)))
    }

    /// Appends the field to `w`: copied as it came in when it was never read.
    pub(super) fn write(&self, w: &mut EventWriter<'_>, name: &str) {
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
pub(super) fn decode_or_mark<'a>(raw: &RawValue<'a>, bad: &OnceCell<DecodeError>) -> Value<'a> {
    raw.decode().unwrap_or_else(|error| {
        let _ = bad.set(error);
        Value::Null
    })
}
