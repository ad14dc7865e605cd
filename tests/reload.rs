//! Hot reload under load: `logsift run --input -` fed continuously (file mode, its own
//! process) and service mode against librdkafka's mock cluster, while plugin files are
//! replaced, broken, removed and rewritten. Every test checks that the swap happened
//! mid-stream: outputs of both generations are present, in order, and none is missing.

mod support;

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `logsift run --input -` with a directory stage `plugins/`.
struct Live {
    dir: tempfile::TempDir,
    child: Child,
    stdin: Option<ChildStdin>,
    events: Arc<Mutex<Vec<serde_json::Value>>>,
    stderr: PathBuf,
    sent: usize,
}

/// Writes a file the way deploy tools do: a hidden temporary file renamed over the target.
fn deploy(to: &Path, bytes: &[u8]) {
    let tmp = to.with_file_name(format!(".{}.tmp", to.file_name().and_then(|n| n.to_str()).unwrap_or("plugin")));
    std::fs::write(&tmp, bytes).expect("writing");
    std::fs::rename(&tmp, to).expect("renaming");
}

fn plugin_bytes(name: &str) -> Vec<u8> {
    std::fs::read(support::plugin(name)).expect("a built plugin")
}

impl Live {
    /// Starts with `a.wasm` = `first` (sidecar settings `first_settings`).
    fn start(first: &str, first_settings: &str) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let plugins = dir.path().join("plugins");
        std::fs::create_dir(&plugins).expect("plugins dir");
        deploy(&plugins.join("a.wasm"), &plugin_bytes(first));
        std::fs::write(plugins.join("a.toml"), first_settings).expect("sidecar");
        let config = dir.path().join("logsift.toml");
        std::fs::write(&config, "batch_size = 4\n[reload]\ndebounce_ms = 100\n[[pipeline]]\ndirectory = \"plugins\"\n").expect("config");
        let stderr = dir.path().join("stderr.log");
        let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
            .args(["run", "--config"])
            .arg(&config)
            .args(["--input", "-"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr).expect("stderr file"))
            .spawn()
            .expect("starting logsift run");
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout");
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                sink.lock().expect("events").push(json);
            }
        });
        Live { dir, child, stdin, events, stderr, sent: 0 }
    }

    fn plugins(&self) -> PathBuf {
        self.dir.path().join("plugins")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Sends `n` numbered lines, a few milliseconds apart.
    fn send(&mut self, n: usize) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        for _ in 0..n {
            writeln!(stdin, "record {}", self.sent).expect("writing to logsift");
            stdin.flush().expect("flush");
            self.sent += 1;
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Keeps sending until `done` holds for the last output (or fails after 60 s).
    fn send_until(&mut self, what: &str, done: impl Fn(&serde_json::Value) -> bool) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            self.send(10);
            let last_matches = self.events.lock().expect("events").last().is_some_and(&done);
            if last_matches {
                return;
            }
            assert!(Instant::now() < deadline, "timed out waiting for {what}; log:\n{}", self.log());
        }
    }

    /// Closes stdin, waits for exit 0, and returns every event's `labels.faulty` (None for
    /// events the passthrough plugin made), in input order, after checking each input line
    /// came out exactly once.
    fn finish(mut self) -> (Vec<Option<String>>, String) {
        drop(self.stdin.take());
        let status = self.child.wait().expect("wait");
        let log = self.log();
        assert!(status.success(), "logsift run failed: {log}");
        std::thread::sleep(Duration::from_millis(200)); // the reader thread drains stdout
        let events = self.events.lock().expect("events").clone();
        let originals: Vec<String> = events.iter().map(|e| e["event"]["original"].as_str().expect("event.original").to_owned()).collect();
        let expected: Vec<String> = (0..self.sent).map(|i| format!("record {i}")).collect();
        assert_eq!(originals, expected, "every line came out once, in order: none lost around the swaps");
        (events.iter().map(|e| e["labels"]["faulty"].as_str().map(str::to_owned)).collect(), log)
    }
}

/// The distinct values of a sequence in the order they first appear, checking that a value,
/// once replaced, never comes back (each worker switches once, between batches).
fn phases(tags: &[Option<String>]) -> Vec<Option<String>> {
    let mut phases: Vec<Option<String>> = Vec::new();
    for tag in tags {
        if phases.last() != Some(tag) {
            assert!(!phases.contains(tag), "generation {tag:?} came back after it was replaced: {phases:?}");
            phases.push(tag.clone());
        }
    }
    phases
}

