//! Produced records awaiting the broker's answer. Each is kept in a slot of its worker's
//! table, and what librdkafka carries with the record (its delivery opaque) is only a
//! number, the worker's id and the slot: producing allocates nothing per record, and a
//! slot is reused once its answer is in.

use super::sink::Delivery;

/// The slots of one worker's records in flight.
#[derive(Debug, Default)]
pub struct InFlight {
    slots: Vec<Option<Delivery>>,
    free: Vec<u32>,
}

/// The number handed to librdkafka for a record: worker id in the high half, slot in the low.
pub fn token(worker: usize, slot: u32) -> usize {
    (worker << 32) | slot as usize
}

/// The worker and slot of a token.
pub fn split(token: usize) -> (usize, u32) {
    (token >> 32, (token & 0xffff_ffff) as u32)
}

impl InFlight {
    /// Keeps a delivery until its answer; returns its slot.
    pub fn insert(&mut self, delivery: Delivery) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(delivery);
                slot
            }
            None => {
                self.slots.push(Some(delivery));
                u32::try_from(self.slots.len() - 1).expect("fewer than 2^32 records in flight")
            }
        }
    }

    /// Gives back the delivery of a slot (once) and frees the slot.
    pub fn take(&mut self, slot: u32) -> Option<Delivery> {
        let delivery = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(delivery)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn delivery(offset: i64) -> Delivery {
        Delivery { partition: (Arc::from("t"), 0), offset, epoch: 1, output: Arc::from("events"), dead_letter: false, bytes: 1 }
    }

    #[test]
    fn slots_are_reused_and_answered_once() {
        let mut table = InFlight::default();
        let (a, b) = (table.insert(delivery(1)), table.insert(delivery(2)));
        assert_ne!(a, b);
        assert_eq!(table.take(a).map(|d| d.offset), Some(1));
        assert!(table.take(a).is_none(), "a slot is answered once");
        assert_eq!(table.insert(delivery(3)), a, "a freed slot is reused");
        assert_eq!(table.take(b).map(|d| d.offset), Some(2));
    }

    #[test]
    fn a_token_carries_worker_and_slot() {
        assert_eq!(split(token(7, 123_456)), (7, 123_456));
        assert_eq!(split(token(0, u32::MAX)), (0, u32::MAX));
    }
}
