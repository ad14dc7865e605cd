//! JSON text: strings, numbers, timestamps, and a record's values written between the
//! bytes its [`Plan`] says, into a byte buffer (no intermediate tree).

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr};

use logsift_event::Value;

use super::fields::{Field, Fields, technique};
use super::plan::Plan;

/// The bytes of `word` (8 bytes of a string, the first lowest) that need escaping in a
/// JSON string — below 0x20, `"` or `\` — each marked by its high bit (the classic bit
/// tricks: a byte below `n` sets its high bit in `x - n`; a byte equal to `c` is a zero byte
/// of `x ^ c`). A borrow can also mark a byte after one that needs escaping, never one
/// before: the lowest mark is exact, and no mark means no byte needs escaping.
fn escape_marks(word: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let below = |x: u64, n: u8| x.wrapping_sub(ONES * u64::from(n)) & !x & HIGH;
    below(word, 0x20) | below(word ^ (ONES * u64::from(b'"')), 1) | below(word ^ (ONES * u64::from(b'\\')), 1)
}

/// Appends `text` as a JSON string, escaped as serde_json escapes: `"`, `\` and the
/// control characters, the common ones by their short forms. The text is read 8 bytes at a
/// time and each 8 are written whole, then cut back before the first that needs escaping:
/// a fixed-size store, where copying the few bytes before an escape would be a call to
/// `memcpy` (event.original of a JSON record has a quote every few bytes).
pub fn string(out: &mut Vec<u8>, text: &str) {
    utf8(out, text.as_bytes());
}

/// [`string`] for text that is UTF-8 but held as bytes (an event's value as encoded).
fn utf8(out: &mut Vec<u8>, bytes: &[u8]) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut i = 0;
    while let Some(chunk) = bytes.get(i..i + 8) {
        let chunk: [u8; 8] = chunk.try_into().expect("8 bytes");
        let marks = escape_marks(u64::from_le_bytes(chunk));
        out.extend_from_slice(&chunk);
        if marks == 0 {
            i += 8;
            continue;
        }
        let at = (marks.trailing_zeros() / 8) as usize;
        out.truncate(out.len() - 8 + at);
        escape(out, chunk[at]);
        i += at + 1;
    }
    for &b in &bytes[i..] {
        if b >= 0x20 && b != b'"' && b != b'\\' {
            out.push(b);
        } else {
            escape(out, b);
        }
    }
    out.push(b'"');
}

/// Appends the escape of a byte that needs one.
fn escape(out: &mut Vec<u8>, b: u8) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    // A table, not a match: `"` and `\` alternate unpredictably in JSON text, and a branch
    // between them is mispredicted about half the time.
    match SHORT_ESCAPES[usize::from(b)] {
        [0, 0] => out.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]),
        short => out.extend_from_slice(&short),
    }
}

/// The two-byte escape of each byte that has one (`\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`),
/// zeros for the others.
const SHORT_ESCAPES: [[u8; 2]; 256] = {
    let mut table = [[0; 2]; 256];
    let pairs = [(b'"', b'"'), (b'\\', b'\\'), (b'\n', b'n'), (b'\r', b'r'), (b'\t', b't'), (0x08, b'b'), (0x0c, b'f')];
    let mut i = 0;
    while i < pairs.len() {
        table[pairs[i].0 as usize] = [b'\\', pairs[i].1];
        i += 1;
    }
    table
};

/// Appends nanoseconds since the epoch as a quoted RFC 3339 UTC instant, as
/// [`Value::Timestamp`] prints (seconds always, a fraction only when there is one and
/// without trailing zeros, `Z`), without going through `fmt`: days to a civil date by
/// Howard Hinnant's algorithm.
fn timestamp(out: &mut Vec<u8>, ns: i64) {
    let (secs, nanos) = (ns.div_euclid(1_000_000_000), ns.rem_euclid(1_000_000_000) as u32);
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400) as u32);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    let digits = |out: &mut Vec<u8>, value: u32, width: usize| {
        let mut buf = [b'0'; 9];
        let mut v = value;
        for slot in buf[..width].iter_mut().rev() {
            *slot = b'0' + (v % 10) as u8;
            v /= 10;
        }
        out.extend_from_slice(&buf[..width]);
    };
    out.push(b'"');
    if (0..=9999).contains(&year) {
        digits(out, year as u32, 4);
    } else {
        out.extend_from_slice(itoa::Buffer::new().format(year).as_bytes());
    }
    out.push(b'-');
    digits(out, month, 2);
    out.push(b'-');
    digits(out, day, 2);
    out.push(b'T');
    digits(out, second_of_day / 3600, 2);
    out.push(b':');
    digits(out, second_of_day / 60 % 60, 2);
    out.push(b':');
    digits(out, second_of_day % 60, 2);
    if nanos > 0 {
        out.push(b'.');
        let (mut fraction, mut width) = (nanos, 9);
        while fraction % 10 == 0 {
            fraction /= 10;
            width -= 1;
        }
        digits(out, fraction, width);
    }
    out.extend_from_slice(b"Z\"");
}

