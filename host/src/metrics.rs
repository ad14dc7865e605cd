//! Prometheus metrics of service mode, and the recent [`Activity`] the status page shows.
//! Every metric update is an atomic add or set on a metric owned here; workers update them
//! once per batch, never per record under a lock. [`Metrics::record_batch`] is the one call
//! a worker makes per batch for the status page: per-partition counts (atomic adds; a short
//! lock only the first time a partition is seen) and [`Activity::record`] (one lock, only
//! when the batch had dead letters or alerts).

pub mod activity;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

pub use activity::Activity;

use crate::pipeline::{ChainOutput, InputRecord};

/// Input partitions whose records are counted for the status page's history; more are
/// still counted in `logsift_partition_records_total`, just not sampled.
pub const MAX_PARTITIONS: usize = 4096;

/// Label: an input topic.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TopicLabels {
    /// Topic name.
    pub topic: String,
}

/// Label: an output.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct OutputLabels {
    /// Output name (`events`, `alerts`, `dead_letter`, …).
    pub output: String,
}

/// Label: a plugin stage.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PluginLabels {
    /// Stage name.
    pub plugin: String,
}

/// Labels: a rule, and whether a live or a shadow stage raised its alerts.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    /// Rule id.
    pub rule: String,
    /// `live` or `shadow`.
    pub mode: &'static str,
}

/// Labels: a plugin stage and a kind of fault.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct FaultLabels {
    /// Stage name.
    pub plugin: String,
    /// `trap`, `deadline`, `memory` or `contract`.
    pub kind: String,
}

/// Labels: an input partition.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PartitionLabels {
    /// Topic name.
    pub topic: String,
    /// Partition number.
    pub partition: String,
}

/// Labels: a stage of the chain.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StageLabels {
    /// The stage's name.
    pub stage: String,
}

/// Labels: a Kafka client.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ClientLabels {
    /// librdkafka client id.
    pub client: String,
}

fn latency_histogram() -> Histogram {
    // 50 µs to ~1.6 s.
    Histogram::new(exponential_buckets(0.000_05, 2.0, 16))
}

/// Labels of per-worker series.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WorkerLabels {
    /// The worker's number.
    pub worker: String,
}

/// Labels of reload outcomes.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReloadLabels {
    /// `loaded`, `refused` or `unloaded`.
    pub result: String,
}

/// The metrics, and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    /// Records consumed, by topic.
    pub records_in: Family<TopicLabels, Counter>,
    /// Records produced and acknowledged, by output.
    pub records_out: Family<OutputLabels, Counter>,
    /// Bytes of the records produced and acknowledged (value, not key or headers), by output.
    pub output_bytes: Family<OutputLabels, Counter>,
    /// Records sent to the dead-letter output and acknowledged.
    pub dead_letters: Counter,
    /// Records dropped on purpose by plugins.
    pub dropped: Counter,
    /// Alerts per rule, live or shadow (as produced, before the broker's acknowledgement).
    pub rule_hits: Family<RuleLabels, Counter>,
    /// Time plugins measured evaluating each rule on its own, over the events they sampled.
    pub rule_cost_seconds: Family<RuleLabels, Counter<f64, std::sync::atomic::AtomicU64>>,
    /// Events plugins sampled to measure each rule's cost.
    pub rule_cost_evaluations: Family<RuleLabels, Counter>,
    /// Time a plugin spent on one batch.
    pub plugin_batch_seconds: Family<PluginLabels, Histogram, fn() -> Histogram>,
    /// Plugin calls that faulted, by kind.
    pub plugin_faults: Family<FaultLabels, Counter>,
    /// Consumer lag per partition (librdkafka statistics).
    pub consumer_lag: Family<PartitionLabels, Gauge>,
    /// Produce request retries per producer (librdkafka statistics).
    pub produce_retries: Family<ClientLabels, Gauge>,
    /// Partitions currently assigned to this process.
    pub assigned_partitions: Gauge,
    /// Partitions currently assigned, per worker.
    pub worker_partitions: Family<WorkerLabels, Gauge>,
    /// Workers of this process that own no partition.
    pub workers_idle: Gauge,
    /// Partitions of the input topics, as the brokers said at start (0: unknown).
    pub input_partitions: Gauge,
    /// Plugin loads, refusals and unloads by hot reload (and at start).
    pub plugin_reloads: Family<ReloadLabels, Counter>,
    /// The running generation of the chain.
    pub generation: Gauge,
    /// Records consumed, per input partition.
    pub partition_records: Family<PartitionLabels, Counter>,
    /// Times a stage was quarantined, in any worker.
    pub plugin_quarantines: Family<PluginLabels, Counter>,
    /// Workers in which a stage is quarantined now: its records skip it or are
    /// dead-lettered. Above 0, `/health` says `degraded`.
    pub stage_degraded: Family<StageLabels, Gauge>,
    /// Dead letters, alerts and quarantines of late, for the status page.
    pub activity: Activity,
    /// The partitions `partition_records` has seen (at most [`MAX_PARTITIONS`]).
    partitions: Mutex<BTreeSet<(String, i32)>>,
    /// Stages quarantined now, with in how many workers (changes only when one enters or
    /// leaves quarantine).
    degraded: Mutex<std::collections::BTreeMap<String, i64>>,
}

