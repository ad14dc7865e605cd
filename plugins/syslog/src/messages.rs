//! Which shape a message has: picks the shape table by program, unwraps `message repeated
//! N times: [ … ]`, and returns what the first matching shape says.
//!
//! PAM lines go to the PAM table whoever wrote them (a `pam_*(service:type): ` prefix, or
//! an old-style `program(pam_*)` tag); otherwise the program name picks the table (`sshd`
//! and `sshd-session`, `sudo`, `su`). Other programs' messages are not examined at all, so
//! they cost nothing beyond the header. A message no shape matches gets no `event.action`.
//!
//! A table is indexed by the byte a shape's messages start with: a message is tried against
//! the shapes that start with its first byte (and those that start with a hole), in the
//! table's order, not against every shape of the table.

use crate::fields::MessageFields;
use crate::header::Header;
use crate::shapes::{Shape, ShapeDef, TemplateError};
use crate::{pam, sshd, su, sudo};

/// The compiled shape tables.
#[derive(Debug, Clone)]
pub struct Recognizer {
    sshd: ShapeTable,
    pam: ShapeTable,
    sudo: ShapeTable,
    su: ShapeTable,
}

impl Recognizer {
    /// Compiles every table; an error is a bug in a table.
    pub fn new() -> Result<Self, TemplateError> {
        let compile = ShapeTable::compile;
        Ok(Recognizer { sshd: compile(sshd::SHAPES)?, pam: compile(pam::SHAPES)?, sudo: compile(sudo::SHAPES)?, su: compile(su::SHAPES)? })
    }

    /// What the header's message says.
    pub fn recognize<'s>(&self, header: &Header<'s>) -> MessageFields<'s> {
        match repeated(header.message) {
            Some((count, inner)) => {
                let mut fields = inner.map(|inner| self.shape(header, inner)).unwrap_or_default();
                fields.repeat_count = Some(count);
                fields
            }
            None => self.shape(header, header.message),
        }
    }

    fn shape<'s>(&self, header: &Header<'s>, message: &'s str) -> MessageFields<'s> {
        let (table, body) = if let Some(body) = pam::strip_prefix(message) {
            (&self.pam, body)
        } else if header.appname.is_some_and(pam::is_pam_tag) {
            (&self.pam, message)
        } else {
            match header.process_name() {
                Some("sshd" | "sshd-session") => (&self.sshd, sshd::prepare(message)),
                Some("sudo") => (&self.sudo, message),
                Some("su") => (&self.su, message),
                _ => return MessageFields::default(),
            }
        };
        table.apply(body).unwrap_or_default()
    }
}

/// A table of shapes, tried in order, with the shapes each first byte of a message can have.
#[derive(Debug, Clone)]
struct ShapeTable {
    shapes: Vec<Shape>,
    /// For each byte, the indices (in order) of the shapes a message starting with it may have.
    by_first_byte: Box<[Box<[usize]>]>,
}

impl ShapeTable {
    fn compile(defs: &[ShapeDef]) -> Result<Self, TemplateError> {
        let shapes = defs.iter().copied().map(Shape::compile).collect::<Result<Vec<_>, _>>()?;
        let by_first_byte = (0..=u8::MAX)
            .map(|byte| (0..shapes.len()).filter(|&at| shapes[at].first_byte().is_none_or(|first| first == byte)).collect())
            .collect();
        Ok(ShapeTable { shapes, by_first_byte })
    }

    /// What the first shape `message` has says.
    fn apply<'s>(&self, message: &'s str) -> Option<MessageFields<'s>> {
        match message.as_bytes().first() {
            Some(&first) => self.by_first_byte.get(usize::from(first))?.iter().find_map(|&at| self.shapes.get(at)?.apply(message)),
            None => self.shapes.iter().find_map(|shape| shape.apply(message)),
        }
    }
}

/// `message repeated N times: [ inner ]` → (N, inner); rsyslog's bare `last message
/// repeated N times` → (N, none).
fn repeated(message: &str) -> Option<(i64, Option<&str>)> {
    if let Some(rest) = message.strip_prefix("message repeated ") {
        let (count, rest) = rest.split_once(" times: [")?;
        let inner = rest.strip_suffix(']').unwrap_or(rest).trim();
        return Some((number(count)?, Some(inner)));
    }
    let rest = message.strip_prefix("last message repeated ")?;
    let count = rest.strip_suffix(" times").or_else(|| rest.strip_suffix(" time"))?;
    Some((number(count)?, None))
}

fn number(text: &str) -> Option<i64> {
    if (1..=9).contains(&text.len()) && text.bytes().all(|c| c.is_ascii_digit()) { text.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_wrapper_yields_the_count_and_the_inner_message() {
        assert_eq!(
            repeated("message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]"),
            Some((5, Some("Failed password for root from 5.36.59.76 port 42393 ssh2")))
        );
        assert_eq!(repeated("last message repeated 3 times"), Some((3, None)));
        assert_eq!(repeated("message repeated x times: [ a ]"), None);
    }

    #[test]
    fn the_index_by_first_byte_finds_what_trying_every_shape_finds() {
        let fill = [
            ("{user}", "root"),
            ("{login}", "admin"),
            ("{euser}", "www-data"),
            ("{addr}", "10.0.0.1"),
            ("{host}", "example.org"),
            ("{port}", "22"),
            ("{method}", "password"),
            ("{code}", "11"),
            ("{n}", "5"),
            ("{reason}", "Bye Bye"),
            ("{pam}", "logname= uid=0 rhost=10.0.0.2 user=root"),
            ("{sudo}", "TTY=pts/0 ; PWD=/root ; USER=root ; COMMAND=/bin/ls"),
            ("{_}", "ssh2"),
        ];
        for defs in [sshd::SHAPES, pam::SHAPES, sudo::SHAPES, su::SHAPES] {
            let table = ShapeTable::compile(defs).expect("the table compiles");
            let mut messages: Vec<String> = ["", " ", "x", "\u{e9}t\u{e9}", "Failed", "Accepted publickey for"].map(String::from).to_vec();
            for def in defs {
                let filled = fill.iter().fold(def.template.to_owned(), |text, (hole, with)| text.replace(hole, with));
                messages.push(format!("x{filled}"));
                messages.push(filled[..filled.len() / 2].to_owned());
                messages.push(filled);
            }
            for message in &messages {
                let every = table.shapes.iter().find_map(|shape| shape.apply(message));
                assert_eq!(table.apply(message), every, "{message:?}");
            }
            let found = messages.iter().filter(|m| table.apply(m).is_some()).count();
            assert!(found >= defs.len(), "each shape matches its own filled template: {found} of {}", defs.len());
        }
    }

    #[test]
    fn every_table_compiles() {
        assert!(Recognizer::new().is_ok());
    }
}
