//! Names a stage looks for in every event of a batch (lookup keys), grouped by length once,
//! so that each field of an event is compared only with the names as long as its own.

use logsift_event::same_name;

/// Lengths below this have a group each; longer names share the last.
const GROUPS: usize = 64;

/// Names to look for, by length.
#[derive(Debug)]
pub(crate) struct NamesByLength<'n> {
    /// Each name with its index in the list it came from, ordered by length (then index).
    names: Vec<(&'n str, usize)>,
    /// Where each length's names start in `names` (and end, at the next length's start).
    starts: [u32; GROUPS + 1],
}

fn group(name: &[u8]) -> usize {
    name.len().min(GROUPS - 1)
}

impl<'n> NamesByLength<'n> {
    pub(crate) fn new<S: AsRef<str>>(names: &'n [S]) -> Self {
        let mut sorted: Vec<(&str, usize)> = names.iter().enumerate().map(|(at, name)| (name.as_ref(), at)).collect();
        sorted.sort_by_key(|(name, at)| (group(name.as_bytes()), *at));
        let mut starts = [0; GROUPS + 1];
        for (length, start) in starts.iter_mut().enumerate() {
            let before = sorted.partition_point(|(name, _)| group(name.as_bytes()) < length);
            *start = u32::try_from(before).unwrap_or(u32::MAX);
        }
        NamesByLength { names: sorted, starts }
    }

    /// The names that may equal `name` (those as long as it), each with its index.
    #[inline(always)]
    fn as_long_as(&self, name: &[u8]) -> &[(&'n str, usize)] {
        let at = group(name);
        self.names.get(self.starts[at] as usize..self.starts[at + 1] as usize).unwrap_or_default()
    }

    /// The index of each name equal to `name` ([`same_name`]), in the order given.
    #[inline(always)]
    pub(crate) fn equal_to<'s>(&'s self, name: &'s [u8]) -> impl Iterator<Item = usize> + 's {
        self.as_long_as(name).iter().filter(move |(n, _)| same_name(n.as_bytes(), name)).map(|(_, at)| *at)
    }

    /// The names, each with its index, in no particular order.
    pub(crate) fn all(&self) -> &[(&'n str, usize)] {
        &self.names
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_offered_every_name_of_its_length_and_no_other() {
        let long = "x".repeat(70);
        let names =
            ["source.ip", "user.name", "a", "source.ip", "destination.ip", long.as_str(), "y".repeat(63).as_str()].map(str::to_owned);
        let index = NamesByLength::new(&names);
        for probe in [
            "user.name",
            "source.ip",
            "source.iq",
            "sourcx.ip",
            "b",
            "a",
            "",
            "destination.xx",
            long.as_str(),
            "z".repeat(63).as_str(),
            "z".repeat(64).as_str(),
            "z".repeat(200).as_str(),
            "sixteen",
        ] {
            let offered: Vec<usize> = index.as_long_as(probe.as_bytes()).iter().map(|(_, at)| *at).collect();
            let expected: Vec<usize> = (0..names.len()).filter(|at| names[*at].len().min(63) == probe.len().min(63)).collect();
            assert_eq!(offered, expected, "{probe:?}: in the order given");
            assert!(index.as_long_as(probe.as_bytes()).iter().all(|(name, at)| *name == names[*at]));
            let equal: Vec<usize> = index.equal_to(probe.as_bytes()).collect();
            assert_eq!(equal, (0..names.len()).filter(|at| names[*at] == probe).collect::<Vec<_>>(), "{probe:?}");
        }
        assert_eq!(index.all().len(), names.len());
    }
}
