//! The embedded default, as a user runs it: the `logsift` binary over files or stdin,
//! JSON lines on stdout, a summary on stderr.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value as Json;
use support::{shared_data, workspace};

fn logsift(args: &[&str], stdin: Option<&[u8]>) -> Output {
    logsift_with_env(args, stdin, &[])
}

fn logsift_with_env(args: &[&str], stdin: Option<&[u8]>, env: &[(&str, &Path)]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(args)
        .current_dir(workspace())
        .env_remove("RUST_LOG")
        .env_remove("LOGSIFT_COMPILE_CACHE")
        .envs(env.iter().copied())
        .stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting logsift");
    if let Some(input) = stdin {
        child.stdin.take().unwrap().write_all(input).unwrap();
    }
    child.wait_with_output().expect("running logsift")
}

/// The JSON lines of stdout, split by their `output` field (`events` when absent).
struct Lines {
    events: Vec<Json>,
    alerts: Vec<Json>,
    dead: Vec<Json>,
    shadow: Vec<Json>,
}

fn lines(out: &Output) -> Lines {
    assert!(out.status.success(), "logsift failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut lines = Lines { events: vec![], alerts: vec![], dead: vec![], shadow: vec![] };
    for line in String::from_utf8(out.stdout.clone()).unwrap().lines() {
        let json: Json = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        match json.get("output").and_then(Json::as_str) {
            None => lines.events.push(json),
            Some("alerts") => lines.alerts.push(json),
            Some("dead_letter") => lines.dead.push(json),
            Some("alerts_shadow") => lines.shadow.push(json),
            Some(other) => panic!("unexpected output {other}"),
        }
    }
    lines
}

#[test]
fn the_readme_command_turns_the_openssh_sample_into_2000_events_and_370_alerts() {
    let Some(log) = shared_data("data/loghub/OpenSSH_2k.log") else { return };
    let out = logsift(&["run", "--config", "examples/logsift.toml", "--input", log.to_str().unwrap()], None);
    let l = lines(&out);
    assert_eq!(l.events.len(), 2000);
    let with_ip = l.events.iter().filter(|e| e["source"]["ip"].is_string()).count();
    assert!(with_ip > 1000, "{with_ip} events with source.ip");
    assert_eq!(l.alerts.len(), 370);
    assert!(l.dead.is_empty(), "{:?}", l.dead.first());
    for alert in &l.alerts {
        assert_eq!(alert["rule"]["id"], "logsift.sshd.failed-root-password");
        assert_eq!(alert["user"]["name"], "root");
        assert_eq!(alert["event"]["kind"], "alert");
    }
    let ids: std::collections::HashSet<_> = l.alerts.iter().map(|a| a["alert"]["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids.len(), 370, "alert ids are distinct per record");
    let summary = String::from_utf8_lossy(&out.stderr);
    assert!(summary.contains("2000 records"), "{summary}");
    assert!(summary.contains("alerts 370, events 2000"), "{summary}");
    let hits =
        summary.lines().find(|l| l.contains("logsift.sshd.failed-root-password")).unwrap_or_else(|| panic!("no rule line: {summary}"));
    assert!(hits.trim_start().starts_with("370  medium"), "the hits per rule: {hits}");
}

#[test]
fn the_shipped_sample_gives_events_and_alerts_without_shared_data() {
    let l = lines(&logsift(&["run", "--config", "examples/logsift.toml", "--input", "examples/sample.log"], None));
    assert_eq!(l.events.len(), 14);
    assert_eq!(l.alerts.len(), 3, "three failed root passwords; the PAM line and the accepted login raise none");
    assert!(l.dead.is_empty());
    let web = l.events.iter().filter(|e| e["event"]["dataset"] == "weblog.access").count();
    assert_eq!(web, 4);
    assert_eq!(l.alerts[0]["source"]["ip"], "203.0.113.45");
    assert_eq!(l.alerts[0]["threat"]["technique"]["id"][0], "T1110.001");
}

#[test]
fn the_same_run_twice_gives_the_same_ids() {
    let run = || lines(&logsift(&["run", "-q", "--config", "examples/logsift.toml", "--input", "examples/sample.log"], None));
    let (a, b) = (run(), run());
    let ids = |l: &Lines| l.events.iter().chain(&l.alerts).map(|e| e.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(&a), ids(&b));
}

/// With `LOGSIFT_COMPILE_CACHE`, the first run compiles every plugin and the second reads
/// them from the cache (the audit lines say which), and both write the same records.
#[test]
fn a_second_run_reads_its_plugins_from_the_compile_cache_and_writes_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("compiled");
    let run = || {
        let args = ["run", "--config", "examples/logsift.toml", "--input", "examples/sample.log"];
        let out = logsift_with_env(&args, None, &[("LOGSIFT_COMPILE_CACHE", &cache)]);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let loads: Vec<String> = stderr.lines().filter(|l| l.contains("plugin loaded")).map(str::to_owned).collect();
        let records: Vec<String> = {
            let l = lines(&out);
            l.events.iter().chain(&l.alerts).map(Json::to_string).collect()
        };
        (loads, records)
    };
    let (first, records) = run();
    assert_eq!(first.len(), 3, "syslog, weblog, ssh-root-login: {first:?}");
    assert!(first.iter().all(|l| l.contains("code=\"compiled\"") || l.contains("code=compiled")), "{first:?}");
    let (second, again) = run();
    assert!(second.iter().all(|l| l.contains("read from the compile cache")), "{second:?}");
    assert_eq!(again, records, "the same records");
    assert_eq!(records.len(), 17);
}

#[test]
fn stdin_is_read_with_dash_and_a_line_no_parser_understands_is_dead_lettered() {
    let input = b"Nov 24 09:12:07 bastion sshd[1]: Failed password for root from 192.0.2.1 port 2 ssh2\nthis is not a log line\n\n198.51.100.1 - - [24/Nov/2026:09:15:10 +0000] \"GET / HTTP/1.1\" 200 1\n";
    let l = lines(&logsift(&["run", "--config", "examples/logsift.toml", "--input", "-"], Some(input)));
    assert_eq!(l.events.len(), 2);
    assert_eq!(l.alerts.len(), 1);
    assert_eq!(l.dead.len(), 1);
    assert_eq!(l.dead[0]["event"]["original"], "this is not a log line");
    assert_eq!(l.dead[0]["logsift"]["plugin"], "weblog");
    assert_eq!(l.dead[0]["log"]["file"]["line"], 2);
    assert!(l.dead[0]["error"]["message"].as_str().unwrap().len() > 10, "the dead letter says why");
}

#[test]
fn flat_writes_dotted_keys() {
    let l = lines(&logsift(&["run", "--flat", "--config", "examples/logsift.toml", "--input", "examples/sample.log"], None));
    assert_eq!(l.events[0]["source.ip"], "203.0.113.45");
    assert!(l.events[0].get("source").is_none());
}

#[test]
fn outputs_configured_with_a_file_go_there_and_not_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let alerts = dir.path().join("alerts.jsonl");
    let example = std::fs::read_to_string(workspace().join("examples/logsift.toml")).unwrap();
    let config = example + &format!("\n[outputs.alerts]\nfile = {:?}\n", alerts.display().to_string());
    let config_path = dir.path().join("logsift.toml");
    std::fs::write(&config_path, config).unwrap();
    let l = lines(&logsift(&["run", "--config", config_path.to_str().unwrap(), "--input", "examples/sample.log"], None));
    assert!(l.alerts.is_empty());
    let written = std::fs::read_to_string(&alerts).unwrap();
    assert_eq!(written.lines().count(), 3);
    assert!(!written.contains("\"output\""), "a dedicated file needs no output field");
}

#[test]
fn shadow_stages_alert_only_on_alerts_shadow_and_change_no_live_record() {
    // The example chain plus two stages on trial: the root-login detector again (a candidate
    // beside the live one), and the faulty plugin, which tags every record it passes and traps
    // on one of them.
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(workspace().join("examples/logsift.toml")).unwrap();
    let faulty = support::plugin("faulty");
    let shadow = format!(
        "\n[[pipeline]]\nplugin = \"ssh-root-login\"\nname = \"root-login-candidate\"\nmode = \"shadow\"\n\
         \n[[pipeline]]\nplugin = {:?}\nname = \"faulty-candidate\"\nmode = \"shadow\"\n",
        faulty.display().to_string()
    );
    let (live_config, shadow_config) = (dir.path().join("live.toml"), dir.path().join("shadow.toml"));
    std::fs::write(&live_config, &example).unwrap();
    std::fs::write(&shadow_config, example.clone() + &shadow).unwrap();
    let mut input = std::fs::read(workspace().join("examples/sample.log")).unwrap();
    input.extend_from_slice(b"Nov 24 09:12:09 bastion sshd[7]: Failed password for root from 192.0.2.9 port 2 ssh2 TRAP\n");
    let run = |config: &Path| logsift(&["run", "--config", config.to_str().unwrap(), "--input", "-"], Some(&input));
    let (live, with_shadow) = (run(&live_config), run(&shadow_config));
    let (live_lines, shadow_lines) = (lines(&live), lines(&with_shadow));

    // Live records are exactly what the live chain alone makes: no tag of the faulty shadow,
    // no dead letter for the record it trapped on, the same alerts.
    assert_eq!(shadow_lines.events, live_lines.events);
    assert_eq!(shadow_lines.alerts, live_lines.alerts);
    assert!(shadow_lines.dead.is_empty(), "a shadow's trap dead-letters nothing: {:?}", shadow_lines.dead.first());
    assert_eq!(live_lines.alerts.len(), 4);
    assert!(live_lines.shadow.is_empty());
    // The candidate's alerts: one per live alert, on alerts_shadow only, marked.
    assert_eq!(shadow_lines.shadow.len(), 4);
    for (trial, alert) in shadow_lines.shadow.iter().zip(&live_lines.alerts) {
        assert_eq!(trial["rule"]["shadow"], true);
        assert_eq!(trial["rule"]["ruleset"], "root-login-candidate");
        assert_eq!(trial["rule"]["id"], alert["rule"]["id"]);
        assert_eq!(trial["source"]["ip"], alert["source"]["ip"]);
        assert_ne!(trial["alert"]["id"], alert["alert"]["id"], "the stages' alerts are told apart");
        assert!(alert["rule"].get("shadow").is_none(), "live alerts carry no shadow mark");
    }
    // The summary counts the candidate's hits apart, and the faulty shadow's trap as a fault.
    let summary = String::from_utf8_lossy(&with_shadow.stderr);
    assert!(summary.contains("alerts_shadow 4"), "{summary}");
    let hits = summary.lines().filter(|l| l.contains("logsift.sshd.failed-root-password")).collect::<Vec<_>>();
    assert!(hits.iter().any(|l| l.trim_start().starts_with("4 ") && l.contains("(shadow)")), "{summary}");
    assert!(hits.iter().any(|l| l.trim_start().starts_with("4 ") && !l.contains("(shadow)")), "{summary}");
    let faulty_row = summary.lines().find(|l| l.trim_start().starts_with("faulty-candidate")).unwrap_or_else(|| panic!("{summary}"));
    let columns: Vec<&str> = faulty_row.split_whitespace().collect();
    assert_eq!(columns[8], "2", "the trap, in the batch's call and in the record's alone: {faulty_row}");
    assert_eq!(columns[5], "0", "a shadow drops nothing: {faulty_row}");
}

fn failing(config_text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, config_text).unwrap();
    let out = logsift(&["run", "--config", path.to_str().unwrap(), "--input", "examples/sample.log"], None);
    assert!(!out.status.success(), "a bad configuration must fail the run");
    assert!(out.stdout.is_empty(), "nothing is written before the configuration is good");
    String::from_utf8(out.stderr).unwrap()
}

