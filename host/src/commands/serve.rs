//! `logsift serve --config FILE`: service mode (see [`crate::kafka`]) until SIGTERM or
//! SIGINT, which drain in-flight records and commit before the process exits.

use std::path::Path;

use anyhow::Context as _;

use crate::config::{Overrides, Settings};

/// Loads the configuration and serves until a signal asks to stop.
pub fn execute(config: &Path, overrides: Overrides) -> anyhow::Result<()> {
    let settings = Settings::load_with(config, overrides, std::env::vars())?;
    crate::telemetry::init(&settings.log);
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().context("starting the async runtime")?;
    runtime.block_on(crate::kafka::serve(settings, shutdown_signal(), |_| {}))
}

/// Completes on SIGTERM or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match (signal(SignalKind::terminate()), signal(SignalKind::interrupt())) {
        (Ok(mut term), Ok(mut int)) => {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        }
        _ => {
            // Without signal handlers, stop on Ctrl-C or never.
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
