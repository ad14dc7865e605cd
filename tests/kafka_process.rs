//! The `logsift` binary as its own process, run with `examples/kafka.toml` as shipped, against a
//! broker it did not start (librdkafka's mock cluster hosted by this test, or a Tansu broker),
//! fed and read by an independent client: SIGTERM drains and exits 0; SIGKILL mid-stream and a
//! restart lose nothing; a second process joining the group takes partitions over without loss.

mod support;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use rdkafka::producer::DefaultProducerContext;
use support::kafka::{Client, Record, Tansu, free_port};
use support::service::{http_status, metric_sum, scrape};

/// The group `examples/kafka.toml` names.
const GROUP: &str = "logsift";
const BROKEN: usize = 10;

fn input() -> Vec<String> {
    let mut lines = support::sshd_lines();
    lines.extend((0..BROKEN).map(|i| format!("this is not a log line we know, number {i}")));
    lines
}

fn cluster() -> MockCluster<'static, DefaultProducerContext> {
    let cluster = MockCluster::new(1).expect("mock cluster");
    for topic in ["logs", "events", "alerts", "dead-letter"] {
        cluster.create_topic(topic, 4, 1).expect("topic");
    }
    cluster
}

/// A `logsift serve` process with its metrics address and log file.
struct Process {
    child: Child,
    http: SocketAddr,
    log: PathBuf,
}

impl Process {
    fn start(brokers: &str, dir: &std::path::Path, name: &str) -> Self {
        let http = free_port();
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["serve", "--config"])
            .arg(support::workspace().join("examples/kafka.toml"))
            .env("LOGSIFT_KAFKA__BROKERS", brokers)
            .env("LOGSIFT_HTTP__LISTEN", http.to_string())
            .env("LOGSIFT_WORKERS", "2")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("starting logsift serve");
        let process = Process { child, http, log };
        process.wait_until(Duration::from_secs(60), "the metrics endpoint", |p| std::net::TcpStream::connect(p.http).is_ok());
        process
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_until(&self, wait: Duration, what: &str, done: impl Fn(&Self) -> bool) {
        let deadline = Instant::now() + wait;
        while !done(self) {
            assert!(Instant::now() < deadline, "timed out waiting for {what}; log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Waits until both workers own partitions: input produced after that meets no
    /// rebalance, so a fault-free run has no duplicate.
    fn wait_balanced(&self) {
        let owns =
            |p: &Self, w: usize| scrape(p.http).get(&format!("logsift_worker_partitions{{worker=\"{w}\"}}")).is_some_and(|n| *n > 0.0);
        self.wait_until(Duration::from_secs(60), "both workers to own partitions", |p| owns(p, 0) && owns(p, 1));
    }

    fn assigned(&self) -> f64 {
        metric_sum(&scrape(self.http), "logsift_assigned_partitions")
    }

    /// SIGTERM, then the exit code.
    fn terminate(mut self) -> i32 {
        let pid = self.child.id().to_string();
        let status = Command::new("kill").args(["-TERM", &pid]).status().expect("kill");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                let code = status.code().unwrap_or(-1);
                assert_eq!(code, 0, "logsift exited with {status} after SIGTERM; log:\n{}", self.log());
                assert!(self.log().contains("logsift service stopped cleanly"), "{}", self.log());
                return code;
            }
            assert!(Instant::now() < deadline, "logsift did not stop within 60 s of SIGTERM");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL: no draining, no commit.
    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("wait");
    }
}

impl Drop for Process {
    /// A test that fails half-way leaves no process behind.
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Produces lines in small chunks on a thread, as a live source would.
fn feed_slowly(brokers: &str, lines: Vec<String>, chunk: usize, pause: Duration) -> std::thread::JoinHandle<()> {
    let client = Client::new(brokers);
    std::thread::spawn(move || {
        for (n, part) in lines.chunks(chunk).enumerate() {
            client.produce_from("logs", part, n * chunk);
            std::thread::sleep(pause);
        }
    })
}

struct Outputs {
    events: Vec<Record>,
    alerts: Vec<Record>,
    dead: Vec<Record>,
}

/// Reads the outputs back and checks that every input position is there at least once;
/// returns them with the number of duplicates.
fn check_outputs(client: &Client, inputs: usize) -> (Outputs, usize) {
    let events = client.read_all("events", inputs - BROKEN, Duration::from_secs(90));
    let dead = client.read_all("dead-letter", BROKEN, Duration::from_secs(30));
    let alerts = client.read_all("alerts", 370, Duration::from_secs(30));
    let outputs: Vec<_> = events.iter().chain(&dead).collect();
    let duplicates = support::kafka::assert_nothing_lost(client, "logs", inputs, &outputs);
    for r in events.iter().chain(&alerts).chain(&dead) {
        r.source(); // every output names its source partition and offset
    }
    (Outputs { events, alerts, dead }, duplicates)
}

#[test]
fn the_shipped_service_config_processes_every_line_and_exits_zero_on_sigterm() {
    let lines = input();
    let cluster = cluster();
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");

    let process = Process::start(&client.brokers, dir.path(), "serve");
    assert_eq!(http_status(process.http, "/health"), 200);
    process.wait_balanced();
    client.produce("logs", &lines);
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(90)), "log:\n{}", process.log());
    assert_eq!(http_status(process.http, "/ready"), 200, "assigned and consuming");
    let metrics = scrape(process.http);
    process.terminate();

    let (out, duplicates) = check_outputs(&client, lines.len());
    assert_eq!(duplicates, 0);
    assert_eq!(out.events.len(), lines.len() - BROKEN);
    assert_eq!(out.dead.len(), BROKEN);
    assert_eq!(out.alerts.len(), 370);
    assert_eq!(metric_sum(&metrics, "logsift_records_in_total"), lines.len() as f64);
    // Bytes out are the values acknowledged, per output.
    for (output, records) in [("events", &out.events), ("alerts", &out.alerts), ("dead_letter", &out.dead)] {
        let bytes: usize = records.iter().map(|r| r.payload.len()).sum();
        let metric = format!("logsift_output_bytes_total{{output=\"{output}\"}}");
        assert_eq!(metrics.get(&metric).copied(), Some(bytes as f64), "{metric}");
    }
}

#[test]
fn a_process_killed_mid_stream_and_restarted_loses_nothing() {
    let lines = input();
    let cluster = cluster();
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");

    // Input starts once the first process is consuming, and lasts about 6 s.
    let first = Process::start(&client.brokers, dir.path(), "first");
    first.wait_balanced();
    let feeder = feed_slowly(&client.brokers, lines.clone(), 50, Duration::from_millis(150));
    first.wait_until(Duration::from_secs(60), "the first outputs", |_| client.committed_total(GROUP, "logs") > 0);
    first.kill();
    let committed_at_kill = client.committed_total(GROUP, "logs");
    assert!(committed_at_kill < lines.len() as i64, "the kill struck mid-stream (committed {committed_at_kill} of {})", lines.len());

    let second = Process::start(&client.brokers, dir.path(), "second");
    feeder.join().expect("feeder");
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(120)), "log:\n{}", second.log());
    second.terminate();

    let (out, duplicates) = check_outputs(&client, lines.len());
    eprintln!("committed at the kill: {committed_at_kill} of {}; duplicates after restart: {duplicates}", lines.len());
    assert_eq!(
        out.alerts.iter().map(|a| a.json()["alert"]["id"].as_str().map(str::to_owned)).collect::<std::collections::BTreeSet<_>>().len(),
        370,
        "370 distinct alerts; replays repeat their ids"
    );
}

