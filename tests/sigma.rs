//! The Sigma detector in the host: SigmaHQ's Windows rules, handed over by the host from the
//! stage's `rules` directory, run by `logsift run` over real attack telemetry
//! (`../shared/data/security-datasets/`, JSON lines) after the JSON parser.

mod support;

use std::process::Command;

/// Logsource routes for Sysmon and the Security log, as an operator would configure them.
const ROUTES: &str = r#"
[[pipeline.settings.logsources]]
when = { Channel = "Microsoft-Windows-Sysmon/Operational", EventID = 1 }
logsource = { product = "windows", service = "sysmon", category = "process_creation" }
[[pipeline.settings.logsources]]
when = { Channel = "Microsoft-Windows-Sysmon/Operational", EventID = 10 }
logsource = { product = "windows", service = "sysmon", category = "process_access" }
[[pipeline.settings.logsources]]
when = { Channel = "Microsoft-Windows-Sysmon/Operational", EventID = 7 }
logsource = { product = "windows", service = "sysmon", category = "image_load" }
[[pipeline.settings.logsources]]
when = { Channel = "Microsoft-Windows-Sysmon/Operational", EventID = [12, 13, 14] }
logsource = { product = "windows", service = "sysmon", category = "registry_event" }
[[pipeline.settings.logsources]]
when = { Channel = "Security" }
logsource = { product = "windows", service = "security" }
"#;

