//! Which input offsets may be committed.
//!
//! Promise: an offset is released for commit only when every output of that record, and of
//! every earlier record of the same partition, has been acknowledged by the broker. Each
//! record is tracked with the number of its outputs still in flight; a partition's
//! committable offset is the last of its leading run of finished records.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

/// A topic and partition.
pub type PartitionKey = (Arc<str>, i32);

/// A record in flight: its offset, outputs not yet acknowledged, and what a dead letter for
/// it would need (its raw bytes and key), should one of its outputs be refused for good.
#[derive(Debug)]
struct InFlight {
    offset: i64,
    outstanding: u32,
    raw: Vec<u8>,
    key: Option<Vec<u8>>,
}

/// The records in flight of one worker, per partition, in offset order.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<PartitionKey, VecDeque<InFlight>>,
}

impl OffsetTracker {
    /// Starts tracking a record with `outputs` outputs in flight (0: finished already).
    pub fn add(&mut self, key: &PartitionKey, offset: i64, outputs: u32, raw: Vec<u8>, record_key: Option<Vec<u8>>) {
        let queue = self.partitions.entry(key.clone()).or_default();
        if queue.back().is_some_and(|last| last.offset >= offset) {
            // The partition starts again from an earlier offset (given back to this worker
            // after a rebalance, from its last commit): what was in flight will be redone.
            queue.clear();
        }
        queue.push_back(InFlight { offset, outstanding: outputs, raw, key: record_key });
    }

    fn find(&mut self, key: &PartitionKey, offset: i64) -> Option<&mut InFlight> {
        let queue = self.partitions.get_mut(key)?;
        let at = queue.binary_search_by_key(&offset, |r| r.offset).ok()?;
        queue.get_mut(at)
    }

    /// One output of a record was acknowledged. Unknown records (a partition given up in a
    /// rebalance) are ignored.
    pub fn ack(&mut self, key: &PartitionKey, offset: i64) {
        if let Some(record) = self.find(key, offset) {
            record.outstanding = record.outstanding.saturating_sub(1);
        }
    }

    /// One more output is in flight for a record (a dead letter replacing a refused output).
    pub fn add_output(&mut self, key: &PartitionKey, offset: i64) {
        if let Some(record) = self.find(key, offset) {
            record.outstanding += 1;
        }
    }

    /// The raw bytes and key of a record in flight.
    pub fn original(&mut self, key: &PartitionKey, offset: i64) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        self.find(key, offset).map(|r| (r.raw.clone(), r.key.clone()))
    }

    /// Removes the finished leading records of every partition and returns, per partition,
    /// the last offset that may now be committed.
    pub fn take_committable(&mut self) -> Vec<(PartitionKey, i64)> {
        let mut out = Vec::new();
        for (key, queue) in &mut self.partitions {
            let mut last = None;
            while queue.front().is_some_and(|r| r.outstanding == 0) {
                last = queue.pop_front().map(|r| r.offset);
            }
            if let Some(offset) = last {
                out.push((key.clone(), offset));
            }
        }
        out
    }

    /// Forgets the records of partitions this worker no longer owns.
    pub fn forget(&mut self, keys: &[PartitionKey]) {
        for key in keys {
            self.partitions.remove(key);
        }
    }

    /// Records still waiting for an acknowledgement.
    pub fn in_flight(&self) -> usize {
        self.partitions.values().map(VecDeque::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: i32) -> PartitionKey {
        (Arc::from("logs"), p)
    }

    #[test]
    fn an_offset_is_committable_only_when_it_and_all_before_it_are_acknowledged() {
        let mut t = OffsetTracker::default();
        for offset in 10..13 {
            t.add(&key(0), offset, 2, vec![], None);
        }
        t.ack(&key(0), 11);
        t.ack(&key(0), 11);
        assert!(t.take_committable().is_empty(), "11 is done but 10 is not");
        t.ack(&key(0), 10);
        assert!(t.take_committable().is_empty(), "10 has one output left");
        t.ack(&key(0), 10);
        assert_eq!(t.take_committable(), vec![(key(0), 11)]);
        assert_eq!(t.in_flight(), 1);
    }

    #[test]
    fn a_record_without_outputs_is_finished_at_once_but_waits_for_its_predecessors() {
        let mut t = OffsetTracker::default();
        t.add(&key(1), 0, 1, vec![], None);
        t.add(&key(1), 1, 0, vec![], None);
        assert!(t.take_committable().is_empty());
        t.ack(&key(1), 0);
        assert_eq!(t.take_committable(), vec![(key(1), 1)]);
    }

    #[test]
    fn a_dead_letter_replacing_an_output_keeps_the_record_open() {
        let mut t = OffsetTracker::default();
        t.add(&key(0), 5, 1, b"raw".to_vec(), Some(b"k".to_vec()));
        t.add_output(&key(0), 5);
        t.ack(&key(0), 5);
        assert!(t.take_committable().is_empty());
        assert_eq!(t.original(&key(0), 5), Some((b"raw".to_vec(), Some(b"k".to_vec()))));
        t.ack(&key(0), 5);
        assert_eq!(t.take_committable(), vec![(key(0), 5)]);
    }

    #[test]
    fn a_partition_consumed_again_from_an_earlier_offset_starts_over() {
        let mut t = OffsetTracker::default();
        t.add(&key(0), 7, 1, vec![], None);
        t.add(&key(0), 8, 1, vec![], None);
        t.add(&key(0), 5, 1, vec![], None);
        assert_eq!(t.in_flight(), 1, "only the re-read record is tracked");
        t.ack(&key(0), 5);
        assert_eq!(t.take_committable(), vec![(key(0), 5)]);
    }

    #[test]
    fn partitions_are_independent_and_forgotten_ones_ignore_late_acks() {
        let mut t = OffsetTracker::default();
        t.add(&key(0), 0, 1, vec![], None);
        t.add(&key(1), 0, 1, vec![], None);
        t.ack(&key(1), 0);
        assert_eq!(t.take_committable(), vec![(key(1), 0)]);
        t.forget(&[key(0)]);
        t.ack(&key(0), 0);
        assert!(t.take_committable().is_empty());
        assert_eq!(t.in_flight(), 0);
    }
}
