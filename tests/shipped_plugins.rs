//! Each plugin we ship behaves the same as a sandboxed component as it does compiled
//! natively: every line of the real sample logs gives the same fields, the same
//! rejections and the same drops through the host as through the SDK in-process.

mod support;

use logsift::pipeline::{Chain, RejectPolicy, StageOptions};
use logsift::wasm::Limits;
use logsift_event::{EventView, Value};
use logsift_sdk::Plugin;
use logsift_sdk::testing::{self, Fate};
use serde_json::json;
use support::{Sandbox, dead_letters, records, shared_lines};

type Fields = Vec<(String, Value<'static>)>;

fn decode(frame: &[u8]) -> Fields {
    let view = EventView::from_frame(frame).unwrap();
    view.decode_all().unwrap().into_iter().map(|(n, v)| (n.to_owned(), v.into_owned())).collect()
}

/// Runs `lines` through the native plugin and through the component, and compares.
/// Returns (events, rejects, drops) for the caller's own expectations.
fn assert_wasm_matches_native<P: Plugin>(component: &str, settings: serde_json::Value, lines: &[String]) -> (usize, usize, usize) {
    let mut native = testing::plugin::<P>(&settings.to_string());
    let expected = testing::run_lines(&mut native, lines);

    let sandbox = Sandbox::new();
    let mut chain = sandbox.chain(component, settings, Limits::default(), StageOptions::default());
    let out = chain.process(&records("test.log", lines));
    let mut events: Vec<Vec<Fields>> = vec![Vec::new(); lines.len()];
    for (source, frame) in out.events.iter() {
        events[source as usize].push(decode(frame));
    }
    let mut rejected: Vec<Option<String>> = vec![None; lines.len()];
    for (source, plugin, reason) in dead_letters(&out) {
        assert_eq!(plugin, component);
        rejected[source as usize] = Some(reason);
    }

    let (mut n_events, mut n_rejects, mut n_drops) = (0, 0, 0);
    for (i, want) in expected.iter().enumerate() {
        match &want.fate {
            Fate::Passed(native_events) => {
                let native_fields: Vec<Fields> = native_events.iter().map(|e| e.fields.clone()).collect();
                assert_eq!(events[i], native_fields, "line {}: {}", i + 1, lines[i]);
                n_events += native_events.len();
            }
            Fate::Rejected(reason) => {
                assert_eq!(rejected[i].as_ref(), Some(reason), "line {}: {}", i + 1, lines[i]);
                n_rejects += 1;
            }
            Fate::Dropped => {
                assert!(events[i].is_empty() && rejected[i].is_none(), "line {} should be dropped", i + 1);
                n_drops += 1;
            }
            Fate::Emitted(..) => panic!("parsers do not emit"),
        }
    }
    assert_eq!(chain.stages()[0].stats.faults(), 0);
    (n_events, n_rejects, n_drops)
}

#[test]
fn syslog_component_matches_native_on_every_loghub_line() {
    for file in ["data/loghub/OpenSSH_2k.log", "data/loghub/Linux_2k.log"] {
        let Some(lines) = shared_lines(file) else { return };
        let counts = assert_wasm_matches_native::<logsift_syslog::Syslog>("syslog", json!({"year": 2024}), &lines);
        assert_eq!(counts, (2000, 0, 0), "{file}");
    }
}

#[test]
fn syslog_component_rejects_what_native_rejects() {
    let lines: Vec<String> = ["", "not syslog at all", "<999>Jan  1 00:00:00 h p: m", "Feb 30 10:00:00 host app: bad day"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let (_, rejects, _) = assert_wasm_matches_native::<logsift_syslog::Syslog>("syslog", json!({"year": 2023}), &lines);
    assert!(rejects >= 3, "{rejects}");
}

#[test]
fn weblog_component_matches_native_on_every_web_line() {
    let cases =
        [("data/web/webshell_access_log.txt", 2661, 0), ("data/web/tunna_iis_w3c.log", 4298, 10), ("data/loghub/Apache_2k.log", 2000, 0)];
    for (file, events, drops) in cases {
        let Some(lines) = shared_lines(file) else { return };
        let counts = assert_wasm_matches_native::<logsift_weblog::WebLog>("weblog", json!({}), &lines);
        assert_eq!(counts, (events, 0, drops), "{file}");
    }
}

#[test]
fn json_component_matches_native_on_every_security_dataset_line() {
    let Some(dir) = support::shared_data("data/security-datasets") else { return };
    let mut files: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    files.sort();
    assert_eq!(files.len(), 4);
    let mut total = 0;
    for file in files {
        let lines: Vec<String> = std::fs::read_to_string(&file).unwrap().lines().map(str::to_owned).collect();
        let (events, rejects, _) = assert_wasm_matches_native::<logsift_json::JsonLines>("json", json!({}), &lines);
        assert_eq!((events, rejects), (lines.len(), 0), "{}", file.display());
        total += events;
    }
    assert_eq!(total, 779);
}

/// The component scans JSON strings with code built for wasm32 (words of a different size
/// than natively): an escape, a quote, a multi-byte character or a raw control character at
/// every offset of a string, and of the line, reads as the native build reads it.
#[test]
fn json_component_matches_native_with_an_escape_at_every_offset() {
    let specials = [r#"\""#, r"\\", r"\n", r"\u00e9", r"\ud83d\ude00", "\u{1}", "\u{1f}", "\t", "é", "\u{7f}"];
    let mut lines = Vec::new();
    for special in specials {
        for at in 0..40 {
            let text: String = "a".repeat(at) + special + &"b".repeat(40 - at);
            lines.push(format!(r#"{{"k{at}":"{text}","n":{at}}}"#));
            lines.push(format!(r#"{{"{text}":1}}"#));
            lines.push(format!(r#"{{"k":"{}"}}"#, &text[..at + special.len()]));
        }
    }
    let (events, rejects, _) = assert_wasm_matches_native::<logsift_json::JsonLines>("json", json!({}), &lines);
    // Raw control characters (U+0001, U+001F, tab) are refused inside strings; the rest parse.
    assert_eq!((events, rejects), (7 * 120, 3 * 120));
}

#[test]
fn every_shipped_plugin_starts_its_instances_from_a_snapshot_of_its_init() {
    let sandbox = Sandbox::new();
    let limits = Limits { memory_mb: 512, ..Limits::default() };
    for name in ["passthrough", "json", "syslog", "weblog", "ssh-root-login", "ssh-bruteforce", "sigma"] {
        let plugin = sandbox.load(name, json!({}), limits);
        assert!(plugin.starts_from_snapshot(), "{name} runs init in every instance");
        plugin.instantiate().unwrap_or_else(|e| panic!("{name}: an instance from the snapshot: {e}"));
    }
}

/// The contract's claim rule, kept by the host: a parser is not called on a batch whose
/// every event an earlier parser claimed (`event.dataset` set), and those events go on as
/// the first parser left them; one unclaimed line in the batch and the parser is called, and
/// parses that line.
#[test]
fn a_parser_is_not_called_on_a_batch_an_earlier_parser_claimed_whole() {
    let sandbox = Sandbox::new();
    let pass = StageOptions { on_reject: RejectPolicy::Pass, ..StageOptions::default() };
    let mut chain = Chain::new([
        (sandbox.load("syslog", json!({"year": 2024}), Limits::default()), pass),
        (sandbox.load("weblog", json!({}), Limits::default()), StageOptions::default()),
    ]);
    let dataset = |frame: &[u8]| decode(frame).into_iter().find(|(n, _)| n == "event.dataset").map(|(_, v)| v.to_string());
    let sshd: Vec<String> = support::sshd_lines().into_iter().take(300).collect();
    let out = chain.process(&records("auth.log", &sshd));
    assert_eq!(out.events.len(), 300);
    assert!(out.events.iter().all(|(_, frame)| dataset(frame).as_deref() == Some("syslog")));
    assert_eq!(chain.stages()[1].stats.calls, 0, "the web log parser was not called");
    let web = r#"192.168.105.83 - - [11/Jul/2018:08:41:28 +0300] "GET /manager HTTP/1.1" 302 -"#;
    let mixed: Vec<String> = sshd.iter().take(10).cloned().chain([web.to_owned()]).collect();
    let out = chain.process(&records("mixed.log", &mixed));
    assert_eq!(chain.stages()[1].stats.calls, 1, "one unclaimed line: called");
    let datasets: Vec<Option<String>> = out.events.iter().map(|(_, frame)| dataset(frame)).collect();
    assert_eq!(datasets.len(), 11);
    assert!(datasets[..10].iter().all(|d| d.as_deref() == Some("syslog")), "{datasets:?}");
    assert!(datasets[10].as_deref().is_some_and(|d| d != "syslog"), "the web line parsed by weblog: {datasets:?}");
}
