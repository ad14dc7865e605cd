//! The bound every helper of [`state`](super) shares: a map of at most `cap` keys that,
//! asked to take one more, first evicts the key least recently used.
//!
//! "Used" means inserted or looked up to be changed ([`Recency::get_mut`]), in the order the
//! calls arrive, not in event time, so for a given input the evicted key is always the same.
//! Looking at a value ([`Recency::get`]) does not count as a use. Every operation is
//! O(log n) except [`Recency::retain`], which visits every key.

use std::collections::{BTreeMap, HashMap};
use std::hash::Hash;

struct Slot<V> {
    /// When the key was last used, on the map's own call counter.
    used: u64,
    value: V,
}

/// A map bounded by its key count, evicting the least recently used key to make room.
pub(crate) struct Recency<K, V> {
    cap: usize,
    /// Counts uses; each use gets the next number.
    clock: u64,
    entries: HashMap<K, Slot<V>>,
    /// Keys by the number of their last use: the first is the least recently used.
    order: BTreeMap<u64, K>,
    evicted: u64,
}

impl<K: Eq + Hash + Clone, V> Recency<K, V> {
    /// An empty map that holds at most `cap` keys (at least 1).
    pub(crate) fn new(cap: usize) -> Self {
        Recency { cap: cap.max(1), clock: 0, entries: HashMap::new(), order: BTreeMap::new(), evicted: 0 }
    }

    /// Keys held.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    /// Keys evicted to make room, since the map was made.
    pub(crate) fn evicted(&self) -> u64 {
        self.evicted
    }

    /// A key's value, without counting as a use.
    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|slot| &slot.value)
    }

    /// A key's value, to change it: counts as a use.
    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let slot = self.entries.get_mut(key)?;
        self.clock += 1;
        // The order map holds each key once, under its last use: move it to the newest.
        if let Some(k) = self.order.remove(&slot.used) {
            self.order.insert(self.clock, k);
        }
        slot.used = self.clock;
        Some(&mut slot.value)
    }

    /// Adds a key (replacing any value it had), as its most recent use. When the map is full
    /// and the key new, the least recently used key is evicted first.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.remove(&key);
        if self.entries.len() >= self.cap
            && let Some((_, oldest)) = self.order.pop_first()
        {
            self.entries.remove(&oldest);
            self.evicted += 1;
        }
        self.clock += 1;
        self.order.insert(self.clock, key.clone());
        self.entries.insert(key, Slot { used: self.clock, value });
    }

    /// Removes a key and returns its value.
    pub(crate) fn remove(&mut self, key: &K) -> Option<V> {
        let slot = self.entries.remove(key)?;
        self.order.remove(&slot.used);
        Some(slot.value)
    }

    /// Keeps the keys for which `keep` is true and returns how many were dropped.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&K, &mut V) -> bool) -> usize {
        let before = self.entries.len();
        let order = &mut self.order;
        self.entries.retain(|key, slot| {
            let kept = keep(key, &mut slot.value);
            if !kept {
                order.remove(&slot.used);
            }
            kept
        });
        before - self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_map_evicts_the_least_recently_used_key() {
        let mut m = Recency::new(2);
        m.insert("a", 1);
        m.insert("b", 2);
        *m.get_mut(&"a").unwrap() += 10;
        m.insert("c", 3);
        assert_eq!(m.len(), 2);
        assert_eq!(m.get(&"b"), None, "b was used least recently");
        assert_eq!(m.get(&"a"), Some(&11));
        assert_eq!(m.evicted(), 1);
    }

    #[test]
    fn looking_does_not_count_as_a_use() {
        let mut m = Recency::new(2);
        m.insert("a", 1);
        m.insert("b", 2);
        assert_eq!(m.get(&"a"), Some(&1));
        m.insert("c", 3);
        assert_eq!(m.get(&"a"), None);
    }

    #[test]
    fn replacing_removing_and_retaining_keep_the_order_in_step() {
        let mut m = Recency::new(3);
        m.insert("a", 1);
        m.insert("a", 2);
        m.insert("b", 3);
        m.insert("c", 4);
        assert_eq!(m.len(), 3, "replacing a key does not take a second place");
        assert_eq!(m.remove(&"b"), Some(3));
        assert_eq!(m.retain(|_, v| *v != 4), 1);
        m.insert("d", 5);
        m.insert("e", 6);
        assert_eq!(m.evicted(), 0, "removed and dropped keys freed their places");
        m.insert("f", 7);
        assert_eq!(m.get(&"a"), None, "a is now the oldest");
        assert_eq!(m.evicted(), 1);
    }
}
