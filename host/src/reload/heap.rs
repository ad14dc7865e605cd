//! Giving back the heap a load leaves behind.
//!
//! Loading a plugin allocates far more than it keeps: its compiled component, the
//! initialised instance that is snapshotted, the snapshot's bytes (the Sigma corpus: 50–90 MiB
//! each, for a moment). glibc's allocator returns a freed block to the system only when it
//! sits at the top of its arena, so most of that stays resident, unused, for the life of the
//! process. After each plugin load the reload thread asks the allocator to release every
//! free page it holds (`malloc_trim`); on other C libraries this does nothing.

/// Releases the allocator's free pages to the system.
#[allow(unsafe_code)] // a call into the C library, which has no safe binding
pub(crate) fn give_back() {
    // SAFETY: `malloc_trim` only returns free memory the allocator holds; it touches no block
    // in use and is safe to call from any thread at any time.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
