//! A plugin that misbehaves on purpose, for the host's containment tests. Each fault is
//! triggered by a marker text in `event.original`, so a test decides which records are
//! guilty:
//!
//! | setting    | default  | what a record containing it does                    |
//! |------------|----------|-----------------------------------------------------|
//! | `trap_on`  | `TRAP`   | panics (a trap: `unreachable` in Wasm)              |
//! | `loop_on`  | `LOOP`   | loops forever (only the epoch deadline stops it)    |
//! | `oom_on`   | `OOM`    | allocates without bound until memory runs out       |
//! | `reject_on`| `REJECT` | is rejected with a reason (a well-behaved refusal)  |
//! | `chatty_on`| `CHATTY` | writes 100 KiB to stderr, then goes on as usual       |
//!
//! `batch_mb = n` makes it allocate n MiB per record of each batch before the batch (and
//! free it after): a large batch runs out of memory where each of its records alone does not
//! — a fault no single record explains. `fail_init = true` makes `init` fail. Every other record is tagged with
//! `labels.faulty = <version>` (setting `version`, default `1`) so tests can tell which
//! generation processed it, and `labels.faulty_seen = <n>`: how many records this instance
//! has processed, itself included (its state, for the tests of state across a rebuild), and
//! `labels.faulty_init = <id>`: a random number drawn in `init`, the same in every instance
//! that starts from one `init` (a snapshot), different in each instance that runs its own.
//!
//! `init_holes = n` makes `init` leave n free chunks scattered through its heap (2n small
//! allocations, every other one freed), and every record tagged `labels.faulty_heap`: where
//! a small allocation made for it landed, `past-snapshot` (beyond the memory `init` ended
//! with) or `in-snapshot` (in a chunk `init` freed), for the test of the SDK's sealed heap.
//!
//! `init_garbage_mb = n` makes `init` fill n MiB with non-zero bytes and free them: memory
//! the snapshot should not carry.
//!
//! `init_sparse_mb = n` makes `init` keep n MiB whose first quarter and last byte are
//! non-zero, the rest zeros: a snapshot with fewer pages of data than of zeros.

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings};
use serde::Deserialize;

/// The plugin's settings.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct FaultySettings {
    trap_on: String,
    loop_on: String,
    oom_on: String,
    reject_on: String,
    chatty_on: String,
    fail_init: bool,
    version: String,
    batch_mb: usize,
    init_holes: usize,
    init_garbage_mb: usize,
    init_sparse_mb: usize,
}

impl Default for FaultySettings {
    fn default() -> Self {
        FaultySettings {
            trap_on: "TRAP".into(),
            loop_on: "LOOP".into(),
            oom_on: "OOM".into(),
            reject_on: "REJECT".into(),
            chatty_on: "CHATTY".into(),
            fail_init: false,
            version: "1".into(),
            batch_mb: 0,
            init_holes: 0,
            init_garbage_mb: 0,
            init_sparse_mb: 0,
        }
    }
}

/// Misbehaves on marked records.
pub struct Faulty {
    settings: FaultySettings,
    hoard: Vec<Vec<u8>>,
    seen: i64,
    init_id: String,
    /// What `init_holes` kept alive, and the end of memory when `init` returned.
    #[expect(clippy::vec_box, reason = "each box is a heap chunk of its own: the holes between them are the point")]
    kept: Vec<Box<[u8; 48]>>,
    init_end: usize,
    /// What `init_sparse_mb` kept.
    _sparse: Vec<u8>,
}

impl Plugin for Faulty {
    const METADATA: Metadata =
        Metadata::new("faulty", env!("CARGO_PKG_VERSION"), Kind::Enricher, "misbehaves on marked records, for tests");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: FaultySettings = settings.parse()?;
        if settings.fail_init {
            return Err("init failed because fail_init is set".into());
        }
        let init_id = std::hash::BuildHasher::hash_one(&std::collections::hash_map::RandomState::new(), 0u8).to_string();
        // Side by side, then every other one freed: no freed chunk can merge with another.
        let all: Vec<Box<[u8; 48]>> = (0..2 * settings.init_holes).map(|i| std::hint::black_box(Box::new([i as u8; 48]))).collect();
        let kept: Vec<Box<[u8; 48]>> = all.into_iter().step_by(2).collect();
        drop(std::hint::black_box(vec![0xA5u8; settings.init_garbage_mb << 20]));
        let mut sparse = vec![0u8; settings.init_sparse_mb << 20];
        let quarter = sparse.len() / 4;
        sparse[..quarter].fill(0x5A);
        if let Some(last) = sparse.last_mut() {
            *last = 1;
        }
        let _sparse = std::hint::black_box(sparse);
        Ok(Faulty { settings, hoard: Vec::new(), seen: 0, init_id, kept, init_end: memory_end(), _sparse })
    }

    fn prepare(&mut self, events: &[Event<'_>]) {
        if self.settings.batch_mb > 0 {
            let bytes = (events.len() * self.settings.batch_mb) << 20;
            std::hint::black_box(vec![1u8; bytes]);
        }
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        self.seen += 1;
        let text = event.original().unwrap_or_default();
        let s = &self.settings;
        if text.contains(&s.trap_on) {
            panic!("faulty plugin: trap requested by the record");
        }
        if text.contains(&s.loop_on) {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        if text.contains(&s.oom_on) {
            loop {
                self.hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        if text.contains(&s.chatty_on) {
            for i in 0..1600 {
                eprintln!("faulty plugin: chatter line {i:04} of 1600, to fill the host's stderr buffer");
            }
        }
        if text.contains(&s.reject_on) {
            return Outcome::Reject("faulty plugin: rejected as asked".into());
        }
        let version = s.version.clone();
        event.set("labels.faulty", version);
        event.set("labels.faulty_seen", self.seen);
        event.set("labels.faulty_init", self.init_id.clone());
        if !self.kept.is_empty() {
            let probe = std::hint::black_box(Box::new([3u8; 40]));
            let place = if (&raw const *probe) as usize >= self.init_end { "past-snapshot" } else { "in-snapshot" };
            event.set("labels.faulty_heap", place);
        }
        Outcome::Pass
    }
}

/// The end of linear memory, in bytes (natively: nothing to compare with).
fn memory_end() -> usize {
    #[cfg(target_arch = "wasm32")]
    return core::arch::wasm32::memory_size(0) * 65_536;
    #[cfg(not(target_arch = "wasm32"))]
    usize::MAX
}

logsift_sdk::export_plugin!(Faulty);
