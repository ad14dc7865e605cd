//! Framing JSON values that span lines (pretty-printed objects, several per file) in one
//! pass: each line is scanned once for brackets outside strings, so a value of n lines
//! costs O(n), and a value grows no larger than the record bound.

/// Where a value being framed stands.
#[derive(Debug, Default)]
pub struct JsonFrame {
    /// The value read so far.
    value: Vec<u8>,
    /// The line it starts on.
    first_line: u64,
    /// Open `{`/`[` outside strings.
    depth: u64,
    in_string: bool,
    escaped: bool,
    /// Whole length of what was read for it, past the bound included.
    length: u64,
}

/// A value the framer completed: its bytes (at most the bound), the line it starts on, and
/// its whole length when it was cut.
pub type Framed = (Vec<u8>, u64, Option<u64>);

impl JsonFrame {
    /// Adds line `number` (`length` bytes long, of which `line` were kept). Returns the
    /// value once its brackets close at the end of a line, once a line holds something that
    /// is not the start of an object or array (a scalar, or text that is not JSON: the parser
    /// then says why), or once it has grown past `max` bytes.
    pub fn push(&mut self, line: &[u8], length: u64, number: u64, max: usize) -> Option<Framed> {
        if self.value.is_empty() && self.length == 0 {
            self.first_line = number;
            let starts_value = line.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'['));
            if !starts_value {
                let cut = (length > line.len() as u64).then_some(length);
                return Some((line.to_vec(), number, cut));
            }
        } else {
            self.push_bytes(b"\n", max);
            self.length += 1;
        }
        self.scan(line);
        self.push_bytes(line, max);
        self.length += length;
        let cut = length > line.len() as u64 || self.length > self.value.len() as u64;
        if self.depth == 0 || self.length > max as u64 {
            return Some(self.take(cut));
        }
        None
    }

    /// What is left at the end of the input, if anything.
    pub fn finish(&mut self) -> Option<Framed> {
        (!self.value.is_empty()).then(|| {
            let cut = self.length > self.value.len() as u64;
            self.take(cut)
        })
    }

    fn push_bytes(&mut self, bytes: &[u8], max: usize) {
        let room = max.saturating_sub(self.value.len());
        self.value.extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn scan(&mut self, line: &[u8]) {
        for &b in line {
            if self.in_string {
                match (self.escaped, b) {
                    (true, _) => self.escaped = false,
                    (false, b'\\') => self.escaped = true,
                    (false, b'"') => self.in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => self.depth = self.depth.saturating_sub(1),
                _ => {}
            }
        }
    }

    fn take(&mut self, cut: bool) -> Framed {
        let length = self.length;
        let framed = (std::mem::take(&mut self.value), self.first_line, cut.then_some(length));
        *self = JsonFrame::default();
        framed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str, max: usize) -> Vec<Framed> {
        let mut framer = JsonFrame::default();
        let mut out = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let kept = &line.as_bytes()[..line.len().min(max)];
            out.extend(framer.push(kept, line.len() as u64, i as u64 + 1, max));
        }
        out.extend(framer.finish());
        out
    }

    #[test]
    fn values_over_several_lines_and_values_in_a_row() {
        let out = frame("{\n  \"a\": \"}{\\\"\",\n  \"b\": [1,\n 2]\n}\n{\"c\": 1}\n[1]", 1000);
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].0, b"{\n  \"a\": \"}{\\\"\",\n  \"b\": [1,\n 2]\n}".to_vec());
        assert_eq!((out[0].1, out[1].1, out[2].1), (1, 6, 7));
        assert!(out.iter().all(|f| f.2.is_none()));
    }

    #[test]
    fn text_that_is_not_json_is_a_record_of_its_own() {
        let out = frame("not json\n{\"a\": 1}", 1000);
        assert_eq!(out[0].0, b"not json".to_vec());
        assert_eq!(out[1].0, b"{\"a\": 1}".to_vec());
    }

    #[test]
    fn an_unclosed_value_stops_at_the_bound() {
        let text = format!("{{\n{}", "\"k\": 1,\n".repeat(10_000));
        let out = frame(&text, 64);
        assert!(out.len() > 1, "the value is cut at the bound, not read to the end");
        assert_eq!(out[0].0.len(), 64);
        assert!(out[0].2.is_some_and(|n| n > 64));
    }
}
