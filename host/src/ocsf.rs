//! OCSF output (`[format] schema = "ocsf"`, schema version 1.3.0): events and alerts as
//! records of the Open Cybersecurity Schema Framework, built from the ECS fields the plugins
//! set, each with the required attributes of its class:
//!
//! | what | OCSF class |
//! |---|---|
//! | an sshd login (`event.action = ssh_login`) | Authentication (3002), Logon |
//! | a web access line (`http.request.method`, `http.response.status_code`) | HTTP Activity (4002), by method |
//! | an alert | Detection Finding (2004), Create |
//! | any other event | Base Event (0) |
//!
//! Every record has `class_uid`, `category_uid`, `activity_id`, `type_uid` (`class_uid ×
//! 100 + activity_id`), `severity_id`, `time` (ms since the epoch, from `@timestamp`),
//! `metadata.version` and `metadata.product` (logsift, with `vendor_name`). ECS fields with
//! no OCSF place go under `unmapped`, by their ECS names, so nothing is lost.

use serde_json::{Map, Value as Json, json};

/// The OCSF schema version written.
pub const VERSION: &str = "1.3.0";

type Flat = Map<String, Json>;

fn take(ecs: &mut Flat, key: &str) -> Option<Json> {
    ecs.remove(key).filter(|v| !v.is_null())
}

