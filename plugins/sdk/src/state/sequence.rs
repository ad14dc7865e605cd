//! [`Sequence`]: "A then B within T" per key ("a success from an address that was just
//! guessing passwords").
//!
//! [`Sequence::first`] records step A for a key, opening (or extending) the key's sequence;
//! [`Sequence::then`] is step B, which matches while it comes less than `within` after the
//! latest A. A match closes the sequence, so one run of A's gives at most one match. Step A
//! may itself be a condition: call `first` when a [`Threshold`](super::Threshold) fires to
//! get "N A's within W, then B within T". Bounded by `max_keys` (least recently stepped
//! evicted); expired sequences are dropped lazily and by [`Sequence::sweep`].

use std::hash::Hash;

use super::recency::Recency;
use super::{inside, span};

/// A completed sequence: the A's that opened it and the B that closed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Match {
    /// Time of the earliest A of the sequence.
    pub first_at: i64,
    /// Time of the latest A.
    pub last_at: i64,
    /// Time of the B.
    pub then_at: i64,
    /// How many A's the sequence recorded.
    pub firsts: u64,
}

/// A key's open sequence.
#[derive(Debug, Clone, Copy)]
struct Open {
    first_at: i64,
    last_at: i64,
    firsts: u64,
}

/// "A then B within T", per key.
///
/// - **Open**: a key's sequence is open from its first A while less than `within` has passed
///   since its latest A. An A after that starts a new sequence (the old one expired).
/// - **Match**: a B at `at` matches when the key has an open sequence, `at` is not before
///   its first A, and `at - last A < within`; the sequence then closes. A B on an expired
///   sequence closes it without a match; a B before the first A is ignored (it belongs to
///   no sequence) and leaves the sequence open.
/// - **Out of order**: a late A joins the open sequence (it may move the first A earlier,
///   never the latest A), so time is the newest A seen.
/// - **Keys**: at most `max_keys` open sequences; opening one more when full evicts the
///   key least recently stepped (A recorded), which then starts over. Expired sequences
///   go when their key is next stepped, or by [`sweep`](Self::sweep).
pub struct Sequence<K> {
    within: i64,
    open: Recency<K, Open>,
}

impl<K: Eq + Hash + Clone> Sequence<K> {
    /// Sequences whose B must come less than `within` (in the caller's time unit; 0 counts
    /// as 1) after the latest A, at most `max_keys` of them open.
    pub fn new(within: u64, max_keys: usize) -> Self {
        Sequence { within: span(within), open: Recency::new(max_keys) }
    }

    /// Records step A for `key` at event time `at`.
    pub fn first(&mut self, key: &K, at: i64) {
        let within = self.within;
        if let Some(open) = self.open.get_mut(key) {
            *open = if inside(open.last_at, at, within) {
                Open { first_at: open.first_at.min(at), last_at: open.last_at.max(at), firsts: open.firsts + 1 }
            } else {
                Open { first_at: at, last_at: at, firsts: 1 }
            };
            return;
        }
        self.open.insert(key.clone(), Open { first_at: at, last_at: at, firsts: 1 });
    }

    /// Step B for `key` at event time `at`: the match, if it completes an open sequence.
    pub fn then(&mut self, key: &K, at: i64) -> Option<Match> {
        let open = *self.open.get(key)?;
        if at < open.first_at {
            return None;
        }
        self.open.remove(key);
        inside(open.last_at, at, self.within).then_some(Match {
            first_at: open.first_at,
            last_at: open.last_at,
            then_at: at,
            firsts: open.firsts,
        })
    }

    /// Whether `key` has a sequence still open at `now`.
    pub fn is_open(&self, key: &K, now: i64) -> bool {
        self.open.get(key).is_some_and(|open| inside(open.last_at, now, self.within))
    }

    /// Drops every sequence expired at `now`; returns how many. Visits every key: call it
    /// now and then, not per event.
    pub fn sweep(&mut self, now: i64) -> usize {
        let within = self.within;
        self.open.retain(|_, open| inside(open.last_at, now, within))
    }

    /// Sequences held (open, or expired and not yet dropped).
    pub fn len(&self) -> usize {
        self.open.len()
    }

    /// Whether no sequence is held.
    pub fn is_empty(&self) -> bool {
        self.open.len() == 0
    }

    /// Keys evicted to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.open.evicted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_within_t_of_the_latest_a_matches_once() {
        let mut s = Sequence::new(60, 10);
        s.first(&"a", 0);
        s.first(&"a", 50);
        let m = s.then(&"a", 109).expect("59 after the latest A");
        assert_eq!(m, Match { first_at: 0, last_at: 50, then_at: 109, firsts: 2 });
        assert_eq!(s.then(&"a", 110), None, "the match closed the sequence");
        assert!(s.is_empty());
    }

    #[test]
    fn b_without_a_or_for_another_key_does_not_match() {
        let mut s = Sequence::new(60, 10);
        assert_eq!(s.then(&"a", 0), None);
        s.first(&"a", 0);
        assert_eq!(s.then(&"b", 1), None);
        assert!(s.is_open(&"a", 1));
    }

    #[test]
    fn b_at_or_after_t_closes_the_sequence_without_a_match() {
        let mut s = Sequence::new(60, 10);
        s.first(&"a", 0);
        assert!(!s.is_open(&"a", 60));
        assert_eq!(s.then(&"a", 60), None);
        assert_eq!(s.len(), 0, "the expired sequence was dropped");
    }

    #[test]
    fn an_a_after_expiry_starts_a_new_sequence() {
        let mut s = Sequence::new(60, 10);
        s.first(&"a", 0);
        s.first(&"a", 100);
        assert_eq!(s.then(&"a", 101), Some(Match { first_at: 100, last_at: 100, then_at: 101, firsts: 1 }));
    }

    #[test]
    fn out_of_order_a_joins_and_b_before_the_first_a_is_ignored() {
        let mut s = Sequence::new(60, 10);
        s.first(&"a", 100);
        s.first(&"a", 90);
        assert_eq!(s.then(&"a", 80), None, "B before every A");
        assert!(s.is_open(&"a", 100), "and the sequence stays open");
        assert_eq!(s.then(&"a", 95), Some(Match { first_at: 90, last_at: 100, then_at: 95, firsts: 2 }));
    }

    #[test]
    fn a_full_sequence_evicts_the_key_least_recently_stepped_which_starts_over() {
        let mut s = Sequence::new(60, 2);
        s.first(&"a", 0);
        s.first(&"b", 1);
        s.first(&"a", 2);
        s.first(&"c", 3);
        assert_eq!(s.evicted(), 1);
        assert_eq!(s.then(&"b", 4), None, "b was evicted");
        assert!(s.then(&"a", 4).is_some());
        assert!(s.then(&"c", 4).is_some());
    }

    #[test]
    fn sweep_drops_expired_sequences() {
        let mut s = Sequence::new(60, 10);
        s.first(&"a", 0);
        s.first(&"b", 30);
        assert_eq!(s.sweep(60), 1);
        assert_eq!(s.len(), 1);
        assert!(s.is_open(&"b", 60));
    }
}
