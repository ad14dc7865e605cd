//! Applying what a plugin returned for a range of records: each record's change (pass,
//! replace, split, drop, emit, reject) and the alerts it raised. A result that breaks the
//! contract (the shape rules of [`logsift_event::contract`], which the SDK's tests apply too,
//! or events that do not decode) is refused whole, so the caller can undo it and treat it as
//! a fault.

use std::ops::Range;
use std::sync::Arc;

use logsift_event::alert::{Alert, Alerts};
use logsift_event::contract::{Step, check_costs, check_result, split_refusal};
use logsift_event::{EventView, origin_tag};

use super::batch::Batch;
use super::cost::RuleCost;
use super::health::RejectPolicy;
use super::outputs::{AlertRecord, OutputRecord, Payload, stable_id};
use super::stage::{Stage, StageMode};
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
    pub(super) costs: Vec<RuleCost>,
}

pub(super) fn contract(message: impl Into<String>) -> Fault {
    Fault::Contract { message: message.into() }
}

/// The result's shape, for the shared contract checks; `events` is how many events it
/// returned, `alerts` its alerts.
fn check_shape(result: &BatchResult, records: usize, events: usize, alerts: &[Alert]) -> Result<(), Fault> {
    let steps = result.changes.iter().map(|change| {
        let step = match &change.action {
            Action::Replace(n) => Step::Replace(*n),
            Action::Update => Step::Update,
            Action::Drop => Step::Drop,
            Action::Emit(emit) => Step::Emit { output: &emit.output, events: emit.events },
            Action::Reject(_) => Step::Reject,
        };
        (change.record, step)
    });
    check_result(records, steps, events, alerts.iter().map(|a| a.record)).map_err(|broken| contract(broken.0))?;
    check_costs(result.costs.iter().map(|c| c.rule_id.as_str())).map_err(|broken| contract(broken.0))
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
        // The returned events, framed once: counted for the checks, then taken in order.
        let framed: Vec<_> = logsift_event::Batch::new(&result.events).collect();
        let alerts = Alerts::new(&result.alerts).collect::<Result<Vec<_>, _>>().map_err(|e| contract(format!("returned alerts: {e}")))?;
        check_shape(&result, range.len(), framed.len(), &alerts)?;
        let mut applied = Applied::default();
        let unchanged = result.changes.is_empty();
        if !unchanged {
            next.reserve_bytes(batch.slice(range.clone()).len() + result.events.len());
        }
        let mut produced = framed.into_iter();
        let mut take = || -> Result<EventView<'_>, Fault> {
            let view = produced.next().ok_or_else(|| contract("changes refer to more events than it returned"))?;
            let view = view.map_err(|e| contract(format!("returned event: {e}")))?;
            view.validate().map_err(|e| contract(format!("returned event: {e}")))?;
            Ok(view)
        };
        let mut done = 0;
        // Where in `next` the (first) event a record became is, so its alerts carry the
        // event as the plugin left it (an enricher's alert shows what it added).
        let mut became: Vec<(usize, usize)> = Vec::new();
        for change in result.changes {
            let at = change.record as usize;
            next.extend_from(batch, range.start + done..range.start + at);
            done = at + 1;
            let index = range.start + at;
            let source = batch.source(index);
            let input = EventView::from_frame(batch.frame(index)).map_err(|e| contract(format!("input event: {e}")))?;
            match change.action {
                Action::Replace(n) => {
                    let events = (0..n).map(|_| take()).collect::<Result<Vec<_>, _>>()?;
                    if let Some(reason) = split_refusal(n, self.plugin.limits.max_split) {
                        routed.push(self.dead_letter_record(source, reason));
                        applied.rejected += 1;
                        continue;
                    }
                    became.push((at, next.len()));
                    for event in events {
                        next.push_parts(input.raw_origin(), event.raw_counted_fields(), source);
                    }
                }
                Action::Update => {
                    let update = take()?;
                    became.push((at, next.len()));
                    next.push_update(&input, batch.known_fields(index), &update, source)
                        .map_err(|e| contract(format!("returned update: {e}")))?;
                }
                Action::Drop => applied.dropped += 1,
                Action::Emit(emit) => {
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
        for alert in alerts {
            let at = alert.record as usize;
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
            let Alert { rule_id, title, level, tags, status, details, .. } = alert;
            routed.push(OutputRecord {
                source: batch.source(range.start + at),
                output: Arc::clone(&self.alerts),
                payload: Payload::Alert(AlertRecord {
                    id,
                    plugin: Arc::clone(&self.plugin.name),
                    rule_id,
                    title,
                    level,
                    tags,
                    status,
                    details,
                    event: Some(shown.to_vec()),
                    shadow: self.mode == StageMode::Shadow,
                }),
            });
            applied.alerts += 1;
        }
        let shadow = self.mode == StageMode::Shadow;
        applied.costs = result
            .costs
            .into_iter()
            .map(|c| RuleCost {
                rule_id: c.rule_id,
                stage: Arc::clone(&self.plugin.name),
                shadow,
                evaluations: u64::from(c.evaluations),
                nanos: c.nanos,
            })
            .collect();
        Ok(applied)
    }
}
