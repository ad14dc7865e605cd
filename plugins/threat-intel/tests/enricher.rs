//! The threat-intel enricher natively, with lookups answered by a fixed indicator table.

use logsift_sdk::{Level, Value, testing};
use logsift_threat_intel::{RULE_ID, ThreatIntel};

#[test]
fn a_hit_marks_the_event_and_raises_an_alert_with_the_indicator() {
    testing::set_tables(serde_json::json!({"iocs": {
        "203.0.113.7": {"indicator": "203.0.113.0/24", "type": "ipv4-addr", "provider": "abuse.ch", "severity": "critical"},
        "cdn.evil.example": {"indicator": "evil.example", "type": "domain-name", "provider": "in-house"},
    }}));
    let mut intel: ThreatIntel = testing::plugin("{}");
    let events = [
        vec![("source.ip", Value::Ip("203.0.113.7".parse().unwrap())), ("user.name", Value::from("root"))],
        vec![("url.domain", Value::from("cdn.evil.example"))],
        vec![("source.ip", Value::from("198.51.100.1"))],
    ];
    let results = testing::run(&mut intel, &testing::events_batch(&events));

    let e = results[0].event().expect("event");
    assert_eq!(e.get_str("threat.indicator.type"), Some("ipv4-addr"));
    assert_eq!(e.get_str("threat.indicator.ip"), Some("203.0.113.0/24"));
    assert_eq!(e.get_str("threat.indicator.provider"), Some("abuse.ch"));
    assert_eq!(e.get_str("threat.enrichments.matched.field"), Some("source.ip"));
    assert_eq!(e.get_str("threat.enrichments.matched.atomic"), Some("203.0.113.7"));
    let alert = &results[0].alerts[0];
    assert_eq!((alert.rule_id.as_str(), alert.level), (RULE_ID, Level::Critical), "the list's severity");
    assert!(alert.details.contains(&("indicator".into(), "203.0.113.0/24".into())), "{:?}", alert.details);

    let e = results[1].event().expect("event");
    assert_eq!(e.get_str("threat.indicator.url.domain"), Some("evil.example"));
    assert_eq!(results[1].alerts[0].level, Level::High, "the default level");

    assert!(results[2].alerts.is_empty());
    assert!(results[2].event().expect("event").get("threat.indicator.type").is_none());
}

#[test]
fn mark_only_raises_no_alert() {
    testing::set_tables(serde_json::json!({"iocs": {"203.0.113.7": {"indicator": "203.0.113.7", "type": "ipv4-addr"}}}));
    let mut intel: ThreatIntel = testing::plugin(r#"{"alert": false}"#);
    let results = testing::run(&mut intel, &testing::events_batch(&[vec![("source.ip", Value::from("203.0.113.7"))]]));
    assert!(results[0].alerts.is_empty());
    assert_eq!(results[0].event().expect("event").get_str("threat.indicator.ip"), Some("203.0.113.7"));
}
