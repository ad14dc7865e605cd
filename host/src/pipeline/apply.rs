//! Applying what a plugin returned for a range of records: each record's change (pass,
//! replace, split, drop, emit, reject) and the alerts it raised. A result that breaks the
//! contract (out-of-order changes, too few or too many events, bad output names, events that
//! do not decode) is refused whole, so the caller can undo it and treat it as a fault.

use std::ops::Range;
use std::sync::Arc;

use logsift_event::{EventView, origin_tag};

use super::batch::Batch;
use super::health::RejectPolicy;
use super::outputs::{ALERTS, AlertRecord, DEAD_LETTER, OutputRecord, Payload, stable_id};
use super::stage::Stage;
use crate::wasm::{Action, BatchResult, Fault};

/// Whether a range went on exactly as it came (so the caller can hand the batch on as is).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Unchanged {
    Yes,
    #[default]
    No,
}

/// Counters of one result, merged only if the result is applied.
#[derive(Default)]
pub(super) struct Applied {
    pub(super) unchanged: Unchanged,
    pub(super) dropped: u64,
    pub(super) rejected: u64,
    pub(super) emitted: u64,
    pub(super) alerts: u64,
}

pub(super) fn contract(message: impl Into<String>) -> Fault {
    Fault::Contract { message: message.into() }
}

/// Output names a plugin may emit to: short, lowercase, and not one the host fills itself.
fn check_output_name(name: &str) -> Result<(), Fault> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-' | b'.'));
    if !well_formed {
        return Err(contract(format!("output name {name:?} must be 1-64 characters of a-z, 0-9, '_', '-', '.'")));
    }
    if name == DEAD_LETTER || name == ALERTS {
        return Err(contract(format!("records cannot be emitted to {name:?}: reject them or raise an alert")));
    }
    Ok(())
}

impl Stage {
    /// Applies a result to the records of `range`, or says which contract rule it breaks.
    /// When `whole` is set and nothing changed, `next` is left alone and the result says so.
    pub(super) fn apply(
        &self,
        result: BatchResult,
        batch: &Batch,
        range: Range<usize>,
        next: &mut Batch,
        routed: &mut Vec<OutputRecord>,
        whole: bool,
    ) -> Result<Applied, Fault> {
        let mut applied = Applied::default();
        let unchanged = result.changes.is_empty();
        if unchanged && !result.events.is_empty() {
            return Err(contract("returned events but no change refers to them"));
        }
        let mut produced = logsift_event::Batch::new(&result.events);
        let mut take = || -> Result<EventView<'_>, Fault> {
            let view = produced.next().ok_or_else(|| contract("changes refer to more events than it returned"))?;
            let view = view.map_err(|e| contract(format!("returned event: {e}")))?;
            view.validate().map_err(|e| contract(format!("returned event: {e}")))?;
            Ok(view)
        };
        let mut done = 0;
        let mut previous = None;
        // Where in `next` the (first) event a record became is, so its alerts carry the
        // event as the plugin left it (an enricher's alert shows what it added).
        let mut became: Vec<(usize, usize)> = Vec::new();
        for change in result.changes {
            let at = change.record as usize;
            if at >= range.len() || previous.is_some_and(|p| change.record <= p) {
                return Err(contract(format!("change for record {at} is out of order or past the batch of {}", range.len())));
            }
            previous = Some(change.record);
            next.extend_from(batch, range.start + done..range.start + at);
            done = at + 1;
            let index = range.start + at;
            let source = batch.source(index);
            let input = EventView::from_frame(batch.frame(index)).map_err(|e| contract(format!("input event: {e}")))?;
            match change.action {
                Action::Replace(0) => return Err(contract("replace(0): use drop to remove a record")),
                Action::Replace(n) => {
                    let events = (0..n).map(|_| take()).collect::<Result<Vec<_>, _>>()?;
                    if n > self.plugin.limits.max_split {
                        let reason = format!("split into {n} events, more than max_split = {}", self.plugin.limits.max_split);
                        routed.push(self.dead_letter_record(source, reason));
                        applied.rejected += 1;
                        continue;
                    }
                    became.push((at, next.len()));
                    for event in events {
                        next.push_parts(input.raw_origin(), event.raw_counted_fields(), source);
                    }
                }
                Action::Drop => applied.dropped += 1,
                Action::Emit(emit) => {
                    check_output_name(&emit.output)?;
                    let output: Arc<str> = Arc::from(emit.output);
                    if emit.events == 0 {
                        routed.push(OutputRecord { source, output: Arc::clone(&output), payload: Payload::Event(input.frame().to_vec()) });
                    }
                    for _ in 0..emit.events {
                        let event = take()?;
                        let mut one = Batch::default();
                        one.push_parts(input.raw_origin(), event.raw_counted_fields(), source);
                        routed.push(OutputRecord { source, output: Arc::clone(&output), payload: Payload::Event(one.frame(0).to_vec()) });
                    }
                    applied.emitted += 1;
                }
                Action::Reject(reason) => {
                    applied.rejected += 1;
                    match self.on_reject {
                        RejectPolicy::Pass => next.extend_from(batch, index..index + 1),
                        RejectPolicy::DeadLetter => {
                            let reason: String = reason.chars().take(1000).collect();
                            routed.push(self.dead_letter_record(source, reason));
                        }
                    }
                }
            }
        }
        if unchanged && whole {
            applied.unchanged = Unchanged::Yes;
        } else {
            next.extend_from(batch, range.start + done..range.end);
        }
        if produced.next().is_some() {
            return Err(contract("returned more events than its changes refer to"));
        }
        for alert in result.alerts {
            let at = alert.record as usize;
            if at >= range.len() {
                return Err(contract(format!("alert on record {at} is past the batch of {}", range.len())));
            }
            let frame = batch.frame(range.start + at);
            let view = EventView::from_frame(frame).map_err(|e| contract(format!("input event: {e}")))?;
            let shown = match became.binary_search_by_key(&at, |(record, _)| *record) {
                Ok(i) => next.frame(became[i].1),
                Err(_) => frame,
            };
            // Without an origin the event's own content is what identifies it.
            let identity = if view.raw_origin() == [origin_tag::NONE] { frame } else { view.raw_origin() };
            let dedupe = alert.dedupe_key.as_deref().unwrap_or_default();
            let id = stable_id(&[identity, self.plugin.name.as_bytes(), alert.rule_id.as_bytes(), dedupe.as_bytes()]);
            routed.push(OutputRecord {
                source: batch.source(range.start + at),
                output: Arc::clone(&self.alerts),
                payload: Payload::Alert(AlertRecord {
                    id,
                    plugin: Arc::clone(&self.plugin.name),
                    rule_id: alert.rule_id,
                    title: alert.title,
                    level: alert.level,
                    tags: alert.tags,
                    status: alert.status,
                    details: alert.details,
                    event: Some(shown.to_vec()),
                }),
            });
            applied.alerts += 1;
        }
        Ok(applied)
    }
}
