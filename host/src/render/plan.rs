//! How a record of one shape is written. Where each field goes — the order of the keys, which
//! fields are overridden, which objects open and close around each value — depends only on
//! the field names in the order they were set, never on the values. A [`Plan`] is that
//! worked out once: for each field written, the bytes that come before its value (`,`,
//! closing and opening braces, the quoted key and `:`), and the bytes after the last one.
//! Records of the same shape (most of a stream: one parser, one set of names) then cost a
//! comparison of their names with the plan's and a copy of those bytes around each value.
//!
//! [`Plans`] keeps the plans of the last shapes seen, a few at a time: a stream of hostile
//! records, each with names of its own, only costs a plan each (bounded by the record).

use super::fields::{Fields, Named, resolve, segments};
use super::json::string;

/// How many shapes are kept.
const KEPT: usize = 16;

/// The writing of one shape of record.
#[derive(Debug, Default)]
pub struct Plan {
    nested: bool,
    /// The names it is for, in the order they were set, one after another.
    names: String,
    /// Where each name ends in `names`.
    name_ends: Vec<u32>,
    /// A digest of the names, to find the plan quickly.
    digest: u64,
    /// For each field written, in order: which field (its place in the order set) and where
    /// the bytes before its value end in `fragments`.
    steps: Vec<(u32, u32)>,
    fragments: Vec<u8>,
    /// What closes the object.
    tail: Vec<u8>,
}

/// A digest of a record's names: the length, first and last byte of each, taken without a
/// pass over the name (a plan that matches the digest is then compared name by name).
fn digest(names: &[&[u8]]) -> u64 {
    names.iter().fold(names.len() as u64, |h, bytes| {
        let ends = u64::from(bytes.first().copied().unwrap_or(0)) << 8 | u64::from(bytes.last().copied().unwrap_or(0));
        (h ^ (bytes.len() as u64) << 16 ^ ends).wrapping_mul(0x0100_0000_01b3)
    })
}

impl Plan {
    /// Whether the plan is for records with exactly these names.
    fn fits(&self, fields: &Fields<'_>, digest: u64) -> bool {
        let names = fields.names();
        self.digest == digest
            && self.nested == fields.nested()
            && self.name_ends.len() == names.len()
            && names
                .iter()
                .zip(&self.name_ends)
                .scan(0usize, |start, (n, &end)| {
                    let same = self.names.as_bytes().get(*start..end as usize) == Some(*n);
                    *start = end as usize;
                    Some(same)
                })
                .all(|same| same)
    }

    /// Works out the plan for these names (in the order set), reusing this plan's buffers.
    fn build(&mut self, names: &[&str], nested: bool, digest: u64) {
        self.nested = nested;
        self.digest = digest;
        self.names.clear();
        self.name_ends.clear();
        for n in names {
            self.names.push_str(n);
            self.name_ends.push(u32::try_from(self.names.len()).expect("a record's names fit in 4 GiB"));
        }
        let mut order: Vec<Named<'_>> = names.iter().map(|n| Named::new(n, nested)).collect();
        resolve(&mut order, nested);
        self.steps.clear();
        self.fragments.clear();
        self.fragments.push(b'{');
        // The objects open after a field are its path without the last segment.
        let mut previous: Vec<&str> = Vec::new();
        for (i, named) in order.iter().enumerate() {
            let path: Vec<&str> = segments(named, nested).collect();
            let open = previous.len().saturating_sub(1);
            let common = previous[..open].iter().zip(&path[..path.len() - 1]).take_while(|(a, b)| a == b).count();
            for _ in common..open {
                self.fragments.push(b'}');
            }
            if i > 0 {
                self.fragments.push(b',');
            }
            for (depth, segment) in path.iter().enumerate().skip(common) {
                string(&mut self.fragments, segment);
                self.fragments.push(b':');
                if depth + 1 < path.len() {
                    self.fragments.push(b'{');
                }
            }
            self.steps.push((named.seq, self.fragments.len() as u32));
            previous = path;
        }
        self.tail.clear();
        if order.is_empty() {
            // `{` alone is in the fragments, which no step writes.
            self.tail.push(b'{');
        }
        for _ in 1..previous.len() {
            self.tail.push(b'}');
        }
        self.tail.push(b'}');
    }

    /// Writes the record: each step's bytes, then its value.
    pub fn write(&self, out: &mut Vec<u8>, mut value: impl FnMut(&mut Vec<u8>, usize)) {
        let mut start = 0;
        for &(field, end) in &self.steps {
            out.extend_from_slice(&self.fragments[start..end as usize]);
            value(out, field as usize);
            start = end as usize;
        }
        out.extend_from_slice(&self.tail);
    }
}

/// The plans of the last shapes seen.
#[derive(Debug, Default)]
pub struct Plans {
    plans: Vec<Plan>,
    /// The next to replace when all are taken.
    next: usize,
}

impl Plans {
    /// The plan for these fields' names: a kept one, or a new one in place of the oldest.
    /// A name that is not UTF-8 has no plan: the error is its place among the fields.
    pub fn for_fields(&mut self, fields: &Fields<'_>) -> Result<&Plan, usize> {
        let digest = digest(fields.names());
        if let Some(i) = self.plans.iter().position(|p| p.fits(fields, digest)) {
            return Ok(&self.plans[i]);
        }
        let names = fields.names().iter().enumerate().map(|(i, n)| std::str::from_utf8(n).map_err(|_| i)).collect::<Result<Vec<_>, _>>()?;
        let slot = if self.plans.len() < KEPT {
            self.plans.push(Plan::default());
            self.plans.len() - 1
        } else {
            self.next = (self.next + 1) % KEPT;
            self.next
        };
        self.plans[slot].build(&names, fields.nested(), digest);
        Ok(&self.plans[slot])
    }
}
