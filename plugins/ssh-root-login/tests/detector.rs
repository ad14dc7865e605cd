//! The detector fires once per failed sshd password login for the watched account, and
//! never on the PAM lines, successes or other users about the same attempts.

use logsift_sdk::testing::{events_batch, plugin, run};
use logsift_sdk::{Level, Value};
use logsift_ssh_root_login::{RULE_ID, SshRootLogin};

fn sshd(action: &str, outcome: &str, method: Option<&str>, user: &str) -> Vec<(&'static str, Value<'static>)> {
    let mut fields = vec![
        ("process.name", Value::from("sshd")),
        ("event.action", Value::from(action.to_owned())),
        ("event.outcome", Value::from(outcome.to_owned())),
        ("user.name", Value::from(user.to_owned())),
        ("source.ip", Value::Ip("192.0.2.7".parse().unwrap())),
    ];
    if let Some(m) = method {
        fields.push(("sshd.auth.method", Value::from(m.to_owned())));
    }
    fields
}

#[test]
fn a_failed_root_password_raises_one_alert_with_the_source_address() {
    let mut p: SshRootLogin = plugin("{}");
    let results = run(&mut p, &events_batch(&[sshd("ssh_login", "failure", Some("password"), "root")]));
    assert_eq!(results[0].alerts.len(), 1);
    let alert = &results[0].alerts[0];
    assert_eq!(alert.rule_id, RULE_ID);
    assert_eq!(alert.level, Level::Medium);
    assert_eq!(alert.tags, ["attack.credential-access", "attack.t1110.001"]);
    assert_eq!(alert.details, [("source.ip".to_owned(), "192.0.2.7".to_owned())]);
    assert!(results[0].event().is_some(), "the event passes on unchanged");
}

#[test]
fn pam_lines_successes_other_methods_and_other_users_raise_nothing() {
    let mut p: SshRootLogin = plugin("{}");
    let quiet = [
        sshd("pam_authentication_failure", "failure", None, "root"),
        sshd("ssh_login", "success", Some("password"), "root"),
        sshd("ssh_login", "failure", Some("publickey"), "root"),
        sshd("ssh_login", "failure", Some("password"), "admin"),
    ];
    for result in run(&mut p, &events_batch(&quiet)) {
        assert!(result.alerts.is_empty(), "{result:?}");
    }
}

#[test]
fn the_account_and_level_are_settings_and_bad_ones_are_refused() {
    let mut p: SshRootLogin = plugin(r#"{"user": "admin", "level": "high"}"#);
    let results = run(&mut p, &events_batch(&[sshd("ssh_login", "failure", Some("password"), "admin")]));
    assert_eq!(results[0].alerts[0].level, Level::High);
    assert_eq!(results[0].alerts[0].title, "Failed SSH password login for admin");
    let refused = <SshRootLogin as logsift_sdk::Plugin>::init(logsift_sdk::Settings::from_json(r#"{"level": "severe"}"#).unwrap());
    assert!(refused.is_err_and(|e| e.contains("unknown level \"severe\"")));
}
