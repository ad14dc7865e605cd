//! How much freed memory the C library's allocator may keep (glibc).
//!
//! glibc's `malloc` keeps freed memory for reuse: on the heap of each thread's arena up to
//! a trim threshold, and it raises that threshold (to twice the block, up to 64 MiB) each
//! time a large block it had mapped on its own is freed, after which blocks up to that size
//! come from the arenas too. logsift frees large blocks early (compiling a plugin, its
//! snapshot: tens of MiB) and then every batch allocates and frees megabytes on each worker,
//! so each arena came to hold tens of MiB free for good: `logsift serve` with two workers
//! and the Sigma corpus sat at 250–270 MiB resident with ~35 MiB of its heap in use.
//!
//! [`configure`] fixes both thresholds, which stops the raising: blocks of [`MMAP_THRESHOLD`]
//! and more are mapped on their own and returned when freed, and an arena returns what is
//! free at its top beyond [`TRIM_THRESHOLD`]. The mapping threshold stays above a batch's
//! buffers: at glibc's fixed default of 128 KiB, each batch of 256 sshd lines mapped ~170 KiB
//! afresh and faulted it in (3× the page faults of a syslog + threat-intel run). After a
//! plugin load, [`give_back`] asks the allocator to release every free page it holds. All
//! of this does nothing on other C libraries.

/// The most free memory an arena keeps at its top before returning the rest.
pub const TRIM_THRESHOLD: usize = 4 << 20;

/// Blocks this large and larger are mapped on their own, and unmapped when freed.
pub const MMAP_THRESHOLD: usize = 1 << 20;

/// Fixes the allocator's thresholds, unless the operator set either (`MALLOC_TRIM_THRESHOLD_`,
/// `MALLOC_MMAP_THRESHOLD_`, or either as `glibc.malloc.*` in `GLIBC_TUNABLES`). Call first
/// thing in `main`, before any thread starts.
#[allow(unsafe_code)] // a call into the C library, which has no safe binding
pub fn configure() {
    let tunables = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    let variables = ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_"];
    if operator_chose(variables.iter().any(|v| std::env::var_os(v).is_some()), &tunables) {
        return;
    }
    // SAFETY: `mallopt` only changes the allocator's parameters; called before any other
    // thread exists, nothing allocates concurrently.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int);
        libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int);
    }
}

/// Whether the operator set a threshold: by glibc's variables, or as one of the
/// `GLIBC_TUNABLES` (`name=value` pairs separated by `:`).
fn operator_chose(variable_set: bool, tunables: &str) -> bool {
    let threshold =
        |tunable: &str| matches!(tunable.split('=').next(), Some("glibc.malloc.trim_threshold" | "glibc.malloc.mmap_threshold"));
    variable_set || tunables.split(':').any(threshold)
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
    fn thresholds_an_operator_set_are_left_alone() {
        assert!(!operator_chose(false, ""));
        assert!(operator_chose(true, ""));
        assert!(operator_chose(false, "glibc.malloc.arena_max=2:glibc.malloc.trim_threshold=0"));
        assert!(operator_chose(false, "glibc.malloc.mmap_threshold=65536"));
        assert!(!operator_chose(false, "glibc.malloc.arena_max=2"), "other tunables leave the threshold to logsift");
    }
}
