//! Decoding the batch byte format without copying: views borrow from the buffer.

use std::borrow::Cow;
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::{Origin, Value, origin_tag, tag};

/// Nesting limit for arrays: deeper input is refused rather than risking the stack.
const MAX_DEPTH: u32 = 32;

/// Why a buffer is not a well-formed event batch, and where (byte offset in the buffer
/// handed to the decoder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset at which decoding failed.
    pub offset: usize,
    /// What was wrong.
    pub what: &'static str,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed event encoding at byte {}: {}", self.offset, self.what)
    }
}

impl std::error::Error for DecodeError {}

/// A cursor over a byte slice; every read is bounds-checked.
#[derive(Clone)]
struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf` within the buffer the caller handed in, for error positions.
    base: usize,
}

impl<'a> Reader<'a> {
    fn err(&self, what: &'static str) -> DecodeError {
        DecodeError { offset: self.base + self.pos, what }
    }

    fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| self.err(what))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(what)? as usize;
        self.take(len, what)
    }

    fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let bytes = self.bytes(what)?;
        // SIMD where the target has it (SSE4.2/AVX2 natively, simd128 in the guests).
        simdutf8::basic::from_utf8(bytes).map_err(|_| self.not_utf8(at))
    }

    /// The error of a string at `at` (its length) that is not UTF-8.
    fn not_utf8(&self, at: usize) -> DecodeError {
        DecodeError { offset: self.base + at, what: "string is not UTF-8" }
    }

    /// The length of an array whose tag was just read, at `depth`: refused when arrays nest
    /// too deeply, or when it counts more values than bytes are left (every value takes one),
    /// before anything is allocated for it.
    fn array_len(&mut self, depth: u32) -> Result<usize, DecodeError> {
        if depth >= MAX_DEPTH {
            return Err(self.err("arrays nested too deeply"));
        }
        let n = self.u32("truncated array length")? as usize;
        if n > self.buf.len() - self.pos {
            return Err(self.err("array length exceeds the event"));
        }
        Ok(n)
    }

    /// Moves past a string, checking it as [`str`](Self::str) does (the same error at the same
    /// offset) without making it: ASCII, nearly every name and value, is told in a word-wise
    /// pass before the general check.
    fn text(&mut self, what: &'static str) -> Result<(), DecodeError> {
        let at = self.pos;
        let bytes = self.bytes(what)?;
        if bytes.is_ascii() || simdutf8::basic::from_utf8(bytes).is_ok() {
            return Ok(());
        }
        Err(self.not_utf8(at))
    }

    /// Moves past one value, checking it as [`value`](Self::value) does (the same errors at
    /// the same offsets) without building it: nothing is allocated.
    fn check_value(&mut self, depth: u32) -> Result<(), DecodeError> {
        let start = self.pos;
        match self.u8("truncated value tag")? {
            tag::STRING => self.text("truncated string"),
            tag::ARRAY => {
                let n = self.array_len(depth)?;
                (0..n).try_for_each(|_| self.check_value(depth + 1))
            }
            // A scalar: decoding it allocates nothing.
            _ => {
                self.pos = start;
                self.value(depth).map(drop)
            }
        }
    }

    /// Moves past one value, checking its structure (tags, lengths, nesting) but not that its
    /// strings are UTF-8, and without building it.
    fn skip_value(&mut self, depth: u32) -> Result<(), DecodeError> {
        match self.u8("truncated value tag")? {
            tag::NULL => {}
            tag::BOOL => {
                if self.u8("truncated bool")? > 1 {
                    return Err(self.err("bool is neither 0 nor 1"));
                }
            }
            tag::INT | tag::FLOAT | tag::TIMESTAMP => {
                self.take(8, "truncated number")?;
            }
            tag::STRING => {
                self.bytes("truncated string")?;
            }
            tag::IP => match self.u8("truncated ip")? {
                n @ (4 | 16) => {
                    self.take(n as usize, "truncated ip")?;
                }
                _ => return Err(self.err("ip length is neither 4 nor 16")),
            },
            tag::ARRAY => {
                if depth >= MAX_DEPTH {
                    return Err(self.err("arrays nested too deeply"));
                }
                for _ in 0..self.u32("truncated array length")? {
                    self.skip_value(depth + 1)?;
                }
            }
            _ => return Err(DecodeError { offset: self.base + self.pos - 1, what: "unknown value tag" }),
        }
        Ok(())
    }

    fn value(&mut self, depth: u32) -> Result<Value<'a>, DecodeError> {
        let t = self.u8("truncated value tag")?;
        Ok(match t {
            tag::NULL => Value::Null,
            tag::BOOL => match self.u8("truncated bool")? {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                _ => return Err(self.err("bool is neither 0 nor 1")),
            },
            tag::INT => Value::Int(i64::from_le_bytes(self.array("truncated int")?)),
            tag::FLOAT => Value::Float(f64::from_le_bytes(self.array("truncated float")?)),
            tag::STRING => Value::Str(Cow::Borrowed(self.str("truncated string")?)),
            tag::TIMESTAMP => Value::Timestamp(i64::from_le_bytes(self.array("truncated timestamp")?)),
            tag::IP => match self.u8("truncated ip")? {
                4 => Value::Ip(IpAddr::V4(Ipv4Addr::from(self.array::<4>("truncated ipv4")?))),
                16 => Value::Ip(IpAddr::V6(Ipv6Addr::from(self.array::<16>("truncated ipv6")?))),
                _ => return Err(self.err("ip length is neither 4 nor 16")),
            },
            tag::ARRAY => {
                let n = self.array_len(depth)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(depth + 1)?);
                }
                Value::Array(items)
            }
            _ => return Err(DecodeError { offset: self.base + self.pos - 1, what: "unknown value tag" }),
        })
    }

    /// Checks an origin's framing and moves past it, without building it.
    fn skip_origin(&mut self) -> Result<(), DecodeError> {
        match self.u8("truncated origin")? {
            origin_tag::NONE => {}
            origin_tag::FILE => {
                self.bytes("truncated file path")?;
                self.take(8, "truncated line number")?;
            }
            origin_tag::KAFKA => {
                self.bytes("truncated topic")?;
                self.take(12, "truncated partition and offset")?;
                match self.u8("truncated key flag")? {
                    0 => {}
                    1 => {
                        self.bytes("truncated key")?;
                    }
                    _ => return Err(self.err("key flag is neither 0 nor 1")),
                }
                for _ in 0..self.u32("truncated header count")? {
                    self.bytes("truncated header name")?;
                    self.bytes("truncated header value")?;
                }
            }
            _ => return Err(DecodeError { offset: self.base + self.pos - 1, what: "unknown origin tag" }),
        }
        Ok(())
    }

    fn origin(&mut self) -> Result<Origin<'a>, DecodeError> {
        Ok(match self.u8("truncated origin")? {
            origin_tag::NONE => Origin::None,
            origin_tag::FILE => {
                let path = Cow::Borrowed(self.str("truncated file path")?);
                let line = u64::from_le_bytes(self.array("truncated line number")?);
                Origin::File { path, line }
            }
            origin_tag::KAFKA => {
                let topic = Cow::Borrowed(self.str("truncated topic")?);
                let partition = i32::from_le_bytes(self.array("truncated partition")?);
                let offset = i64::from_le_bytes(self.array("truncated offset")?);
                let key = match self.u8("truncated key flag")? {
                    0 => None,
                    1 => Some(Cow::Borrowed(self.bytes("truncated key")?)),
                    _ => return Err(self.err("key flag is neither 0 nor 1")),
                };
                let n = self.u32("truncated header count")? as usize;
                if n > self.buf.len() - self.pos {
                    return Err(self.err("header count exceeds the event"));
                }
                let mut headers = Vec::with_capacity(n);
                for _ in 0..n {
                    let name = Cow::Borrowed(self.str("truncated header name")?);
                    let value = Cow::Borrowed(self.bytes("truncated header value")?);
                    headers.push((name, value));
                }
                Origin::Kafka { topic, partition, offset, key, headers }
            }
            _ => return Err(DecodeError { offset: self.base + self.pos - 1, what: "unknown origin tag" }),
        })
    }
}

/// A framed batch of events: iterate it to get one [`EventView`] per event, in order.
#[derive(Clone)]
pub struct Batch<'a> {
    reader: Reader<'a>,
}

impl<'a> Batch<'a> {
    /// Walks the given buffer (a concatenation of framed events).
    pub fn new(buf: &'a [u8]) -> Self {
        Batch { reader: Reader { buf, pos: 0, base: 0 } }
    }
}

impl<'a> Iterator for Batch<'a> {
    type Item = Result<EventView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.reader.pos >= self.reader.buf.len() {
            return None;
        }
        let start = self.reader.pos;
        let result = self.reader.bytes("truncated event frame").and_then(|body| {
            EventView::parse_at(body, self.reader.base + start + 4)
                .map(|view| EventView { frame: &self.reader.buf[start..self.reader.pos], ..view })
        });
        if result.is_err() {
            // A broken frame makes the rest of the batch unreadable: stop after reporting it.
            self.reader.pos = self.reader.buf.len();
        }
        Some(result)
    }
}

/// One decoded event: its origin and fields, borrowed from the batch buffer. Field values
/// are decoded when asked for; the origin and field list were checked for framing only.
#[derive(Clone, Debug)]
pub struct EventView<'a> {
    frame: &'a [u8],
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

    fn parse_at(body: &'a [u8], base: usize) -> Result<Self, DecodeError> {
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
        let start = (field.as_ptr() as usize).wrapping_sub(self.raw_fields.as_ptr() as usize) + 4 + name.len();
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
            let at = (name.as_ptr() as usize).wrapping_sub(self.raw_fields.as_ptr() as usize).wrapping_sub(4);
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
}

/// The field at `at` if it is whole and its value a scalar (nearly every field): where its
/// name ends and where the field ends. Anything else (an array, a truncation, a bad tag) is
/// `None`, left to the reader, which says what is wrong.
#[inline]
fn scalar_field_at(buf: &[u8], at: usize) -> Option<(usize, usize)> {
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
    reader: Reader<'a>,
    left: u32,
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
    reader: Reader<'a>,
    left: u32,
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
