//! One event of a batch, borrowed: its origin, its fields as values or left encoded, and
//! the checks that decode it whole.

use super::reader::Reader;
use super::{Batch, DecodeError, FieldSpans, Fields};
use crate::{Origin, Value, offset_in};

/// One decoded event: its origin and fields, borrowed from the batch buffer. Field values
/// are decoded when asked for; the origin and field list were checked for framing only.
#[derive(Clone, Debug)]
pub struct EventView<'a> {
    pub(super) frame: &'a [u8],
    raw_origin: &'a [u8],
    raw_counted_fields: &'a [u8],
    raw_fields: &'a [u8],
    fields_base: usize,
    field_count: u32,
}

impl<'a> EventView<'a> {
    /// Decodes a single framed event (length prefix included), as [`EventWriter`] writes it.
    ///
    /// [`EventWriter`]: crate::EventWriter
    pub fn from_frame(frame: &'a [u8]) -> Result<Self, DecodeError> {
        let mut batch = Batch::new(frame);
        let view = batch.next().ok_or(DecodeError { offset: 0, what: "empty buffer" })??;
        if batch.reader.pos != frame.len() {
            return Err(DecodeError { offset: batch.reader.pos, what: "bytes after the event" });
        }
        Ok(view)
    }

    pub(super) fn parse_at(body: &'a [u8], base: usize) -> Result<Self, DecodeError> {
        let mut r = Reader { buf: body, pos: 0, base };
        r.skip_origin()?;
        let raw_origin = &body[..r.pos];
        let raw_counted_fields = &body[r.pos..];
        let field_count = r.u32("truncated field count")?;
        let fields_base = base + r.pos;
        let raw_fields = &body[r.pos..];
        Ok(EventView { frame: body, raw_origin, raw_counted_fields, raw_fields, fields_base, field_count })
    }

