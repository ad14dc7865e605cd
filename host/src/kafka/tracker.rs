//! Which input offsets may be committed.
//!
//! Promise: an offset is released for commit only when every output of that record, and of
//! every earlier record of the same partition, has been acknowledged by the broker. Each
//! record is tracked with the number of its outputs still in flight; a partition's
//! committable offset is the last of its leading run of finished records.
//!
//! Rebalances: every assignment of a partition to this worker gets a new number, its epoch.
//! Records and acknowledgements carry the epoch their partition had when the record was
//! polled, and count only under that same assignment. A record polled before its partition
//! was revoked is not tracked, and an acknowledgement from before a revoke is never credited
//! to the same offset read again after the partition came back.

use std::collections::VecDeque;
use std::sync::Arc;

// Looked up for every record and acknowledgement; the keys are partitions, not record data.
use foldhash::HashMap;

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

/// One assignment of a partition: its epoch and its records in flight, in offset order.
#[derive(Debug)]
struct Assignment {
    epoch: u64,
    records: VecDeque<InFlight>,
}

/// The records in flight of one worker, per assigned partition.
#[derive(Debug, Default)]
pub struct OffsetTracker {
    partitions: HashMap<PartitionKey, Assignment>,
    last_epoch: u64,
}

impl OffsetTracker {
    /// The partitions were assigned to this worker: each starts a new epoch with nothing
    /// in flight.
    pub fn assign(&mut self, keys: &[PartitionKey]) {
        for key in keys {
            self.last_epoch += 1;
            self.partitions.insert(key.clone(), Assignment { epoch: self.last_epoch, records: VecDeque::new() });
        }
    }

    /// The partitions were taken from this worker: their records in flight are forgotten
    /// (their new owner reads them again from the last commit) and late acknowledgements
    /// for them are ignored.
    pub fn revoke(&mut self, keys: &[PartitionKey]) {
        for key in keys {
            self.partitions.remove(key);
        }
    }

    /// The epoch of a partition's current assignment. A partition that delivers a record
    /// without having been announced as assigned is assigned now.
    pub fn epoch(&mut self, key: &PartitionKey) -> u64 {
        if let Some(assignment) = self.partitions.get(key) {
            return assignment.epoch;
        }
        self.assign(std::slice::from_ref(key));
        self.last_epoch
    }

    /// Starts tracking a record polled under `epoch` with `outputs` outputs in flight
    /// (0: finished already). Returns false, tracking nothing, when the partition has been
    /// revoked (or revoked and assigned again) since the record was polled.
    pub fn add(&mut self, key: &PartitionKey, epoch: u64, offset: i64, outputs: u32, raw: Vec<u8>, record_key: Option<Vec<u8>>) -> bool {
        let Some(assignment) = self.partitions.get_mut(key).filter(|a| a.epoch == epoch) else { return false };
        let queue = &mut assignment.records;
        if queue.back().is_some_and(|last| last.offset >= offset) {
            // The partition starts again from an earlier offset (a seek back): what was in
            // flight will be redone.
            queue.clear();
        }
        queue.push_back(InFlight { offset, outstanding: outputs, raw, key: record_key });
        true
    }

    fn find(&mut self, key: &PartitionKey, epoch: u64, offset: i64) -> Option<&mut InFlight> {
        let queue = &mut self.partitions.get_mut(key).filter(|a| a.epoch == epoch)?.records;
        let at = queue.binary_search_by_key(&offset, |r| r.offset).ok()?;
        queue.get_mut(at)
    }

    /// One output of a record was acknowledged. Records of another assignment (a partition
    /// given up in a rebalance, or given up and back) are ignored.
    pub fn ack(&mut self, key: &PartitionKey, epoch: u64, offset: i64) {
        if let Some(record) = self.find(key, epoch, offset) {
            record.outstanding = record.outstanding.saturating_sub(1);
        }
    }

    /// One more output is in flight for a record (a dead letter replacing a refused output).
    pub fn add_output(&mut self, key: &PartitionKey, epoch: u64, offset: i64) {
        if let Some(record) = self.find(key, epoch, offset) {
            record.outstanding += 1;
        }
    }

