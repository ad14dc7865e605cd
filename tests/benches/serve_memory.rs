//! `make bench`, service memory: the resident memory of `logsift serve` as an operator runs
//! it — its own process, two workers, the `json` parser and the whole SigmaHQ snapshot
//! (`../shared/sigma/rules*`, ~3,750 rules) — against a separate Tansu broker: once both
//! workers own their partitions (nothing processed yet), then after 20,000 real Windows
//! events (`../shared/data/security-datasets/*.json`, cycled) have been processed and
//! committed. Read from `/proc/<pid>/status`: the whole resident set, the part of it that is
//! shared memory (the corpus's compiled snapshot, mapped by every instance) and the part that
//! is the process's own (heaps: the host's, librdkafka's buffers, each instance's private
//! pages), and the peak (compiling the corpus at start-up).

#[path = "../support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use support::kafka::{Client, Tansu, free_port};
use support::service::scrape;

const EVENTS: usize = 20_000;
const GROUP: &str = "logsift-memory";

fn main() {
    let Some(root) = support::shared_data("sigma") else {
        eprintln!("bench skipped: ../shared/sigma is needed");
        return;
    };
    let Some(data) = support::shared_data("data/security-datasets") else { return };
    let Some(tansu) = Tansu::start() else {
        eprintln!("bench skipped: `make tools` installs the Tansu broker it needs");
        return;
    };
    let client = Client::new(tansu.addr.to_string());
    client.create_topics(&["logs", "events", "alerts", "dead-letter"], 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("logsift.toml");
    std::fs::write(&config, service_config(&client.brokers, &root)).expect("config");

    let http = free_port();
    let log = dir.path().join("serve.log");
    let mut serve = Service(
        Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("LOGSIFT_HTTP__LISTEN", http.to_string())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("starting logsift serve"),
    );
    let owns = |worker: usize| {
        std::net::TcpStream::connect(http).is_ok()
            && scrape(http).get(&format!("logsift_worker_partitions{{worker=\"{worker}\"}}")).is_some_and(|n| *n > 0.0)
    };
    let deadline = Instant::now() + Duration::from_secs(180);
    while !(owns(0) && owns(1)) {
        assert!(Instant::now() < deadline, "both workers did not get partitions; log:\n{}", read(&log));
        std::thread::sleep(Duration::from_millis(200));
    }
    let ready = Memory::of(&serve.0);

    let lines = support::bench::json_lines_in(&data);
    let input: Vec<String> = lines.iter().cycle().take(EVENTS).cloned().collect();
    client.produce("logs", &input);
    assert!(client.wait_committed(GROUP, "logs", EVENTS as i64, Duration::from_secs(600)), "not all committed; log:\n{}", read(&log));
    let after = Memory::of(&serve.0);
    serve.stop();

    println!("logsift serve, 2 workers, json + the whole Sigma snapshot, Tansu (memory storage):");
    println!("  {:<44} {:>9} {:>9} {:>9}", "resident MiB", "all", "shared", "own");
    println!("  {:<44} {:>9.1} {:>9.1} {:>9.1}", "both workers ready, nothing processed", ready.rss, ready.shared, ready.own);
    println!("  {:<44} {:>9.1} {:>9.1} {:>9.1}", format!("after {EVENTS} Windows events"), after.rss, after.shared, after.own);
    println!("  peak (compiling the corpus at start-up)      {:>9.1}", after.peak);
    support::bench::record(&[
        ("serve_memory.ready_rss_mib", ready.rss),
        ("serve_memory.after_rss_mib", after.rss),
        ("serve_memory.after_shared_mib", after.shared),
        ("serve_memory.after_own_mib", after.own),
        ("serve_memory.peak_rss_mib", after.peak),
    ]);
}

/// json + sigma over the whole snapshot, two workers, outputs to topics.
fn service_config(brokers: &str, sigma: &Path) -> String {
    let rules: Vec<String> = ["rules", "rules-emerging-threats", "rules-threat-hunting"]
        .iter()
        .map(|d| format!("{:?}", sigma.join(d).display().to_string()))
        .collect();
    format!(
        r#"plugin_dir = {plugins:?}
workers = 2
[kafka]
brokers = {brokers:?}
group_id = {GROUP:?}
topics = ["logs"]
[kafka.consumer]
"auto.offset.reset" = "earliest"
[outputs.events]
topic = "events"
[outputs.alerts]
topic = "alerts"
[outputs.dead_letter]
topic = "dead-letter"
[[pipeline]]
plugin = "json"
[[pipeline]]
plugin = "sigma"
rules = [{rules}]
"#,
        plugins = support::plugin_dir().display().to_string(),
        rules = rules.join(", ")
    )
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// A process's memory from `/proc/<pid>/status`, in MiB.
struct Memory {
    rss: f64,
    /// Shared memory and file pages mapped (the compiled plugins, the binary).
    shared: f64,
    /// Anonymous memory: the process's own.
    own: f64,
    peak: f64,
}

impl Memory {
    fn of(child: &Child) -> Memory {
        let mib = support::bench::status_mib(&child.id().to_string());
        Memory { rss: mib("VmRSS"), shared: mib("RssFile") + mib("RssShmem"), own: mib("RssAnon"), peak: mib("VmHWM") }
    }
}

/// The service process: stopped with SIGTERM (draining, as an operator stops it), killed if
/// the bench fails before that.
struct Service(Child);

impl Service {
    fn stop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let _ = self.0.wait();
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}
