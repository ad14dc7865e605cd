//! Which shape a message has: picks the shape table by program, unwraps `message repeated
//! N times: [ … ]`, and returns what the first matching shape says.
//!
//! PAM lines go to the PAM table whoever wrote them (a `pam_*(service:type): ` prefix, or
//! an old-style `program(pam_*)` tag); otherwise the program name picks the table (`sshd`
//! and `sshd-session`, `sudo`, `su`). Other programs' messages are not examined at all, so
//! they cost nothing beyond the header. A message no shape matches gets no `event.action`.

use crate::fields::MessageFields;
use crate::header::Header;
use crate::shapes::{Shape, ShapeDef, TemplateError};
use crate::{pam, sshd, su, sudo};

/// The compiled shape tables.
#[derive(Debug, Clone)]
pub struct Recognizer {
    sshd: Vec<Shape>,
    pam: Vec<Shape>,
    sudo: Vec<Shape>,
    su: Vec<Shape>,
}

impl Recognizer {
    /// Compiles every table; an error is a bug in a table.
    pub fn new() -> Result<Self, TemplateError> {
        let compile = |defs: &[ShapeDef]| defs.iter().copied().map(Shape::compile).collect::<Result<Vec<_>, _>>();
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
        table.iter().find_map(|shape| shape.apply(body)).unwrap_or_default()
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
    fn every_table_compiles() {
        assert!(Recognizer::new().is_ok());
    }
}
