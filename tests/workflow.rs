//! The analyst's workflow end to end, through the `logsift` binary: the rule tests shipped
//! with every plugin pass, a failing test says what differed and exits non-zero, `logsift
//! check` reports problems with where they are, and the guides work exactly as written (their
//! commands are taken from the guides themselves): "first detection" over files, "tune a
//! rule" against a Tansu broker.

mod support;

use std::path::Path;
use std::process::{Command, Output};

fn logsift(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_logsift")).args(args).current_dir(dir).env_remove("RUST_LOG").output().expect("logsift")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

#[test]
fn the_rule_tests_shipped_with_every_plugin_pass() {
    let root = support::workspace();
    let dirs: Vec<String> = std::fs::read_dir(root.join("plugins"))
        .expect("plugins")
        .map(|e| e.expect("entry").path().join("tests"))
        .filter(|t| std::fs::read_dir(t).is_ok_and(|mut d| d.any(|f| f.is_ok_and(|f| f.path().extension().is_some_and(|e| e == "yaml")))))
        .map(|t| t.display().to_string())
        .collect();
    assert!(dirs.len() >= 10, "{dirs:?}");
    let mut args = vec!["test"];
    args.extend(dirs.iter().map(String::as_str));
    let out = logsift(&root, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{} passed, 0 failed", dirs.len())), "{}", text(&out));
}

#[test]
fn a_rule_test_that_expects_nothing_is_refused_as_it_could_never_fail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let test = "pipeline:\n  - plugin: syslog\ninput:\n  - \"Dec 10 06:55:48 LabSZ sshd[1]: Failed password for root from 203.0.113.7 port 1 ssh2\"\n";
    std::fs::write(dir.path().join("empty.yaml"), test).expect("test");
    let out = logsift(dir.path(), &["test", "empty.yaml"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("the test expects nothing, so it could never fail"), "{}", text(&out));
}

#[test]
fn a_failing_rule_test_shows_what_differed_and_exits_non_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("wrong.yaml"),
        "pipeline:\n  - plugin: syslog\n  - plugin: ssh-root-login\ninput:\n  - \"Dec 10 07:27:50 LabSZ sshd[1]: Failed password for root from 112.95.230.3 port 45378 ssh2\"\n\
         expect:\n  alerts:\n    - { rule.id: logsift.sshd.failed-root-password, rule.level: critical }\n  not_alerts:\n    - { user.name: root }\n",
    )
    .expect("test file");
    let out = logsift(dir.path(), &["test", "wrong.yaml"]);
    let output = text(&out);
    assert!(!out.status.success(), "{output}");
    assert!(output.contains("FAILED  wrong.yaml"), "{output}");
    assert!(output.contains("✗ rule.level: expected \"critical\", got \"medium\""), "{output}");
    assert!(output.contains("an alert that must not fire did"), "{output}");
    assert!(output.contains("0 passed, 1 failed"), "{output}");
}

#[test]
fn check_reports_each_problem_with_its_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let check = |name: &str, config: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, config).expect("config");
        let out = logsift(dir.path(), &["check", "--config", name]);
        (out.status.success(), text(&out))
    };
    let (ok, output) = check("syntax.toml", "[[pipeline]]\nplugin = \"syslog\n");
    assert!(!ok && output.contains("syntax.toml:2:"), "{output}");
    let (ok, output) = check("unknown.toml", "batch_size = 10\n\n[limits]\n  memory_mbb = 64\n");
    assert!(!ok && output.contains("unknown.toml:4:3") && output.contains("memory_mbb"), "{output}");
    std::fs::create_dir(dir.path().join("rules")).expect("rules");
    std::fs::write(
        dir.path().join("rules/broken.yml"),
        "title: Broken\nlogsource: {product: linux}\ndetection:\n  sel: {a: [b\n  condition: sel\n",
    )
    .expect("rule");
    let (ok, output) = check("rules.toml", "[[pipeline]]\nplugin = \"syslog\"\n[[pipeline]]\nplugin = \"sigma\"\nrules = [\"rules\"]\n");
    assert!(!ok && output.contains("broken.yml"), "{output}");
    let (ok, output) = check(
        "timeout.toml",
        "[kafka]\nbrokers = \"127.0.0.1:9\"\ntopics = [\"logs\"]\n[kafka.producer]\n\"message.timeout.ms\" = 300000\n",
    );
    assert!(!ok && output.contains("timeout.toml:5:1: kafka.producer.message.timeout.ms cannot be set"), "{output}");
    let (ok, output) = check("good.toml", "[[pipeline]]\nplugin = \"syslog\"\n[[pipeline]]\nplugin = \"ssh-root-login\"\n");
    assert!(ok && output.contains("good.toml: ok (2 plugins"), "{output}");
}

