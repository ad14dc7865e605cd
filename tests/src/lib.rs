//! Shared helpers for logsift's integration tests and benchmarks: where the built plugins
//! are, and how to find the project's shared real-world data.

use std::path::PathBuf;

pub use logsift_sdk::testing::shared_data;

/// The directory holding the plugins built by this package's build script.
pub fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("LOGSIFT_PLUGIN_DIR"))
}

/// The path of one built plugin, e.g. `plugin("syslog")`.
pub fn plugin(name: &str) -> PathBuf {
    plugin_dir().join(format!("{name}.wasm"))
}
