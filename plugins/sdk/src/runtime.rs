//! The batch loop: decode a batch, let the plugin prepare for it, run the plugin on each
//! event, collect the changes.
//!
//! The export macro calls this inside the component, and [`testing`](crate::testing) and
//! the native benchmark call it in-process, so both run exactly the same code.

use logsift_event::Batch;

use crate::event::Encoded;
use crate::{Context, Event, Kind, Outcome, PARSED_MARK, Plugin, RuleCost};

/// What a plugin did to one record (records without a change pass unchanged).
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Replaced by the next `n` events of [`BatchOutput::events`].
    Replace(u32),
    /// Kept, with the fields of the next event of [`BatchOutput::events`] set over it.
    Update,
    /// Removed on purpose.
    Drop,
    /// Sent to a named output, as the next `events` events (0: unchanged).
    Emit {
        /// Output name.
        output: String,
        /// How many events of [`BatchOutput::events`] it takes.
        events: u32,
    },
    /// Dead-lettered with a reason.
    Reject(String),
}

/// A change to one record.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Index of the record in the batch.
    pub record: u32,
    /// What happened to it.
    pub action: Action,
}

/// The result of one batch, in the SDK's own types (the contract's `batch-result`).
#[derive(Debug, Default)]
pub struct BatchOutput {
    /// Changes in record order.
    pub changes: Vec<Change>,
    /// Encoded events that `Replace` and `Emit` changes refer to, in order.
    pub events: Vec<u8>,
    /// Alerts raised, encoded (the contract's `alert-batch`; read them with
    /// [`Alerts`](logsift_event::alert::Alerts)).
    pub alerts: Vec<u8>,
    /// Rule costs measured.
    pub costs: Vec<RuleCost>,
}

/// Runs `plugin` over every event of an encoded batch. A parser is not called for events an
/// earlier parser already claimed (they carry [`PARSED_MARK`]).
pub fn process_batch<P: Plugin>(plugin: &mut P, batch: &[u8]) -> BatchOutput {
    let mut out = BatchOutput::default();
    let mut events = Vec::new();
    let mut broken = None;
    for (index, item) in Batch::new(batch).enumerate() {
        match item {
            Ok(view) => events.push(Event::from_view(view)),
            Err(e) => {
                // The framing is broken: nothing after this point can be read.
                broken = Some((index, e.to_string()));
                break;
            }
        }
    }
    plugin.prepare(&events);
    // Each event is worked on where it lies (moving one out is a copy of its ~200 bytes, a
    // call out of the sandbox), and what it decoded is freed as soon as it is done with.
    for (index, event) in events.iter_mut().enumerate() {
        let record = u32::try_from(index).unwrap_or(u32::MAX);
        if let Some(action) = process_one(plugin, event, record, &mut out) {
            out.changes.push(Change { record, action });
        }
        event.release();
    }
    if let Some((index, reason)) = broken {
        out.changes.push(Change { record: u32::try_from(index).unwrap_or(u32::MAX), action: Action::Reject(reason) });
    }
    out
}

/// One event of a batch through the plugin: what the host is told of it, if anything
/// (nothing: it passes unchanged). Its alerts and costs, and the events it is encoded as, go
/// into `out`.
#[inline(always)]
fn process_one<P: Plugin>(plugin: &mut P, event: &mut Event<'_>, record: u32, out: &mut BatchOutput) -> Option<Action> {
    if P::METADATA.kind == Kind::Parser && event.contains(PARSED_MARK) {
        return None;
    }
    let mut ctx = Context::new(record, std::mem::take(&mut out.alerts), std::mem::take(&mut out.costs));
    let outcome = plugin.process(event, &mut ctx);
    (out.alerts, out.costs) = (ctx.alerts, ctx.costs);
    let encoded_from = out.events.len();
    let action = match outcome {
        Outcome::Pass if !event.is_modified() => None,
        Outcome::Pass => Some(match event.encode_changes(&mut out.events) {
            Encoded::Whole => Action::Replace(1),
            Encoded::Update => Action::Update,
        }),
        Outcome::Drop => Some(Action::Drop),
        Outcome::Reject(reason) => Some(Action::Reject(reason)),
        Outcome::Emit(output) => {
            let events = u32::from(event.is_modified());
            if event.is_modified() {
                event.encode(&mut out.events, event.raw_origin());
            }
            Some(Action::Emit { output, events })
        }
        Outcome::Split(parts) if parts.is_empty() => Some(Action::Drop),
        Outcome::Split(parts) => {
            for part in &parts {
                part.encode(&mut out.events, event.raw_origin());
            }
            Some(Action::Replace(u32::try_from(parts.len()).unwrap_or(u32::MAX)))
        }
    };
    // Checked after encoding, which reads the names of an event sent back whole: an event
    // whose encoding could not be read is rejected, and what was encoded of it dropped.
    match event.decode_error() {
        Some(e) => {
            out.events.truncate(encoded_from);
            Some(Action::Reject(e.to_string()))
        }
        None => action,
    }
}

#[cfg(test)]
mod tests {
    use logsift_event::{EventWriter, Origin, Value};

    use super::*;
    use crate::{Metadata, Settings};

    /// A parser that counts the events it is called on.
    struct Counting(usize);

    impl Plugin for Counting {
        const METADATA: Metadata = Metadata::new("counting", "0.0.0", Kind::Parser, "counts calls");

        fn init(_settings: Settings) -> Result<Self, String> {
            Ok(Counting(0))
        }

        fn process(&mut self, _event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
            self.0 += 1;
            Outcome::Pass
        }
    }

    #[test]
    fn a_parser_skips_claimed_events_by_their_field_names_alone() {
        let mut batch = Vec::new();
        let mut claimed = EventWriter::begin(&mut batch, &Origin::None);
        claimed.field(PARSED_MARK, &Value::from("syslog")).field("message", &Value::from("zzz"));
        claimed.finish();
        // The claimed event's last value is made invalid UTF-8: deciding to skip it must not
        // read it (decoding it would reject the event).
        let at = batch.windows(3).rposition(|w| w == b"zzz").expect("the value");
        batch[at] = 0xFF;
        let mut raw = EventWriter::begin(&mut batch, &Origin::None);
        raw.field("event.original", &Value::from("a line"));
        raw.finish();

        let mut parser = Counting(0);
        let out = process_batch(&mut parser, &batch);
        assert_eq!(parser.0, 1, "called on the unclaimed event only");
        assert!(out.changes.is_empty(), "both pass on unchanged: {:?}", out.changes);
    }
}
