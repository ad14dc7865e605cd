//! How much freed memory the C library's allocator may keep (glibc).
//!
//! glibc's `malloc` keeps freed memory for reuse: on the heap of each thread's arena up to
//! a trim threshold, and it raises that threshold (to twice the block, up to 64 MiB) each
//! time a large block it had mapped on its own is freed, after which blocks up to that size
//! come from the arenas too. logsift frees large blocks early (compiling a plugin, its
//! snapshot: tens of MiB) and then every batch allocates and frees megabytes on each worker,
//! so each arena came to hold tens of MiB free for good: `logsift serve` with two workers
//! and the Sigma corpus sat at ~290 MiB resident with ~35 MiB of its heap in use.
//!
//! [`configure`] fixes the trim threshold at [`TRIM_THRESHOLD`], which also stops the
//! raising (blocks over 128 KiB are mapped on their own and returned when freed); after a
//! plugin load, [`give_back`] asks the allocator to release every free page it holds.
//! Both do nothing on other C libraries.

/// The most free memory an arena keeps at its top before returning the rest.
pub const TRIM_THRESHOLD: usize = 4 << 20;

/// Fixes the allocator's trim threshold, unless the operator set one
/// (`MALLOC_TRIM_THRESHOLD_`, or `glibc.malloc.trim_threshold` in `GLIBC_TUNABLES`). Call first
/// thing in `main`, before any thread starts.
#[allow(unsafe_code)] // a call into the C library, which has no safe binding
pub fn configure() {
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if operator_chose(std::env::var_os("MALLOC_TRIM_THRESHOLD_").is_some(), &tunables) {
        return;
    }
    // SAFETY: `mallopt` only changes the allocator's parameters; called before any other
    // thread exists, nothing allocates concurrently.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
    }
}

/// Whether the operator set the trim threshold: by glibc's variable, or as one of the
/// `GLIBC_TUNABLES` (`name=value` pairs separated by `:`).
fn operator_chose(variable_set: bool, tunables: &str) -> bool {
    variable_set || tunables.split(':').any(|tunable| tunable.split('=').next() == Some("glibc.malloc.trim_threshold"))
}

/// Releases the allocator's free pages to the system. Loading a plugin allocates far more
/// than it keeps (its compiled component, the initialised instance that is snapshotted, the
/// snapshot's bytes); the reload thread calls this after each load.
#[allow(unsafe_code)] // a call into the C library, which has no safe binding
pub(crate) fn give_back() {
    // SAFETY: `malloc_trim` only returns free memory the allocator holds; it touches no block
    // in use and is safe to call from any thread at any time.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(test)]
mod tests {
    use super::operator_chose;

    #[test]
    fn an_operator_set_threshold_is_left_alone() {
        assert!(!operator_chose(false, ""));
        assert!(operator_chose(true, ""));
        assert!(operator_chose(false, "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0"));
        assert!(!operator_chose(false, "glibc.malloc.arena_max=2"), "other tunables leave the threshold to logsift");
    }
}
