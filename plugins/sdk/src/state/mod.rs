//! Stateful rules: per-key memory across events, for detectors that need "N within T",
//! "A then B within T" or "alert once per T". Plain data structures a plugin keeps in its
//! own struct; the SDK never touches them between calls.
//!
//! | helper | answers | memory bound |
//! |---|---|---|
//! | [`SlidingCounter`] | how many hits for this key within the window? | `max_keys` × `max_hits_per_key` times |
//! | [`Threshold`] | has this key reached `n` hits within the window? | `max_keys` × `n` times |
//! | [`Sequence`] | did B follow A within T for this key? | `max_keys` open sequences |
//! | [`Suppressor`] | is this alert a repeat of one sent within the window? | `max_keys` windows |
//!
//! # Time
//!
//! Every call takes the event's own time, `at: i64`, in a unit the caller picks (seconds
//! or milliseconds since the epoch, say); windows are `u64` in the same unit. Never the wall
//! clock: a plugin has none, and a replay of the same input must decide the same way.
//!
//! - Windows are half-open: at time `now`, an event at `t` is inside a window `w` while
//!   `now - t < w`. With a window of 60, events at 0 and 60 are not in one window. A window
//!   of 0 counts as 1.
//! - Out-of-order events: a key's clock is the newest time seen for it, never moved back.
//!   A late event is judged against that newest time; each type says how (a late hit counts
//!   if it is still inside the window, a late repeat is held, a late A joins the open
//!   sequence).
//!
//! # Bounds and eviction
//!
//! Each helper holds at most `max_keys` keys (at least 1). A new key arriving when it is full
//! evicts the key *least recently used* (hit, checked or stepped), in the order the calls
//! came, which for a given input is always the same key. An evicted key starts over as if
//! never seen; `evicted()` counts how often that happened. State that has expired is dropped
//! lazily when its key is next used, and in bulk by `sweep(now)`, which visits every key:
//! call it every few thousand events, not per event. Every other call is O(log `max_keys`)
//! (plus O(`max_hits_per_key`) for a late hit). Keys are any `K: Eq + Hash + Clone`; a key is
//! cloned only when it is first stored.
//!
//! # Example: N failures, then a success, per source
//!
//! ```
//! use logsift_sdk::state::{Sequence, Threshold};
//!
//! // Five failures within 600 s, then a success within 600 s of the last of them.
//! let mut failures = Threshold::new(5, 600, 100_000);
//! let mut then_success = Sequence::new(600, 100_000);
//! let source = "192.0.2.7";
//! for at in 0..5 {
//!     if failures.hit(&source, at) {
//!         then_success.first(&source, at);
//!     }
//! }
//! let matched = then_success.then(&source, 30).expect("success after five failures");
//! assert_eq!((matched.last_at, matched.firsts), (4, 1));
//! ```
//!
//! # Layout
//!
//! - [`counter`]: per-key counts in a sliding window, [`SlidingCounter`].
//! - [`threshold`]: "n within the window", [`Threshold`], on the counter.
//! - [`sequence`]: "A then B within T", [`Sequence`] and its [`Match`].
//! - [`suppress`]: "once per window", [`Suppressor`] and its [`Verdict`].
//! - `recency`: the bounded, least-recently-used map under all of them.

pub mod counter;
mod recency;
pub mod sequence;
pub mod suppress;
pub mod threshold;

pub use counter::SlidingCounter;
pub use sequence::{Match, Sequence};
pub use suppress::{Suppressor, Verdict};
pub use threshold::Threshold;

/// A window length as a time difference; 0 counts as 1, and a length past `i64` is
/// unbounded.
fn span(window: u64) -> i64 {
    i64::try_from(window).unwrap_or(i64::MAX).max(1)
}

/// Whether an event at `t` is inside the window at `now`: `now - t < window`. Saturates, so
/// extreme times cannot overflow.
fn inside(t: i64, now: i64, window: i64) -> bool {
    now.saturating_sub(t) < window
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_half_open_and_never_empty() {
        assert!(inside(0, 59, 60));
        assert!(!inside(0, 60, 60));
        assert!(inside(10, 0, 60), "an event after now is inside");
        assert_eq!(span(0), 1);
        assert_eq!(span(u64::MAX), i64::MAX);
        assert!(!inside(i64::MIN, i64::MAX, i64::MAX), "no overflow at the extremes");
    }
}
