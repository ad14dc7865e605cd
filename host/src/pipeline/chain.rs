//! The ordered chain of stages for one worker, and what one batch becomes.

use std::sync::Arc;

use super::batch::{Batch, InputRecord};
use super::cost::RuleCost;
use super::outputs::{DEAD_LETTER, DeadLetter, EVENTS, OutputRecord, Payload};
use super::stage::{Stage, StageOptions};
use crate::wasm::{Limits, LoadedPlugin};

/// The name dead letters of the host itself carry as their plugin.
pub const HOST: &str = "logsift";

/// What one batch became.
#[derive(Debug, Default)]
pub struct ChainOutput {
    /// Events that went through the whole chain: the `events` output.
    pub events: Batch,
    /// Everything else: emitted records, alerts and dead letters.
    pub routed: Vec<OutputRecord>,
    /// What the stages measured of their rules' cost (usually nothing).
    pub costs: Vec<RuleCost>,
}

/// One record for an output, as a sink sees it.
#[derive(Debug, Clone, Copy)]
pub struct OutputItem<'a> {
    /// The input record it came from.
    pub source: u32,
    /// The output's name.
    pub output: &'a str,
    /// What to write.
    pub content: Content<'a>,
}

/// What an [`OutputItem`] carries.
#[derive(Debug, Clone, Copy)]
pub enum Content<'a> {
    /// An event that went through the chain: its frame, and which of the events of its
    /// record it is (0 unless the record was split).
    Event {
        /// The framed, encoded event.
        frame: &'a [u8],
        /// Position among the events of the same record.
        ordinal: u32,
    },
    /// An emitted event, an alert or a dead letter.
    Routed(&'a Payload),
}

impl ChainOutput {
    /// Everything the batch became, one item per output record: the `events` in order, then
    /// the routed records in the order they were produced.
    pub fn items(&self) -> impl Iterator<Item = OutputItem<'_>> {
        let mut previous = None;
        let mut ordinal = 0;
        let events = self.events.iter().map(move |(source, frame)| {
            ordinal = if previous == Some(source) { ordinal + 1 } else { 0 };
            previous = Some(source);
            OutputItem { source, output: EVENTS, content: Content::Event { frame, ordinal } }
        });
        let routed = self.routed.iter().map(|r| OutputItem { source: r.source, output: &r.output, content: Content::Routed(&r.payload) });
        events.chain(routed)
    }

    /// How many output records each input record produced, indexed by input record.
    pub fn counts(&self, inputs: usize) -> Vec<u32> {
        let mut counts = vec![0; inputs];
        for item in self.items() {
            counts[item.source as usize] += 1;
        }
        counts
    }
}

/// A worker's chain: its own stages and instances, used by one thread at a time.
pub struct Chain {
    stages: Vec<Stage>,
    max_record_bytes: usize,
}

impl Chain {
    /// A chain of loaded plugins, in order.
    pub fn new(plugins: impl IntoIterator<Item = (Arc<LoadedPlugin>, StageOptions)>) -> Self {
        Chain {
            stages: plugins.into_iter().map(|(plugin, options)| Stage::new(plugin, options)).collect(),
            max_record_bytes: Limits::default().max_record_bytes as usize,
        }
    }

    /// The same chain, with records longer than `max` bytes cut (see
    /// [`Batch::from_inputs_capped`]): the event keeps the first bytes, and the whole record
    /// goes to `dead_letter` with the reason.
    pub fn with_max_record_bytes(mut self, max: u32) -> Self {
        self.max_record_bytes = max as usize;
        self
    }

    /// Moves to another generation's plugins between batches. A stage whose plugin and
    /// options are unchanged keeps its instance, health and counters; the others start anew.
    pub fn update(&mut self, plugins: &[(Arc<LoadedPlugin>, StageOptions)]) {
        let mut old: Vec<Option<Stage>> = std::mem::take(&mut self.stages).into_iter().map(Some).collect();
        self.stages = plugins
            .iter()
            .map(|(plugin, options)| {
                old.iter_mut()
                    .find(|s| s.as_ref().is_some_and(|s| Arc::ptr_eq(s.plugin(), plugin) && s.options() == *options))
                    .and_then(Option::take)
                    .unwrap_or_else(|| Stage::new(Arc::clone(plugin), *options))
            })
            .collect();
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Runs a batch of input records through every stage.
    pub fn process(&mut self, inputs: &[InputRecord]) -> ChainOutput {
        let mut batch = Batch::from_inputs_capped(inputs, self.max_record_bytes);
        let mut routed = Vec::new();
        for (source, input) in inputs.iter().enumerate() {
            let whole = input.cut_from.unwrap_or(input.raw.len() as u64);
            if whole > self.max_record_bytes as u64 {
                let reason = format!(
                    "record of {whole} bytes is longer than limits.max_record_bytes = {}: its first bytes went on as an event marked {}",
                    self.max_record_bytes,
                    super::batch::TRUNCATED
                );
                let payload = Payload::DeadLetter(DeadLetter { plugin: Arc::from(HOST), reason });
                routed.push(OutputRecord { source: source as u32, output: Arc::from(DEAD_LETTER), payload });
            }
        }
        let mut costs = Vec::new();
        for stage in &mut self.stages {
            if batch.is_empty() {
                break;
            }
            batch = stage.run(batch, &mut routed);
            costs.append(&mut stage.costs);
        }
        ChainOutput { events: batch, routed, costs }
    }
}
