//! A set of name lengths, one bit each, to pass over a field without comparing its name:
//! a field whose name is as long as none of the names looked for cannot be one of them.
//! Shared by the merge of an update, the SDK's lookups by name and the `json` parser's
//! typed fields. Lengths from 63 on share the last bit, so a long name is compared.

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
