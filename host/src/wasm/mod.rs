//! The sandbox: everything that knows wasmtime, and nothing that knows brokers or files.
//!
//! A [`LoadedPlugin`] is a compiled, linked and checked component, shared by every worker.
//! Each worker makes its own [`PluginInstance`] from it: its own store, memory cap, epoch
//! deadline and WASI context granting nothing. A call that traps, overruns its deadline or
//! its memory returns a [`Fault`]; the instance is then unusable and the caller rebuilds it.

mod bindings;
mod compile_cache;
mod declared;
mod disk_cache;
mod engine;
mod export_parity;
mod instance;
mod limits;
mod loader;
mod mapped;
mod snapshot;
mod state;
mod stderr;

pub use bindings::{Action, BatchResult, CONTRACT_VERSION, Change, PluginKind};
pub use declared::DeclaredLimits;
pub use disk_cache::{CacheError, DEFAULT_MAX_BYTES, DiskCache};
pub use engine::{Sandbox, TICK};
pub use instance::{Fault, PluginInstance};
pub use limits::{DEFAULT_MAX_RECORD_BYTES, Limits};
pub use loader::{Compiled, LoadError, LoadedPlugin, PluginCounters, PluginMeta, compile, content_hash};
pub use logsift_event::Level;
