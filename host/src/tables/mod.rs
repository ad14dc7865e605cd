//! Lookup tables: files the host loads (MaxMind GeoIP/ASN databases, threat-intel indicator
//! sets, key→record tables such as an asset inventory) and grants to the plugins whose
//! stage names them (`tables = [...]`). A plugin reads them through the contract's `lookup`
//! import, a whole batch of keys per call; a plugin not granted a table cannot read it.
//!
//! Each table is a [`TableHandle`]: the loaded version behind an `ArcSwap`, so a refresh
//! (the file changed) swaps a whole new version in while instances keep reading without a
//! lock, and a file that does not load is refused with its reason while the old version
//! stays. [`Tables`] holds them all and does the refreshing, on the reload thread.
//!
//! # Layout
//! - [`ioc`]: indicator sets (IPs, ranges, domains with their subdomains, file hashes).
//! - [`records`]: key→record tables from CSV or JSON.
//! - [`mmdb`]: MaxMind databases.

pub mod ioc;
pub mod mmdb;
pub mod records;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;
use serde::{Deserialize, Serialize};

/// What kind of table a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TableKind {
    /// A MaxMind database (`.mmdb`): GeoIP2/GeoLite2 City, Country or ASN.
    Mmdb,
    /// Indicators of compromise: a text file (one per line) or a CSV file with an
    /// `indicator` column.
    Ioc,
    /// Rows keyed by one column: CSV, a JSON array of objects, or JSON lines.
    Records,
}

/// A table in the configuration (`[tables.<name>]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TableConfig {
    /// What the file holds.
    pub kind: TableKind,
    /// The file, relative to the configuration file.
    pub path: PathBuf,
    /// `records`: the column (or JSON field) that keys the rows.
    #[serde(default)]
    pub key: Option<String>,
}

/// Why a table file was not loaded.
#[derive(Debug, thiserror::Error)]
pub enum TableError {
    /// The file could not be read.
    #[error("cannot read table file {path}: {error}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        error: std::io::Error,
    },
    /// The file's content is not what its kind needs.
    #[error("table file {path}{at}: {reason}", at = line.map(|l| format!(" line {l}")).unwrap_or_default())]
    Content {
        /// The file.
        path: PathBuf,
        /// The line, where the format has lines.
        line: Option<u64>,
        /// Why.
        reason: String,
    },
}

/// One loaded version of a table.
pub enum Table {
    /// A MaxMind database.
    Mmdb(mmdb::Database),
    /// An indicator set.
    Ioc(ioc::Indicators),
    /// Rows by key.
    Records(records::Records),
}

impl Table {
    /// Loads `config`'s file.
    pub fn load(config: &TableConfig) -> Result<Table, TableError> {
        let bytes = std::fs::read(&config.path).map_err(|error| TableError::Read { path: config.path.clone(), error })?;
        Self::from_bytes(config, bytes)
    }

    fn from_bytes(config: &TableConfig, bytes: Vec<u8>) -> Result<Table, TableError> {
        let path = &config.path;
        Ok(match config.kind {
            TableKind::Mmdb => Table::Mmdb(mmdb::Database::from_bytes(path, bytes)?),
            TableKind::Ioc => Table::Ioc(ioc::Indicators::parse(path, &bytes)?),
            TableKind::Records => {
                let key = config.key.as_deref().ok_or_else(|| TableError::Content {
                    path: path.clone(),
                    line: None,
                    reason: "a records table needs `key`, the column that keys its rows".into(),
                })?;
                Table::Records(records::Records::parse(path, &bytes, key)?)
            }
        })
    }

    /// The record of `key`, as JSON object text.
    pub fn get(&self, key: &str) -> Option<String> {
        match self {
            Table::Mmdb(db) => db.get(key),
            Table::Ioc(set) => set.get(key).map(str::to_owned),
            Table::Records(rows) => rows.get(key).map(str::to_owned),
        }
    }

    /// Entries (rows, indicators; networks are not counted for a MaxMind database).
    pub fn len(&self) -> usize {
        match self {
            Table::Mmdb(_) => 0,
            Table::Ioc(set) => set.len(),
            Table::Records(rows) => rows.len(),
        }
    }

    /// Whether the table has no entries (always false for a MaxMind database).
    pub fn is_empty(&self) -> bool {
        !matches!(self, Table::Mmdb(_)) && self.len() == 0
    }
}

/// A table as plugins see it: the current version, swapped whole on refresh.
pub struct TableHandle {
    /// The table's name.
    pub name: String,
    current: ArcSwap<Table>,
    /// Nanoseconds spent answering lookups, across every plugin and worker reading it.
    answering_ns: AtomicU64,
}

impl TableHandle {
    fn new(name: &str, table: Table) -> Arc<TableHandle> {
        Arc::new(TableHandle { name: name.to_owned(), current: ArcSwap::from_pointee(table), answering_ns: AtomicU64::new(0) })
    }

