//! The host's one `bindgen!`: the generated types of the `logsift:plugin` world. Everyone
//! else uses the re-exports from [`crate::wasm`].

#![allow(missing_docs)] // generated code

/// The contract version this host speaks: the version of the `logsift:plugin` package in
/// `wit/plugin.wit` (a test keeps the two equal).
pub const CONTRACT_VERSION: &str = "0.2.0";

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
});

pub use self::logsift::plugin::log::{Host as LogHost, LogLevel};
pub use self::logsift::plugin::lookup::Host as LookupHost;
pub use self::logsift::plugin::types::{Action, Change, Host as TypesHost, PluginKind};

#[cfg(test)]
mod tests {
    #[test]
    fn the_contract_version_is_the_wit_packages() {
        let wit = include_str!("../../../wit/plugin.wit");
        let package = format!("package logsift:plugin@{};", super::CONTRACT_VERSION);
        assert!(wit.lines().any(|l| l.trim() == package), "wit/plugin.wit does not declare {package}");
    }
}
