//! Output records as JSON objects: events as ECS documents (nested or flat keys), alerts
//! as the event they fired on plus `rule.*`, `alert.*` and `event.kind = "alert"`, dead
//! letters as the original text plus `error.message`.
//!
//! Each record is written straight from its event frame into a caller's buffer: the fields
//! are listed ([`fields`]), and written ([`json`]) as the plan for their shape says
//! ([`plan`]: key order, overrides and nesting, worked out once per shape), with no tree in
//! between and no allocation per field. Keys are sorted; a field set twice keeps its last value, so
//! an alert's fields override those of its event; a name that is both a value and the start
//! of other names keeps its value under `_value`.
//!
//! With `schema = "ocsf"`, events and alerts are built as flat ECS first and then turned
//! into OCSF records by [`crate::ocsf`] (through a JSON map: OCSF renames and regroups).
//!
//! Every record carries where it came from (`log.file.path` and `log.file.line`, or
//! `kafka.topic`, `kafka.partition` and `kafka.offset`) and a stable `event.id` derived from
//! that position, so duplicates from a replay can be recognised downstream.

mod fields;
mod json;
mod plan;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use logsift_event::{DecodeError, EventView, Origin, Value};
use serde_json::{Map, Value as Json};

use self::fields::{Field, Fields, Storage, technique};
use self::plan::Plans;
use crate::config::{FormatConfig, JsonStyle, Schema};
use crate::pipeline::{AlertRecord, Content, DeadLetter, InputRecord, OutputItem, Payload, write_stable_id};
use crate::wasm::Level;

/// Writes output records as JSON in one format. Each sink owns one: it keeps the buffers
/// it reuses from record to record.
#[derive(Debug)]
pub struct Renderer {
    style: JsonStyle,
    schema: Schema,
    storage: Storage,
    /// How records of the shapes seen lately are written.
    plans: Plans,
    /// Names made for a record (of alert details), reused.
    names: String,
    /// The stable id made for an event that has none, reused.
    id: String,
}

/// A record with no origin.
const NO_ORIGIN: Origin<'static> = Origin::None;

impl Renderer {
    /// A renderer for a key style.
    pub fn new(style: JsonStyle) -> Self {
        Renderer {
            style,
            schema: Schema::Ecs,
            storage: Storage::default(),
            plans: Plans::default(),
            names: String::new(),
            id: String::new(),
        }
    }

    /// A renderer for the configured output format.
    pub fn for_format(format: &FormatConfig) -> Self {
        Renderer { schema: format.schema, ..Renderer::new(format.json) }
    }

    /// Appends one output record's JSON to `out`; `inputs` are the batch's input records
    /// (dead letters carry their raw bytes). `marker` is a top-level text field written over
    /// whatever the record has there (the `output` name on a shared stream).
    pub fn write(
        &mut self,
        item: &OutputItem<'_>,
        inputs: &[InputRecord],
        marker: Option<(&str, &str)>,
        out: &mut Vec<u8>,
    ) -> Result<(), DecodeError> {
        if self.schema == Schema::Ocsf && !matches!(item.content, Content::Routed(Payload::DeadLetter(_))) {
            let mut map = self.ocsf(item)?;
            if let Some((name, value)) = marker {
                map.insert(name.to_owned(), Json::from(value));
            }
            serde_json::to_writer(&mut *out, &map).expect("writing to a Vec cannot fail");
            return Ok(());
        }
        let nested = self.style == JsonStyle::Nested;
        match item.content {
            Content::Event { frame, ordinal } => self.record(nested, Some((frame, ordinal)), None, None, marker, out),
            Content::Routed(Payload::Event(frame)) => self.record(nested, Some((frame, 0)), None, None, marker, out),
            Content::Routed(Payload::Alert(alert)) => {
                self.record(nested, alert.event.as_deref().map(|f| (f, 0)), Some(alert), None, marker, out)
            }
            Content::Routed(Payload::DeadLetter(dead)) => {
                self.record(nested, None, None, Some((dead, &inputs[item.source as usize])), marker, out)
            }
        }
    }

    /// One output record as a JSON object (for tests and `logsift test`, not the hot path).
    pub fn item(&mut self, item: &OutputItem<'_>, inputs: &[InputRecord]) -> Result<Map<String, Json>, DecodeError> {
        let mut out = Vec::new();
        self.write(item, inputs, None, &mut out)?;
        Ok(serde_json::from_slice(&out).expect("the renderer writes a JSON object"))
    }

