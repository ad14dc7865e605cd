//! RFC 5424 STRUCTURED-DATA: where it ends, and what it says.
//!
//! [`split`] checks the field against the RFC's grammar (section 6.3) and returns it with the
//! text after it; [`elements`] then walks a checked field without allocating: each
//! [`Element`] has an SD-ID and its params, and [`unescape`] copies a value only when it
//! contains an escape (`\"`, `\\`, `\]`). Walking text that [`split`] did not accept stops
//! early instead of failing.

use std::borrow::Cow;
use std::fmt;

/// Longest SD-NAME (an SD-ID or a PARAM-NAME) the RFC allows.
const MAX_NAME: usize = 32;

/// How STRUCTURED-DATA broke the RFC 5424 grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SdError {
    /// It is neither `-` nor starts with `[`.
    NotStructuredData,
    /// An SD-ID or PARAM-NAME is empty, too long or has a forbidden character.
    BadName,
    /// A param is not `name="value"`.
    BadParam,
    /// The text ends inside an element or a value.
    Unterminated,
    /// Something other than a space follows the last element.
    NoSpaceAfter,
}

impl fmt::Display for SdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SdError::NotStructuredData => "RFC 5424 structured data must be '-' or start with '['",
            SdError::BadName => "RFC 5424 structured data has an empty, overlong or invalid SD-ID or param name",
            SdError::BadParam => "RFC 5424 structured data param is not name=\"value\"",
            SdError::Unterminated => "RFC 5424 structured data is not terminated by ']'",
            SdError::NoSpaceAfter => "RFC 5424 structured data is not followed by a space",
        })
    }
}

/// Splits `text` after its leading STRUCTURED-DATA field. Returns `None` for the nil value
/// `-`, otherwise the whole field (brackets included), and the text after it (empty, or
/// starting with the space before MSG).
pub fn split(text: &str) -> Result<(Option<&str>, &str), SdError> {
    let b = text.as_bytes();
    let end = match b.first() {
        Some(b'-') => {
            let rest = text.get(1..).unwrap_or_default();
            return if rest.is_empty() || rest.starts_with(' ') { Ok((None, rest)) } else { Err(SdError::NoSpaceAfter) };
        }
        Some(b'[') => element_list_end(b)?,
        _ => return Err(SdError::NotStructuredData),
    };
    let (sd, rest) = text.split_at_checked(end).ok_or(SdError::Unterminated)?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return Err(SdError::NoSpaceAfter);
    }
    Ok((Some(sd), rest))
}

/// Where a run of `[…][…]` elements starting at 0 ends.
fn element_list_end(b: &[u8]) -> Result<usize, SdError> {
    let mut at = 0;
    while b.get(at) == Some(&b'[') {
        at = name_end(b, at + 1)?;
        loop {
            match b.get(at) {
                Some(b']') => break,
                Some(b' ') => {
                    at = name_end(b, at + 1)?;
                    if b.get(at) != Some(&b'=') || b.get(at + 1) != Some(&b'"') {
                        return Err(SdError::BadParam);
                    }
                    at = value_end(b, at + 2)?;
                }
                Some(_) => return Err(SdError::BadParam),
                None => return Err(SdError::Unterminated),
            }
        }
        at += 1;
    }
    Ok(at)
}

/// Where an SD-NAME starting at `from` ends (the RFC's `1*32PRINTUSASCII except = SP ] "`).
fn name_end(b: &[u8], from: usize) -> Result<usize, SdError> {
    let len = b.get(from..).unwrap_or_default().iter().take_while(|&&c| is_name_char(c)).count();
    if len == 0 || len > MAX_NAME {
        return Err(SdError::BadName);
    }
    Ok(from + len)
}

fn is_name_char(c: u8) -> bool {
    (33..=126).contains(&c) && !matches!(c, b'=' | b']' | b'"')
}

/// Where a PARAM-VALUE starting at `from` ends: just past its closing quote.
fn value_end(b: &[u8], from: usize) -> Result<usize, SdError> {
    let mut at = from;
    loop {
        match b.get(at) {
            Some(b'\\') => at += 2,
            Some(b'"') => return Ok(at + 1),
            Some(_) => at += 1,
            None => return Err(SdError::Unterminated),
        }
    }
}

/// One SD-ELEMENT: an SD-ID and its params.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Element<'s> {
    /// The SD-ID, e.g. `exampleSDID@32473` or `origin`.
    pub id: &'s str,
    /// The raw params text, from the first space after the SD-ID to before `]`.
    params: &'s str,
}

