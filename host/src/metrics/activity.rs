//! What the status page shows beyond counters: hits per rule, dead letters by reason and the
//! latest few, and quarantines.
//!
//! Much of it was written by whoever writes the logs or the rules: reasons quote input lines,
//! originals are input lines, titles come from rule files. It is kept here only as bounded,
//! truncated text in which control characters and bidirectional overrides are spelled as
//! escapes ([`printable`]); the page still renders every string as text, never as markup.
//!
//! Promise: memory stays bounded whatever the input — at most [`MAX_RULES`] rules and
//! [`MAX_REASONS`] dead-letter reasons (when a new one arrives with the table full, the
//! least-counted are folded away: forgotten by name, kept in a folded total), [`LATEST`]
//! recent dead letters of at most [`ORIGINAL_BYTES`] bytes of original each, and
//! [`MAX_QUARANTINED`] stages. Every text is cut to [`TEXT_CHARS`] characters. A worker
//! records once per batch: [`Activity::record`] takes the lock once, and only when the batch
//! had dead letters or alerts; a batch with neither costs one pass over its routed records.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Write as _;
use std::hash::Hash;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use logsift_event::Origin;

use crate::pipeline::{ChainOutput, CostTable, InputRecord, Payload, RuleCost};

/// Rules tracked by name; more are folded.
pub const MAX_RULES: usize = 1000;
/// Dead-letter reasons tracked; more are folded.
pub const MAX_REASONS: usize = 256;
/// Recent dead letters kept whole (within the limits below).
pub const LATEST: usize = 10;
/// Characters kept of a reason, title, rule id or plugin name.
pub const TEXT_CHARS: usize = 200;
/// Bytes kept of a dead letter's original record.
pub const ORIGINAL_BYTES: usize = 200;
/// Stages whose quarantines are remembered.
pub const MAX_QUARANTINED: usize = 256;

