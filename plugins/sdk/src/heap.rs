//! The heap an instance starts from: sealed at the end of `init`, so that the pages of the
//! snapshot stay shared.
//!
//! Every instance starts from a copy-on-write snapshot of the memory `init` left behind
//! (host side: `wasm/snapshot.rs`), and a page it writes becomes its own. `init` leaves the
//! allocator's free chunks scattered through that memory (a big `init`, Sigma parsing
//! thousands of rules, frees temporaries everywhere), and the allocator hands them out
//! again first: each event's short-lived allocations then land on pages all over the
//! snapshot, and every such page is copied. Over SigmaHQ's whole corpus that was ~15 MiB
//! of copies per instance after a single batch.
//!
//! [`seal`] takes every free chunk out of the allocator's hands for good, largest first,
//! until what it gets back lies beyond the memory `init` used: from then on allocations
//! are served from fresh memory past the snapshot, where the working set of a batch stays
//! compact. The chunks taken are zeroed and never written again (their pages stay shared);
//! what it costs is their address space, which the snapshot held anyway: memory `init` freed
//! is not reused, so a plugin's per-batch working set comes on top of the memory `init`
//! reached, under the plugin's memory cap.
//!
//! Zeroed, the chunks are no longer part of the state: the snapshot leaves out memory that
//! is zero, so what `init` freed (its temporaries, the rule texts Sigma parsed) is left out
//! of it: over SigmaHQ's corpus, about a quarter of the memory `init` used.

/// The largest chunk [`seal`] asks for: larger free chunks are taken in several pieces. It
/// is small because asking for more than any free chunk holds grows the memory, once, by
/// about that much (the instance's memory size, which counts against its cap).
const LARGEST: usize = 1 << 16;

/// The smallest: the allocator's smallest chunk serves a request of this size.
const SMALLEST: usize = 4;

/// Takes every free chunk below the current end of memory, so that later allocations come
/// from past it. Called once, at the end of a successful `init`.
pub fn seal() {
    let end = memory_end();
    let mut size = LARGEST;
    while size >= SMALLEST {
        loop {
            let mut chunk: Vec<u8> = Vec::new();
            if chunk.try_reserve_exact(size).is_err() || chunk.as_ptr() as usize >= end {
                // Past the snapshot (or past the memory cap): given back, and the next
                // size is tried.
                break;
            }
            // A free chunk of the snapshot: zeroed (see the module doc), then kept, never
            // written again, never freed.
            chunk.resize(size, 0);
            std::mem::forget(chunk);
        }
        size /= 2;
    }
}

/// The end of linear memory, in bytes.
fn memory_end() -> usize {
    core::arch::wasm32::memory_size(0) * 65_536
}
