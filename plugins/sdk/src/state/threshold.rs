//! [`Threshold`]: fires when a key reaches `n` hits within a window of event time ("five
//! failed logins from one address within ten minutes").
//!
//! A [`SlidingCounter`] that keeps exactly the `n` newest times per key, which is all it
//! takes to know whether `n` fall inside the window, so memory is O(`max_keys` × `n`).
//! Eviction, expiry and late hits are the counter's.

use std::hash::Hash;

use super::SlidingCounter;

/// Fires for a key that reaches `n` hits within `window`.
///
/// By default it fires on every hit while the key has at least `n` hits in the window (the
/// condition holds); with [`reset_on_fire`](Self::reset_on_fire) the key's hits are
/// forgotten when it fires, so it fires once per burst of `n` and `n` more are needed to fire
/// again. Keys are bounded and evicted as in [`SlidingCounter`] (least recently hit first;
/// an evicted key starts over), with `n` times kept per key.
pub struct Threshold<K> {
    n: u64,
    reset_on_fire: bool,
    counter: SlidingCounter<K>,
}

impl<K: Eq + Hash + Clone> Threshold<K> {
    /// Fires at `n` hits (at least 1) within `window` (in the caller's time unit), holding at
    /// most `max_keys` keys.
    pub fn new(n: u64, window: u64, max_keys: usize) -> Self {
        let n = n.max(1);
        let per_key = usize::try_from(n).unwrap_or(usize::MAX);
        Threshold { n, reset_on_fire: false, counter: SlidingCounter::new(window, max_keys, per_key) }
    }

    /// Whether a key's hits are forgotten when it fires, so it fires once per burst.
    pub fn reset_on_fire(mut self, reset: bool) -> Self {
        self.reset_on_fire = reset;
        self
    }

    /// Records a hit on `key` at event time `at`; true if the key now has at least `n` hits
    /// within the window.
    pub fn hit(&mut self, key: &K, at: i64) -> bool {
        let fired = self.counter.hit(key, at) >= self.n;
        if fired && self.reset_on_fire {
            self.counter.remove(key);
        }
        fired
    }

    /// The key's hits within the window at `now` (or at its newest hit, if later), at most
    /// `n`.
    pub fn count(&self, key: &K, now: i64) -> u64 {
        self.counter.count(key, now)
    }

    /// Forgets a key's hits (e.g. once the alert they led to is raised); true if it had any.
    pub fn reset(&mut self, key: &K) -> bool {
        self.counter.remove(key)
    }

    /// Forgets every key with no hit inside the window at `now`; returns how many.
    pub fn sweep(&mut self, now: i64) -> usize {
        self.counter.sweep(now)
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.counter.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.counter.is_empty()
    }

    /// Keys evicted to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.counter.evicted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fires_from_the_nth_hit_within_the_window_while_it_holds() {
        let mut t = Threshold::new(3, 60, 10);
        let fired: Vec<bool> = [0, 10, 20, 30].iter().map(|&at| t.hit(&"a", at)).collect();
        assert_eq!(fired, [false, false, true, true]);
        assert!(!t.hit(&"b", 30), "another key has its own count");
        assert_eq!(t.count(&"a", 30), 3, "counts saturate at n");
    }

    #[test]
    fn hits_spread_wider_than_the_window_never_fire() {
        let mut t = Threshold::new(3, 60, 10);
        let fired: Vec<bool> = [0, 30, 60, 90, 120].iter().map(|&at| t.hit(&"a", at)).collect();
        assert_eq!(fired, [false, false, false, false, false], "never three within 60");
    }

    #[test]
    fn reset_on_fire_fires_once_per_burst() {
        let mut t = Threshold::new(2, 60, 10).reset_on_fire(true);
        let fired: Vec<bool> = (0..4).map(|at| t.hit(&"a", at)).collect();
        assert_eq!(fired, [false, true, false, true]);
        assert!(t.is_empty(), "the key was forgotten when it fired");
    }

    #[test]
    fn an_evicted_key_starts_over() {
        let mut t = Threshold::new(2, 60, 1);
        assert!(!t.hit(&"a", 0));
        assert!(!t.hit(&"b", 1), "b evicts a");
        assert!(!t.hit(&"a", 2), "a's first hit was forgotten");
        assert_eq!(t.evicted(), 2);
        assert!(t.hit(&"a", 3));
    }

    #[test]
    fn a_late_hit_inside_the_window_counts_towards_firing() {
        let mut t = Threshold::new(3, 60, 10);
        t.hit(&"a", 100);
        assert!(!t.hit(&"a", 30), "a window before the newest: ignored");
        t.hit(&"a", 101);
        assert!(t.hit(&"a", 50), "late but inside the window of 101");
    }

    #[test]
    fn reset_and_sweep_forget_keys() {
        let mut t = Threshold::new(2, 60, 10);
        t.hit(&"a", 0);
        assert!(t.reset(&"a"));
        assert!(!t.hit(&"a", 1), "the hit at 0 was forgotten");
        t.hit(&"b", 50);
        assert_eq!(t.sweep(61), 1, "a's last hit (1) is a window old at 61; b's is not");
        assert_eq!(t.len(), 1);
    }
}
