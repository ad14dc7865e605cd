//! Tuning without editing rule files: exceptions per rule, Sigma filter documents, a
//! throttle per rule, disabled rules — and a rule file saved broken keeps its previous
//! version running.

mod common;

use common::{at, fired, sigma};

const WHOAMI: &str = "title: Whoami
id: 30000000-0000-0000-0000-000000000001
logsource: {product: linux, category: process_creation}
detection:
  sel: {CommandLine|contains: whoami}
  condition: sel
level: medium
";

const ID: &str = "30000000-0000-0000-0000-000000000001";

fn run(user: &'static str, s: i64) -> Vec<(&'static str, logsift_sdk::Value<'static>)> {
    at(s, &[("CommandLine", "sh -c whoami"), ("user.name", user), ("host.name", "web-1")])
}

#[test]
fn an_exception_silences_a_rule_only_where_it_matches() {
    let settings = serde_json::json!({"exceptions": [
        {"rule": ID, "match": {"user.name": ["svc_backup", "svc_monitor"], "host.name|startswith": "web-"}, "reason": "inventory agents"},
    ]});
    let mut plugin = sigma(&[("whoami.yml", WHOAMI)], settings);
    let fired = fired(&mut plugin, &[run("alice", 0), run("svc_backup", 1), run("svc_monitor", 2)]);
    assert_eq!(fired, [vec![ID.to_owned()], vec![], vec![]]);
}

#[test]
fn an_exception_naming_another_rule_changes_nothing() {
    let settings = serde_json::json!({"exceptions": [{"rule": "some-other-rule", "match": {"user.name": "alice"}}]});
    let mut plugin = sigma(&[("whoami.yml", WHOAMI)], settings);
    assert_eq!(fired(&mut plugin, &[run("alice", 0)]), [vec![ID.to_owned()]]);
}

#[test]
fn a_malformed_exception_is_refused_with_the_rule_it_names() {
    let settings = serde_json::json!({"exceptions": [{"rule": ID, "match": {"user.name|nosuchmodifier": "x"}}]});
    let plugin = sigma(&[("whoami.yml", WHOAMI)], settings);
    let refusal = &plugin.rules().refused[0];
    assert_eq!((refusal.path.as_str(), refusal.rule.as_deref()), ("exceptions", Some(ID)));
    assert!(refusal.reason.contains("nosuchmodifier"), "{refusal:?}");
}

#[test]
fn a_sigma_filter_document_in_the_rules_applies_to_the_rules_it_names() {
    let filter = format!(
        "title: Admins may\nlogsource: {{product: linux, category: process_creation}}\nfilter:\n  rules: [{ID}]\n  admins: {{user.name: root}}\n  condition: not admins\n"
    );
    let mut plugin = sigma(&[("whoami.yml", WHOAMI), ("filter.yml", &filter)], serde_json::json!({}));
    assert_eq!(fired(&mut plugin, &[run("root", 0), run("alice", 1)]), [vec![], vec![ID.to_owned()]]);
}

#[test]
fn a_rule_can_have_its_own_throttle() {
    let other = WHOAMI.replace("whoami", "hostname").replace("0001", "0002");
    let settings = serde_json::json!({"throttle": {"seconds": 0, "rules": {ID: {"seconds": 60, "by": ["user.name"]}}}});
    let mut plugin = sigma(&[("whoami.yml", WHOAMI), ("hostname.yml", &other)], settings);
    let both = |user, s| at(s, &[("CommandLine", "whoami; hostname"), ("user.name", user)]);
    let fired = fired(&mut plugin, &[both("alice", 0), both("alice", 10), both("bob", 11)]);
    let count = |id: &str| fired.iter().map(|ids| ids.iter().filter(|i| *i == id).count()).collect::<Vec<_>>();
    assert_eq!(count(ID), [1, 0, 1], "whoami: once per user per minute");
    assert_eq!(count("30000000-0000-0000-0000-000000000002"), [1, 1, 1], "hostname: not throttled");
}

#[test]
fn a_disabled_rule_does_not_run() {
    let mut plugin = sigma(&[("whoami.yml", WHOAMI)], serde_json::json!({"disabled": [ID]}));
    assert_eq!(plugin.rules().loaded, 0);
    assert_eq!(fired(&mut plugin, &[run("alice", 0)]), [Vec::<String>::new()]);
}

#[test]
fn a_rule_file_saved_broken_keeps_its_previous_version_running() {
    let edited = WHOAMI.replace("whoami", "hostname");
    let broken = "title: Whoami\nid: 30000000-0000-0000-0000-000000000001\ndetection:\n  sel: {CommandLine|contains: [whoami\n";
    // The newest text is broken; the one before loads: it runs, and the file is reported.
    let settings = serde_json::json!({"rules": [{"path": "whoami.yml", "text": broken, "previous": [edited, WHOAMI]}]});
    let mut plugin: logsift_sigma::Sigma = logsift_sdk::testing::plugin(&settings.to_string());
    assert_eq!(plugin.rules().loaded, 1);
    assert!(plugin.rules().refused.is_empty(), "{:?}", plugin.rules().refused);
    assert_eq!(plugin.rules().kept[0].path, "whoami.yml");
    let hostname = at(0, &[("CommandLine", "hostname")]);
    assert_eq!(fired(&mut plugin, &[hostname, run("alice", 1)]), [vec![ID.to_owned()], vec![]], "the edited version runs");

    // With no earlier text to fall back on, the file is refused.
    let settings = serde_json::json!({"rules": [{"path": "whoami.yml", "text": broken}]});
    let plugin: logsift_sigma::Sigma = logsift_sdk::testing::plugin(&settings.to_string());
    assert_eq!((plugin.rules().loaded, plugin.rules().refused.len()), (0, 1));
}
