//! One worker: its own consumer in the group, its own chain of plugin instances, one batch
//! at a time on its own thread.
//!
//! Promise: an input offset is stored for commit only after every output of that record and
//! of every earlier record of its partition is acknowledged (see [`OffsetTracker`]). A record
//! whose output the broker refuses for good goes to the dead-letter output instead; if a dead
//! letter itself is refused, the worker stops with an error rather than skip the record. On
//! shutdown the worker stops consuming, waits for its records in flight, stores their
//! offsets and commits.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use foldhash::HashMap;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::Message;

use super::client;
use super::context::{Rebalanced, WorkerContext};
use super::inflight::InFlight;
use super::sink::{Ack, ProduceError, Producers, SetupError};
use super::tracker::{OffsetTracker, PartitionKey};
use crate::config::{KafkaConfig, Settings};
use crate::metrics::{FaultLabels, Metrics, PluginLabels};
use crate::pipeline::{Chain, InputRecord, StageStats};
use crate::reload::Pipeline;
use crate::render::Renderer;

mod output;

/// Room kept in a produced record for its headers (provenance, the plugins, the error).
const HEADROOM: usize = 2048;

/// Why a worker stopped before it was asked to.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The dead-letter topic refused a record: the partition cannot go on without skipping it.
    #[error("dead letter for {topic}[{partition}]@{offset} refused by the broker ({error}); stopping rather than skip the record")]
    DeadLetterRefused {
        /// Input topic.
        topic: String,
        /// Input partition.
        partition: i32,
        /// Input offset.
        offset: i64,
        /// The broker's error.
        error: String,
    },
    /// A record could not be queued.
    #[error(transparent)]
    Produce(#[from] ProduceError),
    /// The consumer failed.
    #[error("consumer: {0}")]
    Consumer(#[from] KafkaError),
    /// An output could not be rendered.
    #[error("rendering an output record: {0}")]
    Render(#[from] logsift_event::DecodeError),
}

/// A worker and everything it owns.
pub struct Worker {
    id: usize,
    consumer: BaseConsumer<WorkerContext>,
    chain: Chain,
    pipeline: Arc<Pipeline>,
    generation: u64,
    generation_header: String,
    producers: Arc<Producers>,
    acks: Receiver<Ack>,
    tracker: OffsetTracker,
    renderer: Renderer,
    /// Produced records awaiting the broker's answer.
    in_flight: InFlight,
    /// The buffer records are rendered into, reused.
    json: Vec<u8>,
    settings: Arc<Settings>,
    topics: HashMap<String, Arc<str>>,
    outputs: HashMap<String, Arc<str>>,
    /// Records and bytes acknowledged per output since the metrics were last updated.
    delivered: HashMap<Arc<str>, (u64, u64)>,
    plugins_header: String,
    metrics: Arc<Metrics>,
    stop: Arc<AtomicBool>,
    seen: Vec<StageStats>,
    /// This worker's stages in quarantine, as last counted in the metrics.
    degraded: std::collections::BTreeSet<Arc<str>>,
}

impl Worker {
    /// Creates the worker's consumer and subscribes it.
    pub fn new(
        id: usize,
        settings: Arc<Settings>,
        pipeline: Arc<Pipeline>,
        producers: Arc<Producers>,
        acks: Receiver<Ack>,
        metrics: Arc<Metrics>,
        stop: Arc<AtomicBool>,
    ) -> Result<Self, SetupError> {
        let kafka: &KafkaConfig = settings.kafka.as_ref().ok_or(client::ClientError::Input)?;
        let context = WorkerContext::new(id, Arc::clone(&metrics));
        let consumer: BaseConsumer<WorkerContext> =
            client::consumer(kafka, &format!("logsift-worker-{id}"))?.create_with_context(context)?;
        let subscription = client::subscription(kafka);
        consumer.subscribe(&subscription.iter().map(String::as_str).collect::<Vec<_>>())?;
        let current = pipeline.current();
        let chain = Chain::new(current.stages.iter().cloned()).with_max_record_bytes(settings.limits.max_record_bytes);
        let seen = vec![StageStats::default(); chain.stages().len()];
        Ok(Worker {
            id,
            consumer,
            chain,
            generation: current.id,
            generation_header: current.id.to_string(),
            plugins_header: current.plugins_header.clone(),
            pipeline,
            producers,
            acks,
            tracker: OffsetTracker::default(),
            renderer: Renderer::for_format(&settings.format),
            json: Vec::new(),
            in_flight: InFlight::default(),
            topics: HashMap::default(),
            outputs: HashMap::default(),
            delivered: HashMap::default(),
            settings,
            metrics,
            stop,
            seen,
            degraded: std::collections::BTreeSet::new(),
        })
    }

    /// Consumes until asked to stop, then drains and commits.
    pub fn run(mut self) -> Result<(), WorkerError> {
        while !self.stop.load(Ordering::Relaxed) {
            self.settle()?;
            let (inputs, keys, epochs) = self.poll_batch();
            if inputs.is_empty() {
                continue;
            }
            self.follow_generation();
            let out = self.chain.process(&inputs);
            self.record_stage_metrics();
            self.produce(inputs, &keys, &epochs, &out)?;
        }
        self.drain()
    }

    /// Between batches: moves to the newest generation if one was published.
    fn follow_generation(&mut self) {
        if self.pipeline.current_id() == self.generation {
            return;
        }
        let current = self.pipeline.current();
        self.chain.update(&current.stages);
        self.seen = self.chain.stages().iter().map(|s| s.stats.clone()).collect();
        self.generation = current.id;
        self.generation_header = current.id.to_string();
        self.plugins_header.clone_from(&current.plugins_header);
        tracing::info!(worker = self.id, generation = current.id, "worker moved to a new generation");
    }

    /// Applies the assignment changes the consumer's callbacks saw, in order: a revoked
    /// partition's records in flight are forgotten, an assigned one starts a new epoch.
    fn apply_rebalances(context: &WorkerContext, tracker: &mut OffsetTracker) {
        for change in context.take_rebalances() {
            match change {
                Rebalanced::Assigned(keys) => tracker.assign(&keys),
                Rebalanced::Revoked(keys) => tracker.revoke(&keys),
            }
        }
    }

    /// Up to a batch of records, each with its partition and the epoch of the assignment it
    /// was read under: waits up to 100 ms for the first, then takes what is there. A
    /// rebalance inside the batch is applied before the next record is tagged.
    fn poll_batch(&mut self) -> (Vec<InputRecord>, Vec<PartitionKey>, Vec<u64>) {
        // Sized once per batch: a batch's records never grow these record by record.
        let capacity = self.settings.batch_size;
        let mut inputs = Vec::with_capacity(capacity);
        let mut keys: Vec<PartitionKey> = Vec::with_capacity(capacity);
        let mut epochs = Vec::with_capacity(capacity);
        let mut timeout = Duration::from_millis(100);
        while inputs.len() < self.settings.batch_size {
            let polled = self.consumer.poll(timeout);
            Self::apply_rebalances(self.consumer.context(), &mut self.tracker);
            let message = match polled {
                None => break,
                Some(Err(e)) => {
                    tracing::warn!(worker = self.id, "consumer: {e}");
                    break;
                }
                Some(Ok(message)) => message,
            };
            timeout = Duration::ZERO;
            // One topic name shared by the batch's records (a worker reads few topics).
            let topic = match keys.last() {
                Some((last, _)) if **last == *message.topic() => Arc::clone(last),
                _ => Arc::from(message.topic()),
            };
            inputs.push(super::input::record(&message));
            let key = (topic, message.partition());
            epochs.push(self.tracker.epoch(&key));
            keys.push(key);
        }
        (inputs, keys, epochs)
    }

    /// Keeps `logsift_stage_degraded` (and so `/health`) up to date with which of this
    /// worker's stages are quarantined: a change only when one enters or leaves quarantine.
    fn record_degraded(&mut self) {
        let now: std::collections::BTreeSet<Arc<str>> =
            self.chain.stages().iter().filter(|s| s.quarantined()).map(|s| Arc::clone(&s.plugin().name)).collect();
        for entered in now.difference(&self.degraded) {
            self.metrics.set_degraded(entered, true);
        }
        for left in self.degraded.difference(&now) {
            self.metrics.set_degraded(left, false);
        }
        self.degraded = now;
    }

    fn record_stage_metrics(&mut self) {
        self.record_degraded();
        for (stage, seen) in self.chain.stages().iter().zip(&mut self.seen) {
            let now = &stage.stats;
            let plugin = stage.plugin().name.to_string();
            if now.calls > seen.calls {
                let busy = now.busy.saturating_sub(seen.busy).as_secs_f64();
                self.metrics.plugin_batch_seconds.get_or_create(&PluginLabels { plugin: plugin.clone() }).observe(busy);
            }
            for (kind, n) in [
                ("trap", now.traps - seen.traps),
                ("deadline", now.deadlines - seen.deadlines),
                ("memory", now.memory - seen.memory),
                ("contract", now.contract - seen.contract),
            ] {
                if n > 0 {
                    self.metrics.plugin_faults.get_or_create(&FaultLabels { plugin: plugin.clone(), kind: kind.into() }).inc_by(n);
                }
            }
            self.metrics.dropped.inc_by(now.dropped - seen.dropped);
            // Status page: quarantines started in this batch (rare; one short lock each).
            if now.quarantines > seen.quarantines {
                let lasts = Duration::from_secs(stage.options().health.quarantine_secs);
                self.metrics.record_quarantine(&plugin, self.id, now.quarantines - seen.quarantines, lasts);
            }
            *seen = now.clone();
        }
    }

    /// Waits for the records in flight (up to `drain_timeout_secs`), stores and commits.
    fn drain(mut self) -> Result<(), WorkerError> {
        let timeout = self.settings.kafka.as_ref().map_or(30, |k| k.drain_timeout_secs);
        let deadline = Instant::now() + Duration::from_secs(timeout);
        while self.tracker.in_flight() > 0 && Instant::now() < deadline {
            match self.acks.recv_timeout(Duration::from_millis(50)) {
                Ok(ack) => self.on_ack(ack)?,
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.store_offsets();
        }
        self.settle()?;
        let left = self.tracker.in_flight();
        if left > 0 {
            tracing::warn!(
                worker = self.id,
                records = left,
                "records still unacknowledged at shutdown; their offsets are not committed and they will be processed again"
            );
        }
        match self.consumer.commit_consumer_state(CommitMode::Sync) {
            Ok(()) | Err(KafkaError::ConsumerCommit(rdkafka::types::RDKafkaErrorCode::NoOffset)) => {}
            Err(e) => tracing::warn!(worker = self.id, "final commit failed: {e}"),
        }
        tracing::info!(worker = self.id, "worker stopped");
        Ok(())
    }
}

impl Drop for Worker {
    /// A stopped worker's quarantines no longer degrade anything.
    fn drop(&mut self) {
        for stage in std::mem::take(&mut self.degraded) {
            self.metrics.set_degraded(&stage, false);
        }
    }
}