    /// An alert as one JSON object, appended to `out`.
    pub fn alert(&mut self, alert: &AlertRecord, out: &mut Vec<u8>) -> Result<(), DecodeError> {
        let nested = self.style == JsonStyle::Nested;
        self.record(nested, alert.event.as_deref().map(|f| (f, 0)), Some(alert), None, None, out)
    }

    /// Lists a record's fields and writes them.
    fn record(
        &mut self,
        nested: bool,
        event: Option<(&[u8], u32)>,
        alert: Option<&AlertRecord>,
        dead: Option<(&DeadLetter, &InputRecord)>,
        marker: Option<(&str, &str)>,
        out: &mut Vec<u8>,
    ) -> Result<(), DecodeError> {
        let view = event.map(|(frame, _)| EventView::from_frame(frame)).transpose()?;
        let decoded = view.as_ref().map(EventView::origin).transpose()?;
        let origin = match (&decoded, dead) {
            (Some(origin), _) => origin,
            (None, Some((_, input))) => &input.origin,
            (None, None) => &NO_ORIGIN,
        };
        self.names.clear();
        let mut detail_names = Vec::new();
        if let Some(alert) = alert {
            for (name, _) in &alert.details {
                let start = self.names.len();
                self.names.push_str("alert.details.");
                self.names.push_str(name);
                detail_names.push(start..self.names.len());
            }
        }
        let dead_text = dead.map(|(_, input)| String::from_utf8_lossy(&input.raw));
        let base64 = match (&dead_text, dead) {
            (Some(std::borrow::Cow::Owned(_)), Some((_, input))) => Some(BASE64.encode(&input.raw)),
            _ => None,
        };

        let mut fields = Fields::reuse(std::mem::take(&mut self.storage), nested);
        if let Some(view) = &view {
            for span in view.field_spans() {
                let (name, field) = span?;
                // Text, nearly every value, is written from its bytes as encoded.
                let value = view.field_value(field, name);
                let value = match value.text_bytes() {
                    Some(text) => Field::Utf8(text?),
                    None => Field::Value(value.decode()?),
                };
                fields.push_encoded(name, value);
            }
        }
        if let Some((dead, _)) = dead {
            if let Some(encoded) = &base64 {
                fields.push("logsift.original_base64", Field::Text(encoded));
            }
            fields.push("event.original", Field::Text(dead_text.as_deref().unwrap_or_default()));
            fields.push("error.message", Field::Text(&dead.reason));
            fields.push("logsift.plugin", Field::Text(&dead.plugin));
        }
        origin_fields(&mut fields, origin);
        self.id.clear();
        if let (Some(view), Some((_, ordinal))) = (&view, event)
            && !fields.has("event.id")
        {
            write_stable_id(&[view.raw_origin(), &ordinal.to_le_bytes()], &mut self.id);
        }
        if !self.id.is_empty() {
            fields.push("event.id", Field::Text(&self.id));
        }
        if let Some(alert) = alert {
            alert_fields(&mut fields, alert, &self.names, &detail_names);
        }
        if let Some((name, value)) = marker {
            fields.remove_tree(name);
            fields.push(name, Field::Text(value));
        }
        let plan = match self.plans.for_fields(&fields) {
            Ok(plan) => plan,
            Err(at) => {
                let name = fields.names()[at];
                return Err(view.and_then(|v| v.field_name(name).err()).expect("only an event's names can be other than UTF-8"));
            }
        };
        json::object(out, &fields, plan);
        self.storage = fields.into_storage();
        Ok(())
    }

    /// An event or alert as an OCSF record.
    fn ocsf(&mut self, item: &OutputItem<'_>) -> Result<Map<String, Json>, DecodeError> {
        let mut flat = Renderer::new(JsonStyle::Flat);
        let mut out = Vec::new();
        let alert = match item.content {
            Content::Event { frame, ordinal } => {
                flat.record(false, Some((frame, ordinal)), None, None, None, &mut out)?;
                false
            }
            Content::Routed(Payload::Event(frame)) => {
                flat.record(false, Some((frame, 0)), None, None, None, &mut out)?;
                false
            }
            Content::Routed(Payload::Alert(alert)) => {
                flat.alert(alert, &mut out)?;
                true
            }
            Content::Routed(Payload::DeadLetter(_)) => unreachable!("dead letters are written as ECS"),
        };
        let ecs: Map<String, Json> = serde_json::from_slice(&out).expect("the renderer writes a JSON object");
        Ok(if alert { crate::ocsf::alert(ecs) } else { crate::ocsf::event(ecs) })
    }
}

