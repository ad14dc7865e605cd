//! Throughput and lag per input partition over the last minutes, for the status page's
//! sparklines. A task started with the HTTP endpoint samples the partition counters and the
//! consumer lag every [`INTERVAL`].
//!
//! Promise: bounded memory — [`SAMPLES`] samples per partition (five minutes), for at most
//! [`crate::metrics::MAX_PARTITIONS`] partitions; a snapshot hands out at most the number of
//! partitions asked for (the busiest), and says how many it left out. Sampling takes the
//! history's own lock, never the workers'.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::metrics::PartitionNow;

/// Time between samples.
pub const INTERVAL: Duration = Duration::from_secs(2);
/// Samples kept per partition: five minutes.
pub const SAMPLES: usize = 150;

/// One partition's samples, oldest first; the last one is the latest sample.
#[derive(Debug, Default)]
struct Series {
    records: u64,
    rate: VecDeque<f64>,
    lag: VecDeque<Option<i64>>,
}

#[derive(Debug, Default)]
struct Samples {
    last: Option<Instant>,
    series: BTreeMap<(String, i32), Series>,
}

/// The sampled history of every partition.
#[derive(Debug, Default)]
pub struct History {
    samples: Mutex<Samples>,
}

/// One partition in a snapshot. `rate` and `lag` are aligned on the latest sample (their
/// last items are the same moment; a partition seen later has shorter arrays).
#[derive(Debug, Clone, Serialize)]
pub struct PartitionSeries {
    /// Topic.
    pub topic: String,
    /// Partition.
    pub partition: i32,
    /// Records consumed from it by this process.
    pub records: u64,
    /// Records per second, one per sample.
    pub rate: Vec<f64>,
    /// Consumer lag (`null` while librdkafka has not reported it), one per sample.
    pub lag: Vec<Option<i64>>,
}

/// What a snapshot hands the page.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    /// Seconds between samples.
    pub interval_secs: u64,
    /// Most samples per series.
    pub samples: usize,
    /// The busiest partitions, in topic and partition order.
    pub series: Vec<PartitionSeries>,
    /// Partitions left out of `series`.
    pub omitted: usize,
}

impl History {
    /// Takes a sample of every partition at `now`.
    pub fn sample(&self, now: Instant, partitions: &[PartitionNow]) {
        let mut samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let elapsed = samples.last.map_or(INTERVAL, |last| now.saturating_duration_since(last)).as_secs_f64().max(0.001);
        samples.last = Some(now);
        for p in partitions {
            // A partition first seen now had no records at the previous sample.
            let series = samples.series.entry((p.topic.clone(), p.partition)).or_default();
            let rate = p.records.saturating_sub(series.records) as f64 / elapsed;
            series.records = p.records;
            series.rate.push_back((rate * 10.0).round() / 10.0);
            series.lag.push_back(p.lag);
            while series.rate.len() > SAMPLES {
                series.rate.pop_front();
                series.lag.pop_front();
            }
        }
    }

    /// The `max` busiest partitions (by recent records per second plus lag).
    pub fn snapshot(&self, max: usize) -> Snapshot {
        let samples = self.samples.lock().unwrap_or_else(PoisonError::into_inner);
        let recent = |s: &Series| {
            let rate: f64 = s.rate.iter().rev().take(15).sum();
            rate + s.lag.back().copied().flatten().unwrap_or(0).max(0) as f64
        };
        let mut busiest: Vec<_> = samples.series.iter().collect();
        let omitted = busiest.len().saturating_sub(max);
        if omitted > 0 {
            busiest.sort_by(|a, b| recent(b.1).total_cmp(&recent(a.1)));
            busiest.truncate(max);
            busiest.sort_by(|a, b| a.0.cmp(b.0));
        }
        let series = busiest
            .into_iter()
            .map(|((topic, partition), s)| PartitionSeries {
                topic: topic.clone(),
                partition: *partition,
                records: s.records,
                rate: s.rate.iter().copied().collect(),
                lag: s.lag.iter().copied().collect(),
            })
            .collect();
        Snapshot { interval_secs: INTERVAL.as_secs(), samples: SAMPLES, series, omitted }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(topic: &str, partition: i32, records: u64, lag: Option<i64>) -> PartitionNow {
        PartitionNow { topic: topic.into(), partition, records, lag }
    }

    #[test]
    fn rates_come_from_the_counts_between_samples_and_the_window_is_bounded() {
        let history = History::default();
        let t0 = Instant::now();
        history.sample(t0, &[]);
        history.sample(t0 + Duration::from_secs(2), &[at("logs", 0, 100, None)]);
        history.sample(t0 + Duration::from_secs(4), &[at("logs", 0, 300, Some(7))]);
        let s = history.snapshot(10);
        assert_eq!(s.series[0].rate, vec![50.0, 100.0]);
        assert_eq!(s.series[0].lag, vec![None, Some(7)]);
        for i in 0..400u64 {
            history.sample(t0 + Duration::from_secs(6 + 2 * i), &[at("logs", 0, 300 + i, Some(1))]);
        }
        assert_eq!(history.snapshot(10).series[0].rate.len(), SAMPLES);
    }

    #[test]
    fn a_snapshot_keeps_the_busiest_partitions_and_counts_the_rest() {
        let history = History::default();
        let t0 = Instant::now();
        let parts: Vec<_> = (0..10).map(|p| at("logs", p, u64::try_from(p).unwrap_or(0) * 10, None)).collect();
        history.sample(t0, &parts);
        let s = history.snapshot(3);
        assert_eq!(s.omitted, 7);
        assert_eq!(s.series.iter().map(|p| p.partition).collect::<Vec<_>>(), vec![7, 8, 9]);
    }
}
