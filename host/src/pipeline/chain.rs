//! The ordered chain of stages for one worker, and what one batch becomes.

use std::sync::Arc;

use super::batch::{Batch, InputRecord};
use super::outputs::OutputRecord;
use super::stage::{Stage, StageOptions};
use crate::wasm::LoadedPlugin;

/// What one batch became.
#[derive(Debug, Default)]
pub struct ChainOutput {
    /// Events that went through the whole chain: the `events` output.
    pub events: Batch,
    /// Everything else: emitted records, alerts and dead letters.
    pub routed: Vec<OutputRecord>,
}

/// A worker's chain: its own stages and instances, used by one thread at a time.
pub struct Chain {
    stages: Vec<Stage>,
}

impl Chain {
    /// A chain of loaded plugins, in order.
    pub fn new(plugins: impl IntoIterator<Item = (Arc<LoadedPlugin>, StageOptions)>) -> Self {
        Chain { stages: plugins.into_iter().map(|(plugin, options)| Stage::new(plugin, options)).collect() }
    }

    /// The stages, in order.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Runs a batch of input records through every stage.
    pub fn process(&mut self, inputs: &[InputRecord]) -> ChainOutput {
        let mut batch = Batch::from_inputs(inputs);
        let mut routed = Vec::new();
        for stage in &mut self.stages {
            if batch.is_empty() {
                break;
            }
            batch = stage.run(batch, &mut routed);
        }
        ChainOutput { events: batch, routed }
    }
}
