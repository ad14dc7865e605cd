//! An enricher that adds where an IP address is and which network it belongs to, from
//! MaxMind databases the host loads and grants to the stage (`tables = ["geoip"]`; the
//! `mmdb` table kind). For every address field (`source.ip`, `destination.ip`, `client.ip`,
//! `server.ip`, `host.ip` by default) it sets the ECS fields beside it:
//!
//! | MaxMind | ECS (for `source.ip`) |
//! |---|---|
//! | `continent.code`, `continent.names.en` | `source.geo.continent_code`, `source.geo.continent_name` |
//! | `country.iso_code`, `country.names.en` | `source.geo.country_iso_code`, `source.geo.country_name` |
//! | first `subdivisions` entry | `source.geo.region_iso_code` (`US-CA`), `source.geo.region_name` |
//! | `city.names.en`, `postal.code` | `source.geo.city_name`, `source.geo.postal_code` |
//! | `location.latitude`, `.longitude`, `.time_zone` | `source.geo.location.lat`, `.lon`, `source.geo.timezone` |
//! | `autonomous_system_number`, `_organization` | `source.as.number`, `source.as.organization.name` |
//!
//! Settings: `table` (the City or Country database, default `geoip`), `asn_table` (an ASN
//! database, optional; a City database with ASN fields works as both), `fields` (the
//! address fields). All lookups of a batch are one call per table.

use logsift_sdk::lookup::{BatchKeys, BatchLookup, Record};
use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, Value, lookup};
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, default)]
struct GeoSettings {
    table: String,
    asn_table: Option<String>,
    fields: Vec<String>,
}

impl Default for GeoSettings {
    fn default() -> Self {
        GeoSettings {
            table: "geoip".into(),
            asn_table: None,
            fields: ["source.ip", "destination.ip", "client.ip", "server.ip", "host.ip"].map(String::from).to_vec(),
        }
    }
}

/// The GeoIP enricher.
pub struct GeoIp {
    settings: GeoSettings,
    geo: BatchLookup,
    asn: BatchLookup,
    /// The batch's addresses, by record.
    keys: BatchKeys,
}

/// The value at a dotted path of a MaxMind record (`country.names.en`).
fn at<'r>(record: &'r Record, path: &str) -> Option<&'r serde_json::Value> {
    let mut parts = path.split('.');
    let mut value = record.get(parts.next()?)?;
    for part in parts {
        value = match value {
            serde_json::Value::Array(items) => items.get(part.parse::<usize>().ok()?)?,
            other => other.get(part)?,
        };
    }
    Some(value)
}

fn text(record: &Record, path: &str) -> Option<String> {
    at(record, path)?.as_str().map(str::to_owned)
}

/// Sets the `<prefix>.geo.*` fields a record gives.
fn set_geo(event: &mut Event<'_>, prefix: &str, record: &Record) {
    let strings = [
        ("geo.continent_code", text(record, "continent.code")),
        ("geo.continent_name", text(record, "continent.names.en")),
        ("geo.country_iso_code", text(record, "country.iso_code")),
        ("geo.country_name", text(record, "country.names.en")),
        ("geo.region_name", text(record, "subdivisions.0.names.en")),
        ("geo.city_name", text(record, "city.names.en")),
        ("geo.postal_code", text(record, "postal.code")),
        ("geo.timezone", text(record, "location.time_zone")),
        (
            "geo.region_iso_code",
            text(record, "country.iso_code").zip(text(record, "subdivisions.0.iso_code")).map(|(c, s)| format!("{c}-{s}")),
        ),
    ];
    for (name, value) in strings {
        if let Some(value) = value {
            event.set(format!("{prefix}.{name}"), Value::from(value));
        }
    }
    let lat = at(record, "location.latitude").and_then(serde_json::Value::as_f64);
    let lon = at(record, "location.longitude").and_then(serde_json::Value::as_f64);
    if let (Some(lat), Some(lon)) = (lat, lon) {
        event.set(format!("{prefix}.geo.location.lat"), Value::Float(lat));
        event.set(format!("{prefix}.geo.location.lon"), Value::Float(lon));
    }
}

/// Sets the `<prefix>.as.*` fields a record gives.
fn set_as(event: &mut Event<'_>, prefix: &str, record: &Record) {
    if let Some(number) = at(record, "autonomous_system_number").and_then(serde_json::Value::as_i64) {
        event.set(format!("{prefix}.as.number"), Value::Int(number));
    }
    if let Some(org) = text(record, "autonomous_system_organization") {
        event.set(format!("{prefix}.as.organization.name"), Value::from(org));
    }
}

impl Plugin for GeoIp {
    const METADATA: Metadata =
        Metadata::new("geoip", env!("CARGO_PKG_VERSION"), Kind::Enricher, "adds geo and AS context to IP addresses from MaxMind databases");

    fn init(settings: Settings) -> Result<Self, String> {
        let settings: GeoSettings = settings.parse()?;
        for table in std::iter::once(&settings.table).chain(&settings.asn_table) {
            lookup::check_granted(table)?;
        }
        Ok(GeoIp { settings, geo: BatchLookup::default(), asn: BatchLookup::default(), keys: BatchKeys::default() })
    }

    fn prepare(&mut self, events: &[Event<'_>]) {
        self.keys = BatchKeys::of_fields(events, &self.settings.fields);
        let addresses = || self.keys.all().map(|(_, address)| address);
        self.geo = BatchLookup::fetch(&self.settings.table, addresses()).unwrap_or_default();
        self.asn = match &self.settings.asn_table {
            Some(table) => BatchLookup::fetch(table, addresses()).unwrap_or_default(),
            None => BatchLookup::default(),
        };
    }

    fn process(&mut self, event: &mut Event<'_>, ctx: &mut Context) -> Outcome {
        for (at, ip) in self.keys.of(ctx.record()) {
            let field = &self.settings.fields[at];
            let prefix = field.strip_suffix(".ip").unwrap_or(field);
            if let Some(record) = self.geo.get(ip) {
                set_geo(event, prefix, record);
                set_as(event, prefix, record);
            }
            if let Some(record) = self.asn.get(ip) {
                set_as(event, prefix, record);
            }
        }
        Outcome::Pass
    }
}

logsift_sdk::export_plugin!(GeoIp);