/// One input partition as the status page samples it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionNow {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Records consumed from it by this process.
    pub records: u64,
    /// Consumer lag, when librdkafka's statistics reported one.
    pub lag: Option<i64>,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("logsift");
        let m = Metrics {
            records_in: Family::default(),
            records_out: Family::default(),
            output_bytes: Family::default(),
            dead_letters: Counter::default(),
            dropped: Counter::default(),
            rule_hits: Family::default(),
            rule_cost_seconds: Family::default(),
            rule_cost_evaluations: Family::default(),
            plugin_batch_seconds: Family::new_with_constructor(latency_histogram as fn() -> Histogram),
            plugin_faults: Family::default(),
            consumer_lag: Family::default(),
            produce_retries: Family::default(),
            assigned_partitions: Gauge::default(),
            worker_partitions: Family::default(),
            workers_idle: Gauge::default(),
            input_partitions: Gauge::default(),
            plugin_reloads: Family::default(),
            generation: Gauge::default(),
            partition_records: Family::default(),
            plugin_quarantines: Family::default(),
            stage_degraded: Family::default(),
            activity: Activity::default(),
            partitions: Mutex::new(BTreeSet::new()),
            degraded: Mutex::default(),
            registry: Registry::default(),
        };
        registry.register("records_in", "Records consumed, by input topic", m.records_in.clone());
        registry.register("records_out", "Records produced and acknowledged by the broker, by output", m.records_out.clone());
        registry.register(
            "output_bytes",
            "Bytes of the records produced and acknowledged (their values), by output",
            m.output_bytes.clone(),
        );
        registry.register("dead_letters", "Records written to the dead-letter output", m.dead_letters.clone());
        registry.register("dropped", "Records dropped on purpose by plugins", m.dropped.clone());
        registry.register("rule_hits", "Alerts raised per rule, by live and shadow stages", m.rule_hits.clone());
        registry.register(
            "rule_cost_seconds",
            "Time spent evaluating each rule on its own over the events sampled to measure it (divide by rule_cost_evaluations for the mean)",
            m.rule_cost_seconds.clone(),
        );
        registry.register(
            "rule_cost_evaluations",
            "Events sampled to measure each rule's cost, by live and shadow stages",
            m.rule_cost_evaluations.clone(),
        );
        registry.register("plugin_batch_seconds", "Time a plugin spent on one batch", m.plugin_batch_seconds.clone());
        registry.register(
            "plugin_faults",
            "Plugin calls that trapped, timed out, ran out of memory or broke the contract",
            m.plugin_faults.clone(),
        );
        registry.register("consumer_lag", "Messages between the consumer position and the end of the partition", m.consumer_lag.clone());
        registry.register("produce_retries", "Produce requests retried, per producer", m.produce_retries.clone());
        registry.register("assigned_partitions", "Input partitions assigned to this process", m.assigned_partitions.clone());
        registry.register("worker_partitions", "Input partitions assigned, per worker", m.worker_partitions.clone());
        registry.register("workers_idle", "Workers of this process that own no input partition", m.workers_idle.clone());
        registry.register("input_partitions", "Partitions of the input topics at start (0: unknown)", m.input_partitions.clone());
        registry.register("plugin_reloads", "Plugins loaded, refused or unloaded, at start and by hot reload", m.plugin_reloads.clone());
        registry.register("generation", "The running generation of the plugin chain", m.generation.clone());
        registry.register("partition_records", "Records consumed, by input partition", m.partition_records.clone());
        registry.register("plugin_quarantines", "Times a plugin stage was quarantined, in any worker", m.plugin_quarantines.clone());
        registry.register(
            "stage_degraded",
            "Workers in which a stage is quarantined now (its records skip it or are dead-lettered)",
            m.stage_degraded.clone(),
        );
        Metrics { registry, ..m }
    }
}

