//! The direct reader: one pass over a line in the shape JSON logs take, writing its fields
//! without serde's visitors and without serde_json's scratch copy of escaped strings.
//!
//! Promise: it answers a line only when the answer is exactly [`flatten`](crate::flatten)'s
//! through serde_json, and says "not mine" otherwise; it then leaves nothing of its own
//! behind that counts (the caller starts over with serde_json, whose fields or error stand).
//! It declines every line serde_json would refuse (broken syntax, a bad escape or lone
//! surrogate, trailing text, too deep, too many fields, a number out of range), and, to stay
//! simple, some it would take: a line with any byte below `0x20` (raw control characters, or
//! tabs and newlines between tokens) or an integer of more than 18 digits. A declined line
//! costs at most one extra linear pass.
//!
//! Its string scan ([`scan`]) looks for `"`, `\` and control bytes sixteen bytes at a time
//! with wasm SIMD (eight at a time elsewhere); a string without escapes is borrowed from the
//! line, an escaped one is written once, into its own `String`.

use std::borrow::Cow;

use logsift_sdk::Value;

use crate::array::{self, Elem};
use crate::flatten::{Fields, keep};
use crate::number;
use crate::settings::JsonConfig;
use crate::typed::TypedNames;
use scan::{BLOCK, find_special, first_special, is_special};

/// Flattens `line` into `out` and says whether it did; `false` leaves `out` to be cleared.
pub(crate) fn read<'t>(line: &'t str, config: &JsonConfig, typed_names: TypedNames, out: &mut Fields<'t>) -> bool {
    let mut reader = Reader { text: line, bytes: line.as_bytes(), at: 0, config, typed_names };
    reader.space();
    reader.eat(b'{').and_then(|()| reader.object(None, 1, out)).is_some() && {
        reader.space();
        reader.at == reader.bytes.len()
    }
}

/// A position in a line under reading. `None` from any method means "not mine".
struct Reader<'t, 'c> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    config: &'c JsonConfig,
    typed_names: TypedNames,
}

