//! `make bench`: how long an alert takes, from the input record produced to the alert on
//! its topic, while events batch — and what the client settings that batch do to it.
//!
//! A Tansu broker (memory storage) on 127.0.0.1; logsift's service mode in-process with the
//! shipped chain (syslog, weblog, ssh-root-login) and one worker; input: the lines of
//! `../shared/data/loghub/OpenSSH_2k.log` produced at a steady 15,000 records/s for 8 s
//! (about half of what one worker sustains on this 2-core machine, broker included), which
//! raises ~21,000 alerts. Each input record's send time is kept by its partition and offset
//! (from the delivery report); an observer consumer on the alerts topic reads each alert's
//! `kafka.partition`/`kafka.offset` and takes the difference at arrival. The observer's own
//! fetch wait (10 ms) is included, so the figures are an upper bound.
//!
//! Variants, each one property changed from logsift's defaults: the producers' `linger.ms`
//! 0, 5 (the default) and 50; the consumer's `fetch.min.bytes` 64 KiB (the default is 1) and
//! `fetch.wait.max.ms` 10 (the default is 100). Reported p50, p99 and max in ms, and into
//! `target/bench/results.json` as `alert_latency.<variant>.p50_ms`/`.p99_ms`.

#[path = "../support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rdkafka::ClientContext;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::producer::{BaseRecord, DeliveryResult, Producer, ProducerContext, ThreadedProducer};
use rdkafka::{Offset, TopicPartitionList};
use support::service::{SHIPPED, Service, ServiceSpec, service_config};

const RATE: usize = 15_000;
const SECONDS: usize = 8;

/// A variant: its key, and the TOML lines it adds to `[kafka.consumer]` and `[kafka.producer]`.
const VARIANTS: [(&str, &str, &str); 5] = [
    ("linger_0", "", "\"linger.ms\" = 0"),
    ("linger_5", "", ""),
    ("linger_50", "", "\"linger.ms\" = 50"),
    ("fetch_min_bytes_64k", "\"fetch.min.bytes\" = 65536", ""),
    ("fetch_wait_max_10", "\"fetch.wait.max.ms\" = 10", ""),
];
/// Send instants of the input records, by index; and index by (partition, offset) once
/// delivered.
#[derive(Default)]
struct Sent {
    at: Mutex<Vec<Instant>>,
    by_position: Mutex<HashMap<(i32, i64), usize>>,
}

struct Feeder(Arc<Sent>);
impl ClientContext for Feeder {}
impl ProducerContext for Feeder {
    type DeliveryOpaque = usize;
    fn delivery(&self, result: &DeliveryResult<'_>, index: usize) {
        if let Ok(message) = result {
            self.0.by_position.lock().unwrap().insert((message.partition(), message.offset()), index);
        }
    }
}

