//! `logsift new parser|enricher|detector NAME` and `logsift build NAME`: a plugin crate an
//! analyst can build and test on day one. The crate is its own workspace root; its
//! dependencies are pinned exactly (`=`) to the versions logsift is tested with, and it
//! starts from logsift's own `Cargo.lock`, so every crate under it is the version we tested
//! — it builds the same tomorrow. It comes with a working plugin of its kind, a test in the
//! rule-test format (`logsift test NAME` passes out of the box), and a `logsift.toml` that
//! runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// What kind of plugin to start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// Turns raw lines into fields.
    Parser,
    /// Adds fields to parsed events.
    Enricher,
    /// Raises alerts.
    Detector,
}

/// logsift's own lock file: the versions the scaffold pins.
const LOCK: &str = include_str!("../../Cargo.lock");
/// The toolchain logsift is built with (it names the wasm target).
const TOOLCHAIN: &str = include_str!("../../rust-toolchain.toml");

/// The version of `package` in logsift's lock file.
pub fn locked_version(package: &str) -> Option<&'static str> {
    let marker = format!("name = \"{package}\"\nversion = \"");
    let start = LOCK.find(&marker)? + marker.len();
    LOCK[start..].split('"').next()
}

/// Where the SDK is: in the source tree this binary was built from.
pub fn default_sdk() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk")
}

/// The crate name for a plugin name (`my-rule` → `my_rule`, as cargo names the artifact).
fn artifact(name: &str) -> String {
    name.replace('-', "_")
}

fn check_name(name: &str) -> anyhow::Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !ok {
        bail!("{name:?} is not a plugin name: use lowercase letters, digits and dashes, starting with a letter");
    }
    Ok(())
}

fn cargo_toml(name: &str, description: &str, sdk: &Path) -> anyhow::Result<String> {
    let version = |p: &str| locked_version(p).with_context(|| format!("{p} is not in logsift's Cargo.lock"));
    Ok(format!(
        r#"[package]
name = "{name}"
description = "{description}"
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib", "rlib"]

# Pinned exactly: the versions logsift {logsift} is tested with.
[dependencies]
logsift-sdk = {{ path = {sdk:?}, version = "={sdk_version}" }}
serde = {{ version = "={serde}", features = ["derive"] }}
serde_json = "={serde_json}"

# Its own workspace, even inside another project's folder.
[workspace]

[profile.release]
opt-level = "s"
lto = true
codegen-units = 1
panic = "abort"
"#,
        logsift = env!("CARGO_PKG_VERSION"),
        sdk = sdk.display().to_string(),
        sdk_version = version("logsift-sdk")?,
        serde = version("serde")?,
        serde_json = version("serde_json")?,
    ))
}

fn source(kind: Kind, name: &str) -> String {
    let body = match kind {
        Kind::Detector => DETECTOR,
        Kind::Parser => PARSER,
        Kind::Enricher => ENRICHER,
    };
    body.replace("__NAME__", name).replace("__TYPE__", &type_name(name))
}

/// `my-rule` → `MyRule`.
fn type_name(name: &str) -> String {
    name.split('-').filter(|p| !p.is_empty()).map(|p| p[..1].to_ascii_uppercase() + &p[1..]).collect()
}

fn test_file(kind: Kind, name: &str) -> String {
    match kind {
        Kind::Detector => format!(
            r#"description: a failed SSH password login for root raises an alert; one for another account does not
pipeline:
  - plugin: syslog
  - plugin: self
input:
  - "Dec 10 06:55:48 LabSZ sshd[24202]: Failed password for root from 203.0.113.7 port 58318 ssh2"
  - "Dec 10 06:56:01 LabSZ sshd[24210]: Failed password for invalid user guest from 203.0.113.8 port 40022 ssh2"
expect:
  alert_count: 1
  alerts:
    - rule.id: {name}.failed-login
      user.name: root
      source.ip: 203.0.113.7
  not_alerts:
    - user.name: guest
"#
        ),
        Kind::Parser => r#"description: key=value lines become fields
pipeline:
  - plugin: self
input:
  - "user=alice action=login src=203.0.113.7 outcome=success"
expect:
  events:
    - user.name: alice
      event.action: login
      source.ip: 203.0.113.7
      event.outcome: success
  dead_letters: 0
"#
        .into(),
        Kind::Enricher => r#"description: private addresses are marked as such, public ones are not
pipeline:
  - plugin: json
  - plugin: self
input:
  - {"source.ip": "10.1.2.3"}
  - {"source.ip": "203.0.113.7"}
expect:
  events:
    - source.address_scope: private
    - source.address_scope: public
"#
        .into(),
    }
}

fn config(kind: Kind, name: &str) -> String {
    let first = match kind {
        Kind::Detector => "[[pipeline]]\nplugin = \"syslog\"      # a plugin shipped with logsift\n\n",
        Kind::Enricher => "[[pipeline]]\nplugin = \"json\"\n\n",
        Kind::Parser => "",
    };
    format!(
        "# Runs {name} after the parser it needs:\n#   logsift run --config {name}/logsift.toml --input FILE\n\n{first}[[pipeline]]\nplugin = \"{name}.wasm\"\n"
    )
}