    /// The raw bytes and key of a record in flight under `epoch`.
    pub fn original(&mut self, key: &PartitionKey, epoch: u64, offset: i64) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        self.find(key, epoch, offset).map(|r| (r.raw.clone(), r.key.clone()))
    }

    /// Removes the finished leading records of every partition and returns, per partition,
    /// the last offset that may now be committed.
    pub fn take_committable(&mut self) -> Vec<(PartitionKey, i64)> {
        let mut out = Vec::new();
        for (key, assignment) in &mut self.partitions {
            let queue = &mut assignment.records;
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

    /// Records still waiting for an acknowledgement.
    pub fn in_flight(&self) -> usize {
        self.partitions.values().map(|a| a.records.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(p: i32) -> PartitionKey {
        (Arc::from("logs"), p)
    }

    /// A tracker with partitions 0 and 1 assigned, and their epochs.
    fn tracker() -> (OffsetTracker, u64, u64) {
        let mut t = OffsetTracker::default();
        t.assign(&[key(0), key(1)]);
        let (e0, e1) = (t.epoch(&key(0)), t.epoch(&key(1)));
        (t, e0, e1)
    }

    #[test]
    fn an_offset_is_committable_only_when_it_and_all_before_it_are_acknowledged() {
        let (mut t, e0, _) = tracker();
        for offset in 10..13 {
            t.add(&key(0), e0, offset, 2, vec![], None);
        }
        t.ack(&key(0), e0, 11);
        t.ack(&key(0), e0, 11);
        assert!(t.take_committable().is_empty(), "11 is done but 10 is not");
        t.ack(&key(0), e0, 10);
        assert!(t.take_committable().is_empty(), "10 has one output left");
        t.ack(&key(0), e0, 10);
        assert_eq!(t.take_committable(), vec![(key(0), 11)]);
        assert_eq!(t.in_flight(), 1);
    }

    #[test]
    fn a_record_without_outputs_is_finished_at_once_but_waits_for_its_predecessors() {
        let (mut t, _, e1) = tracker();
        t.add(&key(1), e1, 0, 1, vec![], None);
        t.add(&key(1), e1, 1, 0, vec![], None);
        assert!(t.take_committable().is_empty());
        t.ack(&key(1), e1, 0);
        assert_eq!(t.take_committable(), vec![(key(1), 1)]);
    }

    #[test]
    fn a_dead_letter_replacing_an_output_keeps_the_record_open() {
        let (mut t, e0, _) = tracker();
        t.add(&key(0), e0, 5, 1, b"raw".to_vec(), Some(b"k".to_vec()));
        t.add_output(&key(0), e0, 5);
        t.ack(&key(0), e0, 5);
        assert!(t.take_committable().is_empty());
        assert_eq!(t.original(&key(0), e0, 5), Some((b"raw".to_vec(), Some(b"k".to_vec()))));
        t.ack(&key(0), e0, 5);
        assert_eq!(t.take_committable(), vec![(key(0), 5)]);
    }

    #[test]
    fn a_partition_consumed_again_from_an_earlier_offset_starts_over() {
        let (mut t, e0, _) = tracker();
        t.add(&key(0), e0, 7, 1, vec![], None);
        t.add(&key(0), e0, 8, 1, vec![], None);
        t.add(&key(0), e0, 5, 1, vec![], None);
        assert_eq!(t.in_flight(), 1, "only the re-read record is tracked");
        t.ack(&key(0), e0, 5);
        assert_eq!(t.take_committable(), vec![(key(0), 5)]);
    }

    #[test]
    fn partitions_are_independent_and_forgotten_ones_ignore_late_acks() {
        let (mut t, e0, e1) = tracker();
        t.add(&key(0), e0, 0, 1, vec![], None);
        t.add(&key(1), e1, 0, 1, vec![], None);
        t.ack(&key(1), e1, 0);
        assert_eq!(t.take_committable(), vec![(key(1), 0)]);
        t.revoke(&[key(0)]);
        t.ack(&key(0), e0, 0);
        assert!(t.take_committable().is_empty());
        assert_eq!(t.in_flight(), 0);
    }

    #[test]
    fn an_ack_from_before_a_revoke_is_not_credited_to_the_same_offset_read_again() {
        let (mut t, before, _) = tracker();
        assert!(t.add(&key(0), before, 5, 1, vec![], None));
        t.revoke(&[key(0)]);
        t.assign(&[key(0)]);
        let after = t.epoch(&key(0));
        assert_ne!(before, after);
        assert!(t.add(&key(0), after, 5, 1, vec![], None));
        t.ack(&key(0), before, 5);
        assert!(t.take_committable().is_empty(), "the late ack belongs to the earlier read");
        t.ack(&key(0), after, 5);
        assert_eq!(t.take_committable(), vec![(key(0), 5)]);
    }

    #[test]
    fn a_record_polled_before_its_partition_was_revoked_and_reassigned_is_not_tracked() {
        let (mut t, stale, _) = tracker();
        t.revoke(&[key(0)]);
        t.assign(&[key(0)]);
        let fresh = t.epoch(&key(0));
        assert!(t.add(&key(0), fresh, 9, 1, vec![], None));
        assert!(!t.add(&key(0), stale, 8, 0, vec![], None), "a stale record is refused");
        assert_eq!(t.in_flight(), 1, "and does not reset the records of the new assignment");
        assert!(t.take_committable().is_empty(), "offset 8 is never released by the stale record");
        t.revoke(&[key(1)]);
        assert!(!t.add(&key(1), stale, 0, 0, vec![], None), "nor is a record of a revoked partition");
    }
}
