//! A verified on-disk cache of compiled components (the `compile_cache` setting, off unless
//! configured).
//!
//! Compiling a plugin is most of what start-up costs: ~0.2 s for the file-mode chain, ~2.5 s
//! for `json` + `sigma`, every run. A compiled component is a pure function of the plugin's
//! bytes and of the engine's compiler settings, so a run that loads the same bytes with the
//! same engine can read what an earlier run wrote — the plugin as given and, for a plugin
//! snapshotted after `init`, its snapshot (the same settings and rules give the same one).
//!
//! What it costs in safety: a compiled component is machine code that wasmtime runs as it
//! finds it, so whoever can write an entry runs code in this process outside the sandbox.
//! Entries are therefore read only from a folder this user owns that nobody else may write
//! to (refused otherwise, as are entries that are links or others' files), and each entry
//! carries a keyed BLAKE3 MAC over its name and bytes, under a key kept in the folder
//! readable by this user alone: an entry truncated by a crash, damaged on disk, or copied
//! from another cache does not verify and is compiled again. What the MAC cannot stop is
//! someone who already runs as this user: they can read the key. For an analyst that adds
//! nothing (they could change the user's shell start-up files as well); for a service it
//! turns a compromise of its account into code that survives a restart, which is why the
//! cache is off unless configured.
//!
//! Entries past the folder's size cap are removed, least recently used first (a hit
//! refreshes an entry's modification time).

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use wasmtime::Engine;

use super::compile_cache::Function;

/// Bytes of the MAC after each entry's compiled bytes.
const MAC: usize = 32;
/// What the cache's files may take in all before the least recently used are removed.
pub const DEFAULT_MAX_BYTES: u64 = 2 << 30;
/// Entries' file extension.
const EXTENSION: &str = "cwasm";

/// Why a cache folder is not used.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The folder or its key could not be made or read.
    #[error("compile cache {path}: {source}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The folder or its key is not this user's alone.
    #[error("compile cache {path}: {why}; not used (its entries would run as machine code)")]
    Unsafe {
        /// The folder or file.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
}

/// The cache folder and the key its entries are verified with.
pub struct DiskCache {
    dir: PathBuf,
    key: [u8; 32],
    max_bytes: u64,
}

impl std::fmt::Debug for DiskCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key.
        f.debug_struct("DiskCache").field("dir", &self.dir).field("max_bytes", &self.max_bytes).finish_non_exhaustive()
    }
}