#[test]
fn sigmahq_windows_rules_fire_on_a_real_lsass_dump_through_comsvcs() {
    let Some(dataset) = support::shared_data(
        "data/security-datasets/psh_lsass_memory_dump_comsvcs__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
    ) else {
        return;
    };
    let Some(rules) = support::shared_data("sigma/rules/windows") else { return };
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("logsift.toml");
    let text = format!(
        "[reload]\nwatch = false\n[[pipeline]]\nplugin = {json:?}\n[[pipeline]]\nplugin = {sigma:?}\nrules = [{rules:?}]\n[pipeline.limits]\nmemory_mb = 512\ntimeout_ms = 30000\n{ROUTES}",
        json = support::plugin("json").display().to_string(),
        sigma = support::plugin("sigma").display().to_string(),
        rules = rules.display().to_string(),
    );
    std::fs::write(&config, text).expect("config");
    let out = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--config"])
        .arg(&config)
        .arg("--input")
        .arg(&dataset)
        .output()
        .expect("logsift run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let alerts: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("JSON"))
        .filter(|j| j["output"] == "alerts")
        .collect();
    let fired: std::collections::BTreeSet<&str> = alerts.iter().filter_map(|a| a["rule"]["id"].as_str()).collect();
    eprintln!("{} alerts from {} rules: {fired:?}", alerts.len(), fired.len());
    for (id, title) in [
        ("646ea171-dded-4578-8a4d-65e9822892e3", "Process Memory Dump Via Comsvcs.DLL"),
        ("a49fa4d5-11db-418c-8473-1e014a8dd462", "Lsass Memory Dump via Comsvcs DLL"),
    ] {
        let alert =
            alerts.iter().find(|a| a["rule"]["id"] == id).unwrap_or_else(|| panic!("{title} did not fire; fired: {fired:?}\n{stderr}"));
        assert_eq!(alert["rule"]["title"], title);
        assert!(
            alert["rule"]["tags"].as_array().is_some_and(|t| t.iter().any(|t| t.as_str().is_some_and(|t| t.starts_with("attack.t")))),
            "{alert}"
        );
        assert!(
            alert["event"]["original"].as_str().is_some_and(|o| o.to_lowercase().contains("comsvcs")),
            "the alert carries the event it fired on"
        );
    }
    assert!(stderr.contains("sigma rules loaded"), "{stderr}");
}

#[test]
fn the_shipped_sigma_example_flags_the_sample_log_without_any_rust() {
    let workspace = support::workspace();
    let out = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--config"])
        .arg(workspace.join("examples/sigma.toml"))
        .arg("--input")
        .arg(workspace.join("examples/sample.log"))
        .output()
        .expect("logsift run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut fired = std::collections::BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let json: serde_json::Value = serde_json::from_str(line).expect("JSON");
        if json["output"] == "alerts" {
            *fired.entry(json["rule"]["id"].as_str().expect("rule id").to_owned()).or_insert(0) += 1;
            assert_eq!(json["rule"]["status"], "experimental", "{json}");
        }
    }
    // Three failed root password logins; two lines naming an invalid user ("Invalid user
    // …" and "Failed password for invalid user …": Sigma matches without case).
    let expected = [("2b9d6c1a-8e4f-4f7b-a3d2-6c5e1f0b9a47".to_owned(), 2), ("7f0c3f0e-1d55-4a53-9b0e-5a1f2c6d9e01".to_owned(), 3)];
    assert_eq!(fired, expected.into_iter().collect());
}

/// Which of `commands` (JSON lines with a `CommandLine`) raise an alert in the running
/// generation of `reloader`.
fn alerting(reloader: &logsift::Runtime, commands: &[&str]) -> Vec<usize> {
    use logsift::pipeline::{Chain, InputRecord};
    let mut chain = Chain::new(reloader.pipeline().current().stages.iter().cloned());
    let inputs: Vec<InputRecord> = commands
        .iter()
        .enumerate()
        .map(|(i, c)| InputRecord {
            cut_from: None,
            raw: serde_json::json!({ "CommandLine": c }).to_string().into_bytes(),
            origin: logsift_event::Origin::File { path: "test".into(), line: i as u64 + 1 },
        })
        .collect();
    let mut fired: Vec<usize> =
        chain.process(&inputs).routed.iter().filter(|r| &*r.output == "alerts").map(|r| r.source as usize).collect();
    fired.dedup();
    fired
}

#[test]
fn a_rule_file_saved_broken_on_reload_keeps_its_previous_version_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let rules = dir.path().join("rules");
    std::fs::create_dir(&rules).expect("rules dir");
    let rule = |needle: &str| {
        format!(
            "title: Recon\nid: 50000000-0000-0000-0000-000000000001\nlogsource: {{product: linux}}\ndetection:\n  sel: {{CommandLine|contains: {needle}}}\n  condition: sel\n"
        )
    };
    std::fs::write(rules.join("recon.yml"), rule("whoami")).expect("rule");
    let config = dir.path().join("logsift.toml");
    let text = format!(
        "[reload]\nwatch = false\n[[pipeline]]\nplugin = {json:?}\n[[pipeline]]\nplugin = {sigma:?}\nrules = [\"rules\"]\n",
        json = support::plugin("json").display().to_string(),
        sigma = support::plugin("sigma").display().to_string(),
    );
    std::fs::write(&config, text).expect("config");
    let mut reloader = logsift::Runtime::start(logsift::Settings::load(&config).expect("settings"), None).expect("start");
    let commands = ["whoami", "hostname", "id"];
    assert_eq!(alerting(&reloader, &commands), [0]);

    std::fs::write(rules.join("recon.yml"), rule("hostname")).expect("rule");
    assert_eq!(reloader.reload("test"), Some(2));
    assert_eq!(alerting(&reloader, &commands), [1], "the edited rule runs");

    std::fs::write(rules.join("recon.yml"), "title: Recon\ndetection:\n  sel: {CommandLine|contains: [id\n").expect("rule");
    reloader.reload("test");
    assert_eq!(alerting(&reloader, &commands), [1], "the broken save leaves the edited rule running");

    std::fs::write(rules.join("recon.yml"), rule("' id'")).expect("rule");
    reloader.reload("test");
    assert_eq!(alerting(&reloader, &commands), Vec::<usize>::new(), "a fixed save runs: ' id' is in none of them");
}

/// Regression cases of SigmaHQ: (rule id, event file), the first `n` in path order.
fn regression_cases(root: &std::path::Path, n: usize) -> Vec<(String, std::path::PathBuf)> {
    fn find(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                find(&path, out);
            } else if path.file_name().is_some_and(|f| f == "info.yml") {
                out.push(path);
            }
        }
    }
    let mut infos = Vec::new();
    find(&root.join("regression_data/rules"), &mut infos);
    infos.sort();
    infos
        .iter()
        .take(n)
        .map(|info| {
            let text = std::fs::read_to_string(info).expect("info.yml");
            let id = text.lines().find_map(|l| l.trim().strip_prefix("- id:")).expect("rule id").trim().to_owned();
            let events = info.with_file_name(format!("{id}.json"));
            (id, events)
        })
        .collect()
}

