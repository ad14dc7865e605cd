//! An enricher that checks events against threat-intel indicators the host loads and grants
//! to the stage (`tables = ["iocs"]`; the `ioc` table kind: IPs, ranges, domains with their
//! subdomains, file hashes). On a hit it marks the event with ECS threat fields and raises
//! an alert:
//!
//! - `threat.indicator.type` (`ipv4-addr`, `ipv6-addr`, `domain-name`, `file`),
//!   `threat.indicator.ip` / `threat.indicator.url.domain` / `threat.indicator.file.hash.<algo>`
//!   (the listed indicator), `threat.indicator.provider`, `threat.indicator.description`,
//!   `threat.indicator.confidence` (from the list's columns of those names);
//! - `threat.enrichments.matched.field` and `threat.enrichments.matched.atomic`: which field
//!   of the event matched, with what value;
//! - an alert `logsift.threat-intel.match` ("Threat intel match: source.ip 203.0.113.7"), at
//!   the list's `severity` column when it names a level, else the `level` setting (`high`),
//!   tagged `threat-intel`, with the field, value, indicator and provider as details.
//!
//! Settings: `table` (default `iocs`), `fields` (the fields to check, in order; the first hit
//! marks the event, every hit raises an alert), `level`, `alert` (false: mark only). All
//! lookups of a batch are one call.

use logsift_sdk::lookup::{BatchKeys, BatchLookup, ByKey, Record};
use logsift_sdk::{Alert, Context, Event, Kind, Level, Metadata, Outcome, Plugin, Settings, SharedFields, Value, lookup};
use serde::Deserialize;

/// The rule id of the alerts.
pub const RULE_ID: &str = "logsift.threat-intel.match";

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct IntelSettings {
    table: String,
    fields: Vec<String>,
    level: String,
    alert: bool,
}

impl Default for IntelSettings {
    fn default() -> Self {
        IntelSettings {
            table: "iocs".into(),
            fields: [
                "source.ip",
                "destination.ip",
                "client.ip",
                "server.ip",
                "url.domain",
                "destination.domain",
                "dns.question.name",
                "file.hash.md5",
                "file.hash.sha1",
                "file.hash.sha256",
                "process.hash.md5",
                "process.hash.sha1",
                "process.hash.sha256",
            ]
            .map(String::from)
            .to_vec(),
            level: "high".into(),
            alert: true,
        }
    }
}

fn level(name: &str) -> Option<Level> {
    match name.to_ascii_lowercase().as_str() {
        "info" => Some(Level::Informational),
        lower => Level::from_name(lower),
    }
}

/// The threat-intel enricher.
pub struct ThreatIntel {
    settings: IntelSettings,
    level: Level,
    /// Per field (as in `fields`): what a hit marks and raises, for the batch's keys the
    /// table lists.
    hits: ByKey<Hit>,
    /// The batch's indicator candidates, by record.
    keys: BatchKeys,
}

/// What a field's value listed as an indicator does to its event.
struct Hit {
    /// The ECS threat fields the first hit of an event sets.
    marks: SharedFields,
    /// The alert every hit raises, if alerts are on.
    alert: Option<Alert>,
}

fn column<'r>(record: &'r Record, name: &str) -> Option<&'r str> {
    record.get(name).and_then(serde_json::Value::as_str)
}

/// The ECS field naming the listed indicator, for its type and the field that matched.
fn indicator_field(kind: &str, matched_field: &str) -> String {
    match kind {
        "ipv4-addr" | "ipv6-addr" => "threat.indicator.ip".into(),
        "domain-name" => "threat.indicator.url.domain".into(),
        _ => match matched_field.rsplit_once('.') {
            Some((_, algo)) if matches!(algo, "md5" | "sha1" | "sha256") => format!("threat.indicator.file.hash.{algo}"),
            _ => "threat.indicator.name".into(),
        },
    }
}

impl Hit {
    /// What `value` of `field`, listed as `record`, does to an event: `alert` whether hits
    /// raise alerts, at `level` unless the list names one.
    fn new(field: &str, value: &str, record: &Record, alert: bool, level: Level) -> Hit {
        let kind = column(record, "type").unwrap_or("unknown");
        let indicator = column(record, "indicator").unwrap_or(value);
        let mut marks = vec![
            ("threat.indicator.type".to_owned(), Value::from(kind.to_owned())),
            (indicator_field(kind, field), Value::from(indicator.to_owned())),
        ];
        for name in ["provider", "description", "confidence"] {
            if let Some(v) = column(record, name) {
                marks.push((format!("threat.indicator.{name}"), Value::from(v.to_owned())));
            }
        }
        marks.push(("threat.enrichments.matched.field".to_owned(), Value::from(field.to_owned())));
        marks.push(("threat.enrichments.matched.atomic".to_owned(), Value::from(value.to_owned())));
        let alert = alert.then(|| {
            let level = column(record, "severity").and_then(self::level).unwrap_or(level);
            let alert = Alert::new(RULE_ID, format!("Threat intel match: {field} {value}"), level)
                .with_tags(["threat-intel"])
                .with_dedupe_key(field)
                .with_detail("field", field)
                .with_detail("value", value)
                .with_detail("indicator", indicator);
            match column(record, "provider") {
                Some(provider) => alert.with_detail("provider", provider),
                None => alert,
            }
        });
        Hit { marks: marks.into(), alert }
    }
}

impl Plugin for ThreatIntel {
    const METADATA: Metadata = Metadata::new(
        "threat-intel",
        env!("CARGO_PKG_VERSION"),
        Kind::Enricher,
        "marks events matching threat-intel indicators and raises an alert",
    );

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: IntelSettings = settings.parse()?;
        let level = level(&settings.level).ok_or_else(|| format!("unknown level {:?}", settings.level))?;
        lookup::check_granted(&settings.table)?;
        Ok(ThreatIntel { hits: ByKey::default(), settings, level, keys: BatchKeys::default() })
    }

    fn prepare(&mut self, events: &[Event<'_>]) {
        self.keys = BatchKeys::of_fields(events, &self.settings.fields);
        let found = BatchLookup::fetch(&self.settings.table, self.keys.all().map(|(_, key)| key)).unwrap_or_default();
        let (settings, level) = (&self.settings, self.level);
        self.hits.make(&self.keys, |at, key| Some(Hit::new(&settings.fields[at], key, found.get(key)?, settings.alert, level)));
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        let mut marked = false;
        for hit in self.hits.of(&self.keys, ctx.record()) {
            if !marked {
                event.set_all(&hit.marks);
                marked = true;
            }
            if let Some(alert) = &hit.alert {
                ctx.alert(alert);
            }
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(ThreatIntel);