impl<'s> Element<'s> {
    /// The element's params in order, as (name, raw value); values are still escaped.
    pub fn params(&self) -> Params<'s> {
        Params { rest: self.params }
    }
}

/// The elements of a checked STRUCTURED-DATA field.
pub fn elements(sd: &str) -> Elements<'_> {
    Elements { rest: sd }
}

/// Iterator over SD-ELEMENTs.
#[derive(Debug, Clone)]
pub struct Elements<'s> {
    rest: &'s str,
}

impl<'s> Iterator for Elements<'s> {
    type Item = Element<'s>;

    fn next(&mut self) -> Option<Element<'s>> {
        let body = self.rest.strip_prefix('[')?;
        let b = body.as_bytes();
        let id_end = name_end(b, 0).ok()?;
        let mut at = id_end;
        while b.get(at) == Some(&b' ') {
            at = name_end(b, at + 1).ok()? + 2;
            at = value_end(b, at).ok()?;
        }
        if b.get(at) != Some(&b']') {
            self.rest = "";
            return None;
        }
        let element = Element { id: body.get(..id_end)?, params: body.get(id_end..at)? };
        self.rest = body.get(at + 1..).unwrap_or_default();
        Some(element)
    }
}

/// Iterator over one element's params.
#[derive(Debug, Clone)]
pub struct Params<'s> {
    rest: &'s str,
}

impl<'s> Iterator for Params<'s> {
    type Item = (&'s str, &'s str);

    fn next(&mut self) -> Option<(&'s str, &'s str)> {
        let text = self.rest.strip_prefix(' ')?;
        let b = text.as_bytes();
        let name_len = name_end(b, 0).ok()?;
        let end = value_end(b, name_len + 2).ok()?;
        let (name, value) = (text.get(..name_len)?, text.get(name_len + 2..end - 1)?);
        self.rest = text.get(end..).unwrap_or_default();
        Some((name, value))
    }
}

/// A PARAM-VALUE with its escapes resolved: `\"`, `\\` and `\]` stand for the character; a
/// backslash before anything else is itself (RFC 5424 section 6.3.3). Borrows when there is
/// nothing to resolve.
pub fn unescape(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some(next @ ('"' | '\\' | ']')) => out.push(next),
            Some(next) => {
                out.push('\\');
                out.push(next);
            }
            None => out.push('\\'),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nil_structured_data_is_none_and_keeps_the_message() {
        assert_eq!(split("- hello"), Ok((None, " hello")));
        assert_eq!(split("-"), Ok((None, "")));
    }

    #[test]
    fn two_elements_split_before_the_message() {
        let text = r#"[a@1 x="1" y="t\"w\]o"][b z="3"] msg"#;
        let (sd, rest) = split(text).unwrap();
        assert_eq!(rest, " msg");
        let els: Vec<_> = elements(sd.unwrap()).collect();
        assert_eq!(els.iter().map(|e| e.id).collect::<Vec<_>>(), ["a@1", "b"]);
        let params: Vec<_> = els[0].params().collect();
        assert_eq!(params, [("x", "1"), ("y", r#"t\"w\]o"#)]);
        assert_eq!(unescape(params[1].1), r#"t"w]o"#);
    }

    #[test]
    fn element_without_params_is_allowed() {
        let (sd, rest) = split("[exampleSDID@32473]").unwrap();
        assert_eq!((sd, rest), (Some("[exampleSDID@32473]"), ""));
        assert_eq!(elements("[exampleSDID@32473]").next().map(|e| e.params().count()), Some(0));
    }

    #[test]
    fn malformed_structured_data_says_why() {
        assert_eq!(split("[a x=1]"), Err(SdError::BadParam));
        assert_eq!(split(r#"[a x="1""#), Err(SdError::Unterminated));
        assert_eq!(split(r#"[a x="1]"#), Err(SdError::Unterminated));
        assert_eq!(split("[]"), Err(SdError::BadName));
        assert_eq!(split(r#"[a x="1"]msg"#), Err(SdError::NoSpaceAfter));
        assert_eq!(split("msg"), Err(SdError::NotStructuredData));
    }

    #[test]
    fn backslash_before_other_characters_stays() {
        assert_eq!(unescape(r"C:\temp\\x"), r"C:\temp\x");
        assert_eq!(unescape("plain"), Cow::Borrowed("plain"));
    }
}
