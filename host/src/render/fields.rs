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
//! Nothing here allocates per field: a [`Fields`] list is reused from record to record, and
//! the order depends on the names alone, so it is worked out once per shape of record (see
//! [`super::plan`]). Adding a field only stores its name, as bytes: what ordering needs of a
//! name ([`Named`]) is worked out with the plan, and so is whether an event's name is UTF-8
//! (a record whose names match a plan's byte for byte has names that are).

use std::cmp::Ordering;

use logsift_event::Value;

/// A field's value.
#[derive(Debug)]
pub enum Field<'a> {
    /// A value of the event.
    Value(Value<'a>),
    /// Text.
    Text(&'a str),
    /// An event's text value as encoded, already checked as UTF-8.
    Utf8(&'a [u8]),
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

/// A field's name as it is ordered: the name, and what ordering needs of it.
#[derive(Debug, Clone, Copy)]
pub struct Named<'a> {
    pub(super) name: &'a str,
    /// How many `_value` segments follow the name's own (see the module doc).
    pub(super) nested_values: u32,
    /// Where it was set: of two fields with the same path the later wins.
    pub(super) seq: u32,
    /// Every dot of the name separates two non-empty segments (the usual case, compared
    /// byte by byte; others are compared segment by segment).
    regular: bool,
    /// The first 8 bytes of the name as an order-preserving number (see [`name_key`]).
    pub(super) key: u64,
}

/// The segments of a name: split at dots in nested style, whole in flat style.
#[derive(Clone)]
pub(super) struct Segments<'a> {
    rest: Option<&'a str>,
    split: bool,
    nested_values: u32,
}

impl<'a> Named<'a> {
    /// A name as ordering sees it, in nested or flat style.
    pub(super) fn new(name: &'a str, nested: bool) -> Self {
        let (regular, key) = name_key(name, nested);
        Named { name, nested_values: 0, seq: 0, regular, key }
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = &'a str;
    fn next(&mut self) -> Option<&'a str> {
        match self.rest {
            Some(rest) => match separating_dot(rest.as_bytes(), self.split) {
                Some(at) => {
                    self.rest = Some(&rest[at + 1..]);
                    Some(&rest[..at])
                }
                None => {
                    self.rest = None;
                    Some(rest)
                }
            },
            None if self.nested_values > 0 => {
                self.nested_values -= 1;
                Some("_value")
            }
            None => None,
        }
    }
}

/// The fields of one record in the order they were set: names and values side by side.
#[derive(Debug, Default)]
pub struct Fields<'a> {
    names: Vec<&'a [u8]>,
    values: Vec<Field<'a>>,
    nested: bool,
}

impl<'a> Fields<'a> {
    /// An empty list reusing `storage`'s allocations (see [`Fields::into_storage`]).
    pub fn reuse(storage: Storage, nested: bool) -> Self {
        Fields { names: recycle(storage.names), values: recycle(storage.values), nested }
    }

    /// Gives back the allocations for the next record.
    pub fn into_storage(self) -> Storage {
        Storage { names: recycle(self.names), values: recycle(self.values) }
    }

    /// Adds a field (set after those already added).
    pub fn push(&mut self, name: &'a str, value: Field<'a>) {
        self.push_encoded(name.as_bytes(), value);
    }

    /// Adds a field whose name is as an event encodes it, not yet checked as text: the
    /// plan for the record's names checks it (see [`super::plan::Plans::for_fields`]).
    pub fn push_encoded(&mut self, name: &'a [u8], value: Field<'a>) {
        self.names.push(name);
        self.values.push(value);
    }

    /// Whether a field of this exact name was added.
    pub fn has(&self, name: &str) -> bool {
        self.names.contains(&name.as_bytes())
    }

    /// Drops every field whose first segment is `name` (for a top-level field that must
    /// replace whatever the record had there).
    pub fn remove_tree(&mut self, name: &str) {
        let nested = self.nested;
        let keep: Vec<bool> = self.names.iter().map(|n| first_segment(n, nested) != name.as_bytes()).collect();
        let (mut names, mut values) = (keep.iter(), keep.iter());
        self.names.retain(|_| *names.next().expect("one flag per field"));
        self.values.retain(|_| *values.next().expect("one flag per field"));
    }