#[test]
fn logsift_sigma_hunts_a_rule_directory_over_json_lines_and_windows_event_exports() {
    let Some(root) = support::shared_data("sigma") else { return };
    let Some(dataset) = support::shared_data(
        "data/security-datasets/psh_lsass_memory_dump_comsvcs__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
    ) else {
        return;
    };
    let cases = regression_cases(&root, 6);
    let dir = tempfile::tempdir().expect("tempdir");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"CommandLine\": \"whoami\"}\nnot json at all\n{\"CommandLine\": \"id\"}\n").expect("input");
    let mut command = Command::new(env!("CARGO_BIN_EXE_logsift"));
    command.arg("sigma").arg("--rules").arg(root.join("rules")).arg("--input").arg(&dataset).arg("--input").arg(&broken);
    for (_, events) in &cases {
        command.arg("--input").arg(events);
    }
    let out = command.output().expect("logsift sigma");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let alerts: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("one JSON alert per line")).collect();
    let fired: std::collections::BTreeSet<&str> = alerts.iter().filter_map(|a| a["rule"]["id"].as_str()).collect();
    for a in &alerts {
        assert!(a["rule"]["title"].is_string() && a["rule"]["level"].is_string(), "{a}");
    }
    // Flat JSON lines: the comsvcs dump, with the event it fired on.
    let comsvcs = alerts.iter().find(|a| a["rule"]["id"] == "646ea171-dded-4578-8a4d-65e9822892e3").expect("comsvcs rule fires");
    assert!(comsvcs["CommandLine"].as_str().is_some_and(|c| c.to_lowercase().contains("comsvcs")), "{comsvcs}");
    // Windows event exports, pretty-printed: each case's rule fires, on a Windows event.
    for (id, _) in &cases {
        assert!(fired.contains(id.as_str()), "{id} did not fire; fired: {fired:?}");
        let alert = alerts.iter().find(|a| a["rule"]["id"] == *id).expect("alert");
        assert!(alert["EventID"].is_i64() && alert["Channel"].is_string(), "{alert}");
    }
    // The summary: a line per rule that fired, with its hits; the bad record, with where.
    for id in &fired {
        let hits = alerts.iter().filter(|a| a["rule"]["id"] == *id).count();
        assert!(stderr.lines().any(|l| l.contains(id) && l.trim_start().starts_with(&hits.to_string())), "{id}: {hits}\n{stderr}");
    }
    assert!(stderr.contains("broken.json line 2"), "{stderr}");
    assert!(stderr.contains("1 unreadable records"), "{stderr}");
}

/// A rule that has to search a long command line for 300 strings, all present: whatever the
/// engine's index does, evaluating it on its own means 300 searches.
fn expensive_rule() -> String {
    let tokens: String = (0..300).rev().map(|i| format!("      - 'tok{i:03}x'\n")).collect();
    format!(
        "title: Many substrings\nid: 00000000-0000-4000-8000-00000000dea1\nstatus: test\nlevel: low\nlogsource:\n  product: test\ndetection:\n  selection:\n    CommandLine|contains|all:\n{tokens}  condition: selection\n"
    )
}

const CHEAP_RULE: &str = "title: One field\nid: 00000000-0000-4000-8000-0000000c4ea9\nstatus: test\nlevel: low\nlogsource:\n  product: test\ndetection:\n  selection:\n    EventID: 4625\n  condition: selection\n";

