//! Hostile input never switches detection off. Each test replays an attack on the pipeline
//! found by trying it (oversized lines in front of and spread through an sshd log; hostile
//! JSON shapes in front of Windows telemetry; poison lines inside a brute force), with inputs
//! made here, and checks that exactly the alerts the clean lines raise still fire, that every
//! input line comes out as an event or a dead letter, and that the hostile records cost a
//! bounded number of plugin faults (a deterministic stand-in for time: each fault costs at
//! most one deadline).

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use logsift::pipeline::StageOptions;
use logsift::wasm::Limits;
use serde_json::{Value, json};

/// A 30 MB sshd line: what made the parser exceed its memory cap.
fn oversized_line(n: usize) -> String {
    format!("Dec 10 06:55:{n:02} LabSZ sshd[1]: Failed password for root from 198.51.100.{n} port 22 ssh2 {}", "A".repeat(30 << 20))
}

/// Writes `lines` to a file and runs the configuration over it in-process.
fn run(config: &Path, lines: &[String], dir: &Path) -> (logsift::RunSummary, Vec<Value>) {
    let input = dir.join("input.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("input"));
    for line in lines {
        file.write_all(line.as_bytes()).and_then(|()| file.write_all(b"\n")).expect("write");
    }
    drop(file);
    let mut settings = support::load_settings(config);
    settings.reload.watch = false;
    let mut out = Vec::new();
    let summary = logsift::run_files(&settings, vec![input], &mut out).expect("run");
    let records = out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).expect("JSON line")).collect();
    (summary, records)
}

fn output(record: &Value) -> &str {
    record["output"].as_str().unwrap_or("events")
}

/// The alerts by (rule, line text): what a run detected, wherever the lines sat.
fn detections(records: &[Value]) -> BTreeMap<(String, String), usize> {
    let mut found = BTreeMap::new();
    for r in records.iter().filter(|r| output(r) == "alerts") {
        let key = (r["rule"]["id"].as_str().unwrap_or_default().to_owned(), r["event"]["original"].as_str().unwrap_or_default().to_owned());
        *found.entry(key).or_default() += 1;
    }
    found
}

/// Every line number of the input appears as an event or a dead letter.
fn assert_every_line_comes_out(records: &[Value], lines: usize) {
    let seen: BTreeSet<u64> = records
        .iter()
        .filter(|r| matches!(output(r), "events" | "dead_letter"))
        .filter_map(|r| r["log"]["file"]["line"].as_u64())
        .collect();
    let missing: Vec<u64> = (1..=lines as u64).filter(|n| !seen.contains(n)).collect();
    assert!(missing.is_empty(), "lines with neither an event nor a dead letter: {missing:?}");
}

fn faults(summary: &logsift::RunSummary) -> u64 {
    summary.stages.iter().map(|(_, _, s)| s.faults()).sum()
}

#[test]
fn oversized_lines_before_and_among_an_sshd_log_cost_no_alert() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = support::workspace().join("examples/logsift.toml");
    let clean = support::sshd_lines();
    let (_, clean_out) = run(&config, &clean, dir.path());
    let expected = detections(&clean_out);
    assert_eq!(expected.values().sum::<usize>(), 370, "every failed root login alerts in the clean run");

    // Six 30 MB lines first, then eight more spread through the log.
    let mut hostile: Vec<String> = (0..6).map(oversized_line).collect();
    for (i, line) in clean.iter().enumerate() {
        hostile.push(line.clone());
        if i % 250 == 125 {
            hostile.push(oversized_line(10 + i / 250));
        }
    }
    let (summary, out) = run(&config, &hostile, dir.path());
    let mut found = detections(&out);
    // The oversized lines are failed root logins too: their first bytes still alert.
    let cut: Vec<_> = found.keys().filter(|(_, line)| line.len() >= 256 << 10).cloned().collect();
    assert_eq!(cut.len(), 14, "each oversized line's head is parsed and detected");
    for key in cut {
        found.remove(&key);
    }
    assert_eq!(found, expected, "exactly the clean lines' alerts");
    assert_every_line_comes_out(&out, hostile.len());
    let dead: Vec<&Value> = out.iter().filter(|r| output(r) == "dead_letter").collect();
    assert_eq!(dead.len(), 14, "each oversized line is dead-lettered whole, with the reason");
    assert!(
        dead.iter().all(|d| d["error"]["message"].as_str().is_some_and(|m| m.contains("limits.max_record_bytes"))),
        "{:?}",
        dead[0]["error"]
    );
    let truncated = out.iter().filter(|r| output(r) == "events" && r["logsift"]["truncated"] == json!(true)).count();
    assert_eq!(truncated, 14, "and goes on cut, marked as such");
    assert_eq!(faults(&summary), 0, "no plugin faulted: the host cut the lines before any plugin saw them");
    assert!(summary.stages.iter().all(|(_, _, s)| s.quarantines == 0));
}

