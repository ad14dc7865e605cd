//! A test plugin that sets one field on every event: what an enricher does at the least.
//! The hop benchmark chains it to measure what one modifying stage costs per record.
//!
//! Settings: `field` (default `labels.hop`) and `value` (default `seen`).

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct TaggerSettings {
    field: String,
    value: String,
}

impl Default for TaggerSettings {
    fn default() -> Self {
        TaggerSettings { field: "labels.hop".into(), value: "seen".into() }
    }
}

/// Sets one field on every event.
pub struct Tagger {
    /// The name and the value, kept for the life of the instance (`init` runs once per
    /// instance): set on every event as borrowed text, as a scaffolded enricher sets its
    /// literals, so that the hop measured does not include copying them per event.
    field: &'static str,
    value: &'static str,
}

impl Plugin for Tagger {
    const METADATA: Metadata = Metadata::new("tagger", env!("CARGO_PKG_VERSION"), Kind::Enricher, "sets one field on every event");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: TaggerSettings = settings.parse()?;
        Ok(Tagger { field: Box::leak(settings.field.into_boxed_str()), value: Box::leak(settings.value.into_boxed_str()) })
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        event.set(self.field, self.value);
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(Tagger);

#[cfg(test)]
mod tests {
    use logsift_sdk::testing::{self, Fate};

    use super::Tagger;

    #[test]
    fn every_event_gets_the_field_and_keeps_the_rest() {
        let mut tagger = testing::plugin::<Tagger>(r#"{"field": "labels.env", "value": "lab"}"#);
        let results = testing::run_lines(&mut tagger, &["one", "two"]);
        for (result, line) in results.iter().zip(["one", "two"]) {
            let Fate::Passed(events) = &result.fate else { panic!("{:?}", result.fate) };
            assert_eq!(events[0].get_str("labels.env"), Some("lab"));
            assert_eq!(events[0].get_str("event.original"), Some(line));
        }
    }
}