fn is_tag(v: &serde_json::Value, tag: &str) -> bool {
    v["labels"]["faulty"].as_str() == Some(tag)
}

#[test]
fn replacing_a_plugin_and_its_settings_mid_stream_switches_generations_without_a_gap() {
    let mut live = Live::start("passthrough", "");
    live.send(50);
    // A new binary: passthrough -> faulty (which tags every record with its version).
    deploy(&live.plugins().join("a.toml"), b"version = \"1\"\n");
    deploy(&live.plugins().join("a.wasm"), &plugin_bytes("faulty"));
    live.send_until("the faulty plugin, version 1", |e| is_tag(e, "1"));
    // New settings for the same binary.
    deploy(&live.plugins().join("a.toml"), b"version = \"2\"\n");
    live.send_until("version 2", |e| is_tag(e, "2"));
    live.send(30);
    let (tags, log) = live.finish();
    assert_eq!(phases(&tags), vec![None, Some("1".into()), Some("2".into())], "passthrough, then faulty v1, then v2");
    assert!(log.contains("generation published"), "{log}");
}

#[test]
fn broken_plugins_are_refused_and_the_running_one_keeps_processing() {
    let mut live = Live::start("faulty", "version = \"1\"\n");
    live.send(30);
    let a = live.plugins().join("a.wasm");
    let broken: Vec<(&str, Vec<u8>, &str)> = vec![
        ("garbage bytes", b"this is not WebAssembly at all".to_vec(), "not a WebAssembly component"),
        // An empty component: valid, but it exports nothing of the plugin world.
        ("the wrong world", b"\0asm\x0d\x00\x01\x00".to_vec(), "refused"),
        ("a core module", b"\0asm\x01\x00\x00\x00".to_vec(), "core WebAssembly module"),
    ];
    for (what, bytes, expect) in &broken {
        let before = live.log().matches("plugin refused").count();
        deploy(&a, bytes);
        let deadline = Instant::now() + Duration::from_secs(30);
        while live.log().matches("plugin refused").count() == before {
            assert!(Instant::now() < deadline, "{what} was not refused; log:\n{}", live.log());
            live.send(5);
        }
        assert!(live.log().contains(expect), "{what}: {}", live.log());
        live.send(20);
    }
    // A plugin whose init fails, and one that traps in its self-check.
    deploy(&a, &plugin_bytes("faulty"));
    for (what, settings, expect) in
        [("init fails", "fail_init = true\n", "init failed"), ("traps in self-check", "trap_on = \"\"\n", "self-check failed")]
    {
        let before = live.log().matches("plugin refused").count();
        deploy(&live.plugins().join("a.toml"), settings.as_bytes());
        let deadline = Instant::now() + Duration::from_secs(60);
        while live.log().matches("plugin refused").count() == before {
            assert!(Instant::now() < deadline, "{what} was not refused; log:\n{}", live.log());
            live.send(5);
        }
        assert!(live.log().contains(expect), "{what}: {}", live.log());
        live.send(20);
    }
    let (tags, log) = live.finish();
    assert!(tags.iter().all(|t| t.as_deref() == Some("1")), "version 1 processed every record throughout");
    assert!(log.matches("plugin refused").count() >= 5, "{log}");
    assert!(log.contains("the running version stays"), "{log}");
}

#[test]
fn removing_a_plugin_from_a_directory_stage_unloads_it_mid_stream() {
    let mut live = Live::start("faulty", "version = \"1\"\n");
    live.send(30);
    live.send_until("the faulty plugin", |e| is_tag(e, "1"));
    std::fs::remove_file(live.plugins().join("a.wasm")).expect("remove");
    live.send_until("the plugin to be gone", |e| e.get("labels").is_none());
    live.send(20);
    let (tags, log) = live.finish();
    assert_eq!(phases(&tags), vec![Some("1".into()), None]);
    assert!(log.contains("plugin unloaded"), "{log}");
}

