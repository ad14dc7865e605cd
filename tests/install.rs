//! `make install` into a temporary prefix, then logsift used from there as an operator and an
//! analyst would, from another folder: nothing of the build tree is named in the installed
//! files, shipped plugins are found by bare name, `logsift new` makes a crate on the installed
//! SDK that builds and passes its test, and the systemd unit's `ExecStart` line serves a
//! broker.
//!
//! It installs the binary the tests were built with (`make -o build`: the build is not
//! repeated), so it needs the Makefile's flags: run it through `make test`.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use rdkafka::mocking::MockCluster;
use support::kafka::{Client, free_port};
use support::service::wait_balanced;

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// Installs into `prefix` with the Makefile, without rebuilding.
fn make_install(prefix: &Path) {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_logsift"));
    assert!(
        bin.ends_with("target/release/logsift"),
        "the install test installs target/release/logsift: run it through `make test` (tests built in release), not {}",
        bin.display()
    );
    let out = Command::new("make")
        .args(["-o", "build", "-o", "plugins", "install"])
        .arg(format!("PREFIX={}", prefix.display()))
        .current_dir(support::workspace())
        .output()
        .expect("make");
    assert!(out.status.success(), "make install failed:\n{}", text(&out));
}

/// Every file under `dir`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() { found.extend(files(&path)) } else { found.push(path) }
    }
    found
}

/// Runs the installed logsift in `cwd`.
fn logsift(prefix: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(prefix.join("bin/logsift"))
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_LOG")
        .env_remove("LOGSIFT_PLUGIN_DIR")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("RUSTFLAGS")
        .output()
        .expect("installed logsift")
}

