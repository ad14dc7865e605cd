//! The bounds-checked cursor every decoder here reads with: lengths, names, values and
//! origins, each read failing with the byte offset and what was wrong.

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::DecodeError;
use crate::{Origin, Value, origin_tag, tag};

/// Nesting limit for arrays: deeper input is refused rather than risking the stack.
const MAX_DEPTH: u32 = 32;

/// A cursor over a byte slice; every read is bounds-checked.
#[derive(Clone)]
pub(super) struct Reader<'a> {
    pub(super) buf: &'a [u8],
    pub(super) pos: usize,
    /// Offset of `buf` within the buffer the caller handed in, for error positions.
    pub(super) base: usize,
}

impl<'a> Reader<'a> {
    pub(super) fn err(&self, what: &'static str) -> DecodeError {
        DecodeError { offset: self.base + self.pos, what }
    }

    pub(super) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| self.err(what))?;
        let out = &self.buf[self.pos..end];
        self.pos = end;
        Ok(out)
    }

    pub(super) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], DecodeError> {
        let bytes = self.take(N, what)?;
        let mut out = [0; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(super) fn u8(&mut self, what: &'static str) -> Result<u8, DecodeError> {
        Ok(self.array::<1>(what)?[0])
    }

    pub(super) fn u32(&mut self, what: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    pub(super) fn bytes(&mut self, what: &'static str) -> Result<&'a [u8], DecodeError> {
        let len = self.u32(what)? as usize;
        self.take(len, what)
    }

    pub(super) fn str(&mut self, what: &'static str) -> Result<&'a str, DecodeError> {
        let at = self.pos;
        let bytes = self.bytes(what)?;
        // SIMD where the target has it (SSE4.2/AVX2 natively, simd128 in the guests).
        simdutf8::basic::from_utf8(bytes).map_err(|_| self.not_utf8(at))
    }

    /// The error of a string at `at` (its length) that is not UTF-8.
    pub(super) fn not_utf8(&self, at: usize) -> DecodeError {
        DecodeError { offset: self.base + at, what: "string is not UTF-8" }
    }

    /// The length of an array whose tag was just read, at `depth`: refused when arrays nest
    /// too deeply, or when it counts more values than bytes are left (every value takes one),
    /// before anything is allocated for it.
    pub(super) fn array_len(&mut self, depth: u32) -> Result<usize, DecodeError> {
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
    pub(super) fn text(&mut self, what: &'static str) -> Result<(), DecodeError> {
        let at = self.pos;
        let bytes = self.bytes(what)?;
        if bytes.is_ascii() || simdutf8::basic::from_utf8(bytes).is_ok() {
            return Ok(());
        }
        Err(self.not_utf8(at))
    }

    /// Moves past one value, checking it as [`value`](Self::value) does (the same errors at
    /// the same offsets) without building it: nothing is allocated.
    pub(super) fn check_value(&mut self, depth: u32) -> Result<(), DecodeError> {
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
    pub(super) fn skip_value(&mut self, depth: u32) -> Result<(), DecodeError> {
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

    pub(super) fn value(&mut self, depth: u32) -> Result<Value<'a>, DecodeError> {
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
    pub(super) fn skip_origin(&mut self) -> Result<(), DecodeError> {
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

    pub(super) fn origin(&mut self) -> Result<Origin<'a>, DecodeError> {
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