impl Metrics {
    /// The metrics in the OpenMetrics text format.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }

    /// What a worker records per batch for the status page: its records per partition
    /// (`keys[i]` is the topic and partition of `inputs[i]`), its dead letters and alerts.
    pub fn record_batch(&self, inputs: &[InputRecord], keys: &[(Arc<str>, i32)], out: &ChainOutput) {
        let mut counts: Vec<(&str, i32, u64)> = Vec::new();
        for (topic, partition) in keys {
            match counts.iter_mut().find(|(t, p, _)| *t == &**topic && p == partition) {
                Some(count) => count.2 += 1,
                None => counts.push((topic, *partition, 1)),
            }
        }
        for (topic, partition, n) in counts {
            let labels = PartitionLabels { topic: topic.to_owned(), partition: partition.to_string() };
            {
                let mut known = self.partitions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if known.len() < MAX_PARTITIONS {
                    known.insert((topic.to_owned(), partition));
                }
            }
            self.partition_records.get_or_create(&labels).inc_by(n);
        }
        self.activity.record(inputs, out);
        self.count_rule_hits(out);
        self.count_rule_costs(out);
    }

    /// `rule_cost_seconds` and `rule_cost_evaluations`: what the stages measured in the batch
    /// (usually nothing).
    fn count_rule_costs(&self, out: &ChainOutput) {
        for cost in &out.costs {
            let labels = RuleLabels { rule: cost.rule_id.clone(), mode: if cost.shadow { "shadow" } else { "live" } };
            self.rule_cost_seconds.get_or_create(&labels).inc_by(cost.nanos as f64 / 1e9);
            self.rule_cost_evaluations.get_or_create(&labels).inc_by(cost.evaluations);
        }
    }

    /// `rule_hits`: one increment per rule and mode that hit in the batch.
    fn count_rule_hits(&self, out: &ChainOutput) {
        let mut hits: foldhash::HashMap<(&str, bool), u64> = foldhash::HashMap::default();
        for routed in &out.routed {
            if let crate::pipeline::Payload::Alert(alert) = &routed.payload {
                *hits.entry((&alert.rule_id, alert.shadow)).or_default() += 1;
            }
        }
        for ((rule, shadow), n) in hits {
            let labels = RuleLabels { rule: rule.to_owned(), mode: if shadow { "shadow" } else { "live" } };
            self.rule_hits.get_or_create(&labels).inc_by(n);
        }
    }

    /// Records that a stage was quarantined `n` times in `worker`, for `lasts` each time.
    pub fn record_quarantine(&self, stage: &str, worker: usize, n: u64, lasts: std::time::Duration) {
        self.plugin_quarantines.get_or_create(&PluginLabels { plugin: stage.to_owned() }).inc_by(n);
        self.activity.quarantined(stage, worker, n, lasts);
    }

    /// The stages quarantined in at least one worker now, with in how many.
    pub fn degraded_stages(&self) -> Vec<(String, i64)> {
        self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().map(|(s, n)| (s.clone(), *n)).collect()
    }

    /// A worker's stage entered (`true`) or left quarantine.
    pub fn set_degraded(&self, stage: &str, entered: bool) {
        let gauge = self.stage_degraded.get_or_create(&StageLabels { stage: stage.to_owned() });
        let mut degraded = self.degraded.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = degraded.entry(stage.to_owned()).or_default();
        *count += if entered { 1 } else { -1 };
        gauge.set(*count);
        if *count <= 0 {
            degraded.remove(stage);
        }
    }

    /// Every partition seen so far, in order, with its records and lag now.
    pub fn partitions(&self) -> Vec<PartitionNow> {
        let known: Vec<(String, i32)> = self.partitions.lock().unwrap_or_else(std::sync::PoisonError::into_inner).iter().cloned().collect();
        known
            .into_iter()
            .map(|(topic, partition)| {
                let labels = PartitionLabels { topic, partition: partition.to_string() };
                let records = self.partition_records.get(&labels).map_or(0, |c| c.get());
                let lag = self.consumer_lag.get(&labels).map(|g| g.get());
                PartitionNow { topic: labels.topic, partition, records, lag }
            })
            .collect()
    }
}