#[test]
fn an_unknown_configuration_key_is_refused_by_name() {
    let err = failing("batch_size = 10\nbatch_sizes = 20\n");
    assert!(err.contains("unknown field `batch_sizes`"), "{err}");
}

#[test]
fn a_missing_plugin_is_refused_naming_the_file() {
    let err = failing("[[pipeline]]\nplugin = \"nowhere/parser.wasm\"\n");
    assert!(err.contains("nowhere/parser.wasm"), "{err}");
    assert!(err.contains("cannot read plugin"), "{err}");
}

#[test]
fn a_missing_input_file_is_an_error_naming_it() {
    let out = logsift(&["run", "--config", "examples/logsift.toml", "--input", "no/such/file.log"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no/such/file.log"));
    assert!(Path::new(&workspace()).join("examples/logsift.toml").exists());
}

/// The attributes OCSF 1.3.0 requires of every record, and of its class.
fn assert_ocsf(record: &Json) {
    for key in ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time"] {
        assert!(record[key].is_i64(), "{key} missing: {record}");
    }
    assert_eq!(record["type_uid"].as_i64(), Some(record["class_uid"].as_i64().unwrap() * 100 + record["activity_id"].as_i64().unwrap()));
    assert_eq!(record["metadata"]["version"], "1.3.0");
    assert!(record["metadata"]["product"]["name"].is_string() && record["metadata"]["product"]["vendor_name"].is_string(), "{record}");
    match record["class_uid"].as_i64() {
        Some(3002) => {
            assert!(record["user"]["name"].is_string(), "{record}");
            assert!(record["dst_endpoint"]["hostname"].is_string() || record["service"]["name"].is_string(), "{record}");
        }
        Some(4002) => {
            assert!(record["dst_endpoint"].is_object() && record["http_request"].is_object(), "{record}");
            assert!(record["http_response"]["code"].is_i64(), "{record}");
        }
        Some(2004) => assert!(record["finding_info"]["uid"].is_string() && record["finding_info"]["title"].is_string(), "{record}"),
        Some(0) => {}
        other => panic!("unexpected class {other:?}: {record}"),
    }
}

#[test]
fn ocsf_output_gives_authentication_http_activity_and_detection_findings_with_their_required_attributes() {
    let (Some(ssh), Some(web)) = (shared_data("data/loghub/OpenSSH_2k.log"), shared_data("data/web/webshell_access_log.txt")) else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--config", "examples/logsift.toml", "--input"])
        .arg(&ssh)
        .arg("--input")
        .arg(&web)
        .current_dir(workspace())
        .env("LOGSIFT_FORMAT__SCHEMA", "ocsf")
        .output()
        .expect("logsift");
    let l = lines(&out);
    assert!(l.dead.is_empty(), "{:?}", l.dead.first());
    l.events.iter().chain(&l.alerts).for_each(assert_ocsf);
    let class = |uid: i64| l.events.iter().filter(|e| e["class_uid"] == uid).count();
    let logins = class(3002);
    assert!(logins > 500, "{logins} sshd logins as Authentication");
    assert!(class(4002) > 0, "web access lines as HTTP Activity");
    let failed_root = l.events.iter().filter(|e| e["class_uid"] == 3002 && e["status_id"] == 2 && e["user"]["name"] == "root").count();
    assert_eq!(l.alerts.len(), 370);
    assert!(failed_root >= 370, "each alert's login is there as a failed Authentication of root: {failed_root}");
    assert!(l.alerts.iter().all(|a| a["class_uid"] == 2004 && a["finding_info"]["analytic"]["uid"] == "logsift.sshd.failed-root-password"));
}
