//! [`Suppressor`]: sends the first alert per key and holds back repeats within a window of
//! event time, counting them, so the next alert that goes out can say how many were held.
//!
//! A key's window opens at an alert that goes out and lasts `window`; alerts for the key
//! inside it are held. Bounded by `max_keys` (least recently checked evicted, losing its
//! held count); closed windows are dropped by [`Suppressor::sweep`].

use std::hash::Hash;

use super::recency::Recency;
use super::{inside, span};

/// Whether an alert goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It goes out.
    Send {
        /// Alerts for the key held back since the last one that went out.
        suppressed_since_last: u64,
    },
    /// It is a repeat within the window: hold it back.
    Hold,
}

/// A key's window: when it opened and what it held back.
#[derive(Debug, Clone, Copy)]
struct Quiet {
    opened_at: i64,
    held: u64,
}

/// Dedupes repeated alerts per key within a window of event time.
///
/// - **Window**: an alert that goes out at `t` opens the key's window; alerts at `at` with
///   `at - t < window` are held and counted. The first alert after it goes out with the
///   count and opens the next window.
/// - **Out of order**: an alert earlier than the open window's start is held too (a key's
///   time is the newest window opening), since it belongs to a burst already reported.
/// - **Keys**: at most `max_keys`; a new key when full evicts the key least recently
///   checked, whose held count is lost and whose next alert goes out as a first one.
/// - **Expiry**: [`sweep`](Self::sweep) drops the keys whose window closed; their held
///   counts are lost too (the next alert for such a key reports 0).
pub struct Suppressor<K> {
    window: i64,
    keys: Recency<K, Quiet>,
}

impl<K: Eq + Hash + Clone> Suppressor<K> {
    /// Holds repeats within `window` (in the caller's time unit; 0 counts as 1), for at most
    /// `max_keys` keys.
    pub fn new(window: u64, max_keys: usize) -> Self {
        Suppressor { window: span(window), keys: Recency::new(max_keys) }
    }

    /// Decides for an alert for `key` at event time `at`.
    pub fn check(&mut self, key: &K, at: i64) -> Verdict {
        let window = self.window;
        if let Some(quiet) = self.keys.get_mut(key) {
            if inside(quiet.opened_at, at, window) {
                quiet.held += 1;
                return Verdict::Hold;
            }
            let held = quiet.held;
            *quiet = Quiet { opened_at: at, held: 0 };
            return Verdict::Send { suppressed_since_last: held };
        }
        self.keys.insert(key.clone(), Quiet { opened_at: at, held: 0 });
        Verdict::Send { suppressed_since_last: 0 }
    }

    /// Drops every key whose window has closed at `now` (held counts included); returns how
    /// many. Visits every key: call it now and then, not per event.
    pub fn sweep(&mut self, now: i64) -> usize {
        let window = self.window;
        self.keys.retain(|_, quiet| inside(quiet.opened_at, now, window))
    }

    /// Keys held.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is held.
    pub fn is_empty(&self) -> bool {
        self.keys.len() == 0
    }

    /// Keys evicted to make room for new ones.
    pub fn evicted(&self) -> u64 {
        self.keys.evicted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIRST: Verdict = Verdict::Send { suppressed_since_last: 0 };

    #[test]
    fn repeats_within_the_window_are_held_and_counted_in_the_next_alert() {
        let mut s = Suppressor::new(60, 10);
        assert_eq!(s.check(&"a", 0), FIRST);
        assert_eq!(s.check(&"a", 10), Verdict::Hold);
        assert_eq!(s.check(&"b", 20), FIRST, "another key");
        assert_eq!(s.check(&"a", 59), Verdict::Hold);
        assert_eq!(s.check(&"a", 60), Verdict::Send { suppressed_since_last: 2 });
        assert_eq!(s.check(&"a", 61), Verdict::Hold, "a new window opened at 60");
        assert_eq!(s.check(&"a", 200), Verdict::Send { suppressed_since_last: 1 });
    }

    #[test]
    fn a_late_alert_is_held() {
        let mut s = Suppressor::new(60, 10);
        s.check(&"a", 100);
        assert_eq!(s.check(&"a", 20), Verdict::Hold);
        assert_eq!(s.check(&"a", 160), Verdict::Send { suppressed_since_last: 1 });
    }

    #[test]
    fn an_evicted_key_loses_its_count_and_sends_again() {
        let mut s = Suppressor::new(60, 2);
        s.check(&"a", 0);
        s.check(&"a", 1);
        s.check(&"b", 2);
        s.check(&"c", 3);
        assert_eq!(s.evicted(), 1);
        assert_eq!(s.len(), 2);
        assert_eq!(s.check(&"a", 4), FIRST, "a was checked least recently: evicted, held count lost");
        assert_eq!(s.check(&"c", 5), Verdict::Hold, "c is still remembered");
    }

    #[test]
    fn sweep_drops_closed_windows() {
        let mut s = Suppressor::new(60, 10);
        s.check(&"a", 0);
        s.check(&"a", 1);
        s.check(&"b", 30);
        assert_eq!(s.sweep(60), 1);
        assert_eq!(s.check(&"a", 61), FIRST, "a's held count went with it");
        assert_eq!(s.check(&"b", 61), Verdict::Hold);
    }
}
