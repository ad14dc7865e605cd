//! __NAME__: raises an alert for each failed SSH login for a watched account.
//!
//! It reads the fields logsift's `syslog` parser sets on sshd lines. Change `process` to
//! detect what you need; `logsift test __NAME__` runs the tests in `tests/`.

use logsift_sdk::{Alert, Context, Event, Kind, Level, Metadata, Outcome, Plugin, Settings};
use serde::Deserialize;

/// Settings from the stage's `[pipeline.settings]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    /// The accounts to watch.
    accounts: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config { accounts: vec!["root".into(), "admin".into()] }
    }
}

/// The detector.
pub struct __TYPE__ {
    accounts: Vec<String>,
}

impl Plugin for __TYPE__ {
    const METADATA: Metadata = Metadata::new("__NAME__", env!("CARGO_PKG_VERSION"), Kind::Detector, "failed SSH logins for watched accounts");

    fn init(settings: Settings) -> Result<Self, String> {
        let config: Config = settings.parse()?;
        Ok(__TYPE__ { accounts: config.accounts })
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        let failed_login = event.get_str("process.name") == Some("sshd")
            && event.get_str("event.action") == Some("ssh_login")
            && event.get_str("event.outcome") == Some("failure");
        let user = event.get_str("user.name").unwrap_or_default();
        if failed_login && self.accounts.iter().any(|a| a == user) {
            let alert = Alert::new("__NAME__.failed-login", format!("Failed SSH login for {user}"), Level::Medium)
                .with_tags(["attack.credential-access", "attack.t1110"]);
            ctx.alert(alert);
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(__TYPE__);

#[cfg(test)]
mod tests {
    use logsift_sdk::{Value, testing};

    #[test]
    fn a_watched_account_fires_and_another_does_not() {
        let mut plugin: super::__TYPE__ = testing::plugin("{}");
        let login = |user: &'static str| {
            vec![
                ("process.name", Value::from("sshd")),
                ("event.action", Value::from("ssh_login")),
                ("event.outcome", Value::from("failure")),
                ("user.name", Value::from(user)),
            ]
        };
        let results = testing::run(&mut plugin, &testing::events_batch(&[login("root"), login("alice")]));
        assert_eq!(results[0].alerts.len(), 1);
        assert!(results[1].alerts.is_empty());
    }
}