    /// The records of `keys`, from one version of the table.
    pub fn get_all(&self, keys: &[String]) -> Vec<Option<String>> {
        let started = Instant::now();
        let table = self.current.load();
        let answers = keys.iter().map(|k| table.get(k)).collect();
        // Once per call (a batch's keys), so the clock costs nothing per record.
        self.answering_ns.fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        answers
    }

    /// The time spent answering lookups so far, inside the table alone (not the crossing
    /// into and out of the plugin): benchmarks subtract it from what a lookup stage costs.
    pub fn answering_time(&self) -> Duration {
        Duration::from_nanos(self.answering_ns.load(Ordering::Relaxed))
    }
}

/// The tables one plugin may read, by name.
#[derive(Clone, Default)]
pub struct Grants(Arc<HashMap<String, Arc<TableHandle>>>);

impl Grants {
    /// Looks up `keys` in `table`, if granted.
    pub fn get(&self, table: &str, keys: &[String]) -> Result<Vec<Option<String>>, String> {
        match self.0.get(table) {
            Some(handle) => Ok(handle.get_all(keys)),
            None => Err(format!("table {table:?} is not granted to this plugin (grant it with `tables = [{table:?}]` on its stage)")),
        }
    }

    /// The time the granted tables have spent answering lookups (every reader's, not only
    /// this plugin's).
    pub fn answering_time(&self) -> Duration {
        self.0.values().map(|handle| handle.answering_time()).sum()
    }

    /// The names granted.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self.0.keys().map(String::as_str).collect();
        names.sort_unstable();
        names
    }
}

impl std::fmt::Debug for Grants {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

/// What a refresh did to one table.
#[derive(Debug)]
pub enum Refresh {
    /// Loaded (first time, or its file changed), with this many entries.
    Loaded(usize),
    /// Its file changed but did not load; the previous version stays (if there is one).
    Refused(TableError),
}

struct Slot {
    config: TableConfig,
    handle: Arc<TableHandle>,
    /// The file's modification time and length when last read.
    stamp: Option<(SystemTime, u64)>,
}

/// All configured tables.
#[derive(Default)]
pub struct Tables {
    slots: BTreeMap<String, Slot>,
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}

impl Tables {
    /// Loads every table of `configs`. A table that does not load is an error: the first
    /// generation does not start without its tables.
    pub fn load(configs: &BTreeMap<String, TableConfig>) -> Result<Tables, (String, TableError)> {
        let mut tables = Tables::default();
        for (name, config) in configs {
            let table = Table::load(config).map_err(|e| (name.clone(), e))?;
            let handle = TableHandle::new(name, table);
            tables.slots.insert(name.clone(), Slot { config: config.clone(), handle, stamp: stamp(&config.path) });
        }
        Ok(tables)
    }

    /// Brings the tables in line with `configs`: new tables are loaded, removed ones
    /// dropped, and a table whose file changed (time or length) is read again and swapped in
    /// whole, or refused with the old version kept. Returns what happened, by table.
    pub fn refresh(&mut self, configs: &BTreeMap<String, TableConfig>) -> Vec<(String, Refresh)> {
        self.slots.retain(|name, _| configs.contains_key(name));
        let mut report = Vec::new();
        for (name, config) in configs {
            let now = stamp(&config.path);
            let slot = self.slots.get(name);
            let unchanged = slot.is_some_and(|s| s.config == *config && s.stamp.is_some() && s.stamp == now);
            if unchanged {
                continue;
            }
            match Table::load(config) {
                Ok(table) => {
                    let entries = table.len();
                    match self.slots.get_mut(name) {
                        Some(slot) => {
                            slot.handle.current.store(Arc::new(table));
                            slot.config = config.clone();
                            slot.stamp = now;
                        }
                        None => {
                            let handle = TableHandle::new(name, table);
                            self.slots.insert(name.clone(), Slot { config: config.clone(), handle, stamp: now });
                        }
                    }
                    report.push((name.clone(), Refresh::Loaded(entries)));
                }
                Err(e) => {
                    // Remember the stamp so a broken file is reported once, not at every look.
                    if let Some(slot) = self.slots.get_mut(name) {
                        slot.stamp = now;
                    }
                    report.push((name.clone(), Refresh::Refused(e)));
                }
            }
        }
        report
    }

    /// The grants for a stage naming `names`; unknown names are an error.
    pub fn grants(&self, names: &[String]) -> Result<Grants, String> {
        let mut granted = HashMap::new();
        for name in names {
            let slot = self.slots.get(name).ok_or_else(|| format!("table {name:?} is not loaded (see [tables.{name}])"))?;
            granted.insert(name.clone(), Arc::clone(&slot.handle));
        }
        Ok(Grants(Arc::new(granted)))
    }

    /// The files of the tables, to watch.
    pub fn paths(&self) -> Vec<&Path> {
        self.slots.values().map(|s| s.config.path.as_path()).collect()
    }
}
