//! Reading an alert batch (see [`alert`](crate::alert)): each alert's strings borrowed from
//! the buffer, every one checked as the event decoder checks its own.

use super::DecodeError;
use super::reader::Reader;
use crate::alert::{Alert, Level};

/// One alert as encoded, its strings borrowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertView<'a> {
    /// Index, in its batch, of the record it was raised on.
    pub record: u32,
    /// Stable rule identifier.
    pub rule_id: &'a str,
    /// One-line title.
    pub title: &'a str,
    /// Severity.
    pub level: Level,
    /// Tags.
    pub tags: Vec<&'a str>,
    /// Rule maturity, if given.
    pub status: Option<&'a str>,
    /// Dedupe key, if given.
    pub dedupe_key: Option<&'a str>,
    /// Name/value details.
    pub details: Vec<(&'a str, &'a str)>,
}

impl AlertView<'_> {
    /// The alert, owned.
    pub fn to_alert(&self) -> Alert {
        Alert {
            record: self.record,
            rule_id: self.rule_id.to_owned(),
            title: self.title.to_owned(),
            level: self.level,
            tags: self.tags.iter().map(|t| (*t).to_owned()).collect(),
            status: self.status.map(str::to_owned),
            dedupe_key: self.dedupe_key.map(str::to_owned),
            details: self.details.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect(),
        }
    }
}

/// Iterator over the alerts of an encoded alert batch; after a malformed alert it yields
/// the error and stops.
pub struct Alerts<'a> {
    reader: Reader<'a>,
}

impl<'a> Alerts<'a> {
    /// The alerts encoded in `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Alerts { reader: Reader { buf, pos: 0, base: 0 } }
    }
}

impl<'a> Iterator for Alerts<'a> {
    type Item = Result<AlertView<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.reader.pos >= self.reader.buf.len() {
            return None;
        }
        let read = read_alert(&mut self.reader);
        if read.is_err() {
            self.reader.pos = self.reader.buf.len();
        }
        Some(read)
    }
}

fn read_alert<'a>(r: &mut Reader<'a>) -> Result<AlertView<'a>, DecodeError> {
    let record = r.u32("truncated alert record")?;
    let rule_id = r.str("truncated rule id")?;
    let title = r.str("truncated title")?;
    let level_at = r.pos;
    let level = Level::from_code(r.u8("truncated level")?).ok_or(DecodeError { offset: r.base + level_at, what: "unknown alert level" })?;
    let tags = (0..count(r, "truncated tag count")?).map(|_| r.str("truncated tag")).collect::<Result<_, _>>()?;
    let status = optional(r, "truncated status")?;
    let dedupe_key = optional(r, "truncated dedupe key")?;
    let details = (0..count(r, "truncated detail count")?)
        .map(|_| Ok((r.str("truncated detail name")?, r.str("truncated detail value")?)))
        .collect::<Result<_, _>>()?;
    Ok(AlertView { record, rule_id, title, level, tags, status, dedupe_key, details })
}

/// A count of strings, refused before anything is made for it when fewer bytes are left
/// than it needs (every string takes four).
fn count(r: &mut Reader<'_>, what: &'static str) -> Result<usize, DecodeError> {
    let n = r.u32(what)? as usize;
    if n > (r.buf.len() - r.pos) / 4 {
        return Err(r.err(what));
    }
    Ok(n)
}

fn optional<'a>(r: &mut Reader<'a>, what: &'static str) -> Result<Option<&'a str>, DecodeError> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => r.str(what).map(Some),
        _ => Err(DecodeError { offset: r.base + r.pos - 1, what: "option flag is neither 0 nor 1" }),
    }
}
