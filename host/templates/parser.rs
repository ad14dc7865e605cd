//! __NAME__: parses `key=value` lines (logfmt) into fields. Known keys get ECS names
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