impl DiskCache {
    /// Opens (making it if missing, readable and writable by this user only) the cache in
    /// `dir`, with its key (made on first use); refuses a folder or key others may write.
    pub fn open(dir: &Path, max_bytes: u64) -> Result<DiskCache, CacheError> {
        let io = |source| CacheError::Io { path: dir.to_owned(), source };
        fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io)?;
        owned_alone(dir, &fs::metadata(dir).map_err(io)?, 0o022)?;
        let key = key(&dir.join("key"))?;
        Ok(DiskCache { dir: dir.to_owned(), key, max_bytes })
    }

    /// What an earlier run stored for `wasm` compiled by `engine`, if an entry is there and
    /// verifies. An entry that does not is removed.
    pub fn get(&self, engine: &Engine, wasm: &[u8]) -> Option<Entry> {
        let name = entry_name(engine, wasm);
        let path = self.dir.join(&name);
        let mut file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(&path).ok()?;
        let verified = (|| {
            let meta = file.metadata().ok()?;
            if owned_alone(&path, &meta, 0o077).is_err() || meta.len() < MAC as u64 {
                return None;
            }
            let mut bytes = Vec::with_capacity(meta.len() as usize);
            file.read_to_end(&mut bytes).ok()?;
            let mac = bytes.split_off(bytes.len() - MAC);
            (self.mac(&name, &bytes).as_bytes()[..] == mac[..]).then(|| Entry::decode(bytes)).flatten()
        })();
        match verified {
            Some(entry) => {
                // Recently used: kept longest when the folder is trimmed.
                let _ = file.set_modified(SystemTime::now());
                Some(entry)
            }
            None => {
                tracing::warn!(entry = %path.display(), "compile cache entry does not verify; removed, the plugin is compiled again");
                let _ = fs::remove_file(&path);
                None
            }
        }
    }

    /// Stores `entry`, what `engine` compiled of `wasm`, for later runs; then trims the
    /// folder to its size cap. A failure is logged: the cache only ever saves time.
    pub fn put(&self, engine: &Engine, wasm: &[u8], entry: &Entry) {
        let compiled = &entry.encode();
        let name = entry_name(engine, wasm);
        let path = self.dir.join(&name);
        let temporary = self.dir.join(format!("{name}.{}.partial", std::process::id()));
        let written = (|| {
            let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temporary)?;
            file.write_all(compiled)?;
            file.write_all(self.mac(&name, compiled).as_bytes())?;
            file.sync_data()?;
            // Whole or not at all: a reader sees the old entry, none, or this one complete.
            fs::rename(&temporary, &path)
        })();
        if let Err(e) = written {
            let _ = fs::remove_file(&temporary);
            tracing::warn!(entry = %path.display(), error = %e, "compile cache entry not written");
            return;
        }
        self.trim();
    }

    fn mac(&self, name: &str, compiled: &[u8]) -> blake3::Hash {
        let mut mac = blake3::Hasher::new_keyed(&self.key);
        mac.update(name.as_bytes()).update(compiled);
        mac.finalize()
    }

    /// Removes the least recently used entries while the entries take more than the cap.
    fn trim(&self) {
        let Ok(listing) = fs::read_dir(&self.dir) else { return };
        let mut entries: Vec<(SystemTime, u64, PathBuf)> = listing
            .filter_map(|e| {
                let e = e.ok()?;
                let meta = e.metadata().ok()?;
                let path = e.path();
                let entry = path.extension().is_some_and(|x| x == EXTENSION) && meta.is_file();
                entry.then_some((meta.modified().ok()?, meta.len(), path))
            })
            .collect();
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        entries.sort_by_key(|e| e.0);
        for (_, len, path) in entries {
            if total <= self.max_bytes {
                break;
            }
            if fs::remove_file(&path).is_ok() {
                total -= len;
            }
        }
    }
}

/// What an entry holds: a compiled component, and the compiled functions it was made of
/// (for the compiled-function cache: see `compile_cache`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Entry {
    /// What `precompile_component` returned.
    pub compiled: Vec<u8>,
    /// The functions compiling it found or added.
    pub functions: Vec<Function>,
}

impl Entry {
    /// The entry as stored (before its MAC): the compiled component's length (u64) and
    /// bytes, then each function's key and code, each a length (u32) and its bytes;
    /// little-endian.
    fn encode(&self) -> Vec<u8> {
        let functions: usize = self.functions.iter().map(|(k, c)| 8 + k.len() + c.len()).sum();
        let mut out = Vec::with_capacity(8 + self.compiled.len() + functions);
        out.extend_from_slice(&(self.compiled.len() as u64).to_le_bytes());
        out.extend_from_slice(&self.compiled);
        for (key, code) in &self.functions {
            for part in [key, code] {
                out.extend_from_slice(&(part.len() as u32).to_le_bytes());
                out.extend_from_slice(part);
            }
        }
        out
    }

    /// Reads back what [`encode`](Self::encode) wrote; `None` if it is not that.
    fn decode(mut bytes: Vec<u8>) -> Option<Entry> {
        let len = usize::try_from(u64::from_le_bytes(bytes.get(..8)?.try_into().ok()?)).ok()?;
        let end = len.checked_add(8).filter(|&end| end <= bytes.len())?;
        let mut rest = &bytes[end..];
        let mut part = || -> Option<Option<Vec<u8>>> {
            if rest.is_empty() {
                return Some(None);
            }
            let len = u32::from_le_bytes(rest.get(..4)?.try_into().ok()?) as usize;
            let part = rest.get(4..4 + len)?.to_vec();
            rest = &rest[4 + len..];
            Some(Some(part))
        };
        let mut functions = Vec::new();
        while let Some(key) = part()? {
            functions.push((key, part()??));
        }
        bytes.truncate(end);
        bytes.drain(..8);
        Some(Entry { compiled: bytes, functions })
    }
}

/// An entry's file name: a hash of the cache's format, logsift's version, what the engine's
/// compiled code must match to load (wasmtime's compatibility hash: its version, compiler
/// settings and features), and the plugin's bytes.
fn entry_name(engine: &Engine, wasm: &[u8]) -> String {
    use std::hash::Hash;
    let mut hasher = Blake3Hasher(blake3::Hasher::new());
    hasher.0.update(b"logsift compile cache 1\0").update(env!("CARGO_PKG_VERSION").as_bytes()).update(b"\0");
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hasher.0.update(b"\0").update(wasm);
    format!("{}.{EXTENSION}", hasher.0.finalize().to_hex())
}