    /// Whether names are split at dots.
    pub fn nested(&self) -> bool {
        self.nested
    }

    /// The names, in the order they were set.
    pub fn names(&self) -> &[&'a [u8]] {
        &self.names
    }

    /// The value of the field set `i`th.
    pub fn value(&self, i: usize) -> &Field<'a> {
        &self.values[i]
    }
}

/// Puts names in writing order and drops those overridden (see the module doc): the
/// result's `seq` says which field each is, its `nested_values` where it goes.
pub(super) fn resolve(names: &mut Vec<Named<'_>>, nested: bool) {
    for (i, n) in names.iter_mut().enumerate() {
        n.seq = i as u32;
        n.nested_values = 0;
    }
    loop {
        names.sort_unstable_by(|a, b| compare(a, b, nested).then(a.seq.cmp(&b.seq)));
        // Of fields with the same path, the last set wins.
        names.dedup_by(|later, earlier| {
            let same = compare(later, earlier, nested) == Ordering::Equal;
            if same {
                std::mem::swap(later, earlier);
            }
            same
        });
        // A path that starts another moves under `_value` (only nested names have prefixes).
        let (mut moved, mut i) = (false, 0);
        while nested && i + 1 < names.len() {
            if is_prefix(&names[i], &names[i + 1]) {
                names[i].nested_values += 1;
                moved = true;
            }
            i += 1;
        }
        if !moved {
            return;
        }
    }
}

/// The allocations of a [`Fields`] list between records.
#[derive(Debug, Default)]
pub struct Storage {
    names: Vec<&'static [u8]>,
    values: Vec<Field<'static>>,
}

/// Empties a list and gives back its allocation for items of another lifetime (collecting
/// an empty `vec::IntoIter` into a `Vec` of a same-sized type reuses the allocation).
fn recycle<T, U>(mut items: Vec<T>) -> Vec<U> {
    items.clear();
    items.into_iter().map(|_| unreachable!("emptied")).collect()
}

/// Where the first segment of a path ends: its first dot, if names are split and that dot
/// separates two non-empty segments (see the module doc).
fn separating_dot(path: &[u8], split: bool) -> Option<usize> {
    let dot = if split { path.iter().position(|&b| b == b'.') } else { None };
    dot.filter(|&at| at > 0 && at + 1 < path.len())
}

/// The first segment of a name's path, as [`Segments`] cuts it.
fn first_segment(name: &[u8], nested: bool) -> &[u8] {
    separating_dot(name, nested).map_or(name, |at| &name[..at])
}

/// The segments of a name's path.
pub(super) fn segments<'a>(named: &Named<'a>, nested: bool) -> Segments<'a> {
    Segments { rest: Some(named.name), split: nested, nested_values: named.nested_values }
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
fn compare(a: &Named<'_>, b: &Named<'_>, nested: bool) -> Ordering {
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
fn is_prefix(a: &Named<'_>, b: &Named<'_>) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Names of up to 10 bytes over a small alphabet that has dots, bytes below and above
    /// the dot, and upper case, picked by a fixed pseudo-random sequence, and a few by hand.
    fn names() -> Vec<String> {
        let alphabet = [b'a', b'b', b'.', b'-', b'_', b'A', b'\x01', b'z', b'0'];
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut names: Vec<String> = (0..600)
            .map(|_| {
                let len = (next() % 11) as usize;
                (0..len).map(|_| char::from(alphabet[(next() % alphabet.len() as u64) as usize])).collect()
            })
            .collect();
        names.extend(["event.original", "source.ip", "source.ipv6", "a..b", ".a", "a.", "", "."].map(String::from));
        names
    }

    #[test]
    fn keys_order_names_as_their_segments_do_and_regular_means_no_empty_segment() {
        let names = names();
        for nested in [true, false] {
            for a in &names {
                let x = Named::new(a, nested);
                assert_eq!(x.regular, !nested || !a.split('.').any(str::is_empty), "{a:?} nested {nested}");
                for b in &names {
                    let y = Named::new(b, nested);
                    let by_segments = segments(&x, nested).cmp(segments(&y, nested));
                    assert_eq!(compare(&x, &y, nested), by_segments, "{a:?} against {b:?}, nested {nested}");
                }
            }
        }
    }
}
