//! A worker's consumer callbacks: partition assignment and revocation (counted in the
//! metrics and handed to the worker in order, which applies them before it takes the next
//! record: see the tracker's epochs) and librdkafka's statistics (consumer lag per partition).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, TopicPartitionList};

use super::tracker::PartitionKey;
use crate::metrics::{Metrics, PartitionLabels, WorkerLabels};

/// A change of a worker's assignment.
#[derive(Debug)]
pub(super) enum Rebalanced {
    /// These partitions were assigned (with cooperative rebalancing: added).
    Assigned(Vec<PartitionKey>),
    /// These partitions were taken away.
    Revoked(Vec<PartitionKey>),
}

/// Consumer callbacks: partition assignment and statistics.
pub struct WorkerContext {
    pub(super) id: usize,
    pub(super) metrics: Arc<Metrics>,
    /// Assignment changes since the worker last looked, in order. The callbacks run inside
    /// the worker's own `poll`, so it sees them before the next record it polls.
    rebalances: Mutex<Vec<Rebalanced>>,
    /// Whether `rebalances` holds anything: checked after every poll without locking.
    pending: AtomicBool,
    /// Partitions this worker owns, for `logsift_workers_idle`.
    owned: AtomicUsize,
}

impl WorkerContext {
    pub(super) fn new(id: usize, metrics: Arc<Metrics>) -> Self {
        WorkerContext { id, metrics, rebalances: Mutex::new(Vec::new()), pending: AtomicBool::new(false), owned: AtomicUsize::new(0) }
    }

    /// The assignment changes since the last call, oldest first.
    pub(super) fn take_rebalances(&self) -> Vec<Rebalanced> {
        if !self.pending.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        self.rebalances.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default()
    }

    /// Keeps `logsift_workers_idle` right as this worker gains or loses partitions (the
    /// callbacks run on the worker's own thread: one writer).
    fn count_owned(&self, change: isize) {
        let before = self.owned.load(Ordering::Relaxed);
        let after = before.saturating_add_signed(change);
        self.owned.store(after, Ordering::Relaxed);
        match (before, after) {
            (0, 1..) => self.metrics.workers_idle.dec(),
            (1.., 0) => self.metrics.workers_idle.inc(),
            _ => 0,
        };
    }

    fn push(&self, change: Rebalanced) {
        if let Ok(mut rebalances) = self.rebalances.lock() {
            rebalances.push(change);
        }
        self.pending.store(true, Ordering::Release);
    }
}

fn keys(list: &TopicPartitionList) -> Vec<PartitionKey> {
    list.elements().iter().map(|e| (Arc::from(e.topic()), e.partition())).collect()
}

impl ClientContext for WorkerContext {
    fn stats(&self, stats: Statistics) {
        for (topic, t) in &stats.topics {
            for (partition, p) in &t.partitions {
                if *partition >= 0 && p.consumer_lag >= 0 {
                    let labels = PartitionLabels { topic: topic.clone(), partition: partition.to_string() };
                    self.metrics.consumer_lag.get_or_create(&labels).set(p.consumer_lag);
                }
            }
        }
    }
}

impl ConsumerContext for WorkerContext {
    fn post_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        match rebalance {
            Rebalance::Assign(list) => {
                self.metrics.assigned_partitions.inc_by(list.count() as i64);
                self.metrics.worker_partitions.get_or_create(&WorkerLabels { worker: self.id.to_string() }).inc_by(list.count() as i64);
                tracing::info!(worker = self.id, partitions = ?keys(list), "partitions assigned");
                self.push(Rebalanced::Assigned(keys(list)));
                self.count_owned(list.count() as isize);
            }
            Rebalance::Revoke(list) => {
                self.metrics.assigned_partitions.dec_by(list.count() as i64);
                self.metrics.worker_partitions.get_or_create(&WorkerLabels { worker: self.id.to_string() }).dec_by(list.count() as i64);
                tracing::info!(worker = self.id, partitions = ?keys(list), "partitions revoked; records in flight on them will be processed again by their new owner");
                self.push(Rebalanced::Revoked(keys(list)));
                self.count_owned(-(list.count() as isize));
            }
            Rebalance::Error(e) => tracing::warn!(worker = self.id, "rebalance error: {e}"),
        }
    }
}
