//! A plugin that tries to get out of the sandbox, for the host's sandbox test. At `init` and
//! on every event it tries to:
//!
//! | probe      | what it tries                                                  |
//! |------------|----------------------------------------------------------------|
//! | `read`     | read the file `read` (setting)                                 |
//! | `list`     | list the directories `/` and `.`                               |
//! | `write`    | create the file `write` (setting)                              |
//! | `env`      | read the environment variables                                 |
//! | `args`     | read the command-line arguments                                |
//! | `connect`  | open a TCP connection to `connect` (setting, `host:port`)      |
//! | `resolve`  | resolve the name `resolve` (setting) to addresses              |
//! | `stdin`    | read standard input                                            |
//!
//! Each result is set on the event as `probe.init.<probe>` and `probe.event.<probe>`:
//! `denied: <error>` when the attempt failed, `ALLOWED: <what it got>` when it succeeded,
//! so a test can tell a closed door from an open one and see what leaked.

use std::io::Read as _;

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, Value};
use serde::Deserialize;

/// The plugin's settings: what to try.
#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct ProbeSettings {
    read: String,
    write: String,
    connect: String,
    resolve: String,
}

impl Default for ProbeSettings {
    fn default() -> Self {
        ProbeSettings {
            read: "/etc/passwd".into(),
            write: "/tmp/logsift-sandbox-probe".into(),
            connect: "127.0.0.1:9".into(),
            resolve: "localhost:80".into(),
        }
    }
}

/// Tries every door, and reports.
pub struct SandboxProbe {
    settings: ProbeSettings,
    at_init: Vec<(&'static str, String)>,
}

fn outcome<T, E: std::fmt::Display>(result: Result<T, E>, show: impl FnOnce(T) -> Option<String>) -> String {
    match result.map(show) {
        Ok(Some(got)) => format!("ALLOWED: {}", got.chars().take(200).collect::<String>()),
        Ok(None) => "denied: nothing there".into(),
        Err(e) => format!("denied: {e}"),
    }
}

fn non_empty(items: Vec<String>) -> Option<String> {
    (!items.is_empty()).then(|| items.join(" "))
}

fn probe(settings: &ProbeSettings) -> Vec<(&'static str, String)> {
    let list = |dir: &str| {
        outcome(std::fs::read_dir(dir), |entries| {
            non_empty(entries.filter_map(Result::ok).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        })
    };
    let mut stdin = Vec::new();
    let stdin_result = std::io::stdin().read_to_end(&mut stdin).map(|_| stdin);
    vec![
        ("read", outcome(std::fs::read_to_string(&settings.read), Some)),
        ("list", format!("/ {}; . {}", list("/"), list("."))),
        ("write", outcome(std::fs::write(&settings.write, b"escaped"), |()| Some(format!("wrote {}", settings.write)))),
        ("env", outcome(Ok::<_, String>(std::env::vars().map(|(k, v)| format!("{k}={v}")).collect()), non_empty)),
        ("args", outcome(Ok::<_, String>(std::env::args().collect()), non_empty)),
        (
            "connect",
            outcome(std::net::TcpStream::connect(settings.connect.as_str()), |s| Some(format!("connected from {:?}", s.local_addr()))),
        ),
        (
            "resolve",
            outcome(std::net::ToSocketAddrs::to_socket_addrs(settings.resolve.as_str()), |addrs| {
                non_empty(addrs.map(|a| a.to_string()).collect())
            }),
        ),
        ("stdin", outcome(stdin_result, |bytes| (!bytes.is_empty()).then(|| String::from_utf8_lossy(&bytes).into_owned()))),
    ]
}

impl Plugin for SandboxProbe {
    const METADATA: Metadata =
        Metadata::new("sandbox-probe", env!("CARGO_PKG_VERSION"), Kind::Enricher, "tries to leave the sandbox, for tests");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: ProbeSettings = settings.parse()?;
        let at_init = probe(&settings);
        Ok(SandboxProbe { settings, at_init })
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        for (name, result) in &self.at_init {
            event.set(format!("probe.init.{name}"), Value::from(result.clone()));
        }
        for (name, result) in probe(&self.settings) {
            event.set(format!("probe.event.{name}"), Value::from(result));
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(SandboxProbe);
