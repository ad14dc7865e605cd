//! A logsift service in tests and benches: its configuration (`ServiceSpec`), the service run
//! in-process on its own thread (`Service`), and what it exposes over HTTP (`/metrics`
//! scraped into numbers, other pages fetched). The broker side is [`super::kafka`].

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Where a test service reads and how it runs.
pub struct ServiceSpec<'a> {
    pub brokers: &'a str,
    pub group: &'a str,
    pub input: &'a str,
    pub workers: usize,
    pub batch_size: usize,
    /// Plugin names, each optionally followed by a space and TOML lines for its stage.
    pub chain: &'a [&'a str],
    /// TOML tables appended after the stages (e.g. `[outputs.events]`).
    pub extra: &'a str,
    /// TOML lines added to `[kafka.consumer]` and to `[kafka.producer]`.
    pub props: (&'a str, &'a str),
}

/// Writes a service config file in `dir`.
pub fn service_config(dir: &Path, spec: &ServiceSpec<'_>) -> PathBuf {
    let ServiceSpec { brokers, group, input, workers, batch_size, chain, extra, props: (consumer, producer) } = spec;
    let stages: String = chain
        .iter()
        .map(|name| {
            let (name, options) = name.split_once(' ').unwrap_or((name, ""));
            format!("[[pipeline]]\nplugin = {:?}\n{options}\n", super::plugin(name).display().to_string())
        })
        .collect();
    let text = format!(
        "batch_size = {batch_size}\nworkers = {workers}\n[kafka]\nbrokers = {brokers:?}\ngroup_id = {group:?}\ntopics = [{input:?}]\ndrain_timeout_secs = 20\n\
         [kafka.consumer]\n\"session.timeout.ms\" = 6000\n\"statistics.interval.ms\" = 200\n{consumer}\n\
         [kafka.producer]\n\"statistics.interval.ms\" = 200\n{producer}\n\
         [http]\nlisten = \"127.0.0.1:0\"\n\n{stages}\n{extra}\n"
    );
    let path = dir.join("service.toml");
    std::fs::write(&path, text).expect("writing the config");
    path
}

/// Reads a Prometheus text exposition into `name{labels} -> value`.
pub fn scrape(addr: std::net::SocketAddr) -> BTreeMap<String, f64> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting to /metrics");
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("response");
    let (_, body) = body.split_once("\r\n\r\n").expect("an HTTP response");
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| {
            let (name, value) = l.rsplit_once(' ')?;
            Some((name.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// The sum of every series of a metric family whose name starts with `prefix`.
pub fn metric_sum(metrics: &BTreeMap<String, f64>, name: &str) -> f64 {
    metrics.iter().filter(|(k, _)| *k == name || k.starts_with(&format!("{name}{{"))).map(|(_, v)| v).sum()
}

/// An HTTP GET's body.
pub fn http_get(addr: std::net::SocketAddr, path: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    response.split_once("\r\n\r\n").map(|(_, body)| body.to_owned()).expect("an HTTP response")
}

/// An HTTP GET's status code.
pub fn http_status(addr: std::net::SocketAddr, path: &str) -> u16 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connecting");
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").expect("request");
    let mut body = String::new();
    stream.read_to_string(&mut body).expect("response");
    body.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("a status line")
}

/// Waits until `owners` workers of the service whose `/metrics` are at `addr` own partitions
/// (with no more partitions than workers, all of them): input produced after that meets no
/// rebalance, so a fault-free run has no duplicate.
pub fn wait_balanced(addr: SocketAddr, owners: usize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let owning = || scrape(addr).iter().filter(|(k, v)| k.starts_with("logsift_worker_partitions{") && **v > 0.0).count();
    while owning() < owners {
        assert!(std::time::Instant::now() < deadline, "{owners} workers own partitions");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A service running on its own thread, stopped through `stop`.
pub struct Service {
    pub addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub thread: Option<std::thread::JoinHandle<anyhow::Result<()>>>,
}

impl Service {
    pub fn start(config: &Path) -> Self {
        let settings = logsift::Settings::load(config).expect("config");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let (listening, addr) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build()?;
            runtime.block_on(logsift::kafka::serve(
                settings,
                async move {
                    let _ = stopped.await;
                },
                move |addr| {
                    let _ = listening.send(addr);
                },
            ))
        });
        let addr = addr.recv_timeout(Duration::from_secs(60)).expect("the service never listened");
        Service { addr, stop: Some(stop), thread: Some(thread) }
    }

    /// Waits until each of `workers` workers owns partitions: input produced after that meets
    /// no rebalance, so a fault-free run has no duplicate.
    pub fn wait_balanced(&self, workers: usize) {
        wait_balanced(self.addr, workers);
    }

    /// Waits until `records` events are acknowledged: the time from the first record consumed
    /// to then (read off `/metrics` every 25 ms: often enough to time within 1 %, rarely
    /// enough not to take a core's share from the run), and the bytes of events produced.
    pub fn time_events(&self, records: usize) -> (Duration, f64) {
        let mut started = None;
        let events = "logsift_records_out_total{output=\"events\"}";
        loop {
            let metrics = scrape(self.addr);
            if started.is_none() && metric_sum(&metrics, "logsift_records_in_total") > 0.0 {
                started = Some(std::time::Instant::now());
            }
            if metrics.get(events).copied().unwrap_or_default() >= records as f64 {
                let bytes = metrics.get("logsift_output_bytes_total{output=\"events\"}").copied().unwrap_or_default();
                return (started.expect("records").elapsed(), bytes);
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    /// Asks the service to stop (as SIGTERM does) and returns how it ended.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let _ = self.stop.take().expect("running").send(());
        self.thread.take().expect("running").join().expect("service thread panicked")
    }
}

/// Runs the service `spec` describes (its config written in `dir`) until `records` events are
/// acknowledged, then stops it: the time from the first record consumed, and the bytes of
/// events produced (see [`Service::time_events`]).
pub fn timed_run(dir: &Path, spec: &ServiceSpec<'_>, records: usize) -> (Duration, f64) {
    let service = Service::start(&service_config(dir, spec));
    let timed = service.time_events(records);
    service.stop().expect("service");
    timed
}

/// The chain logsift ships, as the Kafka benches run it: syslog (its year and zone fixed),
/// weblog, ssh-root-login.
pub const SHIPPED: &[&str] = &["syslog [pipeline.settings]\nyear = 2024\ntimezone = \"UTC\"", "weblog", "ssh-root-login"];