/// Appends an IPv4 address as a quoted dotted quad, as it prints, without going through
/// `fmt` (most addresses in logs are IPv4).
fn ipv4(out: &mut Vec<u8>, ip: Ipv4Addr) {
    out.push(b'"');
    for (i, octet) in ip.octets().into_iter().enumerate() {
        if i > 0 {
            out.push(b'.');
        }
        out.extend_from_slice(itoa::Buffer::new().format(octet).as_bytes());
    }
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
        Value::Timestamp(ns) => timestamp(out, *ns),
        Value::Ip(IpAddr::V4(ip)) => ipv4(out, *ip),
        // An address needs no escaping: digits, hex letters, `.`, `:`.
        Value::Ip(_) => write!(out, "\"{value}\"").expect("writing to a Vec cannot fail"),
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
        Field::Utf8(bytes) => utf8(out, bytes),
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

/// Appends the fields as one JSON object, as the plan for their shape says.
pub fn object(out: &mut Vec<u8>, fields: &Fields<'_>, plan: &Plan) {
    plan.write(out, |out, i| field(out, fields.value(i)));
}

#[cfg(test)]
mod tests {
    use logsift_event::Value;

    #[test]
    fn timestamps_are_written_as_the_event_value_prints_them() {
        let mut samples = vec![0, 1, -1, 999_999_999, 1_000_000_000, -1_000_000_001, 951_782_400_000_000_000, i64::MIN, i64::MAX];
        // Leap days, month ends, fractions of every length, both sides of the epoch.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let ns = x as i64;
            samples.extend([ns, ns - ns.rem_euclid(1_000), ns - ns.rem_euclid(1_000_000_000), ns - ns.rem_euclid(86_400_000_000_000)]);
        }
        for ns in samples {
            let mut out = Vec::new();
            super::timestamp(&mut out, ns);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{}\"", Value::Timestamp(ns)), "{ns}");
        }
    }

    #[test]
    fn ipv4_addresses_are_written_as_they_print() {
        for ip in ["0.0.0.0", "255.255.255.255", "10.0.0.1", "192.168.100.9", "1.22.133.4"] {
            let value = Value::Ip(ip.parse().unwrap());
            let mut out = Vec::new();
            super::value(&mut out, &value);
            assert_eq!(String::from_utf8(out).unwrap(), format!("\"{value}\""));
        }
    }

    #[test]
    fn dense_escapes_at_any_spacing_are_escaped_as_serde_json_escapes_them() {
        // Texts of every length up to 40 drawn from an alphabet heavy in escapes (and in
        // multi-byte characters), by a fixed linear congruential sequence.
        // The bytes a borrow can mark falsely (`#` after `"`, `]` after `\\`, a space after
        // 0x1f) follow ones that need escaping somewhere; DEL is left as it is, as JSON does.
        let alphabet = ['"', '\\', '\n', '\u{1}', '\u{1f}', '#', ']', ' ', '\u{7f}', 'a', 'é', '✓', '/'];
        let mut seed: u64 = 7;
        for len in 0..=40 {
            for _ in 0..50 {
                let text: String = (0..len)
                    .map(|_| {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                        alphabet[(seed >> 33) as usize % alphabet.len()]
                    })
                    .collect();
                let mut out = Vec::new();
                super::string(&mut out, &text);
                assert_eq!(String::from_utf8(out).unwrap(), serde_json::to_string(&text).unwrap(), "{text:?}");
            }
        }
    }

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
