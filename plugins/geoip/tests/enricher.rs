//! The GeoIP enricher natively, with lookups answered by fixed tables shaped as MaxMind
//! lays out its City and ASN records.

use logsift_geoip::GeoIp;
use logsift_sdk::{Value, testing};

fn city() -> serde_json::Value {
    serde_json::json!({
        "continent": {"code": "EU", "names": {"en": "Europe"}},
        "country": {"iso_code": "SE", "names": {"en": "Sweden"}},
        "subdivisions": [{"iso_code": "E", "names": {"en": "Östergötland County"}}],
        "city": {"names": {"en": "Linköping"}},
        "postal": {"code": "587 56"},
        "location": {"latitude": 58.4167, "longitude": 15.6167, "time_zone": "Europe/Stockholm"},
    })
}

#[test]
fn addresses_get_geo_and_as_fields_beside_them() {
    testing::set_tables(serde_json::json!({
        "geoip": {"89.160.20.128": city()},
        "asn": {"89.160.20.128": {"autonomous_system_number": 29518, "autonomous_system_organization": "Bredband2 AB"}},
    }));
    let mut geo: GeoIp = testing::plugin(r#"{"asn_table": "asn"}"#);
    let events = [
        vec![("source.ip", Value::Ip("89.160.20.128".parse().unwrap())), ("destination.ip", Value::from("10.0.0.1"))],
        vec![("message", Value::from("no address"))],
    ];
    let results = testing::run(&mut geo, &testing::events_batch(&events));
    let e = results[0].event().expect("event");
    assert_eq!(e.get_str("source.geo.country_iso_code"), Some("SE"));
    assert_eq!(e.get_str("source.geo.city_name"), Some("Linköping"));
    assert_eq!(e.get_str("source.geo.region_iso_code"), Some("SE-E"));
    assert_eq!(e.get_str("source.geo.timezone"), Some("Europe/Stockholm"));
    assert_eq!(e.get("source.geo.location.lat"), Some(&Value::Float(58.4167)));
    assert_eq!(e.get_int("source.as.number"), Some(29518));
    assert_eq!(e.get_str("source.as.organization.name"), Some("Bredband2 AB"));
    assert!(e.get("destination.geo.country_iso_code").is_none(), "a private address is in no database");
    assert_eq!(results[1].event().expect("event").fields.len(), 1, "events without addresses pass unchanged");
}

#[test]
fn a_table_that_is_not_granted_refuses_the_plugin() {
    testing::set_tables(serde_json::json!({"other": {}}));
    let refused = <GeoIp as logsift_sdk::Plugin>::init(logsift_sdk::Settings::from_json("{}").unwrap()).err().expect("refused");
    assert!(refused.contains("geoip") && refused.contains("not granted"), "{refused}");
}
