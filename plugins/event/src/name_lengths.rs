//! A set of name lengths, one bit each, to pass over a field without comparing its name:
//! a field whose name is as long as none of the names looked for cannot be one of them.
//! Shared by the merge of an update, the SDK's lookups by name and the `json` parser's
//! typed fields. Lengths from 63 on share the last bit, so a long name is compared.
//! And [`same_name`], the comparison for names that passed it.

/// Whether two field names (or other short texts: lookup keys) are equal. They are told
/// apart by length and last byte first (names of one length mostly end differently:
/// `user.name`, `source.ip`), then compared eight bytes at a time in place: in the sandbox
/// `==` on slices is a call to wasi-libc's `memcmp`, which goes byte by byte.
#[inline(always)]
pub fn same_name(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.last() == b.last() && same_bytes(a, b)
}

/// Whether `a` and `b`, of one length, hold the same bytes: a word of eight at a time, the
/// last word overlapping the one before where the length is not a multiple of eight;
/// names shorter than a word byte by byte.
#[inline]
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len < 8 || b.len() != len {
        return a.iter().zip(b).all(|(x, y)| x == y) && b.len() == len;
    }
    let word = |s: &[u8], at: usize| s.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok()).map(u64::from_le_bytes);
    let mut at = 0;
    while at + 8 < len {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, len - 8) == word(b, len - 8)
}

/// The lengths of some names.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NameLengths(u64);

impl NameLengths {
    /// The lengths of `names`.
    pub fn of<N: AsRef<[u8]>>(names: impl IntoIterator<Item = N>) -> Self {
        NameLengths(names.into_iter().fold(0, |set, name| set | Self::bit(name.as_ref())))
    }

    /// Whether a name as long as `name` may be one of them (false: it is none of them).
    #[inline(always)]
    pub fn may_hold(self, name: impl AsRef<[u8]>) -> bool {
        self.0 & Self::bit(name.as_ref()) != 0
    }

    #[inline(always)]
    fn bit(name: &[u8]) -> u64 {
        1 << name.len().min(63)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_name_is_equality() {
        let names = [
            "",
            "a",
            "b",
            "ab",
            "ba",
            "user.nam",
            "user.nan",
            "vser.nam",
            "user.name",
            "source.ip",
            "sourcx.ip",
            "source.iq",
            "xource.ip",
            "event.original",
            "event.origjnal",
            "process.parent.executable",
            "process.parent.executablf",
            "process.parent.executabke",
            "procesr.parent.executable",
        ];
        for a in names {
            for b in names {
                assert_eq!(same_name(a.as_bytes(), b.as_bytes()), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn only_names_of_a_length_in_the_set_may_be_held_and_long_ones_always_may() {
        let lengths = NameLengths::of(["a.ip", "@timestamp", &"x".repeat(70)]);
        for name in ["b.ip", "@timestamp", "y".repeat(63).as_str(), "y".repeat(200).as_str()] {
            assert!(lengths.may_hold(name), "{name}");
        }
        for name in ["", "ip", "src.ip", "source.ip", "y".repeat(62).as_str()] {
            assert!(!lengths.may_hold(name), "{name}");
        }
        assert!(!NameLengths::default().may_hold("a"));
    }
}
