//! Hot reload: the chain as a series of *generations*, each a complete, checked list of
//! loaded plugins.
//!
//! A change to the configuration file or to a plugin file (or SIGHUP) makes the
//! [`Reloader`] read the configuration again, resolve every stage to its plugin files
//! ([`spec`]), and load what changed off the hot path: compile (cached by content hash),
//! link, `init`, and a self-check batch ([`selfcheck`]). Only when every plugin of the new
//! list is ready is the generation published ([`Pipeline`]); workers move to it between
//! batches, so a batch runs entirely on one generation. A plugin that fails any step is
//! refused with one log line and the plugin it would have replaced keeps running.
//! Every load, refusal and unload is written to the audit log (target `logsift::audit`).

mod builder;
mod generation;
pub mod selfcheck;
pub mod spec;
mod watch;

pub use builder::{Reloader, StartError};
pub use generation::{Generation, Pipeline, Refusal};
pub use watch::{WatchHandle, watch};