#[test]
fn many_quick_writes_converge_on_the_last_one() {
    let mut live = Live::start("faulty", "version = \"0\"\n");
    live.send(20);
    for v in 1..=20 {
        deploy(&live.plugins().join("a.toml"), format!("version = \"{v}\"\n").as_bytes());
        std::thread::sleep(Duration::from_millis(5));
    }
    live.send_until("the last version", |e| is_tag(e, "20"));
    live.send(20);
    let (tags, _) = live.finish();
    let phases = phases(&tags);
    assert_eq!(phases.first(), Some(&Some("0".to_owned())));
    assert_eq!(phases.last(), Some(&Some("20".to_owned())), "{phases:?}");
    assert!(phases.len() <= 4, "debounced: a burst of writes makes few generations, not 20: {phases:?}");
}

#[test]
fn the_service_switches_generations_under_load_with_every_record_delivered_once() {
    use support::kafka::Client;
    use support::service::{Service, ServiceSpec, service_config};
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
    for topic in ["logs", "events", "alerts", "dead-letter"] {
        cluster.create_topic(topic, 2, 1).expect("topic");
    }
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    let plugins = dir.path().join("detect");
    std::fs::create_dir(&plugins).expect("plugin dir");
    deploy(&plugins.join("tag.wasm"), &plugin_bytes("faulty"));
    std::fs::write(plugins.join("tag.toml"), "version = \"1\"\n").expect("sidecar");
    let spec = ServiceSpec {
        brokers: &client.brokers,
        group: "reload-test",
        input: "logs",
        workers: 2,
        batch_size: 8,
        chain: &[],
        extra: "[reload]\ndebounce_ms = 100\n[[pipeline]]\ndirectory = \"detect\"\n",

        props: ("", ""),
    };
    let config = service_config(dir.path(), &spec);
    let service = Service::start(&config);
    service.wait_balanced(2);

    let lines: Vec<String> = (0..600).map(|i| format!("record {i}")).collect();
    let feeder = {
        let brokers = client.brokers.clone();
        let lines = lines.clone();
        std::thread::spawn(move || {
            for (n, chunk) in lines.chunks(10).enumerate() {
                Client::new(brokers.clone()).produce_from("logs", chunk, n * 10);
                std::thread::sleep(Duration::from_millis(150));
            }
        })
    };
    assert!(client.wait_committed("reload-test", "logs", 1, Duration::from_secs(60)), "the service is processing");
    assert!(!feeder.is_finished(), "the swap happens while records are still arriving");
    deploy(&plugins.join("tag.toml"), b"version = \"2\"\n");
    feeder.join().expect("feeder");
    assert!(client.wait_committed("reload-test", "logs", lines.len() as i64, Duration::from_secs(60)));
    let plugins_json = support::service::http_get(service.addr, "/plugins");
    service.stop().expect("clean stop");

    let events = client.read_all("events", lines.len(), Duration::from_secs(30));
    let outputs: Vec<_> = events.iter().collect();
    let duplicates = support::kafka::assert_nothing_lost(&client, "logs", lines.len(), &outputs);
    assert_eq!(duplicates, 0);
    // Per partition, in offset order: generation 1 then 2, each event tagged by its version.
    for partition in 0..2 {
        let mut mine: Vec<_> = events.iter().filter(|e| e.partition == partition).collect();
        mine.sort_by_key(|e| e.source().1);
        let generations: Vec<Option<String>> = mine.iter().map(|e| Some(e.header("logsift.generation").to_owned())).collect();
        assert_eq!(phases(&generations), vec![Some("1".into()), Some("2".into())], "partition {partition}");
        for e in &mine {
            let version = e.json()["labels"]["faulty"].as_str().map(str::to_owned);
            assert_eq!(version.as_deref(), Some(e.header("logsift.generation")), "the header names the generation that processed it");
        }
    }
    let plugins_json: serde_json::Value = serde_json::from_str(&plugins_json).expect("/plugins is JSON");
    assert_eq!(plugins_json["generation"], 2, "{plugins_json}");
    assert_eq!(plugins_json["plugins"][0]["stage"], "tag", "{plugins_json}");
    assert!(plugins_json["plugins"][0]["records"].as_u64().is_some_and(|n| n > 0), "{plugins_json}");
}