fn origin_fields<'a>(fields: &mut Fields<'a>, origin: &'a Origin<'_>) {
    match origin {
        Origin::None => {}
        Origin::File { path, line } => {
            fields.push("log.file.path", Field::Text(path));
            fields.push("log.file.line", Field::Value(Value::Int(*line as i64)));
        }
        Origin::Kafka { topic, partition, offset, .. } => {
            fields.push("kafka.topic", Field::Text(topic));
            fields.push("kafka.partition", Field::Int(i64::from(*partition)));
            fields.push("kafka.offset", Field::Int(*offset));
        }
    }
}

fn alert_fields<'a>(fields: &mut Fields<'a>, alert: &'a AlertRecord, text: &'a str, detail_names: &[std::ops::Range<usize>]) {
    fields.push("event.kind", Field::Text("alert"));
    fields.push("event.severity", Field::Int(i64::from(severity(alert.level))));
    fields.push("rule.id", Field::Text(&alert.rule_id));
    fields.push("rule.name", Field::Text(&alert.title));
    fields.push("rule.title", Field::Text(&alert.title));
    fields.push("rule.level", Field::Text(alert.level.as_str()));
    fields.push("rule.tags", Field::Texts(&alert.tags));
    fields.push("rule.ruleset", Field::Text(&alert.plugin));
    fields.push("alert.id", Field::Text(&alert.id));
    if let Some(status) = &alert.status {
        fields.push("rule.status", Field::Text(status));
    }
    if alert.shadow {
        fields.push("rule.shadow", Field::Value(Value::Bool(true)));
    }
    if alert.tags.iter().any(|t| technique(t).is_some()) {
        fields.push("threat.framework", Field::Text("MITRE ATT&CK"));
        fields.push("threat.technique.id", Field::Techniques(&alert.tags));
    }
    for ((_, value), name) in alert.details.iter().zip(detail_names) {
        fields.push(&text[name.clone()], Field::Text(value));
    }
}

