//! The service under test in the mock-cluster suites: its input (generated sshd lines and
//! lines no parser accepts), its configuration, the cluster, and how to read the outputs.

use std::path::Path;
use std::time::Duration;

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;

use super::kafka::Client;
use super::service::{ServiceSpec, service_config};

pub const GROUP: &str = "logsift-test";
pub const BROKEN: usize = 10;

/// 2,000 generated sshd lines plus lines no syslog parser accepts.
pub fn input() -> Vec<String> {
    let mut lines = super::sshd_lines();
    lines.extend((0..BROKEN).map(|i| format!("this is not syslog, line {i}")));
    lines
}

/// The service under test: syslog then the root-login detector, two workers.
pub fn config(dir: &Path, brokers: &str) -> std::path::PathBuf {
    config_with_workers(dir, brokers, 2)
}

pub fn config_with_workers(dir: &Path, brokers: &str, workers: usize) -> std::path::PathBuf {
    let spec = ServiceSpec {
        brokers,
        group: GROUP,
        input: "logs",
        workers,
        batch_size: 64,
        chain: &["syslog", "ssh-root-login"],
        extra: "",
        props: ("", ""),
    };
    service_config(dir, &spec)
}

pub fn cluster(brokers: i32) -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(brokers).expect("mock cluster");
    cluster.create_topic("logs", 4, 1).expect("input topic");
    for topic in ["events", "alerts", "dead-letter"] {
        cluster.create_topic(topic, 4, 1).expect("output topic");
    }
    cluster
}

/// What a run wrote to the output topics.
pub struct Outputs {
    pub events: Vec<super::kafka::Record>,
    pub alerts: Vec<super::kafka::Record>,
    pub dead: Vec<super::kafka::Record>,
}

/// Reads the output topics back, waiting for `events` events at least.
pub fn read_outputs(client: &Client, events: usize) -> Outputs {
    let events = client.read_all("events", events, Duration::from_secs(90));
    let dead = client.read_all("dead-letter", BROKEN, Duration::from_secs(30));
    let alerts = client.read_all("alerts", 1, Duration::from_secs(30));
    Outputs { events, alerts, dead }
}

/// Every input record appears among events and dead letters; returns how many duplicates.
pub fn assert_nothing_lost(out: &Outputs, client: &Client, inputs: usize) -> usize {
    let outputs: Vec<_> = out.events.iter().chain(&out.dead).collect();
    super::kafka::assert_nothing_lost(client, "logs", inputs, &outputs)
}
