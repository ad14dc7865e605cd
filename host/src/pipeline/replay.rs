//! The last records a stage processed, kept so that a rebuilt instance can be brought back
//! to the state its predecessor had (see [`Stage`](super::Stage)).
//!
//! Bounded by a record count (the stage's `health.replay_records`) and by
//! [`MAX_BYTES`]: the oldest ranges are forgotten first. Only records the plugin processed
//! without faulting are kept, copied once per processed range (a memcpy of the range's
//! frames, no per-record allocation).

use std::collections::VecDeque;
use std::ops::Range;

use super::batch::Batch;

/// The most bytes of records a stage keeps for replay.
pub const MAX_BYTES: usize = 8 << 20;

/// Recently processed ranges of records, oldest first.
#[derive(Debug)]
pub struct Replay {
    max_records: usize,
    ranges: VecDeque<Batch>,
    records: usize,
    bytes: usize,
    /// The last range forgotten, emptied: its allocation takes the next range, so a stage
    /// that remembers every batch does not allocate (and fault in) a batch's worth of memory
    /// each time.
    spare: Option<Batch>,
}

impl Replay {
    /// Keeps up to `max_records` records (0: none).
    pub fn new(max_records: usize) -> Self {
        Replay { max_records, ranges: VecDeque::new(), records: 0, bytes: 0, spare: None }
    }

    /// Remembers `range` of `batch` as processed.
    pub fn remember(&mut self, batch: &Batch, range: Range<usize>) {
        if self.max_records == 0 || range.is_empty() {
            return;
        }
        let mut kept = self.spare.take().unwrap_or_default();
        let skip = range.len().saturating_sub(self.max_records);
        kept.extend_from(batch, range.start + skip..range.end);
        self.records += kept.len();
        self.bytes += kept.slice(0..kept.len()).len();
        self.ranges.push_back(kept);
        while self.records > self.max_records || self.bytes > MAX_BYTES {
            let Some(oldest) = self.ranges.pop_front() else { break };
            self.records -= oldest.len();
            self.bytes -= oldest.slice(0..oldest.len()).len();
            self.spare = Some(oldest);
        }
        if let Some(spare) = &mut self.spare {
            spare.truncate(0);
        }
    }

    /// The remembered ranges, oldest first.
    pub fn ranges(&self) -> impl Iterator<Item = &Batch> {
        self.ranges.iter()
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        self.spare = None;
        self.ranges.clear();
        self.records = 0;
        self.bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use logsift_event::{Origin, Value};

    use super::*;

    fn batch(n: usize) -> Batch {
        let mut b = Batch::default();
        for i in 0..n {
            b.push_event(&Origin::None, &[("n", Value::from(i as i64))], i as u32);
        }
        b
    }

    #[test]
    fn keeps_the_newest_records_up_to_its_bound() {
        let mut replay = Replay::new(5);
        replay.remember(&batch(3), 0..3);
        replay.remember(&batch(4), 1..4);
        let kept: usize = replay.ranges().map(Batch::len).sum();
        assert_eq!(kept, 3, "the first range is forgotten once the second would pass the bound");
        replay.remember(&batch(9), 0..9);
        assert_eq!(replay.ranges().map(Batch::len).sum::<usize>(), 5, "a range longer than the bound keeps its newest records");
        replay.clear();
        assert_eq!(replay.ranges().count(), 0);
        // Ranges forgotten lend their allocation to the next: what is kept is still exactly
        // the newest records, each as it was remembered.
        let mut replay = Replay::new(8);
        let numbered = |from: usize, n: usize| {
            let mut b = Batch::default();
            for i in from..from + n {
                b.push_event(&Origin::None, &[("n", Value::from(i as i64))], i as u32);
            }
            b
        };
        for round in 0..10 {
            replay.remember(&numbered(round * 4, 4), 0..4);
        }
        let kept: Vec<Vec<u8>> = replay.ranges().flat_map(|b| b.iter().map(|(_, f)| f.to_vec()).collect::<Vec<_>>()).collect();
        let expected = numbered(32, 8);
        assert_eq!(kept, expected.iter().map(|(_, f)| f.to_vec()).collect::<Vec<_>>(), "the last two ranges, whole");
        let mut off = Replay::new(0);
        off.remember(&batch(2), 0..2);
        assert_eq!(off.ranges().count(), 0);
    }
}
