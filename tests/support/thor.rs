//! Logsource routing for SigmaHQ's Windows rules, from SigmaHQ's THOR logsource mapping
//! (`../shared/sigma/thor-logsource-mapping.yml`) in the form the Sigma plugin's
//! `logsources` setting takes. Shared by the Sigma plugin's corpus tests and the Sigma bench
//! (which hands the same routes to the native side).

use std::collections::BTreeMap;
use std::path::Path;

/// Routing entries from SigmaHQ's THOR logsource mapping. A service entry names its channel
/// (`sources: [WinEventLog:<channel>]`); a category entry names its event ids and the
/// service it belongs to, so it holds on that service's channel with those ids.
pub fn routes(root: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(root.join("thor-logsource-mapping.yml")).expect("thor mapping");
    let mapping: serde_json::Value = yaml_serde::from_str(&text).expect("thor mapping YAML");
    let entries: Vec<&serde_json::Value> = mapping["logsources"].as_object().expect("logsources").values().collect();
    let mut channels: BTreeMap<String, String> = BTreeMap::new();
    let mut routes = Vec::new();
    for entry in &entries {
        let (Some(service), Some(source)) = (entry["service"].as_str(), entry["sources"][0].as_str()) else { continue };
        let Some(channel) = source.strip_prefix("WinEventLog:") else { continue };
        channels.insert(service.to_owned(), channel.to_owned());
        let logsource = serde_json::json!({"product": entry["product"], "service": service});
        routes.push(serde_json::json!({"when": {"Channel": channel}, "logsource": logsource}));
    }
    for entry in &entries {
        let (Some(category), Some(conditions)) = (entry["category"].as_str(), entry["conditions"].as_object()) else { continue };
        let Some(service) = entry["rewrite"]["service"].as_str() else { continue };
        let Some(channel) = channels.get(service) else { continue };
        let mut when = conditions.clone();
        when.insert("Channel".into(), serde_json::Value::from(channel.clone()));
        let logsource = serde_json::json!({"product": "windows", "category": category, "service": service});
        routes.push(serde_json::json!({"when": when, "logsource": logsource}));
    }
    // The most specific entries first: they fill the dimensions (Sysmon event 12 with
    // `EventType: DeleteKey` is `registry_delete` before it is any registry event).
    routes.sort_by_key(|r| std::cmp::Reverse(r["when"].as_object().map_or(0, serde_json::Map::len)));
    serde_json::Value::Array(routes)
}