#[test]
fn a_deliberately_expensive_rule_ranks_first_by_cost_in_the_summary_and_in_metrics() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("rules")).expect("rules dir");
    std::fs::write(dir.path().join("rules/expensive.yml"), expensive_rule()).expect("rule");
    std::fs::write(dir.path().join("rules/cheap.yml"), CHEAP_RULE).expect("rule");
    let command_line: String = (0..300).map(|i| format!("tok{i:03}x ")).collect();
    let events = 40;
    let input = dir.path().join("events.json");
    let lines: Vec<String> = (0..events)
        .map(|i| serde_json::json!({"EventID": if i % 4 == 0 { 4625 } else { 4624 }, "CommandLine": command_line}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").expect("input");
    let config = dir.path().join("logsift.toml");
    std::fs::write(
        &config,
        "[[pipeline]]\nplugin = \"json\"\n[[pipeline]]\nplugin = \"sigma\"\nrules = [\"rules\"]\n[pipeline.settings]\ncost_sample_every = 1\n",
    )
    .expect("config");
    let mut settings = support::load_settings(&config);
    settings.reload.watch = false;
    let summary = logsift::run_files(&settings, vec![input], std::io::sink()).expect("run");

    let (expensive, cheap) = ("00000000-0000-4000-8000-00000000dea1", "00000000-0000-4000-8000-0000000c4ea9");
    let ranked = summary.costs.costliest(10);
    let ids: Vec<&str> = ranked.iter().map(|((id, _), _)| id.as_str()).collect();
    assert_eq!(ids, [expensive, cheap], "{ranked:?}");
    // Every event was sampled (cost_sample_every = 1), each rule evaluated on it once.
    assert!(ranked.iter().all(|(_, t)| t.evaluations == events), "{ranked:?}");
    assert!(ranked[0].1.mean_ns() > 5.0 * ranked[1].1.mean_ns(), "{ranked:?}");
    // Both rules hit: the noisiest first in the hits list, the costliest first in the costs.
    assert_eq!(summary.rules[&(expensive.to_owned(), false)].hits, events);
    assert_eq!(summary.rules[&(cheap.to_owned(), false)].hits, events / 4);
    let text = summary.to_string();
    let costs = text.split("costliest rules").nth(1).unwrap_or_else(|| panic!("no costliest rules in the summary:\n{text}"));
    let first = costs.lines().nth(1).expect("a rule line");
    assert!(first.contains(expensive), "{text}");

    // The same measurements through /metrics: seconds and evaluations per rule.
    let metrics = logsift::metrics::Metrics::default();
    let out = logsift::pipeline::ChainOutput {
        costs: summary
            .costs
            .costliest(10)
            .into_iter()
            .map(|((id, shadow), t)| logsift::pipeline::RuleCost {
                rule_id: id.clone(),
                stage: std::sync::Arc::from("sigma"),
                shadow: *shadow,
                evaluations: t.evaluations,
                nanos: t.nanos,
            })
            .collect(),
        ..Default::default()
    };
    metrics.record_batch(&[], &[], &out);
    let text = metrics.encode();
    let line = |name: &str, rule: &str| {
        text.lines()
            .find(|l| l.starts_with(name) && l.contains(rule) && l.contains("mode=\"live\""))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or_else(|| panic!("{name} for {rule} in\n{text}"))
    };
    assert_eq!(line("logsift_rule_cost_evaluations_total", expensive), events as f64);
    assert!(line("logsift_rule_cost_seconds_total", expensive) > line("logsift_rule_cost_seconds_total", cheap) * 5.0, "{text}");
}

#[test]
fn rule_costs_are_not_measured_when_sampling_is_off() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("rules")).expect("rules dir");
    std::fs::write(dir.path().join("rules/cheap.yml"), CHEAP_RULE).expect("rule");
    let input = dir.path().join("events.json");
    std::fs::write(&input, "{\"EventID\": 4625}\n{\"EventID\": 4624}\n").expect("input");
    let config = dir.path().join("logsift.toml");
    let stage = "[[pipeline]]\nplugin = \"json\"\n[[pipeline]]\nplugin = \"sigma\"\nrules = [\"rules\"]\n";
    for (settings, measured) in [("", 1), ("[pipeline.settings]\ncost_sample_every = 0\n", 0)] {
        std::fs::write(&config, format!("{stage}{settings}")).expect("config");
        let mut settings = support::load_settings(&config);
        settings.reload.watch = false;
        let summary = logsift::run_files(&settings, vec![input.clone()], std::io::sink()).expect("run");
        // By default the first event is sampled; with 0, none.
        assert_eq!(summary.costs.costliest(10).iter().map(|(_, t)| t.evaluations).sum::<u64>(), measured);
        assert_eq!(summary.rules.values().map(|r| r.hits).sum::<u64>(), 1);
    }
}
