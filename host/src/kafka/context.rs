//! A worker's consumer callbacks: partition assignment and revocation (counted in the
//! metrics and handed to the worker, which forgets the revoked partitions' records in
//! flight) and librdkafka's statistics (consumer lag per partition).

use std::sync::{Arc, Mutex};

use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::statistics::Statistics;
use rdkafka::{ClientContext, TopicPartitionList};

use super::tracker::PartitionKey;
use crate::metrics::{Metrics, PartitionLabels, WorkerLabels};

/// Consumer callbacks: partition assignment and statistics.
pub struct WorkerContext {
    pub(super) id: usize,
    pub(super) metrics: Arc<Metrics>,
    /// Partitions revoked since the worker last looked.
    pub(super) revoked: Mutex<Vec<PartitionKey>>,
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
            }
            Rebalance::Revoke(list) => {
                self.metrics.assigned_partitions.dec_by(list.count() as i64);
                self.metrics.worker_partitions.get_or_create(&WorkerLabels { worker: self.id.to_string() }).dec_by(list.count() as i64);
                tracing::info!(worker = self.id, partitions = ?keys(list), "partitions revoked; records in flight on them will be processed again by their new owner");
                if let Ok(mut revoked) = self.revoked.lock() {
                    revoked.extend(keys(list));
                }
            }
            Rebalance::Error(e) => tracing::warn!(worker = self.id, "rebalance error: {e}"),
        }
    }
}
