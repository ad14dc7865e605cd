//! Generations and the shared handle workers read them from.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use arc_swap::ArcSwap;

use crate::pipeline::StageOptions;
use crate::wasm::LoadedPlugin;

/// One complete chain: what a batch runs on from start to end.
#[derive(Debug)]
pub struct Generation {
    /// 1 for the chain loaded at start, one more for each change published since.
    pub id: u64,
    /// The stages in order.
    pub stages: Vec<(Arc<LoadedPlugin>, StageOptions)>,
    /// When it was published.
    pub created: SystemTime,
    /// `name@version#hash` of every stage, comma-separated: the `logsift.plugins` header.
    pub plugins_header: String,
}

impl Generation {
    /// A generation of the given stages.
    pub fn new(id: u64, stages: Vec<(Arc<LoadedPlugin>, StageOptions)>) -> Self {
        let plugins_header =
            stages.iter().map(|(p, _)| format!("{}@{}#{}", p.name, p.meta.version, &p.hash[..12])).collect::<Vec<_>>().join(",");
        Generation { id, stages, created: SystemTime::now(), plugins_header }
    }

    /// Whether `stages` is exactly this generation's list (same loaded plugins, same
    /// options, same order).
    pub fn same_stages(&self, stages: &[(Arc<LoadedPlugin>, StageOptions)]) -> bool {
        self.stages.len() == stages.len() && self.stages.iter().zip(stages).all(|((a, ao), (b, bo))| Arc::ptr_eq(a, b) && ao == bo)
    }
}

/// A plugin file the last reload refused, and why.
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The file.
    pub path: PathBuf,
    /// Why.
    pub reason: String,
    /// Whether a previous version of it keeps running.
    pub kept_previous: bool,
    /// When.
    pub at: SystemTime,
}

/// The current generation, shared by the reloader (which publishes) and the workers
/// (which read it once per batch, without a lock).
#[derive(Debug)]
pub struct Pipeline {
    current: ArcSwap<Generation>,
    refusals: Mutex<Vec<Refusal>>,
}

impl Pipeline {
    /// A pipeline starting at `first`.
    pub fn new(first: Generation) -> Self {
        Pipeline { current: ArcSwap::from_pointee(first), refusals: Mutex::new(Vec::new()) }
    }

    /// The current generation.
    pub fn current(&self) -> Arc<Generation> {
        self.current.load_full()
    }

    /// The current generation's id.
    pub fn current_id(&self) -> u64 {
        self.current.load().id
    }

    pub(super) fn publish(&self, generation: Generation) {
        self.current.store(Arc::new(generation));
    }

    pub(super) fn set_refusals(&self, refusals: Vec<Refusal>) {
        if let Ok(mut r) = self.refusals.lock() {
            *r = refusals;
        }
    }

    /// What the last reload refused.
    pub fn refusals(&self) -> Vec<Refusal> {
        self.refusals.lock().map(|r| r.clone()).unwrap_or_default()
    }
}
