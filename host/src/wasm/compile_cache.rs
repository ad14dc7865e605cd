//! Compiled functions kept in memory (Cranelift's incremental compilation cache), so that a
//! plugin compiled again with the same code costs only the functions that changed: its
//! snapshot after `init` (the same code with new data), a reload with new settings or rules,
//! or the same plugin in two stages. Keys are Cranelift's: a hash of the function's whole IR,
//! the target and the compiler flags, so a hit is the code that compiling would produce.
//!
//! Promise: at most [`MAX_BYTES`] of cached code; a compile that would pass it empties the
//! cache first (the next compiles refill it).
//!
//! While a plugin file is compiled for the disk cache, the functions it finds or adds are
//! also [recorded](FunctionCache::record), to be stored with it: a later run that reads
//! the file's compiled form from disk [fills](FunctionCache::fill) the cache with them, so
//! that the plugin's snapshot (new data, the same code) still finds its functions.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use wasmtime::CacheStore;

/// The most cached code kept, in bytes.
pub const MAX_BYTES: usize = 64 << 20;

/// The cache: compiled functions by key.
#[derive(Debug, Default)]
pub struct FunctionCache {
    entries: Mutex<Entries>,
    hits: AtomicU64,
    misses: AtomicU64,
    /// The functions found or added while recording (see [`record`](Self::record)).
    recorded: Mutex<Option<Vec<Function>>>,
}

/// A compiled function: its key and its code, as Cranelift's cache stores them.
pub type Function = (Vec<u8>, Vec<u8>);

#[derive(Debug, Default)]
struct Entries {
    map: HashMap<Vec<u8>, Vec<u8>>,
    bytes: usize,
}

impl FunctionCache {
    fn entries(&self) -> std::sync::MutexGuard<'_, Entries> {
        lock(&self.entries)
    }

    /// Lookups so far that found a function's code, and lookups that did not.
    pub fn counts(&self) -> (u64, u64) {
        (self.hits.load(Ordering::Relaxed), self.misses.load(Ordering::Relaxed))
    }

    /// Records every function found or added from now until [`Recording::finish`] (several
    /// compiles at once record into one list: any compile may use any of them).
    pub fn record(&self) -> Recording<'_> {
        lock(&self.recorded).get_or_insert_with(Vec::new);
        Recording(self)
    }

    /// Adds functions compiled in an earlier run (read back from the disk cache).
    pub fn fill(&self, functions: Vec<Function>) {
        for (key, code) in functions {
            self.insert(&key, code);
        }
    }

    fn note(&self, key: &[u8], code: &[u8]) {
        if let Some(recorded) = lock(&self.recorded).as_mut() {
            recorded.push((key.to_vec(), code.to_vec()));
        }
    }

    /// Bytes of code cached now.
    #[cfg(test)]
    fn bytes(&self) -> usize {
        self.entries().bytes
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Recording the functions a compile finds or adds; stops when finished or dropped.
pub struct Recording<'c>(&'c FunctionCache);

impl Recording<'_> {
    /// The functions recorded.
    pub fn finish(self) -> Vec<Function> {
        lock(&self.0.recorded).take().unwrap_or_default()
    }
}

impl Drop for Recording<'_> {
    fn drop(&mut self) {
        lock(&self.0.recorded).take();
    }
}

impl CacheStore for FunctionCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        let code = self.entries().map.get(key).map(|code| Cow::Owned(code.clone()));
        let counter = if code.is_some() { &self.hits } else { &self.misses };
        counter.fetch_add(1, Ordering::Relaxed);
        if let Some(code) = &code {
            self.note(key, code);
        }
        code
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let size = key.len() + value.len();
        if size > MAX_BYTES {
            return false;
        }
        self.note(key, &value);
        let mut entries = self.entries();
        if entries.bytes + size > MAX_BYTES {
            entries.map.clear();
            entries.bytes = 0;
        }
        if let Some(old) = entries.map.insert(key.to_vec(), value) {
            entries.bytes -= key.len() + old.len();
        }
        entries.bytes += size;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_bounded_and_empties_itself_when_full() {
        let cache = FunctionCache::default();
        assert!(cache.insert(b"a", vec![1; 10]));
        assert_eq!(cache.get(b"a").as_deref(), Some(&[1u8; 10][..]));
        assert!(cache.insert(b"a", vec![2; 4]), "a key inserted again replaces its code");
        assert_eq!(cache.bytes(), 5);
        assert!(!cache.insert(b"huge", vec![0; MAX_BYTES]), "more than the whole cache is refused");
        assert!(cache.insert(b"big", vec![0; MAX_BYTES - 4]));
        assert!(cache.get(b"a").is_none(), "making room emptied the cache");
        assert!(cache.bytes() <= MAX_BYTES);
    }
}
