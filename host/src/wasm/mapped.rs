//! Compiled components kept in a file rather than on the heap.
//!
//! A compiled component carries its machine code and its memories' initial data. For a
//! snapshot after `init` that data is the plugin's whole initialised state (the Sigma corpus:
//! ~85 MiB). Compiled in memory, wasmtime keeps it twice — the compiled artifact on the heap,
//! and a memfd copy it maps copy-on-write into each instance — and both stay resident for as
//! long as the plugin is loaded, whether or not an instance ever reads a page of them.
//!
//! Mapped from a file instead, the artifact's pages are the file's: clean, read in only when
//! an instance touches them, shared by every instance, and given back under memory pressure;
//! wasmtime maps instance memories from the same file, so no memfd copy is made. The file is
//! written by this process into a new file only its user can open (created exclusively in the
//! temporary directory, `TMPDIR`) and unlinked as soon as it is mapped, so nothing else can
//! name it, and its blocks are freed when the plugin is unloaded. Where it cannot be written
//! (a full or read-only temporary directory) the component is kept in memory as before.

use std::io::Write;

use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiles `wasm` and maps the result from an unlinked temporary file (see the module
/// documentation); falls back to memory when the file cannot be written.
// With `reload::heap`, the host's only exceptions to `unsafe_code = "deny"`: wasmtime
// trusts the bytes it deserialises, and these are the ones it produced a moment before.
#[allow(unsafe_code)]
pub(crate) fn compile(engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
    let compiled = engine.precompile_component(wasm)?;
    match map_from_file(engine, &compiled) {
        Ok(component) => Ok(component),
        Err(e) => {
            tracing::debug!("compiled component kept in memory: {e:#}");
            // SAFETY: the bytes are what `precompile_component` of this engine just returned.
            unsafe { Component::deserialize(engine, &compiled) }
        }
    }
}

#[allow(unsafe_code)]
fn map_from_file(engine: &Engine, compiled: &[u8]) -> anyhow::Result<Component> {
    let mut file = tempfile::Builder::new().prefix("logsift-compiled-").tempfile()?;
    file.write_all(compiled)?;
    file.flush()?;
    // SAFETY: the file holds exactly the bytes `precompile_component` of this engine returned;
    // it was created exclusively with owner-only permissions and is unlinked when `file`
    // drops below, so no other process can have opened or changed it in between. wasmtime
    // keeps its own handle, so the mapping outlives the name.
    let component = unsafe { Component::deserialize_file(engine, file.path())? };
    Ok(component)
}
