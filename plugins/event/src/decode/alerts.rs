//! Reading an alert batch (see [`alert`](crate::alert)) into [`Alert`]s, every string checked
//! as the event decoder checks its own. Both readers, the host and the SDK's tests, keep
//! the alerts they read, so each string is copied out once, as it is checked.

use super::DecodeError;
use super::reader::Reader;
use crate::alert::{Alert, Level};

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
    type Item = Result<Alert, DecodeError>;

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

fn read_alert(r: &mut Reader<'_>) -> Result<Alert, DecodeError> {
    let record = r.u32("truncated alert record")?;
    let rule_id = r.str("truncated rule id")?.to_owned();
    let title = r.str("truncated title")?.to_owned();
    let level_at = r.pos;
    let level = Level::from_code(r.u8("truncated level")?).ok_or(DecodeError { offset: r.base + level_at, what: "unknown alert level" })?;
    let tags = (0..count(r, "truncated tag count")?).map(|_| r.str("truncated tag").map(str::to_owned)).collect::<Result<_, _>>()?;
    let status = optional(r, "truncated status")?;
    let dedupe_key = optional(r, "truncated dedupe key")?;
    let details = (0..count(r, "truncated detail count")?)
        .map(|_| Ok((r.str("truncated detail name")?.to_owned(), r.str("truncated detail value")?.to_owned())))
        .collect::<Result<_, _>>()?;
    Ok(Alert { record, rule_id, title, level, tags, status, dedupe_key, details })
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

fn optional(r: &mut Reader<'_>, what: &'static str) -> Result<Option<String>, DecodeError> {
    match r.u8(what)? {
        0 => Ok(None),
        1 => r.str(what).map(|text| Some(text.to_owned())),
        _ => Err(DecodeError { offset: r.base + r.pos - 1, what: "option flag is neither 0 nor 1" }),
    }
}