/// Produces `lines` at `RATE` for `SECONDS`, keeping each record's send instant.
fn feed(brokers: &str, topic: &str, lines: &[String], sent: &Arc<Sent>) {
    let producer: ThreadedProducer<Feeder> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        // As an application's producer would: small batches, not a request per record.
        .set("linger.ms", "5")
        .create_with_context(Feeder(Arc::clone(sent)))
        .expect("feeder");
    let start = Instant::now();
    let total = RATE * SECONDS;
    let mut i = 0;
    while i < total {
        let due = (start.elapsed().as_secs_f64() * RATE as f64) as usize;
        if i >= due {
            std::thread::sleep(Duration::from_micros(500));
            continue;
        }
        while i < due.min(total) {
            let index = {
                let mut at = sent.at.lock().unwrap();
                at.push(Instant::now());
                at.len() - 1
            };
            let mut record: BaseRecord<'_, (), str, usize> =
                BaseRecord::with_opaque_to(topic, index).payload(lines[i % lines.len()].as_str());
            while let Err((_, back)) = producer.send(record) {
                record = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            i += 1;
        }
    }
    producer.flush(Duration::from_secs(30)).expect("feeder flush");
}

/// Reads the alerts topic until it has been quiet for 3 s after `fed` turns true; returns
/// each alert's source position and arrival instant.
fn observe(brokers: &str, topic: &str, fed: &std::sync::atomic::AtomicBool) -> Vec<((i32, i64), Instant)> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("observer-{topic}"))
        .set("fetch.wait.max.ms", "10")
        .set("enable.auto.commit", "false")
        .create()
        .expect("observer");
    let mut quiet_since = Instant::now();
    let mut alerts = Vec::new();
    let mut assigned = false;
    loop {
        if !assigned {
            // The topic exists once logsift produced its first alert.
            let known = consumer.fetch_metadata(Some(topic), Duration::from_secs(1)).ok().and_then(|m| {
                let partitions: Vec<i32> = m.topics().first()?.partitions().iter().map(|p| p.id()).collect();
                (!partitions.is_empty()).then_some(partitions)
            });
            if let Some(partitions) = known {
                let mut list = TopicPartitionList::new();
                for p in partitions {
                    list.add_partition_offset(topic, p, Offset::Beginning).expect("partition");
                }
                consumer.assign(&list).expect("assign");
                assigned = true;
            }
        }
        match consumer.poll(Duration::from_millis(50)) {
            Some(Ok(message)) => {
                let now = Instant::now();
                quiet_since = now;
                let json: serde_json::Value = serde_json::from_slice(message.payload().unwrap_or_default()).expect("an alert");
                let kafka = &json["kafka"];
                let position = (kafka["partition"].as_i64().expect("partition") as i32, kafka["offset"].as_i64().expect("offset"));
                alerts.push((position, now));
            }
            Some(Err(e)) => eprintln!("observer: {e}"),
            None if fed.load(std::sync::atomic::Ordering::Relaxed) && quiet_since.elapsed() > Duration::from_secs(3) => {
                return alerts;
            }
            None => {}
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let Some((lines, _tansu, client)) = support::kafka::bench_broker() else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    println!("alert latency, input produced → alert read back, {RATE} records/s for {SECONDS} s, shipped chain, 1 worker");
    println!("  {:<22} {:>8} {:>8} {:>8} {:>8}", "variant", "alerts", "p50 ms", "p99 ms", "max ms");
    let mut figures = Vec::new();
    for (key, consumer, producer) in VARIANTS {
        let input = format!("latency-in-{key}");
        client.create_topics(&[&input], 2);
        let outputs = format!("[outputs.events]\ntopic = \"latency-events-{key}\"\n[outputs.alerts]\ntopic = \"latency-alerts-{key}\"\n");
        let spec = ServiceSpec {
            brokers: &client.brokers,
            group: &format!("latency-{key}"),
            input: &input,
            workers: 1,
            batch_size: 256,
            chain: SHIPPED,
            extra: &outputs,
            props: (consumer, producer),
        };
        let service = Service::start(&service_config(dir.path(), &spec));
        service.wait_balanced(1);
        let sent = Arc::new(Sent::default());
        let fed = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let observer = {
            let (brokers, topic, fed) = (client.brokers.clone(), format!("latency-alerts-{key}"), Arc::clone(&fed));
            std::thread::spawn(move || observe(&brokers, &topic, &fed))
        };
        feed(&client.brokers, &input, &lines, &sent);
        fed.store(true, std::sync::atomic::Ordering::Relaxed);
        let alerts = observer.join().expect("observer");
        service.stop().expect("service");

        let at = sent.at.lock().unwrap();
        let by_position = sent.by_position.lock().unwrap();
        let mut latencies: Vec<Duration> =
            alerts.iter().filter_map(|(position, arrived)| Some(arrived.duration_since(at[*by_position.get(position)?]))).collect();
        assert!(!latencies.is_empty(), "no alert came back");
        latencies.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let (p50, p99, max) = (ms(percentile(&latencies, 0.5)), ms(percentile(&latencies, 0.99)), ms(*latencies.last().unwrap()));
        println!("  {key:<22} {:>8} {p50:>8.1} {p99:>8.1} {max:>8.1}", latencies.len());
        figures.push((format!("alert_latency.{key}.p50_ms"), p50));
        figures.push((format!("alert_latency.{key}.p99_ms"), p99));
    }
    let figures: Vec<(&str, f64)> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    support::bench::record(&figures);
}
