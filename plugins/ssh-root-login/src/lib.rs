//! A detector that raises one alert per failed SSH password login for `root`.
//!
//! It reads the fields the `syslog` parser sets on sshd lines (`process.name`,
//! `event.action`, `event.outcome`, `sshd.auth.method`, `user.name`), so PAM's lines about
//! the same attempt (a different `event.action`) never double the count. Password guessing
//! against root is ATT&CK T1110.001.

use logsift_sdk::{Alert, Context, Event, Kind, Level, Metadata, Outcome, Plugin, Settings};
use serde::Deserialize;

/// The rule id every alert of this detector carries.
pub const RULE_ID: &str = "logsift.sshd.failed-root-password";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct RuleSettings {
    /// The account to watch.
    user: String,
    /// The alert level.
    level: String,
}

impl Default for RuleSettings {
    fn default() -> Self {
        RuleSettings { user: "root".into(), level: "medium".into() }
    }
}

/// Alerts on failed sshd password logins for one account (root by default).
pub struct SshRootLogin {
    user: String,
    level: Level,
}

fn level(name: &str) -> Result<Level, String> {
    Level::from_name(name).ok_or_else(|| format!("unknown level {name:?}: use informational, low, medium, high or critical"))
}

impl Plugin for SshRootLogin {
    const METADATA: Metadata =
        Metadata::new("ssh-root-login", env!("CARGO_PKG_VERSION"), Kind::Detector, "alerts on failed SSH password logins for root");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: RuleSettings = settings.parse()?;
        Ok(SshRootLogin { level: level(&settings.level)?, user: settings.user })
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        let fired = event.get_str("process.name") == Some("sshd")
            && event.get_str("event.action") == Some("ssh_login")
            && event.get_str("event.outcome") == Some("failure")
            && event.get_str("sshd.auth.method") == Some("password")
            && event.get_str("user.name") == Some(self.user.as_str());
        if fired {
            let mut alert = Alert::new(RULE_ID, format!("Failed SSH password login for {}", self.user), self.level)
                .with_tags(["attack.credential-access", "attack.t1110.001"])
                .with_status("stable");
            if let Some(ip) = event.get("source.ip") {
                alert = alert.with_detail("source.ip", ip.to_string());
            }
            ctx.alert(alert);
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(SshRootLogin);
