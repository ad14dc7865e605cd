//! Writes resolved [`Fields`] as one JSON object into a byte buffer: objects opened and
//! closed as the paths go, no intermediate tree.

use std::io::Write as _;

use logsift_event::Value;

use super::fields::{Field, Fields, technique};

/// Whether any of the 8 bytes needs escaping in a JSON string: below 0x20, `"` or `\`
/// (the classic bit tricks: a byte below `n` sets its high bit in `x - n`; a byte equal
/// to `c` is a zero byte of `x ^ c`).
fn needs_escape(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    below(word, 0x20) | below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1) != 0
}

/// Appends `text` as a JSON string, escaped as serde_json escapes: `"`, `\` and the
/// control characters, the common ones by their short forms; runs of bytes that need no
/// escape are copied whole, found 8 bytes at a time.
pub fn string(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        if let Some(chunk) = bytes.get(i..i + 8)
            && !needs_escape(u64::from_le_bytes(chunk.try_into().expect("8 bytes")))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        i += 1;
        if b >= 0x20 && b != b'"' && b != b'\\' {
            continue;
        }
        out.extend_from_slice(&bytes[start..i - 1]);
        start = i;
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]),
        }
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

fn int(out: &mut Vec<u8>, i: i64) {
    out.extend_from_slice(itoa::Buffer::new().format(i).as_bytes());
}

fn value(out: &mut Vec<u8>, value: &Value<'_>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(i) => int(out, *i),
        // serde_json writes a non-finite number as null, a finite one as ryu prints it.
        Value::Float(f) => serde_json::to_writer(&mut *out, f).expect("writing to a Vec cannot fail"),
        Value::Str(s) => string(out, s),
        // Their text needs no escaping: digits, hex letters, `-`, `:`, `.`, `T`, `Z`.
        Value::Timestamp(_) | Value::Ip(_) => write!(out, "\"{value}\"").expect("writing to a Vec cannot fail"),
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                self::value(out, item);
            }
            out.push(b']');
        }
    }
}

fn field(out: &mut Vec<u8>, field: &Field<'_>) {
    match field {
        Field::Value(v) => value(out, v),
        Field::Text(t) => string(out, t),
        Field::Int(i) => int(out, *i),
        Field::Texts(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, item);
            }
            out.push(b']');
        }
        Field::Techniques(tags) => {
            out.push(b'[');
            for (i, id) in tags.iter().filter_map(|t| technique(t)).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                string(out, &format!("T{}", id.to_ascii_uppercase()));
            }
            out.push(b']');
        }
    }
}

/// Appends the fields, in order and resolved, as one JSON object.
pub fn object(out: &mut Vec<u8>, fields: &mut Fields<'_>) {
    out.push(b'{');
    // The segments of the field being written and of the one before it: the objects open
    // are the previous path without its last segment.
    let (mut path, mut previous) = fields.paths();
    for i in 0..fields.len() {
        let (segments, value) = fields.get(i);
        path.clear();
        path.extend(segments);
        let open = previous.len().saturating_sub(1);
        let common = previous[..open].iter().zip(&path[..path.len() - 1]).take_while(|(a, b)| a == b).count();
        for _ in common..open {
            out.push(b'}');
        }
        if !previous.is_empty() {
            out.push(b',');
        }
        for (depth, segment) in path.iter().enumerate().skip(common) {
            string(out, segment);
            out.push(b':');
            if depth + 1 < path.len() {
                out.push(b'{');
            }
        }
        field(out, value);
        std::mem::swap(&mut path, &mut previous);
    }
    for _ in 1..previous.len() {
        out.push(b'}');
    }
    out.push(b'}');
    fields.return_paths((path, previous));
}

#[cfg(test)]
mod tests {
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut text: String = (0u8..0x80).map(char::from).collect();
        text.push_str("é✓𝄞\u{2028}\"\\end");
        // Every escape at every position of an 8-byte word.
        for b in [b'"', b'\\', b'\n', 0x01, 0x1f, b'!', b'[', b']'] {
            for at in 0..9 {
                let mut t = "abcdefghijklmnopq".to_owned();
                t.insert(at, char::from(b));
                text.push_str(&t);
            }
        }
        let mut out = Vec::new();
        super::string(&mut out, &text);
        assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap());
    }
}
