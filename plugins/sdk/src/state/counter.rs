//! [`SlidingCounter`]: how many times each key was hit within the last `window` of event
//! time ("how many failed logins from this address in the last ten minutes").
//!
//! It keeps the times of each key's recent hits, oldest first, and forgets those that slid
//! out of the window as new hits come. Promises, all documented on the type: at most
//! `max_keys` keys (the least recently hit is evicted for a new one and starts over if it
//! comes back), at most `max_hits_per_key` times per key (the oldest dropped, so a count
//! saturates there), and a late hit counts only if it is inside the window of the newest
//! time seen for its key.

use std::collections::VecDeque;
use std::hash::Hash;

use super::recency::Recency;
use super::{inside, span};

/// Per-key count of hits within a sliding window of event time.
///
/// - **Window**: a hit at `t` is counted at time `now` while `now - t < window` (see
///   [the module conventions](super#time)).
/// - **Keys**: at most `max_keys`. A hit on a new key when full evicts the key least
///   recently hit (in call order); if that key comes back, its count starts from zero.
///   [`evicted`](Self::evicted) says how often this happened.
/// - **Saturation**: at most `max_hits_per_key` times are kept per key; beyond that the
///   oldest is dropped, so [`hit`](Self::hit) never returns more than `max_hits_per_key`.
///   Memory is O(`max_keys` × `max_hits_per_key`).
/// - **Out of order**: a key's clock is the newest time seen for it. A late hit is counted
///   if it is inside the window of that newest time, and ignored if not.
/// - **Expiry**: a key whose hits all slid out of the window is forgotten by
///   [`sweep`](Self::sweep), or replaced by eviction; until then it holds memory only.
pub struct SlidingCounter<K> {
    window: i64,
    max_hits_per_key: usize,
    keys: Recency<K, VecDeque<i64>>,
}

impl<K: Eq + Hash + Clone> SlidingCounter<K> {
    /// A counter over `window` (in the caller's time unit; 0 counts as 1), holding at most
    /// `max_keys` keys and `max_hits_per_key` times per key (each at least 1).
    pub fn new(window: u64, max_keys: usize, max_hits_per_key: usize) -> Self {
        SlidingCounter { window: span(window), max_hits_per_key: max_hits_per_key.max(1), keys: Recency::new(max_keys) }
    }

    /// Records a hit on `key` at event time `at` and returns the key's count within the
    /// window, this hit included (unless it was too late to count: see the type's docs).
    pub fn hit(&mut self, key: &K, at: i64) -> u64 {
        let (window, cap) = (self.window, self.max_hits_per_key);
        if let Some(times) = self.keys.get_mut(key) {
            return record(times, at, window, cap);
        }
        self.keys.insert(key.clone(), VecDeque::from([at]));
        1
    }

    /// The key's count within the window at `now` (or at the key's newest time, if later),
    /// without recording anything.
    pub fn count(&self, key: &K, now: i64) -> u64 {
        let Some(times) = self.keys.get(key) else { return 0 };
        let now = times.back().map_or(now, |&newest| newest.max(now));
        times.iter().filter(|&&t| inside(t, now, self.window)).count() as u64
    }

    /// Forgets a key; true if it was known.
    pub fn remove(&mut self, key: &K) -> bool {
        self.keys.remove(key).is_some()
    }

