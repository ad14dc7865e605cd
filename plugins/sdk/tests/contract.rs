//! `testing::run` holds a plugin to the contract the host enforces: a plugin that would
//! break it in the host fails its own unit tests with the host's words, and a split past
//! the cap comes out rejected as the host dead-letters it.

use logsift_sdk::testing::{self, Fate};
use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings};

/// Does to every record what its settings say.
struct Misbehaving {
    emit_to: Option<String>,
    split_into: usize,
}

impl Plugin for Misbehaving {
    const METADATA: Metadata = Metadata::new("misbehaving", "0.0.0", Kind::Enricher, "breaks the contract on purpose");

    fn init(settings: Settings) -> Result<Self, String> {
        let value: serde_json::Value = settings.parse()?;
        Ok(Misbehaving {
            emit_to: value["emit_to"].as_str().map(str::to_owned),
            split_into: value["split_into"].as_u64().unwrap_or(0) as usize,
        })
    }

    fn process(&mut self, _event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        if let Some(output) = &self.emit_to {
            return Outcome::Emit(output.clone());
        }
        if self.split_into > 0 {
            return Outcome::Split(
                (0..self.split_into)
                    .map(|i| {
                        let mut part = Event::new();
                        part.set("part", i as i64);
                        part
                    })
                    .collect(),
            );
        }
        Outcome::Pass
    }
}

fn run(settings: serde_json::Value) -> Vec<Fate> {
    let mut plugin = testing::plugin::<Misbehaving>(&settings.to_string());
    testing::run_lines(&mut plugin, &["one line"]).into_iter().map(|r| r.fate).collect()
}

#[test]
fn emitting_to_an_output_the_host_fills_fails_the_test_as_it_would_fault_in_the_host() {
    for reserved in ["alerts", "dead_letter"] {
        let caught = std::panic::catch_unwind(|| run(serde_json::json!({ "emit_to": reserved })));
        let message = caught.expect_err("the run must fail").downcast::<String>().expect("a message");
        assert!(message.contains("broke the contract") && message.contains("reject them or raise an alert"), "{message}");
    }
    let caught = std::panic::catch_unwind(|| run(serde_json::json!({ "emit_to": "Not Allowed" })));
    assert!(caught.is_err(), "a malformed output name fails too");
    assert!(matches!(&run(serde_json::json!({ "emit_to": "audit" }))[0], Fate::Emitted(name, _) if name == "audit"));
}

#[test]
fn a_split_past_the_hosts_cap_comes_out_rejected_with_the_hosts_reason() {
    assert!(matches!(&run(serde_json::json!({ "split_into": 100 }))[0], Fate::Passed(parts) if parts.len() == 100));
    assert_eq!(run(serde_json::json!({ "split_into": 101 })), [Fate::Rejected("split into 101 events, more than max_split = 100".into())]);
}