fn take_str(ecs: &mut Flat, key: &str) -> Option<String> {
    match take(ecs, key)? {
        Json::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

fn take_int(ecs: &mut Flat, key: &str) -> Option<i64> {
    match take(ecs, key)? {
        Json::Number(n) => n.as_i64(),
        Json::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// Milliseconds since the epoch of an RFC 3339 `@timestamp`.
fn millis(ecs: &mut Flat) -> Option<i64> {
    let text = take_str(ecs, "@timestamp")?;
    logsift_event::rfc3339::parse(&text).map(|ns| ns.div_euclid(1_000_000))
}

/// An object of the pairs whose value is present.
fn object(pairs: impl IntoIterator<Item = (&'static str, Option<Json>)>) -> Option<Json> {
    let map: Map<String, Json> = pairs.into_iter().filter_map(|(k, v)| Some((k.to_owned(), v?))).collect();
    (!map.is_empty()).then_some(Json::Object(map))
}

fn metadata(ecs: &mut Flat) -> Json {
    let mut meta = json!({
        "version": VERSION,
        "product": { "name": "logsift", "vendor_name": "logsift", "version": env!("CARGO_PKG_VERSION") },
    });
    if let Some(dataset) = take_str(ecs, "event.dataset") {
        meta["log_name"] = Json::from(dataset);
    }
    if let Some(id) = take_str(ecs, "event.id") {
        meta["uid"] = Json::from(id);
    }
    meta
}

/// The common attributes: classification, time, metadata, the original text.
fn base(ecs: &mut Flat, class_uid: i64, category_uid: i64, activity_id: i64, severity_id: i64) -> Map<String, Json> {
    let time = millis(ecs).unwrap_or(0);
    let mut out = Map::new();
    out.insert("class_uid".into(), Json::from(class_uid));
    out.insert("category_uid".into(), Json::from(category_uid));
    out.insert("activity_id".into(), Json::from(activity_id));
    out.insert("type_uid".into(), Json::from(class_uid * 100 + activity_id));
    out.insert("severity_id".into(), Json::from(severity_id));
    out.insert("time".into(), Json::from(time));
    out.insert("metadata".into(), metadata(ecs));
    if let Some(raw) = take(ecs, "event.original") {
        out.insert("raw_data".into(), raw);
    }
    out
}

fn endpoint(ecs: &mut Flat, prefix: &str) -> Option<Json> {
    let ip = take(ecs, &format!("{prefix}.ip"));
    let port = take(ecs, &format!("{prefix}.port"));
    let hostname = take(ecs, &format!("{prefix}.domain"));
    object([("ip", ip), ("port", port), ("hostname", hostname)])
}

fn finish(mut out: Map<String, Json>, ecs: Flat) -> Map<String, Json> {
    if !ecs.is_empty() {
        out.insert("unmapped".into(), Json::Object(ecs));
    }
    out
}

/// An sshd login as Authentication (3002), Logon.
fn authentication(mut ecs: Flat) -> Map<String, Json> {
    let outcome = take_str(&mut ecs, "event.outcome");
    let mut out = base(&mut ecs, 3002, 3, 1, 1);
    let (status_id, status) = match outcome.as_deref() {
        Some("success") => (1, "Success"),
        Some("failure") => (2, "Failure"),
        _ => (0, "Unknown"),
    };
    out.insert("status_id".into(), Json::from(status_id));
    out.insert("status".into(), Json::from(status));
    let user = take_str(&mut ecs, "user.name").unwrap_or_else(|| "unknown".into());
    let type_id = if user == "root" { 2 } else { 1 };
    out.insert("user".into(), json!({ "name": user, "type_id": type_id }));
    if let Some(src) = endpoint(&mut ecs, "source") {
        out.insert("src_endpoint".into(), src);
    }
    let host = take_str(&mut ecs, "host.hostname").unwrap_or_else(|| "unknown".into());
    out.insert("dst_endpoint".into(), json!({ "hostname": host }));
    let service = take_str(&mut ecs, "process.name").unwrap_or_else(|| "sshd".into());
    out.insert("service".into(), json!({ "name": service }));
    if let Some(method) = take_str(&mut ecs, "sshd.auth.method") {
        out.insert("auth_protocol".into(), Json::from(format!("SSH {method}")));
    }
    out.insert("auth_protocol_id".into(), Json::from(99));
    out.insert("logon_type_id".into(), Json::from(10));
    out.insert("is_remote".into(), Json::from(true));
    if let Some(reason) = take_str(&mut ecs, "event.reason") {
        out.insert("status_detail".into(), Json::from(reason));
    }
    finish(out, ecs)
}

fn http_activity_id(method: &str) -> i64 {
    match method.to_ascii_uppercase().as_str() {
        "CONNECT" => 1,
        "DELETE" => 2,
        "GET" => 3,
        "HEAD" => 4,
        "OPTIONS" => 5,
        "POST" => 6,
        "PUT" => 7,
        "TRACE" => 8,
        _ => 99,
    }
}

/// A web access line as HTTP Activity (4002).
fn http_activity(mut ecs: Flat) -> Map<String, Json> {
    let method = take_str(&mut ecs, "http.request.method").unwrap_or_default();
    let code = take_int(&mut ecs, "http.response.status_code").unwrap_or(0);
    let mut out = base(&mut ecs, 4002, 4, http_activity_id(&method), 1);
    out.insert("status_id".into(), Json::from(if (1..400).contains(&code) { 1 } else { 2 }));
    out.insert("http_status".into(), Json::from(code));
    let url = object([
        ("url_string", take(&mut ecs, "url.original")),
        ("path", take(&mut ecs, "url.path")),
        ("query_string", take(&mut ecs, "url.query")),
    ]);
    let request = object([
        ("http_method", (!method.is_empty()).then(|| Json::from(method.to_ascii_uppercase()))),
        ("url", url),
        ("user_agent", take(&mut ecs, "user_agent.original")),
        ("version", take_str(&mut ecs, "http.version").map(|v| Json::from(format!("HTTP/{v}")))),
        ("referrer", take(&mut ecs, "http.request.referrer")),
    ]);
    out.insert("http_request".into(), request.unwrap_or_else(|| json!({})));
    let mut response = json!({ "code": code });
    if let Some(bytes) = take(&mut ecs, "http.response.body.bytes") {
        response["length"] = bytes;
    }
    out.insert("http_response".into(), response);
    if let Some(src) = endpoint(&mut ecs, "source") {
        out.insert("src_endpoint".into(), src);
    }
    // The server: its name or address when the line has one, else the log it was read from.
    let dst = endpoint(&mut ecs, "destination")
        .or_else(|| take(&mut ecs, "host.hostname").map(|h| json!({ "hostname": h })))
        .or_else(|| take(&mut ecs, "url.domain").map(|h| json!({ "hostname": h })))
        .unwrap_or_else(
            || json!({ "name": ecs.get("log.file.path").or(ecs.get("kafka.topic")).cloned().unwrap_or(Json::from("unknown")) }),
        );
    out.insert("dst_endpoint".into(), dst);
    finish(out, ecs)
}

/// An event no class above fits, as Base Event (0).
fn base_event(mut ecs: Flat) -> Map<String, Json> {
    let out = base(&mut ecs, 0, 0, 0, 1);
    finish(out, ecs)
}

/// An event (flat ECS fields) as OCSF.
pub fn event(ecs: Flat) -> Map<String, Json> {
    let is = |k: &str, v: &str| ecs.get(k).and_then(Json::as_str) == Some(v);
    if is("event.action", "ssh_login") {
        authentication(ecs)
    } else if ecs.contains_key("http.request.method") && ecs.contains_key("http.response.status_code") {
        http_activity(ecs)
    } else {
        base_event(ecs)
    }
}

fn severity_id(level: &str) -> i64 {
    match level {
        "informational" => 1,
        "low" => 2,
        "medium" => 3,
        "high" => 4,
        "critical" => 5,
        _ => 0,
    }
}

/// An alert (flat ECS fields: the event it fired on, `rule.*`, `alert.*`) as a Detection
/// Finding (2004), Create; the event goes in `evidences` as data.
pub fn alert(mut ecs: Flat) -> Map<String, Json> {
    let level = take_str(&mut ecs, "rule.level").unwrap_or_default();
    let rule_id = take_str(&mut ecs, "rule.id").unwrap_or_default();
    let title = take_str(&mut ecs, "rule.title").unwrap_or_else(|| rule_id.clone());
    let uid = take_str(&mut ecs, "alert.id").unwrap_or_else(|| rule_id.clone());
    let tags = take(&mut ecs, "rule.tags");
    let techniques = take(&mut ecs, "threat.technique.id");
    let status = take(&mut ecs, "rule.status");
    let ruleset = take(&mut ecs, "rule.ruleset");
    let shadow = take(&mut ecs, "rule.shadow");
    for k in ["rule.name", "event.kind", "event.severity", "threat.framework"] {
        ecs.remove(k);
    }
    let mut out = base(&mut ecs, 2004, 2, 1, severity_id(&level));
    out.insert("status_id".into(), Json::from(1));
    let attacks = techniques
        .and_then(|t| t.as_array().cloned())
        .map(|ids| Json::Array(ids.into_iter().map(|id| json!({ "technique": { "uid": id }, "version": "v15" })).collect()));
    let analytic = object([
        ("uid", Some(Json::from(rule_id))),
        ("name", Some(Json::from(title.clone()))),
        ("type_id", Some(Json::from(1))),
        ("type", Some(Json::from("Rule"))),
        ("category", ruleset),
        ("state", status),
    ]);
    let info = object([
        ("uid", Some(Json::from(uid))),
        ("title", Some(Json::from(title))),
        ("analytic", analytic),
        ("types", tags),
        ("attacks", attacks),
    ]);
    out.insert("finding_info".into(), info.unwrap_or_default());
    // A shadow stage's alert (a rule on trial): OCSF has no attribute for it.
    if let Some(shadow) = shadow {
        out.insert("unmapped".into(), json!({ "rule.shadow": shadow }));
    }
    if let Some(src) = endpoint(&mut ecs.clone(), "source") {
        out.insert("src_endpoint".into(), src);
    }
    if !ecs.is_empty() {
        out.insert("evidences".into(), json!([{ "data": Json::Object(ecs) }]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flat(value: Json) -> Flat {
        value.as_object().expect("object").clone()
    }

    /// The attributes OCSF 1.3.0 requires of every class.
    fn assert_base(record: &Map<String, Json>, class_uid: i64) {
        for key in ["activity_id", "category_uid", "class_uid", "type_uid", "severity_id", "time", "metadata"] {
            assert!(record.contains_key(key), "{key} missing: {record:?}");
        }
        assert_eq!(record["class_uid"], class_uid);
        assert_eq!(record["type_uid"].as_i64(), Some(class_uid * 100 + record["activity_id"].as_i64().expect("activity")));
        assert_eq!(record["metadata"]["version"], VERSION);
        assert!(record["metadata"]["product"]["name"].is_string() && record["metadata"]["product"]["vendor_name"].is_string());
    }

    #[test]
    fn an_sshd_login_is_an_authentication_logon() {
        let record = event(flat(json!({
            "@timestamp": "2024-12-10T06:55:48Z", "event.action": "ssh_login", "event.outcome": "failure",
            "user.name": "root", "source.ip": "183.62.140.253", "source.port": 58318, "host.hostname": "LabSZ",
            "process.name": "sshd", "sshd.auth.method": "password", "process.pid": 24200,
        })));
        assert_base(&record, 3002);
        assert_eq!((record["activity_id"].as_i64(), record["status_id"].as_i64()), (Some(1), Some(2)));
        assert_eq!(record["time"], 1_733_813_748_000_i64);
        assert_eq!(record["user"]["name"], "root");
        assert_eq!(record["src_endpoint"], json!({"ip": "183.62.140.253", "port": 58318}));
        assert_eq!(record["dst_endpoint"]["hostname"], "LabSZ");
        assert_eq!(record["unmapped"]["process.pid"], 24200, "the rest is kept");
    }

    #[test]
    fn a_web_access_line_is_http_activity_by_method() {
        let record = event(flat(json!({
            "@timestamp": "2024-12-10T06:55:48Z", "http.request.method": "POST", "http.response.status_code": 404,
            "url.original": "/login.php?x=1", "url.path": "/login.php", "source.ip": "10.0.0.5", "log.file.path": "access.log",
        })));
        assert_base(&record, 4002);
        assert_eq!(record["activity_id"], 6);
        assert_eq!(record["http_response"]["code"], 404);
        assert_eq!(record["http_request"]["http_method"], "POST");
        assert_eq!(record["http_request"]["url"]["path"], "/login.php");
        assert!(record["dst_endpoint"].is_object(), "required");
    }

    #[test]
    fn an_alert_is_a_detection_finding() {
        let record = alert(flat(json!({
            "@timestamp": "2024-12-10T06:55:48Z", "rule.id": "logsift.sshd.failed-root-password", "rule.title": "Failed root login",
            "rule.level": "high", "alert.id": "abc", "rule.tags": ["attack.t1110.001"], "threat.technique.id": ["T1110.001"],
            "source.ip": "183.62.140.253", "user.name": "root",
        })));
        assert_base(&record, 2004);
        assert_eq!((record["activity_id"].as_i64(), record["severity_id"].as_i64()), (Some(1), Some(4)));
        assert_eq!(record["finding_info"]["uid"], "abc");
        assert_eq!(record["finding_info"]["title"], "Failed root login");
        assert_eq!(record["finding_info"]["analytic"]["type_id"], 1);
        assert_eq!(record["finding_info"]["attacks"][0]["technique"]["uid"], "T1110.001");
        assert_eq!(record["evidences"][0]["data"]["user.name"], "root");
        assert!(record.get("unmapped").is_none(), "a live alert has no shadow mark");
    }

    #[test]
    fn a_shadow_alert_keeps_its_mark_outside_the_evidence() {
        let record = alert(flat(json!({"rule.id": "r", "rule.level": "low", "rule.shadow": true, "user.name": "root"})));
        assert_eq!(record["unmapped"]["rule.shadow"], true);
        assert!(record["evidences"][0]["data"].get("rule.shadow").is_none(), "{record:?}");
    }

    #[test]
    fn anything_else_is_a_base_event_with_its_fields_unmapped() {
        let record = event(flat(json!({"message": "hello"})));
        assert_base(&record, 0);
        assert_eq!(record["unmapped"]["message"], "hello");
    }
}