/// The commands of the guide's `sh` blocks, in order.
fn guide_script(guide: &str) -> String {
    let mut script = String::new();
    let mut inside = false;
    for line in guide.lines() {
        if line.trim_end() == "```sh" {
            inside = true;
        } else if inside && line.trim_end() == "```" {
            inside = false;
        } else if inside {
            script.push_str(line);
            script.push('\n');
        }
    }
    script
}

/// Runs a guide's commands with bash in `dir`, the built `logsift` first on the `PATH`.
fn run_guide(script: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
    let bin = Path::new(env!("CARGO_BIN_EXE_logsift")).parent().expect("bin dir").to_owned();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new("bash");
    command
        .args(["-euo", "pipefail", "-c", script])
        .current_dir(dir)
        .env("PATH", path)
        .env_remove("RUST_LOG")
        .env_remove("CARGO_TARGET_DIR");
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("bash")
}

#[test]
fn the_tune_a_rule_guide_works_as_written() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    let guide = std::fs::read_to_string(support::workspace().join("docs/tune-a-rule.md")).expect("guide");
    let script = guide_script(&guide);
    for step in
        ["logsift test", "logsift backtest", "--candidate", "--output-topic", "mode = \"shadow\"", "logsift serve", "mode = \"live\""]
    {
        assert!(script.contains(step), "the guide runs `{step}`");
    }
    let Some(tansu) = support::kafka::Tansu::start() else { return };
    let client = support::kafka::Client::new(tansu.addr.to_string());
    client.create_topics(&["ssh-logs"], 2);
    // The topic's history: the OpenSSH sample, stamped now.
    let history = support::sshd_lines();
    client.produce("ssh-logs", &history);
    // And new records while the service runs: a root and an admin failure every 200 ms.
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let feeder = {
        let (stop, brokers) = (std::sync::Arc::clone(&stop), client.brokers.clone());
        std::thread::spawn(move || {
            let client = support::kafka::Client::new(brokers);
            let mut n = history.len();
            while !stop.load(Ordering::Relaxed) {
                let lines = vec![
                    format!("Dec 10 07:27:50 LabSZ sshd[{n}]: Failed password for root from 112.95.230.3 port 45378 ssh2"),
                    format!("Dec 10 07:27:52 LabSZ sshd[{n}]: Failed password for invalid user admin from 112.95.230.3 port 45380 ssh2"),
                ];
                client.produce_from("ssh-logs", &lines, n);
                n += lines.len();
                std::thread::sleep(Duration::from_millis(200));
            }
        })
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let status = support::kafka::free_port().to_string();
    let out = run_guide(&script, dir.path(), &[("BROKERS", &client.brokers), ("STATUS", &status)]);
    stop.store(true, Ordering::Relaxed);
    feeder.join().expect("feeder");
    let serve_log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap_or_default();
    let output = text(&out);
    assert!(out.status.success(), "the guide's commands failed:\n{output}\nserve.log:\n{serve_log}");

    let (root, admin) = ("8a3c5e2f-1b4d-4c6e-9f70-2d8b1a4c6e01", "3f6b9d21-7c4e-4a8b-b5d2-9e1f0a7c3b42");
    let sample = support::sshd_lines();
    let admin_failures = sample.iter().filter(|l| l.contains("Failed password for invalid user admin")).count();
    let root_failures = sample.iter().filter(|l| l.contains("Failed password for root")).count();
    // The backtest over the history: the candidate's admin alerts on top of the current root
    // ones (records fed meanwhile may add to both).
    let backtest = std::fs::read_to_string(dir.path().join("backtest.json")).expect("backtest.json");
    let candidate: Vec<serde_json::Value> = backtest
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("an alert"))
        .filter(|a| a["backtest"] == "candidate")
        .collect();
    let fired = |id: &str| candidate.iter().filter(|a| a["rule"]["id"] == id).count();
    assert!(fired(admin) >= admin_failures && fired(root) >= root_failures, "{} admin, {} root\n{output}", fired(admin), fired(root));
    assert!(output.contains("only candidate"), "the difference per rule:\n{output}");
    // The scratch topic holds the candidate's alerts, keyed by alert id.
    let scratch = client.read_all("backtest-admin", admin_failures, Duration::from_secs(30));
    assert!(scratch.len() >= admin_failures, "{} alerts on the scratch topic", scratch.len());
    assert!(
        scratch.iter().all(|r| r.json()["rule"]["id"] == admin && r.key.as_deref() == r.json()["alert"]["id"].as_str().map(str::as_bytes))
    );
    // Shadow alerts only on alerts-shadow, marked; after the promotion, the rule's alerts on
    // alerts, unmarked; the live rule's alerts on alerts throughout.
    let shadow = client.read_all("alerts-shadow", 1, Duration::from_secs(30));
    assert!(!shadow.is_empty() && shadow.iter().all(|r| r.json()["rule"]["id"] == admin && r.json()["rule"]["shadow"] == true));
    let alerts = client.read_all("alerts", root_failures, Duration::from_secs(30));
    let on_alerts = |id: &str| alerts.iter().filter(|r| r.json()["rule"]["id"] == id).count();
    assert!(on_alerts(root) >= root_failures, "{} root alerts", on_alerts(root));
    assert!(on_alerts(admin) > 0, "the promoted rule alerts on alerts");
    assert!(alerts.iter().all(|r| r.json()["rule"].get("shadow").is_none_or(|s| s == false)), "no shadow mark on alerts");
    assert!(serve_log.contains("trigger=\"file change\" generation=2"), "the promotion was a reload:\n{serve_log}");
    drop(tansu);
}