/// A Sigma rule for an LSASS dump through comsvcs.dll, written for this test.
const COMSVCS_RULE: &str = r#"title: LSASS dump via comsvcs.dll MiniDump
id: 6b1f1a42-6e0f-4f2a-9c43-4b1d7c2e9a01
status: test
logsource:
    category: process_creation
    product: windows
detection:
    selection:
        Image|endswith: '\rundll32.exe'
        CommandLine|contains|all:
            - 'comsvcs'
            - 'MiniDump'
    condition: selection
level: high
"#;

fn windows_events() -> Vec<String> {
    (0..200)
        .map(|i| {
            let (image, command) = if i % 20 == 7 {
                (
                    r"C:\Windows\System32\rundll32.exe",
                    format!(r"rundll32.exe C:\Windows\System32\comsvcs.dll, MiniDump {} C:\temp\l{i}.dmp full", 600 + i),
                )
            } else {
                (r"C:\Windows\System32\svchost.exe", format!(r"svchost.exe -k netsvcs -p -s Schedule{i}"))
            };
            json!({"EventID": 1, "Channel": "Microsoft-Windows-Sysmon/Operational", "Image": image, "CommandLine": command,
                   "User": "LAB\\analyst", "ProcessId": 4000 + i})
            .to_string()
        })
        .collect()
}

/// The shapes that made the `json` parser trap or run out of memory.
fn hostile_json() -> Vec<String> {
    let keys: Vec<String> = (0..200_000).map(|i| format!("\"k{i}\":{i}")).collect();
    vec![
        format!("{}1{}", "{\"a\":".repeat(100_000), "}".repeat(100_000)),
        format!("{{{}}}", keys.join(",")),
        json!({"EventID": 1, "CommandLine": "x".repeat(3 << 20)}).to_string(),
        format!("{{\"a\":{}1{}}}", "[".repeat(50_000), "]".repeat(50_000)),
    ]
}

/// Records aimed at logsource routing: the fields it reads, huge, in other case, or of
/// another type than the routes name. Each is a well-formed event that meets no rule.
fn hostile_to_routing() -> Vec<String> {
    vec![
        json!({"EventID": 1, "Channel": "MICROSOFT-WINDOWS-SYSMON/OPERATIONAL".repeat(80_000)}).to_string(),
        json!({"EventID": "1".repeat(1 << 20), "Channel": "Microsoft-Windows-Sysmon/Operational"}).to_string(),
        json!({"EventID": [1, 4688, true, null], "Channel": ["Security", "Microsoft-Windows-Sysmon/Operational"]}).to_string(),
        json!({"EventID": i64::MIN, "Channel": {"nested": "Security"}}).to_string(),
    ]
}

#[test]
fn hostile_json_in_front_of_windows_telemetry_leaves_the_sigma_rules_firing() {
    // Unrouted, and routed by logsource, where the router reads the hostile records too.
    let routes = "[[pipeline.settings.logsources]]\nwhen = { Channel = \"Microsoft-Windows-Sysmon/Operational\", EventID = 1 }\n\
                  logsource = { product = \"windows\", category = \"process_creation\", service = \"sysmon\" }\n\
                  [[pipeline.settings.logsources]]\nwhen = { Channel = \"Security\", EventID = [4688, \"4688\"] }\n\
                  logsource = { product = \"windows\", category = \"process_creation\", service = \"security\" }\n";
    for (settings, more_hostile) in [("", Vec::new()), (routes, hostile_to_routing())] {
        hostile_records_leave_the_sigma_rules_firing(settings, more_hostile);
    }
}

