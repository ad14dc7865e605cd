//! The asset enricher natively, with lookups answered by fixed inventory tables.

use logsift_asset::Asset;
use logsift_sdk::{Value, testing};

#[test]
fn host_and_user_records_land_under_their_prefixes_without_overwriting() {
    testing::set_tables(serde_json::json!({
        "assets": {"web-1": {"hostname": "web-1", "owner": "alice", "criticality": "high"}},
        "users": {"root": {"user": "root", "full_name": "Superuser", "email": "ops@example.org"}},
    }));
    let settings = r#"{"lookups": [{"field": "host.name", "table": "assets"}, {"field": "user.name", "table": "users", "into": "user"}]}"#;
    let mut asset: Asset = testing::plugin(settings);
    let events = [
        vec![("host.name", Value::from("web-1")), ("user.name", Value::from("root")), ("user.email", Value::from("kept@example.org"))],
        vec![("host.name", Value::from("laptop-9"))],
    ];
    let results = testing::run(&mut asset, &testing::events_batch(&events));
    let e = results[0].event().expect("event");
    assert_eq!(e.get_str("host.asset.owner"), Some("alice"));
    assert_eq!(e.get_str("host.asset.criticality"), Some("high"));
    assert_eq!(e.get_str("user.full_name"), Some("Superuser"));
    assert_eq!(e.get_str("user.email"), Some("kept@example.org"), "fields the event has are kept");
    assert!(results[1].event().expect("event").get("host.asset.owner").is_none(), "an unknown host gets nothing");
}

#[test]
fn lookups_are_required() {
    testing::set_tables(serde_json::json!({}));
    let refused = <Asset as logsift_sdk::Plugin>::init(logsift_sdk::Settings::from_json("{}").unwrap()).err().expect("refused");
    assert!(refused.contains("lookups"), "{refused}");
}
