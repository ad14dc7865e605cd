//! `make bench`: the sweep behind logsift's librdkafka defaults (docs/configuration.md,
//! "Kafka client defaults"). Throughput of the shipped chain with one worker, end to end
//! through a broker (a Tansu process on 127.0.0.1, memory storage), each variant changing one
//! property from logsift's defaults; the latency side of the same properties is the
//! `alert_latency` bench.
//!
//! Input: `../shared/data/loghub/OpenSSH_2k.log` cycled to 200,000 records on a topic of two
//! partitions; each run reads it all in a new consumer group, timed from the first record
//! consumed to the last event acknowledged. Runs are interleaved (pass by pass) and the median
//! of the passes counts; each variant is reported as records/s and as a ratio to the defaults,
//! also into `target/bench/results.json` as `kafka_settings.<variant>.records_per_s` and
//! `.per_defaults`.

#[path = "../support/mod.rs"]
mod support;

use std::time::Duration;

use support::service::{SHIPPED, ServiceSpec, timed_run};

const RECORDS: usize = 200_000;
const PASSES: usize = 3;
const INPUT: &str = "sweep-in";

/// A variant: its key, and the TOML lines it adds to `[kafka.consumer]` and `[kafka.producer]`.
const VARIANTS: &[(&str, &str, &str)] = &[
    ("defaults", "", ""),
    ("linger_0", "", "\"linger.ms\" = 0"),
    ("linger_50", "", "\"linger.ms\" = 50"),
    ("batch_size_16k", "", "\"batch.size\" = 16384"),
    ("batch_size_128k", "", "\"batch.size\" = 131072"),
    ("batch_num_messages_1000", "", "\"batch.num.messages\" = 1000"),
    ("batch_num_messages_100000", "", "\"batch.num.messages\" = 100000"),
    ("batch_num_messages_1000000", "", "\"batch.num.messages\" = 1000000"),
    ("compression_none", "", "\"compression.type\" = \"none\""),
    ("compression_zstd", "", "\"compression.type\" = \"zstd\""),
    ("queue_buffering_max_messages_10000", "", "\"queue.buffering.max.messages\" = 10000"),
    ("queue_buffering_max_kbytes_16m", "", "\"queue.buffering.max.kbytes\" = 16384"),
    ("fetch_min_bytes_64k", "\"fetch.min.bytes\" = 65536", ""),
    ("fetch_wait_max_10", "\"fetch.wait.max.ms\" = 10", ""),
    ("fetch_wait_max_500", "\"fetch.wait.max.ms\" = 500", ""),
    ("queued_min_messages_1000", "\"queued.min.messages\" = 1000", ""),
    ("queued_min_messages_1000000", "\"queued.min.messages\" = 1000000", ""),
];

/// One run of a variant: its time and the bytes of events it produced.
fn run(brokers: &str, pass: usize, (key, consumer, producer): (&str, &str, &str), dir: &std::path::Path) -> (Duration, f64) {
    let id = format!("{key}-{pass}");
    let outputs = format!("[outputs.events]\ntopic = \"sweep-events-{id}\"\n[outputs.alerts]\ntopic = \"sweep-alerts-{id}\"\n");
    let spec = ServiceSpec {
        brokers,
        group: &format!("sweep-{id}"),
        input: INPUT,
        workers: 1,
        batch_size: 256,
        chain: SHIPPED,
        extra: &outputs,
        props: (consumer, producer),
    };
    timed_run(dir, &spec, RECORDS)
}

fn main() {
    let Some((lines, _tansu, client)) = support::kafka::bench_broker() else { return };
    client.create_topics(&[INPUT], 2);
    let input: Vec<String> = (0..RECORDS).map(|i| lines[i % lines.len()].clone()).collect();
    client.produce(INPUT, &input);
    let dir = tempfile::tempdir().expect("tempdir");

    // `cargo bench --bench kafka_settings -- KEY…` runs the defaults and the variants whose
    // key contains one of the KEYs; the figures are then not recorded.
    let only: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with('-')).collect();
    let chosen: Vec<usize> =
        (0..VARIANTS.len()).filter(|&i| i == 0 || only.is_empty() || only.iter().any(|o| VARIANTS[i].0.contains(o.as_str()))).collect();
    let mut runs = vec![Vec::new(); VARIANTS.len()];
    let mut bytes = vec![0.0; VARIANTS.len()];
    for pass in 0..PASSES {
        // Each pass starts at a different variant: no variant is always the first or the last
        // run on a broker that grows a few topics with every run.
        for k in 0..chosen.len() {
            let i = chosen[(k + pass * chosen.len() / PASSES) % chosen.len()];
            let (time, produced) = run(&client.brokers, pass, VARIANTS[i], dir.path());
            runs[i].push(time);
            bytes[i] = produced;
        }
    }
    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    let defaults = rate(support::bench::median(runs[0].clone()));
    println!("shipped chain, 1 worker, {RECORDS} records through Tansu, one property changed; median of {PASSES} passes");
    println!("  {:<36} {:<36} {:>10} {:>15} {:>9} {:>8}", "variant", "property", "records/s", "passes min–max", "MB/s out", "ratio");
    let mut figures = Vec::new();
    for &i in &chosen {
        let ((key, consumer, producer), produced) = (VARIANTS[i], bytes[i]);
        let time = support::bench::median(runs[i].clone());
        // The spread of the passes: a difference from the defaults inside it is noise.
        let (fastest, slowest) = (runs[i].iter().min().expect("a pass"), runs[i].iter().max().expect("a pass"));
        let spread = format!("{:.0}–{:.0}K", rate(*slowest) / 1e3, rate(*fastest) / 1e3);
        let property = if consumer.is_empty() { producer } else { consumer };
        let ratio = rate(time) / defaults;
        let mbs = produced / time.as_secs_f64() / 1e6;
        println!("  {key:<36} {property:<36} {:>10.0} {spread:>15} {mbs:>9.1} {ratio:>8.2}", rate(time));
        figures.push((format!("kafka_settings.{key}.records_per_s"), rate(time)));
        figures.push((format!("kafka_settings.{key}.per_defaults"), ratio));
    }
    if only.is_empty() {
        let figures: Vec<(&str, f64)> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        support::bench::record(&figures);
    }
}