/// BLAKE3 as a [`std::hash::Hasher`], to take wasmtime's compatibility hash.
struct Blake3Hasher(blake3::Hasher);

impl std::hash::Hasher for Blake3Hasher {
    fn finish(&self) -> u64 {
        let hash = self.0.finalize();
        u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"))
    }

    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }
}

/// Refuses `path` unless this user owns it and none of the permission bits in `forbidden`
/// is set.
fn owned_alone(path: &Path, meta: &fs::Metadata, forbidden: u32) -> Result<(), CacheError> {
    let unsafe_because = |why: String| Err(CacheError::Unsafe { path: path.to_owned(), why });
    // SAFETY: `geteuid` reads the process's effective user id and cannot fail.
    #[allow(unsafe_code)]
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        return unsafe_because(format!("owned by uid {}, not by this user (uid {me})", meta.uid()));
    }
    if meta.mode() & forbidden != 0 {
        return unsafe_because(format!("mode {:o} lets others write to it", meta.mode() & 0o7777));
    }
    Ok(())
}

fn read_key(path: &Path, mut file: File) -> Result<[u8; 32], CacheError> {
    let meta = file.metadata().map_err(|source| CacheError::Io { path: path.to_owned(), source })?;
    owned_alone(path, &meta, 0o077)?;
    let mut key = [0; 32];
    let mut rest = Vec::new();
    file.read_exact(&mut key)
        .and_then(|()| file.read_to_end(&mut rest))
        .map_err(|source| CacheError::Io { path: path.to_owned(), source })?;
    if !rest.is_empty() {
        return Err(CacheError::Unsafe { path: path.to_owned(), why: "the key is not 32 bytes".into() });
    }
    Ok(key)
}

