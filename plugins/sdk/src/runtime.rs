//! The batch loop: decode a batch, let the plugin prepare for it, run the plugin on each
//! event, collect the changes.
//!
//! The export macro calls this inside the component, and [`testing`](crate::testing) and
//! the native benchmark call it in-process, so both run exactly the same code.

use logsift_event::Batch;

use crate::event::Encoded;
use crate::{Alert, Context, Event, Kind, Outcome, Plugin, RuleCost};

/// The field a parser sets to claim an event (ECS `event.dataset`, e.g. `syslog`); a later
/// parser passes such an event on untouched.
pub const PARSED_MARK: &str = "event.dataset";

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
    /// Alerts raised.
    pub alerts: Vec<Alert>,
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
    for (index, mut event) in events.into_iter().enumerate() {
        let record = u32::try_from(index).unwrap_or(u32::MAX);
        if P::METADATA.kind == Kind::Parser && event.contains(PARSED_MARK) {
            continue;
        }
        let mut ctx = Context::new(record);
        let outcome = plugin.process(&mut event, &mut ctx);
        out.alerts.append(&mut ctx.alerts);
        out.costs.append(&mut ctx.costs);
        if let Some(e) = event.decode_error() {
            out.changes.push(Change { record, action: Action::Reject(e.to_string()) });
            continue;
        }
        let action = match outcome {
            Outcome::Pass if !event.is_modified() => continue,
            Outcome::Pass => match event.encode_changes(&mut out.events) {
                Encoded::Whole => Action::Replace(1),
                Encoded::Update => Action::Update,
            },
            Outcome::Drop => Action::Drop,
            Outcome::Reject(reason) => Action::Reject(reason),
            Outcome::Emit(output) => {
                let events = u32::from(event.is_modified());
                if event.is_modified() {
                    event.encode(&mut out.events, event.raw_origin());
                }
                Action::Emit { output, events }
            }
            Outcome::Split(parts) if parts.is_empty() => Action::Drop,
            Outcome::Split(parts) => {
                for part in &parts {
                    part.encode(&mut out.events, event.raw_origin());
                }
                Action::Replace(u32::try_from(parts.len()).unwrap_or(u32::MAX))
            }
        };
        out.changes.push(Change { record, action });
    }
    if let Some((index, reason)) = broken {
        out.changes.push(Change { record: u32::try_from(index).unwrap_or(u32::MAX), action: Action::Reject(reason) });
    }
    out
}
