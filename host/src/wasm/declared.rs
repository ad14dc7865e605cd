//! What a plugin declares it needs: the custom section `logsift:limits` (JSON, e.g.
//! `{"memory_mb": 512}`), written by the SDK's `declare_limits!` or any toolchain that can
//! add a custom section. A stage that does not set a limit itself gets the plugin's
//! declared value when it is above the global one: a plugin that needs more (a Sigma
//! stage with the whole corpus) loads under the defaults without every other plugin's cap
//! being raised. A malformed section is ignored (the global limits apply) with a warning.

use std::path::Path;

use serde::Deserialize;

use super::limits::Limits;

/// The custom section's name.
pub const SECTION: &str = "logsift:limits";

/// Limits a plugin declares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeclaredLimits {
    /// Linear memory it needs, in MiB.
    pub memory_mb: Option<u32>,
    /// The deadline its calls need, in milliseconds.
    pub timeout_ms: Option<u32>,
}

impl DeclaredLimits {
    /// Reads the section from a component's (or module's) bytes, wherever it is nested.
    pub fn read(path: &Path, bytes: &[u8]) -> DeclaredLimits {
        for payload in wasmparser::Parser::new(0).parse_all(bytes) {
            let Ok(wasmparser::Payload::CustomSection(section)) = payload else { continue };
            if section.name() != SECTION {
                continue;
            }
            match serde_json::from_slice(section.data()) {
                Ok(declared) => return declared,
                Err(e) => tracing::warn!(path = %path.display(), "ignoring the plugin's {SECTION} section: {e}"),
            }
        }
        DeclaredLimits::default()
    }

    /// `limits` with the declared values where the stage set none itself (`own_*` false)
    /// and they are larger.
    pub fn apply(self, mut limits: Limits, own_memory: bool, own_timeout: bool) -> Limits {
        if let Some(mb) = self.memory_mb.filter(|mb| !own_memory && *mb > limits.memory_mb) {
            limits.memory_mb = mb;
        }
        if let Some(ms) = self.timeout_ms.filter(|ms| !own_timeout && *ms > limits.timeout_ms) {
            limits.timeout_ms = ms;
        }
        limits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_limits_raise_only_what_the_stage_left_to_the_defaults() {
        let declared = DeclaredLimits { memory_mb: Some(512), timeout_ms: Some(100) };
        let global = Limits::default();
        let applied = declared.apply(global, false, false);
        assert_eq!((applied.memory_mb, applied.timeout_ms), (512, global.timeout_ms), "never lowers a limit");
        assert_eq!(declared.apply(global, true, false).memory_mb, global.memory_mb, "the stage's own value wins");
    }

    #[test]
    fn the_section_is_found_in_a_module_and_a_malformed_one_is_ignored() {
        let module = |data: &[u8]| {
            let mut bytes = b"\0asm\x01\0\0\0".to_vec();
            let name = SECTION.as_bytes();
            bytes.push(0);
            bytes.push((1 + name.len() + data.len()) as u8);
            bytes.push(name.len() as u8);
            bytes.extend_from_slice(name);
            bytes.extend_from_slice(data);
            bytes
        };
        let read = |data: &[u8]| DeclaredLimits::read(Path::new("x.wasm"), &module(data));
        assert_eq!(read(br#"{"memory_mb":512}"#).memory_mb, Some(512));
        assert_eq!(read(b"not json"), DeclaredLimits::default());
    }
}