#[test]
fn a_shadow_stage_alerts_on_alerts_shadow_and_its_promotion_by_reload_moves_its_alerts_to_alerts_with_no_gap() {
    use support::kafka::Client;
    use support::service::{Service, ServiceSpec, metric_sum, scrape, service_config};
    let cluster = rdkafka::mocking::MockCluster::new(1).expect("mock cluster");
    for topic in ["logs", "events", "alerts", "alerts-shadow", "dead-letter"] {
        cluster.create_topic(topic, 2, 1).expect("topic");
    }
    let client = Client::new(cluster.bootstrap_servers());
    let dir = tempfile::tempdir().expect("tempdir");
    // The live detector, and the same detector on trial under another name.
    let spec = ServiceSpec {
        brokers: &client.brokers,
        group: "shadow-test",
        input: "logs",
        workers: 2,
        batch_size: 8,
        chain: &["syslog", "ssh-root-login", "ssh-root-login name = \"candidate\"\nmode = \"shadow\""],
        extra: "[reload]\ndebounce_ms = 100\n",
        props: ("", ""),
    };
    let config = service_config(dir.path(), &spec);
    let service = Service::start(&config);
    service.wait_balanced(2);

    let lines = support::sshd_lines();
    let feeder = {
        let (brokers, lines) = (client.brokers.clone(), lines.clone());
        std::thread::spawn(move || {
            for (n, chunk) in lines.chunks(50).enumerate() {
                Client::new(brokers.clone()).produce_from("logs", chunk, n * 50);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    // Promotion, mid-stream: the candidate's stage becomes live.
    assert!(client.wait_committed("shadow-test", "logs", 200, Duration::from_secs(60)), "the service is processing");
    let shadow_hits =
        metric_sum(&scrape(service.addr), "logsift_rule_hits_total{rule=\"logsift.sshd.failed-root-password\",mode=\"shadow\"}");
    let text = std::fs::read_to_string(&config).expect("config");
    std::fs::write(&config, text.replace("mode = \"shadow\"", "mode = \"live\"")).expect("promoting");
    assert!(!feeder.is_finished(), "the promotion happens while records are still arriving");
    feeder.join().expect("feeder");
    assert!(client.wait_committed("shadow-test", "logs", lines.len() as i64, Duration::from_secs(90)));
    let metrics = scrape(service.addr);
    service.stop().expect("clean stop");

    // Offsets are committed only once every output, shadow alerts included, is acknowledged.
    let alerts = client.read_to_end("alerts");
    let shadow = client.read_to_end("alerts-shadow");
    let ruleset = |r: &support::kafka::Record| r.json()["rule"]["ruleset"].as_str().unwrap_or_default().to_owned();
    let live: Vec<_> = alerts.iter().filter(|a| ruleset(a) == "ssh-root-login").collect();
    let promoted: Vec<_> = alerts.iter().filter(|a| ruleset(a) == "candidate").collect();
    assert_eq!(live.len(), 370, "the live rule alerts as if the candidate were not there");
    assert!(shadow.iter().all(|a| ruleset(a) == "candidate" && a.json()["rule"]["shadow"] == true), "only the candidate, marked");
    assert!(alerts.iter().all(|a| a.json()["rule"].get("shadow").is_none()), "no shadow alert on alerts");
    assert!(!shadow.is_empty() && !promoted.is_empty(), "both phases: {} shadow, {} promoted", shadow.len(), promoted.len());
    assert!(shadow_hits > 0.0, "shadow hits are counted apart in /metrics");
    assert_eq!(
        metric_sum(&metrics, "logsift_rule_hits_total{rule=\"logsift.sshd.failed-root-password\",mode=\"live\"}") as usize,
        live.len() + promoted.len()
    );
    // No gap and no double: every record the live rule alerted on has exactly one candidate
    // alert, on alerts-shadow before the promotion and on alerts after it, per partition.
    let sources = |records: &[&support::kafka::Record]| records.iter().map(|r| r.source()).collect::<std::collections::BTreeSet<_>>();
    let trial: Vec<_> = shadow.iter().collect();
    let (live_at, trial_at, promoted_at) = (sources(&live), sources(&trial), sources(&promoted));
    assert_eq!(trial.len() + promoted.len(), live.len(), "one candidate alert per live alert");
    assert!(trial_at.is_disjoint(&promoted_at));
    assert_eq!(trial_at.union(&promoted_at).cloned().collect::<std::collections::BTreeSet<_>>(), live_at);
    for partition in 0..2 {
        let last_trial = trial_at.iter().filter(|(p, _)| *p == partition).map(|(_, o)| *o).max();
        let first_promoted = promoted_at.iter().filter(|(p, _)| *p == partition).map(|(_, o)| *o).min();
        if let (Some(last), Some(first)) = (last_trial, first_promoted) {
            assert!(last < first, "partition {partition}: shadow until the promotion, live after it");
        }
    }
}

/// A reloader over a config file written in `dir` (no watching: the test calls `reload`),
/// with `reload_keys` in its `[reload]` table.
fn reloader(dir: &Path, reload_keys: &str, stages: &str) -> logsift::Runtime {
    let path = dir.join("logsift.toml");
    std::fs::write(&path, format!("[reload]\nwatch = false\n{reload_keys}\n{stages}")).expect("config");
    logsift::Runtime::start(logsift::Settings::load(&path).expect("settings"), None).expect("first generation")
}

#[test]
fn removing_the_file_of_a_required_stage_is_refused_and_an_optional_one_leaves() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("required.wasm"), plugin_bytes("passthrough")).expect("plugin");
    std::fs::write(dir.path().join("extra.wasm"), plugin_bytes("faulty")).expect("plugin");
    let mut r =
        reloader(dir.path(), "", "[[pipeline]]\nplugin = \"required.wasm\"\n[[pipeline]]\nplugin = \"extra.wasm\"\noptional = true\n");
    assert_eq!(r.pipeline().current().stages.len(), 2);

    std::fs::remove_file(dir.path().join("required.wasm")).expect("remove");
    std::fs::remove_file(dir.path().join("extra.wasm")).expect("remove");
    let id = r.reload("test");
    let current = r.pipeline().current();
    assert_eq!(id, Some(2), "the optional plugin's removal makes a new generation");
    let names: Vec<&str> = current.stages.iter().map(|(p, _)| &*p.name).collect();
    assert_eq!(names, ["passthrough"], "the required plugin keeps running without its file");
    let refusals = r.pipeline().refusals();
    assert_eq!(refusals.len(), 1);
    assert!(refusals[0].kept_previous && refusals[0].reason.contains("not optional"), "{refusals:?}");
}

#[test]
fn only_allowlisted_plugins_are_loaded() {
    let dir = tempfile::tempdir().expect("tempdir");
    let faulty = plugin_bytes("faulty");
    let allowed = logsift::wasm::content_hash(&faulty);
    std::fs::create_dir(dir.path().join("detect")).expect("dir");
    std::fs::write(dir.path().join("detect/a.wasm"), &faulty).expect("plugin");
    let mut r = reloader(dir.path(), &format!("allow_hashes = [\"{allowed}\"]"), "[[pipeline]]\ndirectory = \"detect\"\n");
    std::fs::write(dir.path().join("detect/b.wasm"), plugin_bytes("passthrough")).expect("plugin");
    assert_eq!(r.reload("test"), Some(1), "nothing new is published");
    let refusals = r.pipeline().refusals();
    assert!(refusals.iter().any(|x| x.path.ends_with("b.wasm") && x.reason.contains("allow_hashes") && !x.kept_previous), "{refusals:?}");
    assert_eq!(r.pipeline().current().stages.len(), 1);
}

#[test]
fn a_stage_pointed_at_a_new_file_that_is_refused_keeps_its_running_detector() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("detector-v1.wasm"), plugin_bytes("faulty")).expect("plugin");
    let mut r = reloader(dir.path(), "", "[[pipeline]]\nplugin = \"detector-v1.wasm\"\n");
    std::fs::write(dir.path().join("detector-v2.wasm"), b"not a component").expect("broken plugin");
    let config = dir.path().join("logsift.toml");
    std::fs::write(&config, "[reload]\nwatch = false\n[[pipeline]]\nplugin = \"detector-v2.wasm\"\n").expect("config");
    assert_eq!(r.reload("test"), Some(1), "nothing new is published");
    let current = r.pipeline().current();
    assert_eq!(current.stages.len(), 1, "the stage did not vanish");
    assert!(current.stages[0].0.path.ends_with("detector-v1.wasm"));
    let refusals = r.pipeline().refusals();
    assert!(refusals.len() == 1 && refusals[0].kept_previous && refusals[0].path.ends_with("detector-v2.wasm"), "{refusals:?}");

    // Taking the stage out of the configuration is what removes it.
    std::fs::write(&config, "[reload]\nwatch = false\n").expect("config");
    assert_eq!(r.reload("test"), Some(2));
    assert!(r.pipeline().current().stages.is_empty());
}