/// ECS `event.severity` for an alert's level (Elastic's 21/47/73/99 scale, 0 for
/// informational).
fn severity(level: Level) -> u8 {
    match level {
        Level::Informational => 0,
        Level::Low => 21,
        Level::Medium => 47,
        Level::High => 73,
        Level::Critical => 99,
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

    fn event(style: JsonStyle, fields: &[(&str, Value<'_>)]) -> String {
        let f = frame(fields);
        let item = OutputItem { source: 0, output: "events", content: Content::Event { frame: &f, ordinal: 0 } };
        let mut out = Vec::new();
        Renderer::new(style).write(&item, &[], None, &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn nested_style_expands_dotted_names_and_sorts_keys() {
        let text = event(
            JsonStyle::Nested,
            &[("source.ip", Value::Ip("10.0.0.1".parse().unwrap())), ("b", Value::Int(1)), ("a.z", Value::Bool(true))],
        );
        let json: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(json["source"]["ip"], "10.0.0.1");
        assert_eq!(json["log"]["file"]["line"], 3);
        assert_eq!(json["event"]["id"].as_str().unwrap().len(), 32);
        assert!(text.starts_with(r#"{"a":{"z":true},"b":1,"event":{"id":""#), "{text}");
    }

    #[test]
    fn a_name_that_starts_others_keeps_its_value_under_value_in_either_order() {
        let first = event(JsonStyle::Nested, &[("a", Value::from("x")), ("a.b", Value::Int(1))]);
        let second = event(JsonStyle::Nested, &[("a.b", Value::Int(1)), ("a", Value::from("x"))]);
        let (first, second): (Json, Json) = (serde_json::from_str(&first).unwrap(), serde_json::from_str(&second).unwrap());
        assert_eq!(first["a"], serde_json::json!({"_value": "x", "b": 1}));
        assert_eq!(first["a"], second["a"]);
        // An explicit `_value` set later wins over the moved one, and chains resolve.
        let chain = event(JsonStyle::Nested, &[("a", Value::Int(1)), ("a._value", Value::Int(2)), ("a._value.c", Value::Int(3))]);
        let chain: Json = serde_json::from_str(&chain).unwrap();
        assert_eq!(chain["a"], serde_json::json!({"_value": {"_value": 2, "c": 3}}));
    }

    #[test]
    fn the_last_value_of_a_name_wins_and_odd_dots_stay_in_the_name() {
        let text = event(
            JsonStyle::Nested,
            &[("k", Value::Int(1)), ("a..b", Value::Int(2)), (".x", Value::Int(3)), ("y.", Value::Int(4)), ("k", Value::Int(5))],
        );
        let json: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(json["k"], 5);
        assert_eq!(json["a"][".b"], 2);
        assert_eq!(json[".x"], 3);
        assert_eq!(json["y."], 4);
        assert_eq!(text.matches("\"k\"").count(), 1, "{text}");
    }

    #[test]
    fn flat_style_keeps_dotted_keys() {
        let text =
            event(JsonStyle::Flat, &[("source.port", Value::Int(22)), ("@timestamp", Value::Timestamp(0)), ("f", Value::Float(f64::NAN))]);
        let json: Json = serde_json::from_str(&text).unwrap();
        assert_eq!(json["source.port"], 22);
        assert_eq!(json["@timestamp"], "1970-01-01T00:00:00Z");
        assert_eq!(json["f"], Json::Null);
    }

    #[test]
    fn a_marker_replaces_whatever_the_record_had_under_its_name() {
        let f = frame(&[("output.x", Value::Int(1)), ("output", Value::Int(2))]);
        let item = OutputItem { source: 0, output: "alerts", content: Content::Event { frame: &f, ordinal: 0 } };
        let mut out = Vec::new();
        Renderer::new(JsonStyle::Nested).write(&item, &[], Some(("output", "alerts")), &mut out).unwrap();
        let json: Json = serde_json::from_slice(&out).unwrap();
        assert_eq!(json["output"], "alerts");
    }

    #[test]
    fn a_renderer_reusing_plans_writes_what_a_fresh_one_writes_for_any_mix_of_shapes() {
        // More shapes than are kept, cycled twice, some differing only in one name or in
        // the order names were set (which decides overrides and `_value`).
        let names = ["a", "a.b", "b.c", "b", "c.d.e", "c.d", "x", "a"];
        let frames: Vec<Vec<u8>> = (0..40)
            .map(|i| {
                let fields: Vec<(&str, Value<'_>)> =
                    (0..(i % 7) + 1).map(|k| (names[(i + k * 3) % names.len()], Value::Int((i * 10 + k) as i64))).collect();
                frame(&fields)
            })
            .collect();
        for style in [JsonStyle::Nested, JsonStyle::Flat] {
            let mut shared = Renderer::new(style);
            for f in frames.iter().chain(&frames) {
                let item = OutputItem { source: 0, output: "events", content: Content::Event { frame: f, ordinal: 0 } };
                let (mut reused, mut fresh) = (Vec::new(), Vec::new());
                shared.write(&item, &[], None, &mut reused).unwrap();
                Renderer::new(style).write(&item, &[], None, &mut fresh).unwrap();
                assert_eq!(String::from_utf8(reused).unwrap(), String::from_utf8(fresh).unwrap());
            }
        }
    }

    #[test]
    fn a_name_that_is_not_utf8_fails_the_record_as_decoding_the_event_does() {
        let mut f = frame(&[("a", Value::Int(1)), ("zz", Value::Int(2))]);
        let at = f.windows(2).rposition(|w| w == b"zz").expect("the name");
        f[at] = 0xFF;
        let expected = EventView::from_frame(&f).unwrap().decode_all().unwrap_err();
        let item = OutputItem { source: 0, output: "events", content: Content::Event { frame: &f, ordinal: 0 } };
        let mut renderer = Renderer::new(JsonStyle::Nested);
        for _ in 0..2 {
            let mut out = Vec::new();
            assert_eq!(renderer.write(&item, &[], None, &mut out).unwrap_err(), expected);
        }
        // The same renderer goes on with the next record.
        let good = frame(&[("a", Value::Int(1)), ("zz", Value::Int(2))]);
        let item = OutputItem { source: 0, output: "events", content: Content::Event { frame: &good, ordinal: 0 } };
        let mut out = Vec::new();
        renderer.write(&item, &[], None, &mut out).unwrap();
        assert!(String::from_utf8(out).unwrap().starts_with(r#"{"a":1,"#));
    }

    #[test]
    fn split_events_of_one_record_get_different_ids() {
        let f = frame(&[]);
        let mut r = Renderer::new(JsonStyle::Flat);
        let id = |r: &mut Renderer, ordinal| {
            let item = OutputItem { source: 0, output: "events", content: Content::Event { frame: &f, ordinal } };
            r.item(&item, &[]).unwrap()["event.id"].clone()
        };
        assert_ne!(id(&mut r, 0), id(&mut r, 1));
    }
}
