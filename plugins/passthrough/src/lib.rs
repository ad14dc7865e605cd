//! A plugin that passes every event on unchanged. It measures what one hop of the chain
//! costs (the benchmark's passthrough case) and serves as the smallest example plugin.

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings};

/// Passes every event on unchanged.
pub struct Passthrough;

impl Plugin for Passthrough {
    const METADATA: Metadata = Metadata::new("passthrough", env!("CARGO_PKG_VERSION"), Kind::Enricher, "passes every event on unchanged");

    fn init(_settings: Settings) -> Result<Self, String> {
        Ok(Passthrough)
    }

    fn process(&mut self, _event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(Passthrough);