/// Text safe to show: at most `max_chars` characters (then `…`), with tabs and line breaks
/// as spaces, and other control characters, bidirectional overrides and zero-width
/// characters as `\u{…}` escapes, so a hostile string can neither hide nor reorder what is
/// shown around it. Escaping for HTML is the page's business (it only ever sets text).
pub fn printable(text: &str, max_chars: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max_chars * 4));
    for (n, c) in text.chars().enumerate() {
        if n == max_chars {
            out.push('…');
            break;
        }
        match c {
            '\t' | '\n' | '\r' => out.push(' '),
            c if c.is_control() || is_invisible_format(c) => {
                // Writing into a String cannot fail.
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Bidirectional controls, zero-width characters and the byte-order mark.
fn is_invisible_format(c: char) -> bool {
    matches!(c, '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// A count per key, with when it last grew and what the caller keeps beside it.
#[derive(Debug, Clone, Default)]
pub struct Tally<V> {
    /// How many.
    pub count: u64,
    /// When it last grew.
    pub last: Option<SystemTime>,
    /// The caller's data.
    pub info: V,
}

/// Counts per key, at most `capacity` keys. When a new key arrives with the table full, the
/// least-counted sixteenth (oldest first among equals) is folded: forgotten by key, added to
/// [`TopCounts::folded_keys`] and [`TopCounts::folded_count`]. Folding costs one pass over
/// the table, once per sixteenth of its capacity.
#[derive(Debug)]
pub struct TopCounts<K, V> {
    entries: HashMap<K, Tally<V>>,
    capacity: usize,
    folded_keys: u64,
    folded_count: u64,
}

impl<K: Hash + Eq + Clone, V: Default> TopCounts<K, V> {
    /// An empty table of at most `capacity` keys.
    pub fn new(capacity: usize) -> Self {
        TopCounts { entries: HashMap::new(), capacity: capacity.max(1), folded_keys: 0, folded_count: 0 }
    }

    /// Adds `n` to `key`'s count, making room for it if it is new; returns its tally.
    pub fn add(&mut self, key: K, n: u64, at: SystemTime) -> &mut Tally<V> {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            self.fold();
        }
        let tally = self.entries.entry(key).or_default();
        tally.count += n;
        tally.last = Some(at);
        tally
    }

    fn fold(&mut self) {
        let k = (self.capacity / 16).clamp(1, self.entries.len().max(1));
        let mut order: Vec<(u64, Option<SystemTime>, K)> = self.entries.iter().map(|(key, t)| (t.count, t.last, key.clone())).collect();
        order.select_nth_unstable_by(k - 1, |a, b| (a.0, a.1).cmp(&(b.0, b.1)));
        for (_, _, key) in order.into_iter().take(k) {
            if let Some(t) = self.entries.remove(&key) {
                self.folded_keys += 1;
                self.folded_count += t.count;
            }
        }
    }

    /// The `n` highest counts, highest first (most recent first among equals).
    pub fn top(&self, n: usize) -> Vec<(&K, &Tally<V>)> {
        let mut all: Vec<_> = self.entries.iter().collect();
        all.sort_unstable_by_key(|(_, t)| std::cmp::Reverse((t.count, t.last)));
        all.truncate(n);
        all
    }

    /// A key's tally.
    pub fn get(&self, key: &K) -> Option<&Tally<V>> {
        self.entries.get(key)
    }

    /// Keys tracked now.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no key is tracked.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The most keys tracked at once.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Keys folded away so far.
    pub fn folded_keys(&self) -> u64 {
        self.folded_keys
    }

    /// The counts those keys had.
    pub fn folded_count(&self) -> u64 {
        self.folded_count
    }
}

/// What is kept of a rule besides its hit count (from its latest alert).
#[derive(Debug, Clone, Default)]
pub struct RuleInfo {
    /// Title, printable and cut.
    pub title: String,
    /// Level (`informational` … `critical`).
    pub level: &'static str,
    /// The stage that raised it.
    pub plugin: String,
}

/// One recent dead letter.
#[derive(Debug, Clone)]
pub struct RecentDeadLetter {
    /// When it was routed.
    pub at: SystemTime,
    /// The stage that gave up on it.
    pub plugin: String,
    /// Why, printable and cut.
    pub reason: String,
    /// Where the record came from: `topic[partition]@offset` or `path:line`.
    pub source: String,
    /// The first [`ORIGINAL_BYTES`] bytes of the record, as printable text.
    pub original: String,
    /// The record's full length in bytes.
    pub original_bytes: usize,
}

/// Per worker, until when the stage is quarantined there.
pub type QuarantineInfo = BTreeMap<usize, SystemTime>;

/// The tables, under one lock.
#[derive(Debug)]
pub struct Tables {
    /// Alerts per rule id (cut to [`TEXT_CHARS`]) and mode: live (`false`) or shadow.
    pub rules: TopCounts<(String, bool), RuleInfo>,
    /// Dead letters per (stage, reason).
    pub reasons: TopCounts<(String, String), ()>,
    /// The latest dead letters, newest last.
    pub latest: VecDeque<RecentDeadLetter>,
    /// Quarantines per stage.
    pub quarantines: TopCounts<String, QuarantineInfo>,
    /// What rules cost, as their plugins measured (rule ids printable and cut).
    pub costs: CostTable,
    /// Alerts raised (routed, before the broker acknowledged them).
    pub alerts: u64,
    /// Dead letters routed (before the broker acknowledged them).
    pub dead_letters: u64,
}

/// The recent activity of the workers, shared with the status page.
#[derive(Debug)]
pub struct Activity {
    tables: Mutex<Tables>,
}

impl Default for Activity {
    fn default() -> Self {
        Activity {
            tables: Mutex::new(Tables {
                rules: TopCounts::new(MAX_RULES),
                reasons: TopCounts::new(MAX_REASONS),
                latest: VecDeque::with_capacity(LATEST),
                quarantines: TopCounts::new(MAX_QUARANTINED),
                costs: CostTable::default(),
                alerts: 0,
                dead_letters: 0,
            }),
        }
    }
}

/// Where a record came from, for people.
pub(crate) fn describe(origin: &Origin<'_>) -> String {
    match origin {
        Origin::Kafka { topic, partition, offset, .. } => format!("{}[{partition}]@{offset}", printable(topic, TEXT_CHARS)),
        Origin::File { path, line } => format!("{}:{line}", printable(path, TEXT_CHARS)),
        Origin::None => String::new(),
    }
}

/// The start of a record, as printable text (bytes that are not UTF-8 become U+FFFD).
pub(crate) fn original(raw: &[u8]) -> String {
    printable(&String::from_utf8_lossy(&raw[..raw.len().min(ORIGINAL_BYTES)]), ORIGINAL_BYTES)
}

impl Activity {
    /// The tables, for reading. A poisoned lock (a panic while recording) still holds
    /// consistent counts, so it is used as it is.
    pub fn tables(&self) -> MutexGuard<'_, Tables> {
        self.tables.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records a batch's dead letters and alerts: one lock, and none when it had neither.
    pub fn record(&self, inputs: &[InputRecord], out: &ChainOutput) {
        let mut rules: HashMap<(&str, bool), (u64, &crate::pipeline::AlertRecord)> = HashMap::new();
        let mut reasons: HashMap<(&str, &str), u64> = HashMap::new();
        let mut dead = Vec::new();
        for routed in &out.routed {
            match &routed.payload {
                Payload::Alert(alert) => rules.entry((&alert.rule_id, alert.shadow)).or_insert((0, alert)).0 += 1,
                Payload::DeadLetter(letter) => {
                    *reasons.entry((&letter.plugin, &letter.reason)).or_default() += 1;
                    dead.push((routed.source as usize, letter));
                }
                Payload::Event(_) => {}
            }
        }
        if rules.is_empty() && dead.is_empty() && out.costs.is_empty() {
            return;
        }
        let costs: Vec<RuleCost> = out.costs.iter().map(|c| RuleCost { rule_id: printable(&c.rule_id, TEXT_CHARS), ..c.clone() }).collect();
        let now = SystemTime::now();
        // Prepared before the lock: only the last LATEST dead letters of the batch can stay.
        let recent: Vec<RecentDeadLetter> = dead[dead.len().saturating_sub(LATEST)..]
            .iter()
            .map(|(source, letter)| {
                let input = inputs.get(*source);
                let raw = input.map_or(&[][..], |i| i.raw.as_slice());
                RecentDeadLetter {
                    at: now,
                    plugin: printable(&letter.plugin, TEXT_CHARS),
                    reason: printable(&letter.reason, TEXT_CHARS),
                    source: input.map(|i| describe(&i.origin)).unwrap_or_default(),
                    original: original(raw),
                    original_bytes: raw.len(),
                }
            })
            .collect();
        let reasons: Vec<_> =
            reasons.into_iter().map(|((plugin, reason), n)| ((printable(plugin, TEXT_CHARS), printable(reason, TEXT_CHARS)), n)).collect();
        let rules: Vec<_> = rules
            .into_iter()
            .map(|((rule_id, shadow), (n, alert))| {
                let info = RuleInfo {
                    title: printable(&alert.title, TEXT_CHARS),
                    level: alert.level.as_str(),
                    plugin: printable(&alert.plugin, TEXT_CHARS),
                };
                ((printable(rule_id, TEXT_CHARS), shadow), n, info)
            })
            .collect();
        let mut tables = self.tables();
        tables.costs.add(&costs);
        for (rule, n, info) in rules {
            // The live alerts: a rule on trial pages nobody.
            if !rule.1 {
                tables.alerts += n;
            }
            tables.rules.add(rule, n, now).info = info;
        }
        tables.dead_letters += dead.len() as u64;
        for (key, n) in reasons {
            tables.reasons.add(key, n, now);
        }
        for letter in recent {
            if tables.latest.len() == LATEST {
                tables.latest.pop_front();
            }
            tables.latest.push_back(letter);
        }
    }

    /// Records one dead letter routed outside the chain (an output the broker refused for
    /// good): `source` is where the record came from, `raw` its bytes.
    pub fn dead_letter(&self, plugin: &str, reason: &str, source: String, raw: &[u8]) {
        let now = SystemTime::now();
        let (plugin, reason) = (printable(plugin, TEXT_CHARS), printable(reason, TEXT_CHARS));
        let letter = RecentDeadLetter {
            at: now,
            plugin: plugin.clone(),
            reason: reason.clone(),
            source: printable(&source, TEXT_CHARS),
            original: original(raw),
            original_bytes: raw.len(),
        };
        let mut tables = self.tables();
        tables.dead_letters += 1;
        tables.reasons.add((plugin, reason), 1, now);
        if tables.latest.len() == LATEST {
            tables.latest.pop_front();
        }
        tables.latest.push_back(letter);
    }

    /// Records that `stage` was quarantined `n` times in `worker` just now, for `lasts`.
    pub fn quarantined(&self, stage: &str, worker: usize, n: u64, lasts: Duration) {
        let now = SystemTime::now();
        let mut tables = self.tables();
        let tally = tables.quarantines.add(printable(stage, TEXT_CHARS), n, now);
        tally.info.insert(worker, now + lasts);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_text_is_cut_and_shows_hidden_characters_as_escapes() {
        assert_eq!(printable("a\tb\nc", 10), "a b c");
        assert_eq!(printable("abcdef", 3), "abc…");
        assert_eq!(printable("evil\u{202e}txt.exe\u{0}", 40), "evil\\u{202e}txt.exe\\u{0}");
        assert_eq!(printable("<script>", 40), "<script>", "markup is the page's to escape, as text");
    }

    #[test]
    fn a_full_table_folds_its_least_counted_keys_and_counts_them() {
        let mut t: TopCounts<u32, ()> = TopCounts::new(32);
        let at = SystemTime::now();
        for key in 0..32 {
            t.add(key, u64::from(key) + 1, at);
        }
        t.add(100, 50, at);
        assert!(t.len() <= 32);
        assert_eq!(t.folded_keys(), 2, "a sixteenth of the capacity");
        assert_eq!(t.folded_count(), 1 + 2, "keys 0 and 1, the least counted");
        assert!(t.get(&0).is_none() && t.get(&100).is_some());
        assert_eq!(*t.top(1)[0].0, 100);
    }

    #[test]
    fn thousands_of_rules_stay_within_the_bound() {
        let mut t: TopCounts<String, RuleInfo> = TopCounts::new(MAX_RULES);
        let at = SystemTime::now();
        for round in 0..3 {
            for rule in 0..3754 {
                t.add(format!("rule-{rule}"), if rule < 10 { 100 } else { 1 } + round, at);
            }
        }
        assert!(t.len() <= MAX_RULES);
        let top: Vec<_> = t.top(10).into_iter().map(|(k, _)| k.clone()).collect();
        assert!((0..10).all(|r| top.contains(&format!("rule-{r}"))), "the heavy hitters stay: {top:?}");
        let tracked: u64 = t.top(MAX_RULES).iter().map(|(_, v)| v.count).sum();
        let added: u64 = (0..3).map(|round| 10 * (100 + round) + 3744 * (1 + round)).sum();
        assert_eq!(tracked + t.folded_count(), added, "nothing is lost from the totals");
    }
}