/// Creates `dir/NAME` with a plugin crate of `kind`, depending on the SDK at `sdk`.
pub fn new_plugin(kind: Kind, name: &str, dir: &Path, sdk: &Path) -> anyhow::Result<PathBuf> {
    check_name(name)?;
    let root = dir.join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    let sdk =
        std::fs::canonicalize(sdk).with_context(|| format!("the logsift SDK is not at {} (give its folder with --sdk)", sdk.display()))?;
    let description = match kind {
        Kind::Detector => "logsift detector",
        Kind::Parser => "logsift parser",
        Kind::Enricher => "logsift enricher",
    };
    let files = [
        ("Cargo.toml", cargo_toml(name, description, &sdk)?),
        ("Cargo.lock", LOCK.to_owned()),
        ("rust-toolchain.toml", TOOLCHAIN.to_owned()),
        ("src/lib.rs", source(kind, name)),
        (&format!("tests/{name}.yaml"), test_file(kind, name)),
        ("logsift.toml", config(kind, name)),
        (".gitignore", format!("/target\n/{name}.wasm\n")),
    ];
    for (path, text) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("a file in the crate")).with_context(|| format!("creating {}", path.display()))?;
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(root)
}

/// Builds the plugin crate at `dir` to a component, `dir/<name>.wasm`.
pub fn build(dir: &Path) -> anyhow::Result<PathBuf> {
    let manifest = dir.join("Cargo.toml");
    let text = std::fs::read_to_string(&manifest).with_context(|| format!("{} is not a plugin crate", dir.display()))?;
    let package: toml::Table = toml::from_str(&text).with_context(|| format!("reading {}", manifest.display()))?;
    let name = package
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
        .with_context(|| format!("{} has no package name", manifest.display()))?
        .to_owned();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(dir).args(["build", "--release", "--target", "wasm32-wasip2"]);
    // What a surrounding build set for itself must not leak into this one.
    for var in ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET", "RUSTFLAGS", "CARGO_ENCODED_RUSTFLAGS", "RUSTC_WRAPPER", "RUSTUP_TOOLCHAIN"] {
        command.env_remove(var);
    }
    let status = command.status().context("running cargo")?;
    if !status.success() {
        bail!("cargo build failed for {} (see above)", dir.display());
    }
    let built = dir.join(format!("target/wasm32-wasip2/release/{}.wasm", artifact(&name)));
    let out = dir.join(format!("{name}.wasm"));
    std::fs::copy(&built, &out).with_context(|| format!("copying {} to {}", built.display(), out.display()))?;
    Ok(out)
}

const DETECTOR: &str = r#"//! __NAME__: raises an alert for each failed SSH login for a watched account.
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
"#;

const PARSER: &str = r#"//! __NAME__: parses `key=value` lines (logfmt) into fields. Known keys get ECS names
//! (`user` → `user.name`, `src` → `source.ip`, `action` → `event.action`, `outcome` →
//! `event.outcome`); others are kept under `__NAME__.<key>`. A line with no `key=value` pair
//! is rejected with the reason, so it goes to the dead letters.

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, PARSED_MARK, Plugin, Settings, Value};

/// The parser.
pub struct __TYPE__;

fn ecs_name(key: &str) -> String {
    match key {
        "user" => "user.name".into(),
        "src" => "source.ip".into(),
        "action" => "event.action".into(),
        "outcome" => "event.outcome".into(),
        other => format!("__NAME__.{other}"),
    }
}

impl Plugin for __TYPE__ {
    const METADATA: Metadata = Metadata::new("__NAME__", env!("CARGO_PKG_VERSION"), Kind::Parser, "key=value lines");

    fn init(_settings: Settings) -> Result<Self, String> {
        Ok(__TYPE__)
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        let Some(line) = event.original().map(str::to_owned) else { return Outcome::Pass };
        let pairs: Vec<(String, String)> = line
            .split_whitespace()
            .filter_map(|word| word.split_once('='))
            .map(|(k, v)| (ecs_name(k), v.trim_matches('"').to_owned()))
            .collect();
        if pairs.is_empty() {
            return Outcome::Reject("no key=value pair".into());
        }
        for (name, value) in pairs {
            event.set(name, Value::from(value));
        }
        event.set(PARSED_MARK, Value::from("__NAME__"));
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(__TYPE__);
"#;

const ENRICHER: &str = r#"//! __NAME__: marks `source.ip` as a private or public address
//! (`source.address_scope`), so detections can tell inside from outside.

use std::net::IpAddr;

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, Value};

/// The enricher.
pub struct __TYPE__;

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_loopback() || v4.is_link_local(),
        IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

impl Plugin for __TYPE__ {
    const METADATA: Metadata = Metadata::new("__NAME__", env!("CARGO_PKG_VERSION"), Kind::Enricher, "private or public source addresses");

    fn init(_settings: Settings) -> Result<Self, String> {
        Ok(__TYPE__)
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        let ip = match event.get("source.ip") {
            Some(Value::Ip(ip)) => Some(*ip),
            Some(Value::Str(s)) => s.parse().ok(),
            _ => None,
        };
        if let Some(ip) = ip {
            let scope = if is_private(ip) { "private" } else { "public" };
            event.set("source.address_scope", Value::from(scope));
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(__TYPE__);
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinned_versions_come_from_the_lock_file() {
        assert_eq!(locked_version("logsift-sdk"), Some(env!("CARGO_PKG_VERSION")));
        assert!(locked_version("serde").is_some_and(|v| v.starts_with("1.")));
        assert!(locked_version("no-such-crate").is_none());
    }

    #[test]
    fn names_are_checked_and_typed() {
        assert!(check_name("ssh-brute").is_ok());
        assert!(check_name("Bad Name").is_err() && check_name("").is_err() && check_name("1x").is_err());
        assert_eq!(type_name("my-first-rule"), "MyFirstRule");
    }
}
