//! Compiled components kept in a sealed memory file rather than on the heap.
//!
//! A compiled component carries its machine code and its memories' initial data. For a
//! snapshot after `init` that data is the plugin's whole initialised state (the Sigma corpus:
//! ~85 MiB). Compiled in memory, wasmtime keeps it twice — the compiled artifact on the heap,
//! and a memfd copy it maps copy-on-write into each instance — and both stay resident for as
//! long as the plugin is loaded.
//!
//! Written once into a memory file (`memfd_create`: anonymous, never named in any file
//! system, freed when the plugin is unloaded) and mapped from it instead, the artifact's
//! pages are the file's, shared by every instance: wasmtime maps instance memories from the
//! same file, so no second copy is made. Once written, the file is sealed against any
//! further write, shrinking or growing, so the machine code and state every instance maps
//! cannot change under them, from this process or any other. A memory file rather than a
//! file in the temporary directory: writing ~85 MiB into a disk file system's page cache
//! took 0.1–0.4 s on the machines measured (the kernel's dirty-page accounting and the
//! write-back it starts) against 0.04–0.07 s into memory, on every load of the corpus.
//! Where a memory file cannot be made or mapped (`memfd_create` refused, `/proc` not
//! mounted) the component is kept in memory as before.
//!
//! Pages of zeros (memory the snapshot spans but `init` left zeroed: a quarter of the Sigma
//! corpus's) are not written: they stay holes in the file, which read as zeros and take no
//! memory, and writing the file copies only the rest.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;

use memfd::FileSeal;

use wasmtime::Engine;
use wasmtime::component::Component;

/// Loads `compiled` (what `precompile_component` of an engine configured as `engine`
/// returned, now or in an earlier run that the disk cache verified) into `engine`, mapped
/// from a sealed memory file (see the module documentation); falls back to memory when that
/// file cannot be made.
// With `heap` and `disk_cache`'s user id, the host's only exceptions to `unsafe_code =
// "deny"`: wasmtime trusts the bytes it deserialises, and these are the ones it produced a
// moment before, or that the disk cache verified (see `disk_cache`).
#[allow(unsafe_code)]
pub(crate) fn load(engine: &Engine, compiled: &[u8]) -> wasmtime::Result<Component> {
    match map_from_file(engine, compiled) {
        Ok(component) => Ok(component),
        Err(e) => {
            tracing::debug!("compiled component kept in memory: {e:#}");
            // SAFETY: the bytes are what `precompile_component` of an engine configured as
            // this one returned (wasmtime checks its own header and the engine's settings).
            unsafe { Component::deserialize(engine, compiled) }
        }
    }
}

#[allow(unsafe_code)]
fn map_from_file(engine: &Engine, compiled: &[u8]) -> anyhow::Result<Component> {
    let file = sealed_file(compiled)?;
    // wasmtime maps a component from a path: this process's own descriptor of the file.
    let path = format!("/proc/self/fd/{}", file.as_raw_fd());
    // SAFETY: the file holds exactly the bytes `load` was given (see there); it has no name
    // another process could open, and it was sealed against writes before this, so nothing
    // can have changed it since. wasmtime opens and keeps its own descriptor, so the mapping
    // outlives `file`.
    let component = unsafe { Component::deserialize_file(engine, &path)? };
    Ok(component)
}

/// A new memory file holding `bytes`, sealed: it can no longer be written, shrunk or grown,
/// and its seals cannot be lifted.
fn sealed_file(bytes: &[u8]) -> anyhow::Result<memfd::Memfd> {
    let file = memfd::MemfdOptions::new().allow_sealing(true).close_on_exec(true).create("logsift-compiled")?;
    write_skipping_zero_pages(file.as_file(), bytes)?;
    file.add_seals(&[FileSeal::SealShrink, FileSeal::SealGrow, FileSeal::SealWrite, FileSeal::SealSeal])?;
    Ok(file)
}

/// The size of the pages checked for zeros.
const PAGE: usize = 4096;

/// A page of zeros, to compare pages with.
static ZEROS: [u8; PAGE] = [0; PAGE];

/// Writes `bytes` to the start of `file`, leaving each page of zeros a hole (see the module
/// documentation); consecutive pages with data are written in one call.
fn write_skipping_zero_pages(file: &File, bytes: &[u8]) -> std::io::Result<()> {
    file.set_len(bytes.len() as u64)?;
    let mut run: Option<usize> = None;
    for (i, page) in bytes.chunks(PAGE).enumerate() {
        // Compared with a page of zeros as one slice: `memcmp`, many bytes per step.
        let zero = *page == ZEROS[..page.len()];
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
    fn pages_of_zeros_are_holes_and_the_sealed_file_reads_back_the_same() {
        // Data, 64 pages of zeros, a page with one byte set, zeros, and a short tail.
        let mut bytes = vec![7u8; PAGE + 10];
        bytes.resize(bytes.len() + 64 * PAGE, 0);
        bytes[40 * PAGE] = 1;
        bytes.resize(bytes.len() + 3 * PAGE, 0);
        bytes.extend_from_slice(&[9; 100]);
        let mut file = sealed_file(&bytes).expect("written").into_file();
        let mut back = Vec::new();
        file.read_to_end(&mut back).expect("read back");
        assert!(back == bytes, "the file reads back what was written");
        let allocated = file.metadata().expect("metadata").blocks() * 512;
        assert!(allocated < 16 * PAGE as u64, "{allocated} bytes allocated for {} bytes, most of them zeros", bytes.len());
        assert!(file.write_all_at(&[1], 0).is_err(), "a sealed file cannot be written");
        assert!(file.set_len(1).is_err(), "nor shrunk");
    }
}
