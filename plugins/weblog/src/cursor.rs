//! A left-to-right reader over one line that borrows every piece it hands out and words
//! its errors with the column they happened at.
//!
//! Promise: no method panics, whatever the text (all slicing is at ASCII delimiters, which
//! are always UTF-8 boundaries).
//!
//! Searching goes through `memchr`, which has a 16-bytes-at-a-time path for `wasm32` with
//! `simd128` (the target the plugins are built for); `str::find` has none there and walks
//! short words byte by byte.

use memchr::memchr;

/// A position in a line.
pub(crate) struct Cursor<'t> {
    line: &'t str,
    pos: usize,
    /// The format being read, as the first words of every error (`common log: …`).
    format: &'static str,
}

impl<'t> Cursor<'t> {
    /// A cursor at the start of `line`.
    pub(crate) fn new(line: &'t str, format: &'static str) -> Self {
        Cursor { line, pos: 0, format }
    }

    /// The text not read yet.
    pub(crate) fn rest(&self) -> &'t str {
        self.line.get(self.pos..).unwrap_or_default()
    }

    /// Whether the whole line has been read.
    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.line.len()
    }

    /// The current byte offset.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// An error at the current position: `<format>: <what> at column <n>`.
    pub(crate) fn error(&self, what: &str) -> String {
        self.error_at(self.pos, what)
    }

    /// An error at a byte offset of the line; the column counts characters from 1.
    pub(crate) fn error_at(&self, at: usize, what: &str) -> String {
        let column = self.line.get(..at).map_or(at, |s| s.chars().count()) + 1;
        format!("{}: {what} at column {column}", self.format)
    }

    /// Consumes `prefix` if the rest starts with it.
    pub(crate) fn eat(&mut self, prefix: &str) -> bool {
        let found = self.rest().starts_with(prefix);
        if found {
            self.pos += prefix.len();
        }
        found
    }

    /// Consumes `prefix`, or fails saying `what` was expected.
    pub(crate) fn expect(&mut self, prefix: &str, what: &str) -> Result<(), String> {
        if self.eat(prefix) { Ok(()) } else { Err(self.error(&format!("expected {what}"))) }
    }

    /// Reads up to (not including) the next `delimiter`, and consumes the delimiter; fails
    /// saying `what` was being read if the delimiter never comes.
    pub(crate) fn until(&mut self, delimiter: &str, what: &str) -> Result<&'t str, String> {
        let rest = self.rest();
        match find(rest, delimiter) {
            Some(end) => {
                self.pos += end + delimiter.len();
                Ok(&rest[..end])
            }
            None => Err(self.error(&format!("{what} is not terminated by {delimiter:?}"))),
        }
    }

    /// Reads up to the next space or the end of the line, and consumes the space.
    pub(crate) fn word(&mut self) -> &'t str {
        let rest = self.rest();
        match memchr(b' ', rest.as_bytes()) {
            Some(end) => {
                self.pos += end + 1;
                &rest[..end]
            }
            None => {
                self.pos = self.line.len();
                rest
            }
        }
    }

    /// Reads a double-quoted value whose closing quote is followed by text for which
    /// `closes` is true (so an unescaped quote inside the value does not end it early);
    /// `closing` describes that for the error (`followed by the status`). Returns the raw
    /// text between the quotes, escapes left in place.
    pub(crate) fn quoted(&mut self, what: &str, closing: &str, closes: impl Fn(&str) -> bool) -> Result<&'t str, String> {
        let open = self.pos;
        if !self.eat("\"") {
            return Err(self.error(&format!("expected '\"' opening the {what}")));
        }
        let body = self.rest();
        let mut from = 0;
        while let Some(i) = memchr(b'"', &body.as_bytes()[from..]).map(|i| i + from) {
            let escaped = body[..i].bytes().rev().take_while(|&b| b == b'\\').count() % 2 == 1;
            if !escaped && closes(&body[i + 1..]) {
                self.pos += i + 1;
                return Ok(&body[..i]);
            }
            from = i + 1;
        }
        Err(self.error_at(open, &format!("the {what} opened here has no closing quote {closing}")))
    }
}

/// Where `needle` first occurs in `hay`: its first byte found with `memchr`, the rest
/// compared there (the delimiters read are one or two bytes long).
pub(crate) fn find(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, tail)) = needle.split_first() else { return Some(0) };
    let mut from = 0;
    while let Some(at) = memchr(first, &hay[from..]).map(|i| i + from) {
        if hay[at + 1..].starts_with(tail) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_agrees_with_str_find() {
        let hay = "a] b]] c ]x] ";
        for needle in ["]", "] ", "]x", " [", "x] ", "zz", "a] b]] c ]x] ", "a] b]] c ]x]  "] {
            assert_eq!(find(hay, needle), hay.find(needle), "{needle:?}");
        }
        assert_eq!(find("", "]"), None);
        assert_eq!(find("ab", ""), Some(0));
    }

    #[test]
    fn quoted_values_skip_escaped_and_unfitting_quotes() {
        let mut c = Cursor::new(r#""a \"b\" "c" 200"#, "test");
        let body = c.quoted("request", "", |after| after.starts_with(" 2")).unwrap();
        assert_eq!(body, r#"a \"b\" "c"#);
        assert_eq!(c.rest(), " 200");
    }

    #[test]
    fn errors_name_the_column_in_characters() {
        let mut c = Cursor::new("ééx", "test");
        c.until("x", "accents").unwrap();
        assert_eq!(c.error("stop"), "test: stop at column 4");
    }

    #[test]
    fn an_unclosed_quote_is_reported_where_it_opened() {
        let mut c = Cursor::new("ab \"cd", "test");
        c.word();
        assert_eq!(
            c.quoted("agent", "at the end", str::is_empty).unwrap_err(),
            "test: the agent opened here has no closing quote at the end at column 4"
        );
    }
}
