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
//!
//! Pages of zeros (memory the snapshot spans but `init` left zeroed: a quarter of the Sigma
//! corpus's) are not written: they stay holes in the file, which read as zeros and take no
//! disk blocks or page cache, and writing the file copies only the rest.

use std::fs::File;
use std::os::unix::fs::FileExt;

use wasmtime::Engine;
use wasmtime::component::Component;

/// Compiles `wasm` with `compiler` (`engine` itself, or one configured the same but for
/// how many threads compile) and maps the result into `engine` from an unlinked temporary
/// file (see the module documentation); falls back to memory when the file cannot be
/// written.
// With `reload::heap`, the host's only exceptions to `unsafe_code = "deny"`: wasmtime
// trusts the bytes it deserialises, and these are the ones it produced a moment before.
#[allow(unsafe_code)]
pub(crate) fn compile(compiler: &Engine, engine: &Engine, wasm: &[u8]) -> wasmtime::Result<Component> {
    let compiled = compiler.precompile_component(wasm)?;
    match map_from_file(engine, &compiled) {
        Ok(component) => Ok(component),
        Err(e) => {
            tracing::debug!("compiled component kept in memory: {e:#}");
            // SAFETY: the bytes are what `precompile_component` of an engine configured as
            // this one just returned.
            unsafe { Component::deserialize(engine, &compiled) }
        }
    }
}

#[allow(unsafe_code)]
fn map_from_file(engine: &Engine, compiled: &[u8]) -> anyhow::Result<Component> {
    let file = tempfile::Builder::new().prefix("logsift-compiled-").tempfile()?;
    write_skipping_zero_pages(file.as_file(), compiled)?;
    // SAFETY: the file holds exactly the bytes `precompile_component` returned (of `engine`, or one configured as it);
    // it was created exclusively with owner-only permissions and is unlinked when `file`
    // drops below, so no other process can have opened or changed it in between. wasmtime
    // keeps its own handle, so the mapping outlives the name.
    let component = unsafe { Component::deserialize_file(engine, file.path())? };
    Ok(component)
}

/// The size of the pages checked for zeros.
const PAGE: usize = 4096;

/// Writes `bytes` to the start of `file`, leaving each page of zeros a hole (see the module
/// documentation); consecutive pages with data are written in one call.
fn write_skipping_zero_pages(file: &File, bytes: &[u8]) -> std::io::Result<()> {
    file.set_len(bytes.len() as u64)?;
    let mut run: Option<usize> = None;
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        let zero = page.iter().all(|&b| b == 0);
        match (run, zero) {
            (None, false) => run = Some(i * PAGE),
            (Some(start), true) => {
                file.write_all_at(&bytes[start..i * PAGE], start as u64)?;
                run = None;
            }
            _ => {}
        }
    }
    if let Some(start) = run {
        file.write_all_at(&bytes[start..], start as u64)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;

    use super::*;

    #[test]
    fn pages_of_zeros_are_holes_and_the_file_reads_back_the_same() {
        // Data, 64 pages of zeros, a page with one byte set, zeros, and a short tail.
        let mut bytes = vec![7u8; PAGE + 10];
        bytes.resize(bytes.len() + 64 * PAGE, 0);
        bytes[40 * PAGE] = 1;
        bytes.resize(bytes.len() + 3 * PAGE, 0);
        bytes.extend_from_slice(&[9; 100]);
        let mut file = tempfile::tempfile().expect("a temporary file");
        write_skipping_zero_pages(&file, &bytes).expect("written");
        let mut back = Vec::new();
        file.read_to_end(&mut back).expect("read back");
        assert!(back == bytes, "the file reads back what was written");
        let allocated = file.metadata().expect("metadata").blocks() * 512;
        assert!(allocated < 16 * PAGE as u64, "{allocated} bytes allocated for {} bytes, most of them zeros", bytes.len());
    }
}
