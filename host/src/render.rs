//! Output records as JSON objects: events as ECS documents (nested or flat keys), alerts
//! as the event they fired on plus `rule.*`, `alert.*` and `event.kind = "alert"`, dead
//! letters as the original text plus `error.message`.
//!
//! With `schema = "ocsf"`, events and alerts are built as flat ECS first and then turned
//! into OCSF records by [`crate::ocsf`].
//!
//! Every record carries where it came from (`log.file.path` and `log.file.line`, or
//! `kafka.topic`, `kafka.partition` and `kafka.offset`) and a stable `event.id` derived from
//! that position, so duplicates from a replay can be recognised downstream.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use logsift_event::{DecodeError, EventView, Origin, Value};
use serde_json::{Map, Value as Json};

use crate::config::{FormatConfig, JsonStyle, Schema};
use crate::pipeline::{AlertRecord, Content, DeadLetter, InputRecord, OutputItem, Payload, stable_id};

/// Builds JSON objects in one key style.
#[derive(Debug, Clone, Copy)]
pub struct Renderer {
    style: JsonStyle,
    schema: Schema,
}

fn to_json(value: &Value<'_>) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::Str(s) => Json::String(s.to_string()),
        Value::Timestamp(_) | Value::Ip(_) => Json::String(value.to_string()),
        Value::Array(items) => Json::Array(items.iter().map(to_json).collect()),
    }
}

/// Inserts under a dotted name, expanding it into nested objects. Where a name collides
/// with a value already there (`a` is text and `a.b` arrives), the rest of the name is kept
/// dotted at that level, so nothing is lost.
fn insert_nested(map: &mut Map<String, Json>, key: &str, value: Json) {
    let Some((head, rest)) = key.split_once('.').filter(|(h, r)| !h.is_empty() && !r.is_empty()) else {
        match map.get_mut(key) {
            Some(Json::Object(existing)) if !value.is_object() => {
                existing.insert("_value".into(), value);
            }
            _ => {
                map.insert(key.to_owned(), value);
            }
        }
        return;
    };
    match map.entry(head).or_insert_with(|| Json::Object(Map::new())) {
        Json::Object(inner) => insert_nested(inner, rest, value),
        _ => {
            map.insert(key.to_owned(), value);
        }
    }
}

impl Renderer {
    /// A renderer for a key style.
    pub fn new(style: JsonStyle) -> Self {
        Renderer { style, schema: Schema::Ecs }
    }

    /// A renderer for the configured output format.
    pub fn for_format(format: &FormatConfig) -> Self {
        Renderer { style: format.json, schema: format.schema }
    }

    fn put(&self, map: &mut Map<String, Json>, key: &str, value: Json) {
        match self.style {
            JsonStyle::Nested => insert_nested(map, key, value),
            JsonStyle::Flat => {
                map.insert(key.to_owned(), value);
            }
        }
    }

    fn origin(&self, map: &mut Map<String, Json>, origin: &Origin<'_>) {
        match origin {
            Origin::None => {}
            Origin::File { path, line } => {
                self.put(map, "log.file.path", Json::from(path.as_ref()));
                self.put(map, "log.file.line", Json::from(*line));
            }
            Origin::Kafka { topic, partition, offset, .. } => {
                self.put(map, "kafka.topic", Json::from(topic.as_ref()));
                self.put(map, "kafka.partition", Json::from(*partition));
                self.put(map, "kafka.offset", Json::from(*offset));
            }
        }
    }

    /// Any output record as JSON; `inputs` are the batch's input records (dead letters carry
    /// their raw bytes).
    pub fn item(&self, item: &OutputItem<'_>, inputs: &[InputRecord]) -> Result<Map<String, Json>, DecodeError> {
        if self.schema == Schema::Ocsf {
            let flat = Renderer::new(JsonStyle::Flat);
            return Ok(match item.content {
                Content::Event { frame, ordinal } => crate::ocsf::event(flat.event(frame, ordinal)?),
                Content::Routed(Payload::Event(frame)) => crate::ocsf::event(flat.event(frame, 0)?),
                Content::Routed(Payload::Alert(alert)) => crate::ocsf::alert(flat.alert(alert)?),
                Content::Routed(Payload::DeadLetter(dead)) => self.dead_letter(dead, &inputs[item.source as usize]),
            });
        }
        match item.content {
            Content::Event { frame, ordinal } => self.event(frame, ordinal),
            Content::Routed(Payload::Event(frame)) => self.event(frame, 0),
            Content::Routed(Payload::Alert(alert)) => self.alert(alert),
            Content::Routed(Payload::DeadLetter(dead)) => Ok(self.dead_letter(dead, &inputs[item.source as usize])),
        }
    }

