//! The fields of one output record before it is written: each a name and a value, in the
//! order they were set, put into the order JSON objects are written in (names compared by
//! their dot-separated segments, byte by byte, so every object's keys come out sorted) with
//! the rules that make the result one well-formed object whatever the names:
//!
//! - a name set twice keeps the value set last (alert fields override the event's);
//! - a name that is also the start of others (`a` and `a.b` in nested style) keeps its value
//!   under `_value` in the object the others make (`{"a": {"_value": …, "b": …}}`), whichever
//!   came first;
//! - a dot only separates when both sides are non-empty (`a..b` is `a` then `.b`; `.a` and
//!   `a.` stay whole).
//!
//! Nothing here allocates per field: a [`Fields`] list is reused from record to record.

use std::cmp::Ordering;

use logsift_event::Value;

/// A field's value.
#[derive(Debug)]
pub enum Field<'a> {
    /// A value of the event.
    Value(Value<'a>),
    /// Text.
    Text(&'a str),
    /// A whole number.
    Int(i64),
    /// A list of texts.
    Texts(&'a [String]),
    /// MITRE ATT&CK technique ids from tags: `attack.t1110.001` is written `T1110.001`.
    Techniques(&'a [String]),
}

/// The technique id in a tag (`1110.001` of `attack.t1110.001`), if it names one.
pub fn technique(tag: &str) -> Option<&str> {
    tag.strip_prefix("attack.t").filter(|id| id.starts_with(|c: char| c.is_ascii_digit()))
}

/// One field to write.
#[derive(Debug)]
struct Entry<'a> {
    name: &'a str,
    /// How many `_value` segments follow the name's own (see the module doc).
    nested_values: u32,
    /// When it was set: of two fields with the same path the later wins.
    seq: u32,
    /// Every dot of the name separates two non-empty segments (the usual case, compared
    /// byte by byte; others are compared segment by segment).
    regular: bool,
    /// The first 8 bytes of the name as an order-preserving number (see [`name_key`]).
    key: u64,
    value: Field<'a>,
}

/// The segments of a name: split at dots in nested style, whole in flat style.
#[derive(Clone)]
struct Segments<'a> {
    rest: Option<&'a str>,
    split: bool,
    nested_values: u32,
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self.rest {
            Some(rest) => {
                let dot = if self.split { rest.bytes().position(|b| b == b'.') } else { None };
                match dot.filter(|&at| at > 0 && at + 1 < rest.len()) {
                    Some(at) => {
                        self.rest = Some(&rest[at + 1..]);
                        Some(&rest[..at])
                    }
                    None => {
                        self.rest = None;
                        Some(rest)
                    }
                }
            }
            None if self.nested_values > 0 => {
                self.nested_values -= 1;
                Some("_value")
            }
            None => None,
        }
    }
}

/// The fields of one record, collected then put in writing order by [`Fields::resolve`].
#[derive(Debug, Default)]
pub struct Fields<'a> {
    entries: Vec<Entry<'a>>,
    nested: bool,
    /// Paths being written (see [`Fields::paths`]).
    paths: (Vec<&'a str>, Vec<&'a str>),
}

impl<'a> Fields<'a> {
    /// An empty list reusing `storage`'s allocation (see [`Fields::into_storage`]).
    pub fn reuse(storage: Storage, nested: bool) -> Self {
        Fields { entries: recycle(storage.entries), nested, paths: (recycle(storage.paths.0), recycle(storage.paths.1)) }
    }

    /// Gives back the allocations for the next record.
    pub fn into_storage(self) -> Storage {
        Storage { entries: recycle(self.entries), paths: (recycle(self.paths.0), recycle(self.paths.1)) }
    }

    /// Two empty lists of segments, for the path being written and the one before it.
    pub fn paths(&mut self) -> (Vec<&'a str>, Vec<&'a str>) {
        let (mut a, mut b) = std::mem::take(&mut self.paths);
        a.clear();
        b.clear();
        (a, b)
    }

    /// Takes back the lists [`Fields::paths`] gave.
    pub fn return_paths(&mut self, paths: (Vec<&'a str>, Vec<&'a str>)) {
        self.paths = paths;
    }

    /// Adds a field (set after those already added).
    pub fn push(&mut self, name: &'a str, value: Field<'a>) {
        let seq = self.entries.len() as u32;
        let (regular, key) = name_key(name, self.nested);
        self.entries.push(Entry { name, nested_values: 0, seq, regular, key, value });
    }

    /// Whether a field of this exact name was added.
    pub fn has(&self, name: &str) -> bool {
        self.entries.iter().any(|e| e.name == name)
    }

    /// Drops every field whose first segment is `name` (for a top-level field that must
    /// replace whatever the record had there).
    pub fn remove_tree(&mut self, name: &str) {
        let nested = self.nested;
        self.entries.retain(|e| if nested { segments(e, true).next() != Some(name) } else { e.name != name });
    }