    /// Forgets every key with no hit inside the window at `now`; returns how many. Visits
    /// every key: call it now and then, not per event.
    pub fn sweep(&mut self, now: i64) -> usize {
        let window = self.window;
        self.keys.retain(|_, times| times.back().is_some_and(|&newest| inside(newest, now, window)))
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// Keys evicted to make room for new ones, since the counter was made.
    pub fn evicted(&self) -> u64 {
        self.keys.evicted()
    }
}

/// Adds a hit at `at` to one key's times (ascending), drops what left the window or the
/// cap, and returns the count.
fn record(times: &mut VecDeque<i64>, at: i64, window: i64, cap: usize) -> u64 {
    let newest = times.back().map_or(at, |&newest| newest.max(at));
    if inside(at, newest, window) {
        // Usually at the back; a late hit goes in its place so the front stays the oldest.
        let place = times.partition_point(|&t| t <= at);
        times.insert(place, at);
    }
    while times.front().is_some_and(|&oldest| !inside(oldest, newest, window)) {
        times.pop_front();
    }
    while times.len() > cap {
        times.pop_front();
    }
    times.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_within_the_window_add_up_per_key() {
        let mut c = SlidingCounter::new(60, 10, 100);
        assert_eq!(c.hit(&"a", 0), 1);
        assert_eq!(c.hit(&"a", 10), 2);
        assert_eq!(c.hit(&"b", 20), 1, "another key counts apart");
        assert_eq!(c.hit(&"a", 59), 3);
        assert_eq!(c.count(&"a", 59), 3);
        assert_eq!(c.count(&"c", 59), 0);
    }

    #[test]
    fn hits_slide_out_of_the_window() {
        let mut c = SlidingCounter::new(60, 10, 100);
        c.hit(&"a", 0);
        c.hit(&"a", 30);
        assert_eq!(c.hit(&"a", 60), 2, "the hit at 0 is exactly one window old: out");
        assert_eq!(c.hit(&"a", 200), 1, "all earlier hits have left");
        assert_eq!(c.count(&"a", 259), 1);
        assert_eq!(c.count(&"a", 260), 0);
    }

    #[test]
    fn a_full_counter_evicts_the_least_recently_hit_key_which_then_starts_over() {
        let mut c = SlidingCounter::new(1000, 2, 100);
        c.hit(&"a", 0);
        c.hit(&"a", 1);
        c.hit(&"b", 2);
        c.hit(&"a", 3);
        assert_eq!(c.hit(&"c", 4), 1);
        assert_eq!(c.len(), 2);
        assert_eq!(c.evicted(), 1);
        assert_eq!(c.count(&"b", 4), 0, "b, hit least recently, was evicted");
        assert_eq!(c.hit(&"a", 5), 4, "a kept its hits");
        assert_eq!(c.hit(&"b", 6), 1, "b starts over");
    }

    #[test]
    fn a_late_hit_counts_only_inside_the_window_of_the_newest_time() {
        let mut c = SlidingCounter::new(60, 10, 100);
        c.hit(&"a", 100);
        assert_eq!(c.hit(&"a", 50), 2, "50 is inside the window of 100");
        assert_eq!(c.hit(&"a", 40), 2, "40 is a whole window before 100: ignored");
        assert_eq!(c.hit(&"a", 109), 3, "the late hit at 50 is still in");
        assert_eq!(c.hit(&"a", 110), 3, "now the hit at 50 has left, in time order");
    }

    #[test]
    fn counts_saturate_at_the_hits_kept_per_key() {
        let mut c = SlidingCounter::new(1000, 10, 3);
        let counts: Vec<u64> = (0..6).map(|t| c.hit(&"a", t)).collect();
        assert_eq!(counts, [1, 2, 3, 3, 3, 3]);
        assert_eq!(c.hit(&"a", 1002), 3, "the newest three (3, 4, 5) were kept: 0, 1 and 2 would all be out");
    }

    #[test]
    fn sweep_forgets_keys_whose_hits_all_left_and_remove_forgets_one() {
        let mut c = SlidingCounter::new(60, 10, 100);
        c.hit(&"a", 0);
        c.hit(&"b", 50);
        c.hit(&"c", 55);
        assert_eq!(c.sweep(100), 1);
        assert_eq!(c.count(&"a", 100), 0);
        assert_eq!(c.len(), 2);
        assert!(c.remove(&"b"));
        assert!(!c.remove(&"b"));
        assert_eq!(c.hit(&"b", 101), 1);
    }
}
