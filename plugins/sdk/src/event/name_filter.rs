//! What an event's walk over its names leaves behind: a filter of 128 bits, two set per name,
//! that says a name is certainly not among the event's. An enricher walks each event's
//! names for its keys ([`Event::get_each_into`](super::Event)), then again for each field it
//! would add only if absent ([`Event::fill`](super::Event::fill)); with the filter, the second
//! walk is skipped when none of those names can be there (nearly always: 2 bits of 128 for
//! each of an event's ~15 names leave a name absent from it a ~4% chance of a false "maybe").

/// The names of one event, as bits: two words of 64, a name setting one bit in each (wasm32
/// has no 128-bit shift: `u128` would call a helper for every bit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct NameFilter([u64; 2]);

impl NameFilter {
    /// Adds a name.
    #[inline(always)]
    pub(crate) fn add(&mut self, name: &[u8]) {
        let [a, b] = bits(name);
        self.0[0] |= a;
        self.0[1] |= b;
    }

    /// Whether `name` may be one of the names added (false: it is certainly none of them).
    #[inline(always)]
    pub(crate) fn may_hold(self, name: &[u8]) -> bool {
        let [a, b] = bits(name);
        self.0[0] & a == a && self.0[1] & b == b
    }
}

/// The two bits of a name, one per word: from a multiplicative hash of its last eight bytes
/// and its length (names of one event mostly differ there: `source.ip`, `user.name`).
#[inline(always)]
fn bits(name: &[u8]) -> [u64; 2] {
    let n = name.len();
    // A load of eight bytes for a name that long (a copy of a length only known when it runs
    // is a call out of the sandbox), the bytes one by one for a shorter one.
    let tail = match name.get(n.wrapping_sub(8)..).and_then(|t| <[u8; 8]>::try_from(t).ok()) {
        Some(last) => u64::from_le_bytes(last),
        None => name.iter().fold(0, |word, &b| word << 8 | u64::from(b)),
    };
    let hash = (tail ^ (n as u64).rotate_right(8)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    [1 << (hash >> 58), 1 << ((hash >> 52) & 63)]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_added_is_always_held_and_most_others_are_not() {
        let names: Vec<String> = (0..15).map(|i| format!("field.name{i}")).collect();
        let mut filter = NameFilter::default();
        for name in &names {
            filter.add(name.as_bytes());
        }
        assert!(names.iter().all(|n| filter.may_hold(n.as_bytes())));
        let others = (0..1000).filter(|i| filter.may_hold(format!("host.asset.col{i}").as_bytes())).count();
        assert!(others < 150, "{others} of 1000 absent names said maybe");
        assert!(!NameFilter::default().may_hold(b"a"));
    }
}
