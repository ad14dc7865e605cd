//! Iterators over an event's fields: as encoded spans (the fast path for scalar fields
//! inlined, everything else out of line) and as decoded values.

use super::DecodeError;
use super::reader::Reader;
use crate::{Value, tag};

/// The field at `at` if it is whole and its value a scalar (nearly every field): where its
/// name ends and where the field ends. Anything else (an array, a truncation, a bad tag) is
/// `None`, left to the reader, which says what is wrong.
#[inline]
pub(super) fn scalar_field_at(buf: &[u8], at: usize) -> Option<(usize, usize)> {
    let len_at = |at: usize| -> Option<usize> {
        let bytes: [u8; 4] = buf.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_le_bytes(bytes) as usize)
    };
    let name_end = (at + 4).checked_add(len_at(at)?)?;
    let value = name_end + 1;
    let end = match *buf.get(name_end)? {
        tag::STRING => (value + 4).checked_add(len_at(value)?)?,
        tag::INT | tag::FLOAT | tag::TIMESTAMP => value + 8,
        tag::NULL => value,
        tag::BOOL if *buf.get(value)? <= 1 => value + 1,
        tag::IP => match *buf.get(value)? {
            n @ (4 | 16) => value + 1 + n as usize,
            _ => return None,
        },
        _ => return None,
    };
    (end <= buf.len()).then_some((name_end, end))
}

/// Iterator over an event's fields as encoded (see [`EventView::field_spans`]).
pub struct FieldSpans<'a> {
    pub(super) reader: Reader<'a>,
    pub(super) left: u32,
}

impl<'a> Iterator for FieldSpans<'a> {
    type Item = Result<(&'a [u8], &'a [u8]), DecodeError>;

    #[inline(always)]
    fn next(&mut self) -> Option<Self::Item> {
        let start = self.reader.pos;
        if self.left > 0
            && let Some((name_end, end)) = scalar_field_at(self.reader.buf, start)
        {
            self.reader.pos = end;
            self.left -= 1;
            let buf = self.reader.buf;
            return Some(Ok((&buf[start + 4..name_end], &buf[start..end])));
        }
        self.next_other()
    }
}

impl<'a> FieldSpans<'a> {
    /// [`next`](Iterator::next) past the last field, or at a field that is not a whole
    /// scalar (an array, or something malformed): kept out of line, so that the common
    /// path inlines into the loops that walk fields.
    #[inline(never)]
    fn next_other(&mut self) -> Option<<Self as Iterator>::Item> {
        if self.left == 0 {
            // Past the last field: nothing may follow it.
            let reader = &mut self.reader;
            if reader.pos != reader.buf.len() {
                let error = reader.err("bytes after the last field");
                reader.pos = reader.buf.len();
                return Some(Err(error));
            }
            return None;
        }
        let start = self.reader.pos;
        let result = self.reader.bytes("truncated field name").and_then(|name| {
            self.reader.skip_value(0)?;
            Ok((name, &self.reader.buf[start..self.reader.pos]))
        });
        match result {
            Ok(_) => self.left -= 1,
            Err(_) => {
                self.left = 0;
                self.reader.pos = self.reader.buf.len();
            }
        }
        Some(result)
    }
}

/// Iterator over an event's fields; stops after the first malformed one.
pub struct Fields<'a> {
    pub(super) reader: Reader<'a>,
    pub(super) left: u32,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(&'a str, Value<'a>), DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        let result = self.reader.str("truncated field name").and_then(|name| Ok((name, self.reader.value(0)?)));
        self.left = if result.is_ok() { self.left - 1 } else { 0 };
        Some(result)
    }
}
