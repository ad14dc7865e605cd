//! `make bench`, end to end through a broker: records/s of logsift's service mode with a
//! passthrough chain (1 and 2 workers) against a bare rdkafka consume→produce loop on the
//! same broker (a Tansu process on 127.0.0.1, memory storage) with the same client settings.
//!
//! Input: `../shared/data/loghub/OpenSSH_2k.log` cycled to 200,000 records on a topic of two
//! partitions. Each case reads the whole topic in a new consumer group and writes a topic of
//! its own; it is timed from the first record consumed to the last output acknowledged.
//! The bare loop forwards the payload as it is; logsift also renders each record as an ECS
//! JSON event with its provenance. Cases run interleaved; the median of the passes counts.

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
use support::kafka::{Client, Service, ServiceSpec, Tansu, metric_sum, scrape, service_config};

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
fn bare(brokers: &str, pass: usize) -> Duration {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("bare-{pass}"))
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
        .set("compression.type", "lz4")
        .set("enable.idempotence", "true")
        .create_with_context(Counting(Arc::clone(&delivered)))
        .expect("producer");
    let topic = format!("bare-out-{pass}");
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

/// logsift's service mode in-process with a passthrough chain and `workers` workers.
fn logsift(brokers: &str, pass: usize, workers: usize, dir: &std::path::Path) -> Duration {
    let outputs = format!("[outputs.events]\ntopic = \"logsift-out-{workers}-{pass}\"\n");
    let spec = ServiceSpec {
        brokers,
        group: &format!("logsift-{workers}-{pass}"),
        input: INPUT,
        workers,
        batch_size: 256,
        chain: &["passthrough"],
        extra: &outputs,
    };
    let config = service_config(dir, &spec);
    let service = Service::start(&config);
    let addr = service.addr;
    let mut started = None;
    loop {
        let metrics = scrape(addr);
        if started.is_none() && metric_sum(&metrics, "logsift_records_in_total") > 0.0 {
            started = Some(Instant::now());
        }
        if metric_sum(&metrics, "logsift_records_out_total") >= RECORDS as f64 {
            break;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let elapsed = started.expect("records").elapsed();
    service.stop().expect("service");
    elapsed
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

fn main() {
    let Some(lines) = support::shared_lines("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return;
    };
    let Some(tansu) = Tansu::start() else {
        eprintln!("bench skipped: `make tools` installs the Tansu broker it needs");
        return;
    };
    let client = Client::new(tansu.addr.to_string());
    client.create_topics(&[INPUT], 2);
    let input: Vec<String> = (0..RECORDS).map(|i| lines[i % lines.len()].clone()).collect();
    client.produce(INPUT, &input);
    let dir = tempfile::tempdir().expect("tempdir");

    let (mut bare_runs, mut one, mut two) = (Vec::new(), Vec::new(), Vec::new());
    for pass in 0..PASSES {
        bare_runs.push(bare(&client.brokers, pass));
        one.push(logsift(&client.brokers, pass, 1, dir.path()));
        two.push(logsift(&client.brokers, pass, 2, dir.path()));
    }
    let rate = |d: Duration| RECORDS as f64 / d.as_secs_f64();
    let (bare_rate, one_rate, two_rate) = (rate(median(bare_runs)), rate(median(one)), rate(median(two)));
    println!("end to end through Tansu (memory storage), {RECORDS} records, 2 partitions, median of {PASSES} passes");
    println!("  bare rdkafka consume→produce loop  {bare_rate:>10.0} records/s");
    println!("  logsift passthrough, 1 worker      {one_rate:>10.0} records/s  ratio {:.2}", one_rate / bare_rate);
    println!("  logsift passthrough, 2 workers     {two_rate:>10.0} records/s  ratio {:.2}", two_rate / bare_rate);
    support::bench::record(&[
        ("kafka.bare_records_per_s", bare_rate),
        ("kafka.passthrough_1_worker_records_per_s", one_rate),
        ("kafka.passthrough_2_workers_records_per_s", two_rate),
        ("kafka.passthrough_1_worker_per_bare", one_rate / bare_rate),
        ("kafka.passthrough_2_workers_per_bare", two_rate / bare_rate),
    ]);
}