fn hostile_records_leave_the_sigma_rules_firing(sigma_settings: &str, more_hostile: Vec<String>) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("rules")).expect("rules");
    std::fs::write(dir.path().join("rules/comsvcs.yml"), COMSVCS_RULE).expect("rule");
    let config = dir.path().join("logsift.toml");
    // Records up to 8 MiB reach the parser whole, so its own bounds are what holds.
    std::fs::write(
        &config,
        format!(
            "[limits]\nmax_record_bytes = 8388608\n[[pipeline]]\nplugin = \"json\"\n[[pipeline]]\nplugin = \"sigma\"\nrules = [\"rules\"]\n{sigma_settings}"
        ),
    )
    .expect("config");
    let clean = windows_events();
    let (_, clean_out) = run(&config, &clean, dir.path());
    let expected = detections(&clean_out);
    assert_eq!(expected.values().sum::<usize>(), 10, "the clean telemetry's LSASS dumps");

    let hostile: Vec<String> = hostile_json().into_iter().chain(more_hostile).chain(clean.iter().cloned()).collect();
    let (summary, out) = run(&config, &hostile, dir.path());
    assert_eq!(detections(&out), expected, "exactly the clean records' alerts");
    assert_every_line_comes_out(&out, hostile.len());
    let reasons: Vec<String> =
        out.iter().filter(|r| output(r) == "dead_letter").map(|r| r["error"]["message"].as_str().unwrap_or_default().to_owned()).collect();
    assert_eq!(reasons.len(), 3, "{reasons:#?}");
    assert!(reasons[0].contains("nesting deeper than max_depth 20"), "{}", reasons[0]);
    assert!(reasons[1].contains("more than max_fields 1000 fields"), "{}", reasons[1]);
    assert!(reasons[2].contains("nesting deeper than max_depth 20"), "{}", reasons[2]);
    assert_eq!(faults(&summary), 0, "the parser refuses hostile shapes with a reason instead of faulting");
}

#[test]
fn poison_lines_inside_a_brute_force_do_not_let_it_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("logsift.toml");
    std::fs::write(&config, "[[pipeline]]\nplugin = \"syslog\"\n[[pipeline]]\nplugin = \"ssh-bruteforce\"\n").expect("config");
    let line = |second: usize, what: &str| {
        format!("Dec 10 07:00:{second:02} LabSZ sshd[9{second}]: {what} from 198.51.100.23 port 5{second}22 ssh2")
    };
    let mut lines: Vec<String> = (0..5).map(|s| line(s, "Failed password for root")).collect();
    lines.extend((0..6).map(oversized_line));
    lines.push(line(30, "Accepted password for root"));
    let (summary, out) = run(&config, &lines, dir.path());
    let brute: Vec<&Value> =
        out.iter().filter(|r| output(r) == "alerts" && r["event"]["original"].as_str().is_some_and(|l| l.contains("Accepted"))).collect();
    assert_eq!(brute.len(), 1, "the success after five failures is detected: {:?}", detections(&out));
    assert!(summary.stages.iter().all(|(_, _, s)| s.quarantines == 0));
}

#[test]
fn a_detector_rebuilt_after_a_fault_keeps_its_state_by_replay() {
    let sandbox = support::Sandbox::new();
    let limits = Limits { timeout_ms: 500, ..Limits::default() };
    let lines: Vec<String> = ["one", "two", "three", "TRAP", "four"].iter().map(|s| s.to_string()).collect();
    let seen = |replay: u32| {
        let mut options = StageOptions::default();
        options.health.replay_records = Some(replay);
        let mut chain = sandbox.chain("faulty", json!({}), limits, options);
        let mut last = None;
        // One record per batch, as a live stream arrives.
        for (i, line) in lines.iter().enumerate() {
            let out = chain.process(&support::records("stream", std::slice::from_ref(line)));
            if i == 3 {
                assert_eq!(support::dead_letters(&out).len(), 1, "the poison record is dead-lettered");
            }
            last = out.events.iter().last().map(|(_, frame)| {
                logsift_event::EventView::from_frame(frame).expect("event").get("labels.faulty_seen").and_then(|v| v.as_int())
            });
        }
        last.flatten()
    };
    assert_eq!(seen(1000), Some(4), "the rebuilt instance saw the three records before the fault again");
    assert_eq!(seen(0), Some(1), "without replay it would have started from nothing");
}

#[test]
fn an_instance_rebuilt_after_a_fault_starts_from_the_snapshot_instead_of_rerunning_init() {
    let sandbox = support::Sandbox::new();
    let limits = Limits { timeout_ms: 500, ..Limits::default() };
    let plugin = sandbox.load("faulty", json!({}), limits);
    assert!(plugin.starts_from_snapshot(), "the faulty plugin can be snapshotted");
    let mut chain = logsift::pipeline::Chain::new([(plugin, StageOptions::default())]);
    // `labels.faulty_init` is a random number drawn in init: one init, one number.
    let mut ids = BTreeSet::new();
    for line in ["before", "TRAP", "after", "TRAP", "last"] {
        let out = chain.process(&support::records("stream", &[line.to_owned()]));
        for (_, frame) in out.events.iter() {
            let event = logsift_event::EventView::from_frame(frame).expect("event");
            ids.insert(event.get("labels.faulty_init").and_then(|v| v.as_str().map(str::to_owned)).expect("init id"));
        }
    }
    assert_eq!(ids.len(), 1, "every instance, before and after the two rebuilds, comes from the one init: {ids:?}");
}