/// The key in `path`, made on first use.
fn key(path: &Path) -> Result<[u8; 32], CacheError> {
    let io = |source| CacheError::Io { path: path.to_owned(), source };
    let mut key = [0; 32];
    File::open("/dev/urandom").and_then(|mut random| random.read_exact(&mut key)).map_err(io)?;
    // `create_new` fails where there is a key (or a link, which reading then refuses), and
    // of two runs starting at once only one writes a key: the other reads it.
    match OpenOptions::new().write(true).create_new(true).mode(0o600).open(path) {
        Ok(mut file) => {
            file.write_all(&key).and_then(|()| file.sync_all()).map_err(io)?;
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let file = OpenOptions::new().read(true).custom_flags(libc::O_NOFOLLOW).open(path).map_err(io)?;
            read_key(path, file)
        }
        Err(e) => Err(io(e)),
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::PermissionsExt;

    use super::*;

    fn entry(seed: u8) -> Entry {
        Entry { compiled: vec![seed; 1000], functions: vec![(vec![seed, 1], vec![seed; 30]), (vec![seed, 2], Vec::new())] }
    }

    fn entries(dir: &Path) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == EXTENSION)).collect();
        found.sort();
        found
    }

    #[test]
    fn an_entry_is_read_back_only_for_the_same_bytes_and_engine() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let cache = DiskCache::open(&dir.path().join("cache"), DEFAULT_MAX_BYTES).expect("opens");
        assert!(cache.get(&engine, b"plugin").is_none(), "empty at first");
        cache.put(&engine, b"plugin", &entry(7));
        assert_eq!(cache.get(&engine, b"plugin"), Some(entry(7)));
        assert!(cache.get(&engine, b"plugin!").is_none(), "other bytes");
        let mut config = wasmtime::Config::new();
        config.epoch_interruption(true);
        assert!(cache.get(&Engine::new(&config).unwrap(), b"plugin").is_none(), "an engine that compiles differently");
        let reopened = DiskCache::open(&dir.path().join("cache"), DEFAULT_MAX_BYTES).expect("opens again");
        assert_eq!(reopened.get(&engine, b"plugin"), Some(entry(7)), "a later run, with the same key");
        let mode = |p: &Path| fs::metadata(p).unwrap().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("cache")), 0o700);
        assert_eq!(mode(&dir.path().join("cache/key")), 0o600);
        assert_eq!(mode(&entries(&dir.path().join("cache"))[0]), 0o600);
    }

    #[test]
    fn a_damaged_or_foreign_entry_does_not_verify_and_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        let (one, other) = (dir.path().join("one"), dir.path().join("other"));
        let cache = DiskCache::open(&one, DEFAULT_MAX_BYTES).unwrap();
        let foreign = DiskCache::open(&other, DEFAULT_MAX_BYTES).unwrap();
        cache.put(&engine, b"plugin", &entry(1));
        let path = entries(&one).remove(0);
        let good = fs::read(&path).unwrap();
        // The same entry in a cache with another key.
        fs::write(other.join(path.file_name().unwrap()), &good).unwrap();
        fs::set_permissions(other.join(path.file_name().unwrap()), fs::Permissions::from_mode(0o600)).unwrap();
        assert!(foreign.get(&engine, b"plugin").is_none(), "made under another key");
        for damage in [0, 8, good.len() / 2, good.len() - 1] {
            let mut bad = good.clone();
            bad[damage] ^= 0x40;
            fs::write(&path, &bad).unwrap();
            assert!(cache.get(&engine, b"plugin").is_none(), "byte {damage} changed");
            assert!(!path.exists(), "the damaged entry is removed");
        }
        fs::write(&path, &good[..good.len() - 5]).unwrap();
        assert!(cache.get(&engine, b"plugin").is_none(), "truncated");
        fs::write(&path, &good).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        assert!(cache.get(&engine, b"plugin").is_none(), "readable by others: not this user's alone");
        fs::write(&path, &good).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(cache.get(&engine, b"plugin"), Some(entry(1)), "the good entry again");
    }

    #[test]
    fn a_folder_or_key_others_may_write_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let cache = dir.path().join("cache");
        DiskCache::open(&cache, DEFAULT_MAX_BYTES).unwrap();
        fs::set_permissions(&cache, fs::Permissions::from_mode(0o777)).unwrap();
        let refused = DiskCache::open(&cache, DEFAULT_MAX_BYTES).unwrap_err().to_string();
        assert!(refused.contains("lets others write") && refused.contains("not used"), "{refused}");
        fs::set_permissions(&cache, fs::Permissions::from_mode(0o700)).unwrap();
        fs::set_permissions(cache.join("key"), fs::Permissions::from_mode(0o644)).unwrap();
        assert!(DiskCache::open(&cache, DEFAULT_MAX_BYTES).is_err(), "a key others can read");
        fs::remove_file(cache.join("key")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("elsewhere"), cache.join("key")).unwrap();
        assert!(DiskCache::open(&cache, DEFAULT_MAX_BYTES).is_err(), "a key that is a link");
    }

    #[test]
    fn the_folder_is_trimmed_to_its_cap_least_recently_used_first() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::default();
        // Room for two entries of ~1.1 KB, not three.
        let cache = DiskCache::open(dir.path(), 2500).unwrap();
        let when = |secs| SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(secs);
        cache.put(&engine, b"a", &entry(1));
        cache.put(&engine, b"b", &entry(2));
        // Written in order; then `a` was used since `b`.
        let set = |wasm: &[u8], at| {
            File::options().write(true).open(dir.path().join(entry_name(&engine, wasm))).unwrap().set_modified(at).unwrap()
        };
        set(b"a", when(1_000));
        set(b"b", when(2_000));
        assert!(cache.get(&engine, b"a").is_some());
        cache.put(&engine, b"c", &entry(3));
        assert!(cache.get(&engine, b"b").is_none(), "the least recently used went");
        assert!(cache.get(&engine, b"a").is_some() && cache.get(&engine, b"c").is_some());
    }

    #[test]
    fn entries_read_back_as_written_and_garbage_does_not() {
        for e in [entry(3), Entry::default(), Entry { compiled: vec![1], functions: vec![(Vec::new(), vec![2; 5])] }] {
            assert_eq!(Entry::decode(e.encode()), Some(e));
        }
        let good = entry(3).encode();
        assert!(Entry::decode(good[..good.len() - 1].to_vec()).is_none(), "a function cut short");
        assert!(Entry::decode(vec![0xFF; 12]).is_none(), "a length past the end");
        assert!(Entry::decode(Vec::new()).is_none());
    }
}