#[test]
fn the_first_detection_guide_works_as_written() {
    let guide = std::fs::read_to_string(support::workspace().join("docs/first-detection.md")).expect("guide");
    let script = guide_script(&guide);
    for step in ["logsift new detector", "logsift build", "logsift test", "logsift run"] {
        assert!(script.contains(step), "the guide runs `{step}`");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let out = run_guide(&script, dir.path(), &[]);
    let output = text(&out);
    assert!(out.status.success(), "the guide's commands failed:\n{output}");
    assert!(output.contains("0e2a6c1e-5d4b-4b8a-9a57-2f1d7c3e8b10"), "the Sigma rule's alert: {output}");
    assert!(output.contains("root-watch.failed-login"), "the Rust rule's alert: {output}");
    assert!(dir.path().join("root-watch/root-watch.wasm").is_file());
}

#[test]
fn every_kind_of_scaffold_builds_and_passes_its_own_test() {
    let dir = tempfile::tempdir().expect("tempdir");
    for kind in ["parser", "enricher"] {
        let name = format!("my-{kind}");
        let out = logsift(dir.path(), &["new", kind, &name]);
        assert!(out.status.success(), "{}", text(&out));
        let manifest = std::fs::read_to_string(dir.path().join(&name).join("Cargo.toml")).expect("manifest");
        assert!(manifest.contains("[workspace]") && manifest.contains("serde = { version = \"="), "{manifest}");
        let out = logsift(dir.path(), &["test", &name]);
        assert!(out.status.success(), "{kind}: {}", text(&out));
        assert!(String::from_utf8_lossy(&out.stdout).contains("1 passed, 0 failed"), "{}", text(&out));
    }
    let out = logsift(dir.path(), &["new", "detector", "Bad Name"]);
    assert!(!out.status.success() && text(&out).contains("not a plugin name"), "{}", text(&out));
}
