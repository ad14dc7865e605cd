//! The Sigma detector on SigmaHQ's own corpus and regression cases (`../shared/sigma/`):
//! the whole corpus loads, and every regression event makes its rule fire as many times as
//! SigmaHQ says.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use logsift_sdk::Value;
use logsift_sdk::testing::{self, shared_data};
use logsift_sigma::{RuleFile, Sigma};

#[path = "../../../tests/support/thor.rs"]
mod thor;

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir).expect("rules dir").map(|e| e.expect("entry").path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
            out.push(path);
        }
    }
}

/// Every rule file of the corpus, as the host would hand them over.
fn corpus(root: &Path) -> Vec<RuleFile> {
    let mut files = Vec::new();
    for dir in ["rules", "rules-emerging-threats", "rules-threat-hunting"] {
        yaml_files(&root.join(dir), &mut files);
    }
    files
        .into_iter()
        .map(|p| RuleFile { path: p.display().to_string(), text: std::fs::read_to_string(&p).expect("rule file"), previous: vec![] })
        .collect()
}

fn settings(files: &[RuleFile]) -> String {
    settings_with(files, serde_json::json!([]))
}

fn settings_with(files: &[RuleFile], logsources: serde_json::Value) -> String {
    let rules: Vec<_> = files.iter().map(|f| serde_json::json!({"path": f.path, "text": f.text})).collect();
    serde_json::json!({ "rules": rules, "logsources": logsources }).to_string()
}

/// A Windows event from its XML-as-JSON form, flattened the way Sigma's Windows rules name
/// fields: `EventID`, `Channel`, `Provider_Name`, `Computer` and every `EventData` entry.
fn flatten(event: &serde_json::Value) -> Vec<(String, Value<'static>)> {
    let mut fields = Vec::new();
    let scalar = |v: &serde_json::Value| -> Option<Value<'static>> {
        Some(match v {
            serde_json::Value::String(s) => Value::from(s.clone()),
            serde_json::Value::Number(n) => n.as_i64().map(Value::from).unwrap_or_else(|| Value::from(n.to_string())),
            serde_json::Value::Bool(b) => Value::from(*b),
            serde_json::Value::Null => Value::Null,
            _ => return None,
        })
    };
    let system = &event["Event"]["System"];
    for key in ["EventID", "Channel", "Computer"] {
        if let Some(v) = system.get(key).and_then(scalar) {
            fields.push((key.to_owned(), v));
        }
    }
    if let Some(name) = system["Provider"]["#attributes"]["Name"].as_str() {
        fields.push(("Provider_Name".to_owned(), Value::from(name.to_owned())));
    }
    // EventData entries by name (spaces dropped: Defender's "Source Name" is Sigma's
    // `SourceName`); UserData holds one element whose children are the fields.
    let user_data = event["Event"]["UserData"].as_object().and_then(|u| u.values().find_map(|v| v.as_object()));
    for data in [event["Event"]["EventData"].as_object(), user_data].into_iter().flatten() {
        for (key, value) in data {
            if let Some(v) = scalar(value).filter(|_| !key.starts_with('#')) {
                fields.push((key.replace(' ', ""), v));
            }
        }
    }
    fields
}

struct Case {
    rule_id: String,
    /// How many events the rule must fire on at least; `None` (not given): one.
    match_count: Option<usize>,
    events: Vec<serde_json::Value>,
}

fn cases(root: &Path) -> Vec<Case> {
    let mut infos = Vec::new();
    fn find(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                find(&path, out);
            } else if path.file_name().is_some_and(|n| n == "info.yml") {
                out.push(path);
            }
        }
    }
    find(&root.join("regression_data"), &mut infos);
    infos.sort();
    infos
        .iter()
        .map(|info| {
            let text = std::fs::read_to_string(info).expect("info.yml");
            let field = |key: &str| text.lines().find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_owned()));
            let rule_id = field("- id:").unwrap_or_else(|| panic!("no rule id in {}", info.display()));
            let match_count = field("match_count:").map(|n| n.parse().expect("match_count"));
            let json = std::fs::read_to_string(info.with_file_name(format!("{rule_id}.json"))).expect("event file");
            let events =
                serde_json::Deserializer::from_str(&json).into_iter::<serde_json::Value>().map(|e| e.expect("event JSON")).collect();
            Case { rule_id, match_count, events }
        })
        .collect()
}