impl<'t> Reader<'t, '_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Skips spaces: tabs and line ends between tokens (rare in JSON lines) are declined.
    fn space(&mut self) {
        while self.peek() == Some(b' ') {
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.peek()? == byte).then(|| self.at += 1)
    }

    /// The members of an object whose `{` has been read, at `depth` (the line's is 1).
    fn object(&mut self, prefix: Option<&str>, depth: usize, out: &mut Fields<'t>) -> Option<()> {
        self.space();
        if self.eat(b'}').is_some() {
            return Some(());
        }
        loop {
            let key = self.key()?;
            let name = match prefix {
                None => key,
                Some(prefix) => Cow::Owned([prefix, ".", &key].concat()),
            };
            self.member(name, depth, out)?;
            if !self.more(b'}')? {
                return Some(());
            }
        }
    }

    /// A member's key and the `:` after it.
    fn key(&mut self) -> Option<Cow<'t, str>> {
        self.eat(b'"')?;
        let key = self.string()?;
        self.space();
        self.eat(b':')?;
        self.space();
        Some(key)
    }

    /// After a member or an element: `true` past a `,` (another follows), `false` past
    /// `close`.
    fn more(&mut self, close: u8) -> Option<bool> {
        self.space();
        let next = self.peek()?;
        self.at += 1;
        if next == b',' {
            self.space();
            return Some(true);
        }
        (next == close).then_some(false)
    }

    /// The value of one member, named in full, of an object at `depth`.
    fn member(&mut self, name: Cow<'t, str>, depth: usize, out: &mut Fields<'t>) -> Option<()> {
        let value = match self.peek()? {
            b'{' => {
                self.nest(depth)?;
                return self.object(Some(&name), depth + 1, out);
            }
            b'[' => {
                self.nest(depth)?;
                self.array(depth + 1)?
            }
            _ => self.scalar()?,
        };
        if out.len() >= self.config.max_fields {
            return None;
        }
        keep(out, self.config, self.typed_names, name, value);
        Some(())
    }

    /// Steps into the container at the cursor, one level below `depth`, if `max_depth` allows.
    fn nest(&mut self, depth: usize) -> Option<()> {
        (depth < self.config.max_depth).then(|| self.at += 1)
    }

    /// The value of an array whose `[` has been read, at `depth`: as [`array`] makes it.
    fn array(&mut self, depth: usize) -> Option<Value<'t>> {
        array::value_of(self.elements(depth)?).ok()
    }

    /// The elements of an array whose `[` has been read, at `depth`.
    fn elements(&mut self, depth: usize) -> Option<Vec<Elem<'t>>> {
        let mut items = Vec::new();
        self.space();
        if self.eat(b']').is_some() {
            return Some(items);
        }
        loop {
            items.push(self.element(depth)?);
            if !self.more(b']')? {
                return Some(items);
            }
        }
    }

    /// The members of an object inside an array, whose `{` has been read, at `depth`.
    fn members(&mut self, depth: usize) -> Option<Vec<(Cow<'t, str>, Elem<'t>)>> {
        let mut members = Vec::new();
        self.space();
        if self.eat(b'}').is_some() {
            return Some(members);
        }
        loop {
            let key = self.key()?;
            members.push((key, self.element(depth)?));
            if !self.more(b'}')? {
                return Some(members);
            }
        }
    }

    /// One element inside an array, in a container at `depth`.
    fn element(&mut self, depth: usize) -> Option<Elem<'t>> {
        Some(match self.peek()? {
            b'[' => {
                self.nest(depth)?;
                Elem::List(self.elements(depth + 1)?)
            }
            b'{' => {
                self.nest(depth)?;
                Elem::Object(self.members(depth + 1)?)
            }
            _ => Elem::scalar(self.scalar()?),
        })
    }

    /// A string, number, `true`, `false` or `null`.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Value<'t>> {
        match self.peek()? {
            b'"' => {
                self.at += 1;
                self.string().map(Value::Str)
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'n' => self.literal("null", Value::Null),
            _ => None,
        }
    }

    fn literal(&mut self, word: &str, value: Value<'t>) -> Option<Value<'t>> {
        let end = self.at + word.len();
        (self.bytes.get(self.at..end)? == word.as_bytes()).then(|| {
            self.at = end;
            value
        })
    }

    /// A number: whole numbers of up to 18 digits here, those with a fraction or an exponent
    /// by serde_json's own reading (so the same `f64`), anything else declined.
    fn number(&mut self) -> Option<Value<'t>> {
        let start = self.at;
        let negative = self.peek() == Some(b'-');
        self.at += usize::from(negative);
        let digits = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        if matches!(self.peek(), Some(b'.' | b'e' | b'E')) {
            while self.peek().is_some_and(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-')) {
                self.at += 1;
            }
            return serde_json::from_str::<f64>(&self.text[start..self.at]).ok().map(number::float);
        }
        let digits = &self.bytes[digits..self.at];
        if digits.is_empty() || digits.len() > 18 || (digits[0] == b'0' && digits.len() > 1) {
            return None;
        }
        let value = digits.iter().fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
        Some(Value::Int(if negative { -value } else { value }))
    }

    /// The rest of a string whose opening `"` has been read.
    fn string(&mut self) -> Option<Cow<'t, str>> {
        let start = self.at;
        let stop = find_special(self.bytes, start)?;
        match self.bytes[stop] {
            b'"' => {
                self.at = stop + 1;
                Some(Cow::Borrowed(&self.text[start..stop]))
            }
            b'\\' => {
                // The string ends at a `"`, the next one at the earliest, and escapes only
                // shorten text: room up to it (and a block more, for the block copies) is
                // room for all of it unless that `"` is itself escaped.
                let quote = memchr::memchr(b'"', &self.bytes[stop..]).map_or(0, |at| at + BLOCK);
                let mut out = Vec::with_capacity(stop - start + quote.max(32));
                out.extend_from_slice(&self.bytes[start..stop]);
                self.escaped(stop, out).map(Cow::Owned)
            }
            _ => None,
        }
    }

    /// The rest of a string from the special byte at `at` on, written after `out`.
    ///
    /// Plain bytes are copied a block at a time (a copy of fixed size, where a copy of any
    /// length would be a call out of the sandbox). The bytes come from a `str` and the
    /// escapes write whole characters, so the text is UTF-8; it is checked once at the end.
    fn escaped(&mut self, mut at: usize, mut out: Vec<u8>) -> Option<String> {
        loop {
            match self.bytes[at] {
                b'"' => {
                    self.at = at + 1;
                    return String::from_utf8(out).ok();
                }
                b'\\' => at = escape(self.bytes, at + 1, &mut out)?,
                _ => return None,
            }
            // Escapes often come in runs (`\r\n\t`).
            if is_special(*self.bytes.get(at)?) {
                continue;
            }
            loop {
                let Some(block) = self.bytes.get(at..at + BLOCK).and_then(|b| <&[u8; BLOCK]>::try_from(b).ok()) else {
                    let plain = self.bytes.get(at..)?.iter().position(|&b| is_special(b))?;
                    out.extend_from_slice(&self.bytes[at..at + plain]);
                    at += plain;
                    break;
                };
                let len = out.len();
                out.extend_from_slice(block);
                if let Some(plain) = first_special(block) {
                    out.truncate(len + plain);
                    at += plain;
                    break;
                }
                at += BLOCK;
            }
        }
    }
}

/// Writes the escape whose `\` precedes `at`; returns where the string goes on.
fn escape(bytes: &[u8], at: usize, out: &mut Vec<u8>) -> Option<usize> {
    let plain = match *bytes.get(at)? {
        b'"' => b'"',
        b'\\' => b'\\',
        b'/' => b'/',
        b'b' => 0x08,
        b'f' => 0x0c,
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'u' => {
            let (c, next) = unicode_escape(bytes, at + 1)?;
            out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            return Some(next);
        }
        _ => return None,
    };
    out.push(plain);
    Some(at + 1)
}

/// The character of `\uXXXX` (a surrogate pair takes two) whose hex digits start at `at`,
/// and where the string goes on.
fn unicode_escape(bytes: &[u8], at: usize) -> Option<(char, usize)> {
    let unit = hex4(bytes, at)?;
    match unit {
        0xD800..=0xDBFF => {
            if bytes.get(at + 4..at + 6)? != b"\\u" {
                return None;
            }
            let low = hex4(bytes, at + 6)?;
            if !(0xDC00..=0xDFFF).contains(&low) {
                return None;
            }
            Some((char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))?, at + 10))
        }
        _ => Some((char::from_u32(unit)?, at + 4)),
    }
}

fn hex4(bytes: &[u8], at: usize) -> Option<u32> {
    bytes.get(at..at + 4)?.iter().try_fold(0u32, |n, &b| Some(n << 4 | char::from(b).to_digit(16)?))
}

mod scan;
#[cfg(test)]
mod tests;