    /// An event. `ordinal` tells apart several events split from one record (0 for the
    /// first), for the stable `event.id` given when the event has none.
    pub fn event(&self, frame: &[u8], ordinal: u32) -> Result<Map<String, Json>, DecodeError> {
        let view = EventView::from_frame(frame)?;
        let mut map = Map::new();
        let mut has_id = false;
        for field in view.fields() {
            let (name, value) = field?;
            has_id |= name == "event.id";
            self.put(&mut map, name, to_json(&value));
        }
        self.origin(&mut map, &view.origin()?);
        if !has_id {
            let id = stable_id(&[view.raw_origin(), &ordinal.to_le_bytes()]);
            self.put(&mut map, "event.id", Json::from(id));
        }
        Ok(map)
    }

    /// An alert: the event it fired on (if any) with the alert's fields over it.
    pub fn alert(&self, alert: &AlertRecord) -> Result<Map<String, Json>, DecodeError> {
        let mut map = match &alert.event {
            Some(frame) => self.event(frame, 0)?,
            None => Map::new(),
        };
        let fields = [
            ("event.kind", Json::from("alert")),
            ("event.severity", Json::from(alert.level.severity())),
            ("rule.id", Json::from(alert.rule_id.as_str())),
            ("rule.name", Json::from(alert.title.as_str())),
            ("rule.title", Json::from(alert.title.as_str())),
            ("rule.level", Json::from(alert.level.as_str())),
            ("rule.tags", Json::from(alert.tags.clone())),
            ("rule.ruleset", Json::from(alert.plugin.as_ref())),
            ("alert.id", Json::from(alert.id.as_str())),
        ];
        for (key, value) in fields {
            self.put(&mut map, key, value);
        }
        if let Some(status) = &alert.status {
            self.put(&mut map, "rule.status", Json::from(status.as_str()));
        }
        let techniques: Vec<Json> = alert
            .tags
            .iter()
            .filter_map(|t| t.strip_prefix("attack.t").filter(|id| id.starts_with(|c: char| c.is_ascii_digit())))
            .map(|id| Json::from(format!("T{}", id.to_ascii_uppercase())))
            .collect();
        if !techniques.is_empty() {
            self.put(&mut map, "threat.framework", Json::from("MITRE ATT&CK"));
            self.put(&mut map, "threat.technique.id", Json::Array(techniques));
        }
        for (name, value) in &alert.details {
            self.put(&mut map, &format!("alert.details.{name}"), Json::from(value.as_str()));
        }
        Ok(map)
    }

    /// A dead letter: the original record as text (and as base64 when it is not UTF-8),
    /// the reason and the plugin.
    pub fn dead_letter(&self, dead: &DeadLetter, input: &InputRecord) -> Map<String, Json> {
        let mut map = Map::new();
        let text = String::from_utf8_lossy(&input.raw);
        if let std::borrow::Cow::Owned(_) = text {
            self.put(&mut map, "logsift.original_base64", Json::from(BASE64.encode(&input.raw)));
        }
        self.put(&mut map, "event.original", Json::from(text.as_ref()));
        self.put(&mut map, "error.message", Json::from(dead.reason.as_str()));
        self.put(&mut map, "logsift.plugin", Json::from(dead.plugin.as_ref()));
        self.origin(&mut map, &input.origin);
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use logsift_event::EventWriter;

    fn frame(fields: &[(&str, Value<'_>)]) -> Vec<u8> {
        let mut buf = Vec::new();
        let mut w = EventWriter::begin(&mut buf, &Origin::File { path: "x.log".into(), line: 3 });
        for (n, v) in fields {
            w.field(n, v);
        }
        w.finish();
        buf
    }

    #[test]
    fn nested_style_expands_dotted_names_and_keeps_collisions() {
        let f = frame(&[("source.ip", Value::Ip("10.0.0.1".parse().unwrap())), ("a", Value::from("x")), ("a.b", Value::Int(1))]);
        let json = Json::Object(Renderer::new(JsonStyle::Nested).event(&f, 0).unwrap());
        assert_eq!(json["source"]["ip"], "10.0.0.1");
        assert_eq!(json["a"], "x");
        assert_eq!(json["a.b"], 1);
        assert_eq!(json["log"]["file"]["line"], 3);
        assert_eq!(json["event"]["id"].as_str().unwrap().len(), 32);
    }

    #[test]
    fn flat_style_keeps_dotted_keys() {
        let f = frame(&[("source.port", Value::Int(22)), ("@timestamp", Value::Timestamp(0))]);
        let json = Json::Object(Renderer::new(JsonStyle::Flat).event(&f, 0).unwrap());
        assert_eq!(json["source.port"], 22);
        assert_eq!(json["@timestamp"], "1970-01-01T00:00:00Z");
    }

    #[test]
    fn split_events_of_one_record_get_different_ids() {
        let f = frame(&[]);
        let r = Renderer::new(JsonStyle::Flat);
        assert_ne!(r.event(&f, 0).unwrap()["event.id"], r.event(&f, 1).unwrap()["event.id"]);
    }
}
