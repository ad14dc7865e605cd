//! The self-check a plugin passes before it may join a generation: one batch of
//! representative records for its kind, run through a stage exactly as a worker would,
//! which must come back without a trap, a timeout, running out of memory or a malformed
//! result. Rejections and drops are fine: a parser may well refuse a line of another format.
//!
//! The batch: real-looking lines of the formats the shipped parsers read (BSD and RFC 5424
//! syslog, Apache combined, JSON), an empty line and an odd one (control characters,
//! non-ASCII, 4 KiB long); enrichers and detectors also get parsed events with the ECS
//! fields rules look at.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use logsift_event::{ORIGINAL, Origin, Value};

use crate::pipeline::{Batch, HealthConfig, InputRecord, Payload, RejectPolicy, Stage, StageOptions};
use crate::wasm::{LoadedPlugin, PluginKind};

const LINES: &[&str] = &[
    "Dec 10 06:55:46 LabSZ sshd[24200]: Failed password for root from 203.0.113.45 port 38926 ssh2",
    "Dec 10 07:02:47 LabSZ sshd[24203]: Accepted password for fztu from 198.51.100.7 port 52117 ssh2",
    "<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8",
    "192.0.2.10 - - [10/Oct/2000:13:55:36 -0700] \"GET /index.html HTTP/1.0\" 200 2326 \"-\" \"Mozilla/5.0\"",
    r#"{"@timestamp":"2024-05-01T10:00:00Z","event":{"action":"logon"},"user":{"name":"alice"}}"#,
    "",
];

fn odd_line() -> String {
    let mut line = String::from("\u{1}\u{1b}[31m ünïcødé \u{1F525} \u{FFFD} \t");
    line.push_str(&"A".repeat(4096));
    line
}

/// The self-check batch for a kind of plugin.
pub fn sample_batch(kind: PluginKind) -> Batch {
    let mut lines: Vec<String> = LINES.iter().map(|l| (*l).to_owned()).collect();
    lines.push(odd_line());
    let inputs: Vec<InputRecord> = lines
        .into_iter()
        .enumerate()
        .map(|(i, line)| InputRecord {
            cut_from: None,
            raw: line.into_bytes(),
            origin: Origin::File { path: "self-check".into(), line: i as u64 + 1 },
        })
        .collect();
    let mut batch = Batch::from_inputs(&inputs);
    if kind != PluginKind::Parser {
        let source = inputs.len() as u32;
        let ip = |a, b, c, d| Value::Ip(IpAddr::V4(Ipv4Addr::new(a, b, c, d)));
        for (i, (user, outcome, address)) in
            [("root", "failure", ip(203, 0, 113, 45)), ("alice", "success", ip(198, 51, 100, 7))].into_iter().enumerate()
        {
            let fields = [
                (ORIGINAL, Value::from(LINES[i])),
                ("@timestamp", Value::from("2024-12-10T06:55:46Z")),
                ("event.kind", Value::from("event")),
                ("event.category", Value::from("authentication")),
                ("event.action", Value::from("ssh_login")),
                ("event.outcome", Value::from(outcome)),
                ("process.name", Value::from("sshd")),
                ("process.pid", Value::from(24200_i64)),
                ("host.hostname", Value::from("LabSZ")),
                ("user.name", Value::from(user)),
                ("source.ip", address),
                ("source.port", Value::from(38926_i64)),
                ("sshd.auth.method", Value::from("password")),
            ];
            batch.push_event(
                &Origin::File { path: "self-check".into(), line: u64::from(source) + i as u64 + 1 },
                &fields,
                source + i as u32,
            );
        }
    }
    batch
}

/// Runs the self-check; the error says what went wrong on which record.
pub fn self_check(plugin: &Arc<LoadedPlugin>) -> Result<(), String> {
    let options = StageOptions { health: HealthConfig::default(), on_reject: RejectPolicy::Pass, ..StageOptions::default() };
    let mut stage = Stage::new(Arc::clone(plugin), options);
    let mut routed = Vec::new();
    let batch = sample_batch(plugin.meta.kind);
    let records = batch.len();
    stage.run(batch, &mut routed);
    let stats = &stage.stats;
    if stats.faults() == 0 {
        return Ok(());
    }
    let first = routed.iter().find_map(|r| match &r.payload {
        Payload::DeadLetter(d) => Some(format!("record {}: {}", r.source + 1, d.reason)),
        _ => None,
    });
    Err(format!(
        "self-check failed: {} trap(s), {} timeout(s), {} out-of-memory, {} malformed result(s) on a batch of {records} sample records{}",
        stats.traps,
        stats.deadlines,
        stats.memory,
        stats.contract,
        first.map(|f| format!("; first: {f}")).unwrap_or_default()
    ))
}