#[test]
fn a_second_process_joining_the_group_takes_partitions_without_loss() {
    let lines = input();
    let cluster = cluster();
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");

    let first = Process::start(&client.brokers, dir.path(), "first");
    first.wait_balanced();
    // About 20 s of input: the second process joins, and the group rebalances, well before it ends.
    let feeder = feed_slowly(&client.brokers, lines.clone(), 20, Duration::from_millis(200));
    let second = Process::start(&client.brokers, dir.path(), "second");
    second.wait_until(Duration::from_secs(60), "the four partitions to be split between both processes", |p| {
        let (a, b) = (first.assigned(), p.assigned());
        a > 0.0 && b > 0.0 && a + b == 4.0
    });
    let in_flight = client.committed_total(GROUP, "logs");
    assert!(in_flight < lines.len() as i64, "the rebalance happened while records were in flight");
    let (a, b) = (first.assigned(), second.assigned());

    feeder.join().expect("feeder");
    assert!(
        client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(120)),
        "first:\n{}\nsecond:\n{}",
        first.log(),
        second.log()
    );
    first.terminate();
    second.terminate();
    let (_, duplicates) = check_outputs(&client, lines.len());
    eprintln!("partitions {a} + {b}; duplicates across the rebalance: {duplicates}");
}

#[test]
fn against_a_separate_tansu_broker_every_line_comes_out_and_sigterm_exits_zero() {
    let lines = input();
    let Some(tansu) = Tansu::start() else { return };
    let client = Client::new(tansu.addr.to_string());
    client.create_topics(&["logs", "events", "alerts", "dead-letter"], 4);
    let dir = tempfile::tempdir().expect("tempdir");

    let process = Process::start(&client.brokers, dir.path(), "serve");
    process.wait_balanced();
    client.produce("logs", &lines);
    assert!(client.wait_committed(GROUP, "logs", lines.len() as i64, Duration::from_secs(120)), "log:\n{}", process.log());
    process.terminate();
    let (out, duplicates) = check_outputs(&client, lines.len());
    assert_eq!(duplicates, 0);
    assert_eq!(out.alerts.len(), 370);
    assert!(out.events.iter().all(|e| e.headers.contains_key("logsift.source.offset")));
}