#[test]
fn an_installed_logsift_runs_hunts_scaffolds_and_serves_from_anywhere() {
    let root = tempfile::tempdir().expect("tempdir");
    let prefix = root.path().join("opt/logsift");
    let elsewhere = root.path().join("home/analyst");
    std::fs::create_dir_all(&elsewhere).expect("home");
    make_install(&prefix);

    // The layout, and only shipped plugins in it.
    for file in ["bin/logsift", "lib/logsift/plugins/syslog.wasm", "lib/logsift/plugins/sigma.wasm", "share/logsift/wit/plugin.wit"] {
        assert!(prefix.join(file).is_file(), "{file} installed");
    }
    for manifest in ["share/logsift/plugins/sdk/Cargo.toml", "share/logsift/plugins/event/Cargo.toml"] {
        let text = std::fs::read_to_string(prefix.join(manifest)).expect("manifest");
        assert!(!text.contains("workspace = true"), "{manifest} stands alone:\n{text}");
    }
    assert!(!prefix.join("lib/logsift/plugins/faulty.wasm").exists(), "test plugins are not installed");

    // No installed file names the build tree (the binary's line tables included).
    let tree = std::fs::canonicalize(support::workspace()).expect("workspace").display().to_string();
    for file in files(&prefix) {
        let bytes = std::fs::read(&file).expect("installed file");
        assert!(!bytes.windows(tree.len()).any(|w| w == tree.as_bytes()), "{} names the build tree {tree}", file.display());
    }

    // `run` with the installed example configuration, from another folder.
    let examples = prefix.join("share/logsift/examples");
    let out = logsift(
        &prefix,
        &elsewhere,
        &[
            "run",
            "--quiet",
            "--config",
            &examples.join("logsift.toml").display().to_string(),
            "--input",
            &examples.join("sample.log").display().to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("logsift.sshd.failed-root-password"), "the example raises its alerts: {stdout}");

    // `sigma` with the installed example rules.
    let events = elsewhere.join("events.jsonl");
    std::fs::write(
        &events,
        "{\"process.name\":\"sshd\",\"event.action\":\"ssh_login\",\"event.outcome\":\"failure\",\"user.name\":\"root\"}\n",
    )
    .expect("events");
    let out = logsift(
        &prefix,
        &elsewhere,
        &["sigma", "--quiet", "--rules", &examples.join("rules").display().to_string(), "--input", "events.jsonl"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("7f0c3f0e-1d55-4a53-9b0e-5a1f2c6d9e01"), "{}", text(&out));

    // `new`, `build`, `test` on the installed SDK.
    let out = logsift(&prefix, &elsewhere, &["new", "detector", "root-watch"]);
    assert!(out.status.success(), "{}", text(&out));
    let manifest = std::fs::read_to_string(elsewhere.join("root-watch/Cargo.toml")).expect("manifest");
    let sdk = std::fs::canonicalize(prefix.join("share/logsift/plugins/sdk")).expect("sdk").display().to_string();
    assert!(manifest.contains(&sdk) && !manifest.contains(&tree), "the crate depends on the installed SDK:\n{manifest}");
    let out = logsift(&prefix, &elsewhere, &["test", "root-watch"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed, 0 failed"), "{}", text(&out));

    // The unit's ExecStart line, with only the configuration's path substituted.
    let unit = std::fs::read_to_string(examples.join("logsift.service")).expect("unit");
    let exec = unit.lines().find_map(|l| l.strip_prefix("ExecStart=")).expect("ExecStart");
    let installed_config = prefix.join("etc/logsift/logsift.toml");
    assert!(exec.contains(&installed_config.display().to_string()), "the unit reads the installed configuration: {exec}");
    serve_the_unit_command(exec, &installed_config, &elsewhere);
}

/// Runs `exec` (the unit's command line) with a copy of the installed configuration pointed
/// at a mock cluster, feeds it sshd lines and reads the alerts back; SIGTERM stops it cleanly.
fn serve_the_unit_command(exec: &str, installed_config: &Path, dir: &Path) {
    let cluster = MockCluster::new(1).expect("mock cluster");
    for topic in ["logs", "events", "alerts", "dead-letter"] {
        cluster.create_topic(topic, 2, 1).expect("topic");
    }
    let brokers = cluster.bootstrap_servers();
    let http = free_port();
    let config = dir.join("logsift.toml");
    let text = std::fs::read_to_string(installed_config).expect("installed configuration");
    let text = text
        .replace("brokers = \"localhost:9092\"", &format!("brokers = \"{brokers}\""))
        .replace("listen = \"127.0.0.1:9464\"", &format!("listen = \"{http}\""));
    std::fs::write(&config, text).expect("config");
    let command = exec.replace(&installed_config.display().to_string(), &config.display().to_string());
    let mut words = command.split_whitespace();
    let log = dir.join("serve.log");
    let mut child = Command::new(words.next().expect("program"))
        .args(words)
        .current_dir("/")
        .env_remove("RUST_LOG")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log"))
        .spawn()
        .expect("the unit's command");
    let read_log = || std::fs::read_to_string(&log).unwrap_or_default();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(http).is_err() {
        assert!(Instant::now() < deadline && matches!(child.try_wait(), Ok(None)), "logsift serve did not start:\n{}", read_log());
        std::thread::sleep(Duration::from_millis(100));
    }
    // Input arrives once the two partitions have their owners (one worker per core, so one
    // or two workers): no rebalance, so no duplicate.
    wait_balanced(http, std::thread::available_parallelism().map_or(1, |n| n.get()).min(2));
    let lines: Vec<String> = (0..20)
        .map(|i| format!("Dec 10 06:55:{i:02} LabSZ sshd[24202]: Failed password for root from 203.0.113.7 port 58318 ssh2"))
        .collect();
    let client = Client::new(&brokers);
    client.produce("logs", &lines);
    let alerts = client.read_all("alerts", lines.len(), Duration::from_secs(60));
    assert_eq!(alerts.len(), lines.len(), "every failed root login alerts; log:\n{}", read_log());
    let killed = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(killed.success());
    let status = child.wait().expect("wait");
    assert!(status.success(), "SIGTERM drains and exits 0; log:\n{}", read_log());
    assert!(!read_log().contains("\u{1b}["), "no colour codes when stderr is a file");
}
