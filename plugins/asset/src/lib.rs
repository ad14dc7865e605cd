//! An enricher that adds what the organisation knows about a host or a user — owner,
//! criticality, department, manager — from key→record tables the host loads and grants to
//! the stage (`tables = ["assets", "users"]`; the `records` table kind: CSV or JSON).
//!
//! Each entry of `lookups` names an event field whose value is the key, a table, and where
//! the record's columns go (`into`, default `<entity>.asset` — `host.asset` for `host.name`):
//!
//! ```toml
//! [[pipeline.settings.lookups]]
//! field = "host.name"
//! table = "assets"                 # columns owner, criticality → host.asset.owner, …
//! [[pipeline.settings.lookups]]
//! field = "user.name"
//! table = "users"
//! into = "user"                    # columns full_name, email → user.full_name, user.email
//! ```
//!
//! Fields the event already has are not overwritten. All lookups of a batch are one call per
//! table.

use logsift_sdk::lookup::{BatchKeys, BatchLookup, ByKey};
use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, SharedFields, Value, lookup};
use serde::Deserialize;

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
struct Lookup {
    field: String,
    table: String,
    #[serde(default)]
    into: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct AssetSettings {
    lookups: Vec<Lookup>,
}

/// The asset enricher.
pub struct Asset {
    lookups: Vec<(Lookup, String)>,
    /// The tables the lookups name, each once, with the index in `tables` of each lookup's.
    tables: Vec<String>,
    table_of: Vec<usize>,
    /// Per lookup (as in `lookups`): the fields to add, by key, for the batch's keys the
    /// table holds.
    fills: ByKey<SharedFields>,
    /// The batch's keys, by record.
    keys: BatchKeys,
}

fn json_value(value: &serde_json::Value) -> Option<Value<'static>> {
    Some(match value {
        serde_json::Value::String(s) => Value::from(s.clone()),
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => n.as_i64().map(Value::Int).or_else(|| n.as_f64().map(Value::Float))?,
        serde_json::Value::Array(items) => Value::Array(items.iter().filter_map(json_value).collect()),
        _ => return None,
    })
}

impl Plugin for Asset {
    const METADATA: Metadata =
        Metadata::new("asset", env!("CARGO_PKG_VERSION"), Kind::Enricher, "adds host and user context from inventory tables");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: AssetSettings = settings.parse()?;
        if settings.lookups.is_empty() {
            return Err("invalid settings: `lookups` is empty; name at least one {field, table}".into());
        }
        let mut lookups = Vec::new();
        for l in settings.lookups {
            lookup::check_granted(&l.table)?;
            let entity = l.field.split('.').next().unwrap_or(&l.field).to_owned();
            let into = l.into.clone().unwrap_or_else(|| format!("{entity}.asset"));
            lookups.push((l, into));
        }
        let mut tables: Vec<String> = Vec::new();
        let table_of = lookups
            .iter()
            .map(|(l, _)| {
                tables.iter().position(|t| *t == l.table).unwrap_or_else(|| {
                    tables.push(l.table.clone());
                    tables.len() - 1
                })
            })
            .collect();
        Ok(Asset { fills: ByKey::default(), lookups, tables, table_of, keys: BatchKeys::default() })
    }

    fn prepare(&mut self, events: &[Event<'_>]) {
        let fields: Vec<&str> = self.lookups.iter().map(|(l, _)| l.field.as_str()).collect();
        self.keys = BatchKeys::of_fields(events, &fields);
        // One call per table for the keys of every lookup into it.
        let found: Vec<BatchLookup> = (0..self.tables.len())
            .map(|t| {
                let keys = self.keys.all().filter(|(at, _)| self.table_of[*at] == t).map(|(_, key)| key);
                BatchLookup::fetch(&self.tables[t], keys).unwrap_or_default()
            })
            .collect();
        let (lookups, table_of) = (&self.lookups, &self.table_of);
        self.fills.make(&self.keys, |at, key| {
            let into = &lookups[at].1;
            let record = found[table_of[at]].get(key)?;
            let fields: Vec<_> =
                record.iter().filter_map(|(column, value)| Some((format!("{into}.{column}"), json_value(value)?))).collect();
            Some(fields.into())
        });
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        for fill in self.fills.of(&self.keys, ctx.record()) {
            event.fill(fill);
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(Asset);
