//! A detector for a password guess that worked: at least `failures` failed SSH logins from
//! one source address within `within_secs`, then a successful login from that address
//! within `success_within_secs` of the last failure, raises one critical alert (ATT&CK
//! T1110, brute force, and what follows it).
//!
//! It reads the fields the `syslog` parser sets on sshd's `Failed …` and `Accepted …` lines
//! (`process.name` = `sshd`, `event.action` = `ssh_login`, `event.outcome`, `source.ip`,
//! `user.name`, `@timestamp`), so PAM's lines about the same attempts are not counted twice.
//! Time is the event's `@timestamp`, in whole seconds, so a replay raises the same alerts;
//! an event without one, or without an IP address in `source.ip`, is not counted.
//!
//! The alert (rule [`RULE_ID`], tags `attack.credential-access`, `attack.t1110`) is raised on
//! the success and carries `source.ip`, `user.name` (the account that logged in) and
//! `failures`: the failure that completed the run, the `failures - 1` before it, and each
//! one after it while the run held.
//!
//! State is the SDK's [`state`](logsift_sdk::state) helpers: a [`Threshold`] per source for
//! the failures and a [`Sequence`] for "then a success". Both hold at most `max_sources`
//! addresses, evicting the least recently seen (which then starts over), and keep
//! `failures` timestamps per address, so memory is bounded whatever the input. After an
//! alert the source starts over: another alert needs another run of failures.

use std::net::IpAddr;

use logsift_sdk::state::{Match, Sequence, Threshold};
use logsift_sdk::{Alert, Context, Event, Kind, Level, Metadata, Outcome, Plugin, Settings, Value};
use serde::Deserialize;

/// The rule id every alert of this detector carries.
pub const RULE_ID: &str = "logsift.sshd.bruteforce-success";

/// How many login events pass between two sweeps of expired state.
const SWEEP_EVERY: u32 = 4096;

/// Settings, e.g. `{"failures": 10, "within_secs": 300}`; every key is optional.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BruteforceConfig {
    /// Failed logins from one source that make a run (N). Default 5.
    pub failures: u64,
    /// The window, in seconds, the N failures must fall within. Default 600.
    pub within_secs: u64,
    /// How soon, in seconds, after the last failure the success must come. Default 600.
    pub success_within_secs: u64,
    /// The most source addresses remembered. Default 100,000.
    pub max_sources: usize,
}

impl Default for BruteforceConfig {
    fn default() -> Self {
        BruteforceConfig { failures: 5, within_secs: 600, success_within_secs: 600, max_sources: 100_000 }
    }
}

impl BruteforceConfig {
    /// Checks the settings and builds the detector; every value must be at least 1.
    pub fn build(self) -> Result<SshBruteforce, String> {
        let values = [
            ("failures", self.failures),
            ("within_secs", self.within_secs),
            ("success_within_secs", self.success_within_secs),
            ("max_sources", self.max_sources as u64),
        ];
        if let Some((name, _)) = values.iter().find(|(_, value)| *value == 0) {
            return Err(format!("invalid settings: {name} must be at least 1"));
        }
        Ok(SshBruteforce {
            failures: self.failures,
            runs: Threshold::new(self.failures, self.within_secs, self.max_sources),
            then_success: Sequence::new(self.success_within_secs, self.max_sources),
            newest: i64::MIN,
            until_sweep: SWEEP_EVERY,
        })
    }
}

/// Alerts on a successful sshd login from a source right after a run of failed ones.
pub struct SshBruteforce {
    failures: u64,
    /// Failed logins per source; fires while the source has a run of `failures`.
    runs: Threshold<IpAddr>,
    /// Opened (and extended) by each failure while the run holds; closed by a success.
    then_success: Sequence<IpAddr>,
    /// The newest event time seen, in seconds: what sweeps measure expiry against.
    newest: i64,
    until_sweep: u32,
}

/// One sshd login attempt.
struct Attempt {
    source: IpAddr,
    /// Event time, seconds since the epoch.
    at: i64,
    succeeded: bool,
}

impl Attempt {
    /// The attempt an event records, if it is an sshd login with a time and an address.
    fn read(event: &Event<'_>) -> Option<Attempt> {
        if event.get_str("process.name") != Some("sshd") || event.get_str("event.action") != Some("ssh_login") {
            return None;
        }
        let succeeded = match event.get_str("event.outcome")? {
            "failure" => false,
            "success" => true,
            _ => return None,
        };
        let source = match event.get("source.ip")? {
            Value::Ip(ip) => *ip,
            Value::Str(text) => text.parse().ok()?,
            _ => return None,
        };
        let at = event.timestamp_secs()?;
        Some(Attempt { source, at, succeeded })
    }
}

impl SshBruteforce {
    /// Counts one attempt; the match when it is the success that completes a run.
    fn observe(&mut self, attempt: &Attempt) -> Option<Match> {
        self.newest = self.newest.max(attempt.at);
        self.until_sweep -= 1;
        if self.until_sweep == 0 {
            self.until_sweep = SWEEP_EVERY;
            self.runs.sweep(self.newest);
            self.then_success.sweep(self.newest);
        }
        if !attempt.succeeded {
            if self.runs.hit(&attempt.source, attempt.at) {
                self.then_success.first(&attempt.source, attempt.at);
            }
            return None;
        }
        let matched = self.then_success.then(&attempt.source, attempt.at)?;
        self.runs.reset(&attempt.source);
        Some(matched)
    }

    /// The alert for a success that completed a run.
    fn alert(&self, source: IpAddr, matched: &Match, event: &Event<'_>) -> Alert {
        // The failure that reached N opened the sequence; each later one extended it.
        let failures = self.failures - 1 + matched.firsts;
        let mut alert =
            Alert::new(RULE_ID, format!("Successful SSH login from {source} after {failures} failed attempts"), Level::Critical)
                .with_tags(["attack.credential-access", "attack.t1110"])
                .with_status("experimental")
                .with_detail("source.ip", source.to_string());
        if let Some(user) = event.get_str("user.name") {
            alert = alert.with_detail("user.name", user);
        }
        alert.with_detail("failures", failures.to_string())
    }
}

impl Plugin for SshBruteforce {
    const METADATA: Metadata = Metadata::new(
        "ssh-bruteforce",
        env!("CARGO_PKG_VERSION"),
        Kind::Detector,
        "alerts on a successful SSH login from a source right after a run of failed ones",
    );

    fn init(settings: Settings) -> Result<Self, String> {
        settings.parse::<BruteforceConfig>()?.build()
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        if let Some(attempt) = Attempt::read(event)
            && let Some(matched) = self.observe(&attempt)
        {
            ctx.alert(self.alert(attempt.source, &matched, event));
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(SshBruteforce);