#[test]
fn the_sigma_plugin_loads_under_the_default_limits_by_declaring_what_it_needs() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(dir.path().join("rules")).expect("rules");
    std::fs::write(dir.path().join("rules/comsvcs.yml"), COMSVCS_RULE).expect("rule");
    let load = |plugin: &str, stage_limits: &str| {
        let config = dir.path().join("logsift.toml");
        std::fs::write(&config, format!("[reload]\nwatch = false\n[[pipeline]]\nplugin = {plugin:?}\nrules = [\"rules\"]\n{stage_limits}"))
            .expect("config");
        let runtime = logsift::Runtime::start(support::load_settings(&config), None).expect("sigma loads");
        runtime.pipeline().current().stages[0].0.limits
    };
    assert_eq!(load("sigma", "").memory_mb, 512, "the plugin's declared need, not the global 64");
    assert_eq!(load("sigma", "[pipeline.limits]\nmemory_mb = 300\n").memory_mb, 300, "a stage's own limit wins");
    assert_eq!(load("passthrough", "").memory_mb, 64, "a plugin that declares nothing keeps the default");

    // SigmaHQ's process_creation rules (1,183), which a 64 MiB cap refused, load every time.
    let Some(rules) = support::shared_data("sigma/rules/windows/process_creation") else { return };
    let config = dir.path().join("corpus.toml");
    std::fs::write(
        &config,
        format!("[reload]\nwatch = false\n[[pipeline]]\nplugin = \"sigma\"\nrules = [{:?}]\n", rules.display().to_string()),
    )
    .expect("config");
    for _ in 0..2 {
        let runtime =
            logsift::Runtime::start(support::load_settings(&config), None).expect("the process_creation rules load under the defaults");
        assert!(runtime.pipeline().current().stages[0].0.starts_from_snapshot(), "the compiled rules are snapshotted");
    }
}

#[test]
fn invalid_utf8_and_lines_crafted_to_be_slow_cost_only_themselves() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = support::workspace().join("examples/logsift.toml");
    let clean = support::sshd_lines();
    let (_, clean_out) = run(&config, &clean, dir.path());
    let expected = detections(&clean_out);

    // Every 100th line: invalid UTF-8, or a line just under the cap made of what the parsers
    // scan for (brackets, quotes, colons, spaces) to make any non-linear step show.
    let input = dir.path().join("input.log");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).expect("input"));
    let mut lines = 0;
    for (i, line) in clean.iter().enumerate() {
        if i % 100 == 50 {
            let hostile: Vec<u8> = match i % 200 {
                50 => [
                    b"Dec 10 06:55:46 LabSZ sshd[1]: Failed password for root from ".as_slice(),
                    &[0xff, 0xfe, 0xc3, 0x28],
                    b" port 22 ssh2",
                ]
                .concat(),
                _ => format!("Dec 10 06:55:46 LabSZ sshd[1]: {}", "[\":: \"[".repeat(30_000)).into_bytes(),
            };
            file.write_all(&hostile).and_then(|()| file.write_all(b"\n")).expect("write");
            lines += 1;
        }
        file.write_all(line.as_bytes()).and_then(|()| file.write_all(b"\n")).expect("write");
        lines += 1;
    }
    drop(file);
    let mut settings = support::load_settings(&config);
    settings.reload.watch = false;
    let mut out = Vec::new();
    let summary = logsift::run_files(&settings, vec![input], &mut out).expect("run");
    let records: Vec<Value> =
        out.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(|l| serde_json::from_slice(l).expect("JSON line")).collect();
    let mut found = detections(&records);
    // The invalid-UTF-8 root failures are failed root logins too; they may alert on their own.
    found.retain(|(_, line), _| !line.contains('\u{fffd}'));
    assert_eq!(found, expected, "exactly the clean lines' alerts");
    assert_every_line_comes_out(&records, lines);
    assert_eq!(faults(&summary), 0, "no plugin faulted (a slow line would have hit the deadline)");
}
