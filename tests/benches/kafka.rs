//! `make bench`, end to end through a broker: records/s of logsift's service mode against a
//! bare rdkafka consume→produce loop on the same broker (a Tansu process on 127.0.0.1,
//! memory storage) with the same client settings.
//!
//! Input: `../shared/data/loghub/OpenSSH_2k.log` cycled to 200,000 records on a topic of two
//! partitions. Each case reads the whole topic in a new consumer group and writes topics of
//! its own; it is timed from the first record consumed to the last event acknowledged.
//! The bare loop forwards the payload as it is; logsift renders each record as an ECS JSON
//! event with its provenance (several times the line's size: MB/s produced are reported
//! beside records/s). Cases: the passthrough chain and the shipped chain (syslog, weblog,
//! ssh-root-login: ~18 % of the records also raise an alert), 1 and 2 workers, compression
//! lz4 (logsift's default) and none; each logsift case is compared with the bare loop under
//! the same compression. Cases run interleaved; the median of the passes counts.

#[path = "../support/mod.rs"]
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, ProducerContext, ThreadedProducer};
use support::service::{SHIPPED, ServiceSpec, timed_run};

const RECORDS: usize = 200_000;
const PASSES: usize = 3;
const INPUT: &str = "bench-in";

struct Counting(Arc<AtomicUsize>);
impl ClientContext for Counting {}
impl ProducerContext for Counting {
    type DeliveryOpaque = ();
    fn delivery(&self, result: &DeliveryResult<'_>, _: ()) {
        if result.is_ok() {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// The bare loop: one consumer and one producer, the producer settings logsift uses.
fn bare(brokers: &str, pass: usize, compression: &str) -> Duration {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bare-{compression}-{pass}"))
        .set("auto.offset.reset", "earliest")
        .set("session.timeout.ms", "6000")
        .set("fetch.wait.max.ms", "100")
        .create()
        .expect("consumer");
    consumer.subscribe(&[INPUT]).expect("subscribe");
    let delivered = Arc::new(AtomicUsize::new(0));
    let producer: ThreadedProducer<Counting> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("linger.ms", "5")
        .set("batch.size", "1000000")
        .set("compression.type", compression)
        .set("enable.idempotence", "true")
        .create_with_context(Counting(Arc::clone(&delivered)))
        .expect("producer");
    let topic = format!("bare-out-{compression}-{pass}");
    let mut consumed = 0;
    let mut started = None;
    while delivered.load(Ordering::Relaxed) < RECORDS {
        if consumed == RECORDS {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        }
        let Some(message) = consumer.poll(Duration::from_millis(100)) else { continue };
        let message = message.expect("consume");
        started.get_or_insert_with(Instant::now);
        let mut record = BaseRecord::to(&topic).payload(message.payload().unwrap_or_default());
        if let Some(key) = message.key() {
            record = record.key(key);
        }
        while let Err((_, back)) = producer.send(record) {
            record = back;
            std::thread::sleep(Duration::from_millis(1));
        }
        consumed += 1;
    }
    started.expect("records").elapsed()
}

/// A logsift case.
struct Case {
    name: &'static str,
    key: &'static str,
    chain: &'static [&'static str],
    workers: usize,
    compression: &'static str,
}

const CASES: [Case; 6] = [
    Case { name: "passthrough, 1 worker, lz4", key: "passthrough_1_worker", chain: &["passthrough"], workers: 1, compression: "lz4" },
    Case { name: "passthrough, 2 workers, lz4", key: "passthrough_2_workers", chain: &["passthrough"], workers: 2, compression: "lz4" },
    Case {
        name: "passthrough, 1 worker, none",
        key: "passthrough_1_worker_none",
        chain: &["passthrough"],
        workers: 1,
        compression: "none",
    },
    Case {
        name: "passthrough, 2 workers, none",
        key: "passthrough_2_workers_none",
        chain: &["passthrough"],
        workers: 2,
        compression: "none",
    },
    Case { name: "shipped chain, 1 worker, lz4", key: "shipped_1_worker", chain: SHIPPED, workers: 1, compression: "lz4" },
    Case { name: "shipped chain, 2 workers, lz4", key: "shipped_2_workers", chain: SHIPPED, workers: 2, compression: "lz4" },
];

/// logsift's service mode in-process: the time, and the bytes of events produced.
fn logsift(brokers: &str, pass: usize, case: &Case, dir: &std::path::Path) -> (Duration, f64) {
    let id = format!("{}-{pass}", case.key);
    let compression = case.compression;
    let outputs = format!(
        "[outputs.events]\ntopic = \"events-{id}\"\n[outputs.events.producer]\n\"compression.type\" = \"{compression}\"\n\
         [outputs.alerts]\ntopic = \"alerts-{id}\"\n"
    );
    let spec = ServiceSpec {
        brokers,
        group: &format!("logsift-{id}"),
        input: INPUT,
        workers: case.workers,
        batch_size: 256,
        chain: case.chain,
        extra: &outputs,
        props: ("", ""),
    };
    timed_run(dir, &spec, RECORDS)
}

fn main() {
    let Some((lines, _tansu, client)) = support::kafka::bench_broker() else { return };
    client.create_topics(&[INPUT], 2);
    let input: Vec<String> = (0..RECORDS).map(|i| lines[i % lines.len()].clone()).collect();
    client.produce(INPUT, &input);
    let dir = tempfile::tempdir().expect("tempdir");

    let input_bytes: usize = input.iter().map(String::len).sum();
    let compressions = ["lz4", "none"];
    let mut bare_runs = vec![Vec::new(); compressions.len()];
    let mut runs = vec![Vec::new(); CASES.len()];
    let mut bytes = vec![0.0; CASES.len()];
    // `cargo bench --bench kafka -- KEY` runs only the logsift cases whose key contains KEY
    // (to profile one); the figures are then not recorded.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let run = |case: &Case| only.as_ref().is_none_or(|o| case.key.contains(o.as_str()));
    for pass in 0..PASSES {
        for (i, compression) in compressions.iter().enumerate() {
            bare_runs[i].push(if only.is_some() { Duration::from_secs(1) } else { bare(&client.brokers, pass, compression) });
        }
        for (i, case) in CASES.iter().enumerate() {
            if !run(case) {
                runs[i].push(Duration::from_secs(1));
                continue;
            }
            let (time, produced) = logsift(&client.brokers, pass, case, dir.path());
            runs[i].push(time);
            bytes[i] = produced;
        }
    }
    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    let mbs = |bytes: f64, d: Duration| bytes / d.as_secs_f64() / 1e6;
    println!("end to end through Tansu (memory storage), {RECORDS} records, 2 partitions, median of {PASSES} passes");
    println!("  {:<36} {:>12} {:>10} {:>8}", "case", "records/s", "MB/s out", "ratio");
    let mut figures = Vec::new();
    let mut bare_rates = Vec::new();
    for (i, compression) in compressions.iter().enumerate() {
        let time = support::bench::median(bare_runs[i].clone());
        let name = format!("bare loop, {compression}");
        println!("  {name:<36} {:>12.0} {:>10.1} {:>8}", rate(time), mbs(input_bytes as f64, time), "1.00");
        let key = if *compression == "lz4" { "kafka.bare".to_owned() } else { format!("kafka.bare_{compression}") };
        figures.push((format!("{key}_records_per_s"), rate(time)));
        bare_rates.push(rate(time));
    }
    for (i, case) in CASES.iter().enumerate() {
        let time = support::bench::median(runs[i].clone());
        let bare_rate = bare_rates[compressions.iter().position(|c| *c == case.compression).expect("a compression")];
        let ratio = rate(time) / bare_rate;
        println!("  {:<36} {:>12.0} {:>10.1} {:>8.2}", format!("logsift {}", case.name), rate(time), mbs(bytes[i], time), ratio);
        figures.push((format!("kafka.{}_records_per_s", case.key), rate(time)));
        figures.push((format!("kafka.{}_mb_per_s", case.key), mbs(bytes[i], time)));
        figures.push((format!("kafka.{}_per_bare", case.key), ratio));
    }
    if only.is_none() {
        let figures: Vec<(&str, f64)> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        support::bench::record(&figures);
    }
}
