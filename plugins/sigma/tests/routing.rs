//! Logsource routing (`logsources`): an event meets the rules of every logsource it is
//! routed to, each rule once, and no rule of a logsource it is not.

mod common;

use common::{at_values, fired, sigma};
use logsift_sdk::Value;

/// A rule named `id` for `logsource` (inline YAML), firing on a `Run` key.
fn rule(id: &str, logsource: &str) -> String {
    format!(
        "title: {id}\nid: {id}\nlogsource: {logsource}\ndetection:\n    sel:\n        TargetObject|contains: '\\Run\\'\n    condition: sel\nlevel: low\n"
    )
}

/// Per event, the ids of the rules that fired (sorted), with `rules` (`(path, text)`) loaded
/// under `routes` (the `logsources` setting).
fn fired_routed(rules: &[(&str, String)], routes: serde_json::Value, events: &[Vec<(&'static str, Value<'static>)>]) -> Vec<Vec<String>> {
    let rules: Vec<(&str, &str)> = rules.iter().map(|(path, text)| (*path, text.as_str())).collect();
    let mut plugin = sigma(&rules, serde_json::json!({ "logsources": routes }));
    let mut fired = fired(&mut plugin, events);
    fired.iter_mut().for_each(|ids| ids.sort());
    fired
}

#[test]
fn an_event_of_two_categories_meets_the_rules_of_both_and_each_rule_once() {
    let rules = [
        ("set.yml", rule("registry-set", "{product: windows, category: registry_set}")),
        ("event.yml", rule("registry-event", "{product: windows, category: registry_event}")),
        ("any.yml", rule("any-windows", "{product: windows}")),
        ("process.yml", rule("process-creation", "{product: windows, category: process_creation}")),
        ("linux.yml", rule("linux", "{product: linux}")),
    ];
    // Sysmon's event 13 is both `registry_set` and `registry_event`.
    let routes = serde_json::json!([
        {"when": {"EventID": 13}, "logsource": {"product": "windows", "service": "sysmon", "category": "registry_set"}},
        {"when": {"EventID": [12, 13, 14]}, "logsource": {"product": "windows", "category": "registry_event"}},
    ]);
    let key = || Value::from(r"HKLM\Software\Microsoft\Windows\CurrentVersion\Run\updater");
    let events = [
        at_values(0, vec![("EventID", Value::Int(13)), ("TargetObject", key())]),
        at_values(0, vec![("EventID", Value::Int(12)), ("TargetObject", key())]),
        // Routed nowhere: no dimension is known, so no rule is pruned.
        at_values(0, vec![("EventID", Value::Int(1)), ("TargetObject", key())]),
    ];
    let fired = fired_routed(&rules, routes, &events);
    assert_eq!(fired[0], ["any-windows", "registry-event", "registry-set"]);
    assert_eq!(fired[1], ["any-windows", "registry-event"]);
    assert_eq!(fired[2], ["any-windows", "linux", "process-creation", "registry-event", "registry-set"]);
}

#[test]
fn keyword_rules_meet_routed_events_whose_logsource_they_fit_and_no_others() {
    let keyword = |id: &str, logsource: &str| {
        format!(
            "title: {id}\nid: {id}\nlogsource: {logsource}\ndetection:\n    keywords:\n        - 'mimikatz'\n    condition: keywords\nlevel: low\n"
        )
    };
    let rules = [
        ("linux.yml", keyword("linux-keyword", "{product: linux}")),
        ("windows.yml", keyword("windows-keyword", "{product: windows, category: process_creation}")),
    ];
    let routes = serde_json::json!([
        {"when": {"EventID": 1}, "logsource": {"product": "windows", "category": "process_creation"}},
        {"when": {"EventID": 4624}, "logsource": {"product": "windows", "service": "security"}},
        {"when": {"EventID": 7}, "logsource": {"product": "windows", "category": "image_load"}},
    ]);
    let command = || Value::from(r"C:\Tools\MIMIKATZ.EXE privilege::debug");
    let events = [
        at_values(0, vec![("EventID", Value::Int(1)), ("CommandLine", command())]),
        at_values(0, vec![("EventID", Value::Int(4624)), ("CommandLine", command())]),
        // Neither keyword rule fits an image load.
        at_values(0, vec![("EventID", Value::Int(7)), ("CommandLine", command())]),
        at_values(0, vec![("EventID", Value::Int(99)), ("CommandLine", command())]),
    ];
    assert_eq!(
        fired_routed(&rules, routes, &events),
        [vec!["windows-keyword"], vec!["windows-keyword"], vec![], vec!["linux-keyword", "windows-keyword"]]
    );
}