    /// The whole framed event (length prefix included), to copy it unchanged.
    pub fn frame(&self) -> &'a [u8] {
        self.frame
    }

    /// The encoded origin, to copy into a rewritten event.
    pub fn raw_origin(&self) -> &'a [u8] {
        self.raw_origin
    }

    /// The encoded field count and fields: with [`raw_origin`](Self::raw_origin) of another
    /// event, this frames the same fields under that event's origin.
    pub fn raw_counted_fields(&self) -> &'a [u8] {
        self.raw_counted_fields
    }

    /// The encoded fields, without their count.
    pub(crate) fn raw_fields(&self) -> &'a [u8] {
        self.raw_fields
    }

    /// Where the record came from.
    pub fn origin(&self) -> Result<Origin<'a>, DecodeError> {
        Reader { buf: self.raw_origin, pos: 0, base: self.fields_base - self.raw_origin.len() - 4 }.origin()
    }

    /// How many fields the event has.
    pub fn len(&self) -> usize {
        self.field_count as usize
    }

    /// Whether the event has no fields.
    pub fn is_empty(&self) -> bool {
        self.field_count == 0
    }

    /// The fields in order, decoded one at a time.
    pub fn fields(&self) -> Fields<'a> {
        Fields { reader: Reader { buf: self.raw_fields, pos: 0, base: self.fields_base }, left: self.field_count }
    }

    /// The value of the named field, if present and well-formed.
    pub fn get(&self, name: &str) -> Option<Value<'a>> {
        self.fields().filter_map(Result::ok).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// Whether the event has a field named `name`, among its fields up to the first that
    /// does not decode: read from the names alone, no value decoded or checked.
    #[inline]
    pub fn has(&self, name: &str) -> bool {
        self.field_spans().any(|span| span.is_ok_and(|(n, _)| crate::same_name(n, name.as_bytes())))
    }

    /// The fields as encoded: each field's name (its bytes) and its whole encoding (name and
    /// value), in order, to copy fields without decoding them; stops after the first
    /// malformed one, and ends with an error if bytes follow the last. Checked for structure
    /// only, not for UTF-8 ([`field_name`](Self::field_name) checks a name): [`validate`](Self::validate)
    /// an event from elsewhere first.
    pub fn field_spans(&self) -> FieldSpans<'a> {
        FieldSpans { reader: Reader { buf: self.raw_fields, pos: 0, base: self.fields_base }, left: self.field_count }
    }

    /// The value of a field as this event's [`field_spans`](Self::field_spans) yielded it
    /// (`field` the whole field, `name` its name), left encoded; a decoding error gives its
    /// position in the buffer, as decoding the whole event gives it.
    pub fn field_value(&self, field: &'a [u8], name: &[u8]) -> RawValue<'a> {
        let start = offset_in(self.raw_fields, field) + 4 + name.len();
        RawValue {
            bytes: self.raw_fields.get(start..start + field.len().saturating_sub(4 + name.len())).unwrap_or_default(),
            base: self.fields_base + start,
        }
    }

    /// A name as [`field_spans`](Self::field_spans) yielded it, as text; the error, when it
    /// is not UTF-8, is the one decoding the event gives at that name.
    pub fn field_name(&self, name: &'a [u8]) -> Result<&'a str, DecodeError> {
        debug_assert!(self.raw_fields.as_ptr_range().contains(&name.as_ptr()) || name.is_empty(), "a name of this event");
        simdutf8::basic::from_utf8(name).map_err(|_| {
            // The error decoding gives: at the name's length, before its bytes.
            let at = offset_in(self.raw_fields, name).wrapping_sub(4);
            Reader { buf: self.raw_fields, pos: 0, base: self.fields_base }.not_utf8(at)
        })
    }

    /// Checks the whole event (origin, every field, nothing after the last) as decoding its
    /// [`origin`](Self::origin) and then [`decode_all`](Self::decode_all) would, with the same
    /// error, but building no value.
    pub fn validate(&self) -> Result<(), DecodeError> {
        self.origin()?;
        let mut r = Reader { buf: self.raw_fields, pos: 0, base: self.fields_base };
        for _ in 0..self.field_count {
            // Nearly every field: a whole scalar whose name (and text, if it is text) is
            // ASCII, told inline. Anything else is checked the long way, for its error.
            if let Some((name_end, end)) = super::fields::scalar_field_at(r.buf, r.pos)
                && r.buf[r.pos + 4..name_end].is_ascii()
                && (r.buf[name_end] != crate::tag::STRING || r.buf[name_end + 5..end].is_ascii())
            {
                r.pos = end;
                continue;
            }
            r.text("truncated field name")?;
            r.check_value(0)?;
        }
        if r.pos != r.buf.len() {
            return Err(r.err("bytes after the last field"));
        }
        Ok(())
    }

    /// Decodes every field, checking the whole event.
    pub fn decode_all(&self) -> Result<Vec<(&'a str, Value<'a>)>, DecodeError> {
        let mut r = Reader { buf: self.raw_fields, pos: 0, base: self.fields_base };
        let mut out = Vec::with_capacity(self.len().min(256));
        for _ in 0..self.field_count {
            out.push((r.str("truncated field name")?, r.value(0)?));
        }
        if r.pos != r.buf.len() {
            return Err(r.err("bytes after the last field"));
        }
        Ok(out)
    }
}

/// A field's value as encoded (tag and payload), its structure checked, decoded when asked
/// (see [`EventView::field_value`]).
#[derive(Clone, Copy, Debug)]
pub struct RawValue<'a> {
    bytes: &'a [u8],
    /// Offset of `bytes` within the buffer the caller handed in, for error positions.
    base: usize,
}

impl<'a> RawValue<'a> {
    /// The encoding, to copy the value without decoding it.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The value, borrowing its strings from the buffer; fails on a string that is not UTF-8.
    pub fn decode(&self) -> Result<Value<'a>, DecodeError> {
        Reader { buf: self.bytes, pos: 0, base: self.base }.value(0)
    }

    /// For a string, its bytes, checked as [`decode`](Self::decode) checks them (the same
    /// error) but not made a `str`: ASCII, nearly every value, is told in a word-wise pass.
    /// What a writer that copies the bytes needs. `None` for any other value.
    pub fn text_bytes(&self) -> Option<Result<&'a [u8], DecodeError>> {
        if self.bytes.first() != Some(&crate::tag::STRING) {
            return None;
        }
        let mut reader = Reader { buf: self.bytes, pos: 1, base: self.base };
        Some(reader.text("truncated string").map(|()| &self.bytes[5..reader.pos]))
    }
}