    /// Puts the fields in writing order and drops those overridden.
    pub fn resolve(&mut self) {
        let nested = self.nested;
        loop {
            self.entries.sort_unstable_by(|a, b| compare(a, b, nested).then(a.seq.cmp(&b.seq)));
            // Of fields with the same path, the last set wins.
            self.entries.dedup_by(|later, earlier| {
                let same = compare(later, earlier, nested) == Ordering::Equal;
                if same {
                    std::mem::swap(later, earlier);
                }
                same
            });
            // A path that starts another moves under `_value` (only nested names have prefixes).
            let (mut moved, mut i) = (false, 0);
            while nested && i + 1 < self.entries.len() {
                let (a, b) = (&self.entries[i], &self.entries[i + 1]);
                if is_prefix(a, b) {
                    self.entries[i].nested_values += 1;
                    moved = true;
                }
                i += 1;
            }
            if !moved {
                return;
            }
        }
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// The path and value of the `i`th field in writing order (after [`Fields::resolve`]).
    pub fn get(&self, i: usize) -> (Path<'a>, &Field<'a>) {
        let e = &self.entries[i];
        (Path(segments(e, self.nested)), &e.value)
    }
}

/// A field's path: its segments in order.
#[derive(Clone)]
pub struct Path<'a>(Segments<'a>);

impl<'a> Iterator for Path<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        self.0.next()
    }
}

/// The allocations of a [`Fields`] list between records.
#[derive(Debug, Default)]
pub struct Storage {
    entries: Vec<Entry<'static>>,
    paths: (Vec<&'static str>, Vec<&'static str>),
}

/// Empties a list and gives back its allocation for items of another lifetime (collecting
/// an empty `vec::IntoIter` into a `Vec` of a same-sized type reuses the allocation).
fn recycle<T, U>(mut items: Vec<T>) -> Vec<U> {
    items.clear();
    items.into_iter().map(|_| unreachable!("emptied")).collect()
}

fn segments<'a>(entry: &Entry<'a>, nested: bool) -> Segments<'a> {
    Segments { rest: Some(entry.name), split: nested, nested_values: entry.nested_values }
}

/// Whether every dot of a name separates two non-empty segments (always, in flat style,
/// where names are not split), and its first 8 bytes as a big-endian number that orders
/// names as [`compare`] does: in nested style a separating dot becomes 0 and the bytes below
/// it move up by one (so the mapping stays one to one); a short name is padded with zeros,
/// which only ever ties (the full comparison then decides).
fn name_key(name: &str, nested: bool) -> (bool, u64) {
    let bytes = name.as_bytes();
    let mut key = [0u8; 8];
    let mut regular = true;
    let mut previous = b'.';
    for (i, &b) in bytes.iter().enumerate() {
        if nested && b == b'.' && previous == b'.' {
            regular = false;
        }
        previous = b;
        if let Some(slot) = key.get_mut(i) {
            *slot = match b {
                _ if !nested => b,
                b'.' => 0,
                b if b < b'.' => b + 1,
                b => b,
            };
        }
    }
    if nested && previous == b'.' {
        regular = false;
    }
    (regular, u64::from_be_bytes(key))
}

/// Compares two fields' paths segment by segment. For regular names (and always in flat
/// style, where names are not split) that is comparing bytes with a separating dot below
/// every other byte.
fn compare(a: &Entry<'_>, b: &Entry<'_>, nested: bool) -> Ordering {
    if !(a.regular && b.regular && a.nested_values == 0 && b.nested_values == 0) {
        return segments(a, nested).cmp(segments(b, nested));
    }
    if a.key != b.key {
        return a.key.cmp(&b.key);
    }
    let (x, y) = (a.name.as_bytes(), b.name.as_bytes());
    match x.iter().zip(y).position(|(p, q)| p != q) {
        None => x.len().cmp(&y.len()),
        Some(i) if nested && x[i] == b'.' => Ordering::Less,
        Some(i) if nested && y[i] == b'.' => Ordering::Greater,
        Some(i) => x[i].cmp(&y[i]),
    }
}

/// Whether `a`'s path is a strict prefix of `b`'s.
fn is_prefix(a: &Entry<'_>, b: &Entry<'_>) -> bool {
    if a.regular && b.regular && a.nested_values == 0 && b.nested_values == 0 {
        return b.name.len() > a.name.len() && b.name.starts_with(a.name) && b.name.as_bytes()[a.name.len()] == b'.';
    }
    let (mut a, mut b) = (segments(a, true), segments(b, true));
    loop {
        match (a.next(), b.next()) {
            (None, Some(_)) => return true,
            (Some(x), Some(y)) if x == y => {}
            _ => return false,
        }
    }
}
