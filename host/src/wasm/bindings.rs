//! The host's one `bindgen!`: the generated types of the `logsift:plugin` world. Everyone
//! else uses the re-exports from [`crate::wasm`].

#![allow(missing_docs)] // generated code

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});

pub use self::logsift::plugin::log::{Host as LogHost, LogLevel};
pub use self::logsift::plugin::lookup::Host as LookupHost;
pub use self::logsift::plugin::types::{Action, Alert, Change, Host as TypesHost, Level, PluginKind};
