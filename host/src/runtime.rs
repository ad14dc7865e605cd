//! The runtime every command, test and benchmark starts from: the sandbox (the wasmtime
//! engine with its epoch ticker), the lookup tables and the first generation of the
//! configured chain, and the reloader that publishes the next ones.
//!
//! It is the only place a [`Sandbox`] is made, so no plugin can be compiled without an epoch
//! deadline, and the only place start-up is written: `run`, `serve`, `sigma`, `test` and
//! `check` differ in what they do with the pipeline, not in how they get it.

use std::path::Path;
use std::sync::Arc;

use crate::config::Settings;
use crate::metrics::Metrics;
use crate::reload::{Pipeline, Reloader, StartError, WatchHandle, watch};
use crate::wasm::{DEFAULT_MAX_BYTES, DiskCache, Limits, LoadError, LoadedPlugin, Sandbox};

/// Why the runtime did not start.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// The engine or its ticker could not be made.
    #[error("{0}")]
    Sandbox(String),
    /// A plugin or table of the configuration was refused: nothing starts half-built.
    #[error(transparent)]
    Pipeline(#[from] StartError),
    /// The reload thread could not start.
    #[error("starting the reload thread: {0}")]
    Watch(std::io::Error),
}

/// The sandbox, the running pipeline and its reloader.
pub struct Runtime {
    sandbox: Sandbox,
    pipeline: Arc<Pipeline>,
    reloading: Reloading,
}

/// Who reloads: the caller (until [`Runtime::watch`]) or the reload thread.
enum Reloading {
    ByCaller(Box<Reloader>),
    /// The reload thread runs until the handle is dropped with the runtime.
    Watched {
        _thread: WatchHandle,
    },
    Moved,
}

impl Runtime {
    /// Starts the sandbox and loads `settings`' tables and chain as the first generation.
    /// Reloads happen when the caller asks ([`reload`](Self::reload)) until
    /// [`watch`](Self::watch) hands them to the reload thread.
    pub fn start(settings: Settings, metrics: Option<Arc<Metrics>>) -> Result<Runtime, RuntimeError> {
        // A cache that cannot be used costs time, never the start: it is left out, with why.
        let disk = settings.compile_cache.as_deref().and_then(|dir| match DiskCache::open(dir, DEFAULT_MAX_BYTES) {
            Ok(cache) => Some(cache),
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        });
        let sandbox = Sandbox::start(disk).map_err(|e| RuntimeError::Sandbox(format!("{e:#}")))?;
        // No worker runs yet: the first generation compiles on every core.
        let reloader = sandbox.at_start_up(|| Reloader::start(&sandbox, settings, metrics))?;
        Ok(Runtime { sandbox, pipeline: Arc::clone(reloader.pipeline()), reloading: Reloading::ByCaller(Box::new(reloader)) })
    }

    /// A runtime with an empty chain, for loading plugins one by one (tests, benchmarks).
    pub fn empty() -> Result<Runtime, RuntimeError> {
        Self::start(Settings::empty(), None)
    }

    /// The generations workers read.
    pub fn pipeline(&self) -> &Arc<Pipeline> {
        &self.pipeline
    }

    /// The sandbox plugins are compiled and run in.
    pub fn sandbox(&self) -> &Sandbox {
        &self.sandbox
    }

    /// Loads one plugin outside the configured chain (tests, benchmarks, self-checks): same
    /// engine, same deadlines, same limits as the chain's.
    pub fn load_plugin(&self, path: &Path, settings: &serde_json::Value, limits: Limits) -> Result<Arc<LoadedPlugin>, LoadError> {
        LoadedPlugin::load(&self.sandbox, None, path, settings, limits)
    }

    /// Reloads now, on the caller's thread. Returns the generation running afterwards, or
    /// `None` once the reload thread owns reloading.
    pub fn reload(&mut self, trigger: &str) -> Option<u64> {
        match &mut self.reloading {
            Reloading::ByCaller(reloader) => Some(reloader.reload(trigger)),
            Reloading::Watched { .. } | Reloading::Moved => None,
        }
    }

    /// Hands reloading to the reload thread: file changes and SIGHUP reload from now on,
    /// until the runtime is dropped. Calling it twice does nothing.
    pub fn watch(&mut self) -> Result<(), RuntimeError> {
        if let Reloading::ByCaller(reloader) = std::mem::replace(&mut self.reloading, Reloading::Moved) {
            self.reloading = Reloading::Watched { _thread: watch(*reloader).map_err(RuntimeError::Watch)? };
        }
        Ok(())
    }
}