/// Regression cases whose event file holds more events that meet the rule than its
/// `match_count` (1) says, with how many do:
/// - `0b9ad457…` (AnyDesk): three of the five events name `user.conf`;
/// - `45e112d0…` (security zones): all three events set a `ZoneMap\Domains\` value to a
///   zone other than 0, 1 or empty;
/// - `c7dcacd0…` (administrative shares): the two events set `AutoShareServer` and
///   `AutoShareWks` to 0, and the rule names both.
const MORE_THAN_COUNTED: [(&str, usize); 3] =
    [("0b9ad457-2554-44c1-82c2-d56a99c42377", 3), ("45e112d0-7759-4c2a-aa36-9f8fb79d3393", 3), ("c7dcacd0-cc59-4004-b0a4-1d6cdebe6f3e", 2)];

#[test]
fn the_sigmahq_corpus_loads_and_every_regression_case_fires_its_rule() {
    let Some(root) = shared_data("sigma") else { return };
    let files = corpus(&root);
    let started = Instant::now();
    let routes = thor::routes(&root);
    let mut sigma: Sigma = testing::plugin(&settings_with(&files, routes.clone()));
    let (loaded, refused) = (sigma.rules().loaded, sigma.rules().refused.len());
    eprintln!("{} rule files: {loaded} rules loaded, {refused} refused, in {:?} (native test build)", files.len(), started.elapsed());
    eprintln!("load rate over the whole corpus: {:.1} %", 100.0 * loaded as f64 / (loaded + refused) as f64);
    // The logsources the routes cover (Windows channels by service and category): the
    // rules for them that load, against those refused (a refused rule counts as covered).
    let covered: std::collections::BTreeSet<&str> = routes
        .as_array()
        .expect("routes")
        .iter()
        .flat_map(|r| [r["logsource"]["service"].as_str(), r["logsource"]["category"].as_str()])
        .flatten()
        .collect();
    let routed = sigma
        .rules()
        .engine
        .rules()
        .iter()
        .filter(|r| [&r.logsource.service, &r.logsource.category].iter().any(|d| d.as_deref().is_some_and(|d| covered.contains(d))))
        .count();
    eprintln!(
        "load rate over the routed logsources ({} services and categories): {routed} rules loaded, {refused} refused at most: {:.1} %",
        covered.len(),
        100.0 * routed as f64 / (routed + refused) as f64
    );
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    for r in &sigma.rules().refused {
        *reasons.entry(r.reason.split(':').next().unwrap_or_default().to_owned()).or_default() += 1;
    }
    eprintln!("refusals by reason: {reasons:?}");
    assert!(files.len() > 3_000, "the corpus is there");
    assert!(sigma.rules().loaded > 3_000, "nearly every rule loads: {:?}", &sigma.rules().refused[..sigma.rules().refused.len().min(5)]);

    let cases = cases(&root);
    assert!(cases.len() >= 100);
    let mut failures = BTreeMap::new();
    for case in &cases {
        let events: Vec<Vec<(String, Value<'static>)>> = case.events.iter().map(flatten).collect();
        let borrowed: Vec<Vec<(&str, Value<'_>)>> =
            events.iter().map(|e| e.iter().map(|(k, v)| (k.as_str(), v.clone())).collect()).collect();
        let results = testing::run(&mut sigma, &testing::events_batch(&borrowed));
        let fired = results.iter().flat_map(|r| &r.alerts).filter(|a| a.rule_id == case.rule_id).count();
        // Exactly as often as SigmaHQ counts, except where the event file holds more events
        // that meet the rule than the count says (checked by hand, see MORE_THAN_COUNTED).
        let expected = case.match_count.unwrap_or(1);
        let as_expected = match MORE_THAN_COUNTED.iter().find(|(id, _)| *id == case.rule_id) {
            Some((_, matching)) => fired == *matching,
            None => fired == expected,
        };
        if !as_expected {
            failures.insert(case.rule_id.clone(), (expected, fired));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} regression cases did not fire as expected (rule: (expected, fired)): {failures:?}",
        failures.len(),
        cases.len()
    );
}

#[test]
fn a_broken_rule_is_refused_alone_with_its_file_and_reason() {
    let good = "title: Whoami\nid: 11111111-1111-1111-1111-111111111111\nlogsource:\n  product: linux\ndetection:\n  sel:\n    CommandLine|contains: whoami\n  condition: sel\nlevel: high\ntags:\n  - attack.t1033\n";
    let files = [
        RuleFile { path: "good.yml".into(), text: good.into(), previous: vec![] },
        RuleFile { path: "bad-yaml.yml".into(), text: "title: [unclosed\n".into(), previous: vec![] },
        RuleFile {
            path: "bad-modifier.yml".into(),
            text: good.replace("contains", "nosuchmodifier").replace("1111", "2222"),
            previous: vec![],
        },
    ];
    let mut sigma: Sigma = testing::plugin(&settings(&files));
    assert_eq!(sigma.rules().loaded, 1);
    let refused: Vec<&str> = sigma.rules().refused.iter().map(|r| r.path.as_str()).collect();
    assert_eq!(refused, ["bad-yaml.yml", "bad-modifier.yml"], "{:?}", sigma.rules().refused);
    assert!(sigma.rules().refused[1].reason.to_lowercase().contains("nosuchmodifier"), "{:?}", sigma.rules().refused[1]);

    let results = testing::run(
        &mut sigma,
        &testing::events_batch(&[vec![("CommandLine", Value::from("sh -c WHOAMI"))], vec![("CommandLine", Value::from("id"))]]),
    );
    let alert = &results[0].alerts[0];
    assert_eq!(alert.rule_id, "11111111-1111-1111-1111-111111111111");
    assert_eq!((alert.title.as_str(), alert.level), ("Whoami", logsift_sdk::Level::High));
    assert_eq!(alert.tags, ["attack.t1033"]);
    assert!(alert.details.contains(&("sigma.selections".into(), "sel".into())), "{:?}", alert.details);
    assert!(results[1].alerts.is_empty(), "matching is case-insensitive, and only on a match");
}

#[test]
fn field_mapping_lets_a_sysmon_rule_match_an_ecs_event() {
    let rule = "title: Certutil download\nid: 33333333-3333-3333-3333-333333333333\nlogsource:\n  category: process_creation\n  product: windows\ndetection:\n  sel:\n    Image|endswith: '\\certutil.exe'\n    CommandLine|contains: urlcache\n  condition: sel\nlevel: high\n";
    let files = [RuleFile { path: "certutil.yml".into(), text: rule.into(), previous: vec![] }];
    let rules: Vec<_> = files.iter().map(|f| serde_json::json!({"path": f.path, "text": f.text})).collect();
    let settings =
        serde_json::json!({"rules": rules, "field_mapping": {"Image": "process.executable", "CommandLine": "process.command_line"}})
            .to_string();
    let mut sigma: Sigma = testing::plugin(&settings);
    let event = vec![
        ("process.executable", Value::from("C:\\Windows\\System32\\certutil.exe")),
        ("process.command_line", Value::from("certutil -urlcache -f http://x/a.exe")),
    ];
    let results = testing::run(&mut sigma, &testing::events_batch(&[event]));
    assert_eq!(results[0].alerts.len(), 1);
}

#[test]
fn repeated_alerts_are_throttled_per_rule_and_key_in_event_time() {
    let rule = "title: Whoami\nid: 44444444-4444-4444-4444-444444444444\nlogsource:\n  product: linux\ndetection:\n  sel:\n    CommandLine|contains: whoami\n  condition: sel\nlevel: low\n";
    let settings = serde_json::json!({
        "rules": [{"path": "whoami.yml", "text": rule}],
        "throttle": {"seconds": 60, "by": ["user.name"]},
    })
    .to_string();
    let mut sigma: Sigma = testing::plugin(&settings);
    let at = |s: i64, user: &'static str| {
        vec![("@timestamp", Value::Timestamp(s * 1_000_000_000)), ("user.name", Value::from(user)), ("CommandLine", Value::from("whoami"))]
    };
    let batch = testing::events_batch(&[at(0, "alice"), at(5, "alice"), at(6, "bob"), at(30, "alice"), at(61, "alice")]);
    let alerts: Vec<Vec<String>> = testing::run(&mut sigma, &batch)
        .iter()
        .map(|r| {
            r.alerts
                .iter()
                .map(|a| a.details.iter().find(|(k, _)| k == "sigma.suppressed").map_or("0".into(), |(_, v)| v.clone()))
                .collect()
        })
        .collect();
    assert_eq!(
        alerts,
        [vec!["0".to_owned()], vec![], vec!["0".to_owned()], vec![], vec!["2".to_owned()]],
        "alice's repeats within 60 s are held, and counted in her next alert"
    );
}
