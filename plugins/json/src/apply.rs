//! Getting the line out of the event and the fields back in.
//!
//! Promise: the fields borrow `event.original` from the batch, so setting them copies no
//! text; only if an earlier step in this call had replaced `event.original` with owned
//! text (the SDK allows it, a first-stage parser never sees it) are they copied.

use std::borrow::Cow;

use logsift_sdk::{Event, Outcome, Value};

use crate::flatten::Fields;

/// The field that holds the raw line (the SDK does not re-export the event crate's constant).
const ORIGINAL: &str = "event.original";

/// What a line became: fields, nothing (a blank line), or why it was refused.
pub(crate) type Parsed<'t> = Result<Option<Fields<'t>>, String>;

/// Parses the event's `event.original` with `parse` and sets what it found.
pub(crate) fn apply<'a>(event: &mut Event<'a>, parse: impl for<'t> FnOnce(&'t str) -> Parsed<'t>) -> Outcome {
    let text: Cow<'a, str> = match event.get(ORIGINAL) {
        Some(Value::Str(Cow::Borrowed(s))) => Cow::Borrowed(*s),
        Some(Value::Str(Cow::Owned(s))) => Cow::Owned(s.clone()),
        Some(_) => return Outcome::Reject("event.original is not a string".into()),
        None => return Outcome::Reject("event has no event.original to parse".into()),
    };
    match text {
        Cow::Borrowed(line) => finish(event, parse(line), |field| field),
        Cow::Owned(line) => finish(event, parse(&line), |(n, v): (Cow<'_, str>, Value<'_>)| (Cow::Owned(n.into_owned()), v.into_owned())),
    }
}

fn finish<'a, 't>(
    event: &mut Event<'a>,
    parsed: Parsed<'t>,
    own: impl Fn((Cow<'t, str>, Value<'t>)) -> (Cow<'a, str>, Value<'a>),
) -> Outcome {
    match parsed {
        Ok(Some(fields)) => {
            for (name, value) in fields.into_iter().map(own) {
                event.set(name, value);
            }
            Outcome::Pass
        }
        Ok(None) => Outcome::Drop,
        Err(reason) => Outcome::Reject(reason),
    }
}
