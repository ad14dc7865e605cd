//! `make bench`: what writing output records as JSON costs.
//!
//! Input: `../shared/data/loghub/OpenSSH_2k.log` cycled to 100,000 lines, parsed by the
//! syslog plugin with `ssh-root-login` after it (so ~18 % of records also raise an alert),
//! in batches of 256. The chain runs once; only the rendering of what it produced is timed,
//! each pass over every event and alert, the median of the passes reported:
//! - `ecs nested`, `ecs flat`, `ocsf`: the renderer as the Kafka worker uses it, into one
//!   reused buffer;
//! - `via map`: the same events built as a `serde_json::Map` (the nested keys expanded into
//!   objects, every name and text value copied) and then serialised, which is how logsift
//!   rendered before it wrote JSON straight from the event frame — the reference for the ratio.
//!
//! - `events decode only`: reading the event frames' fields and nothing else, the floor.
//!
//! Figures: ns per record and MB/s written, and `render.nested_per_map` (how many times
//! faster than building the map).
//!
//! Hostile shapes: 100,000 JSON records parsed by the json plugin, once all with the same
//! field names and once with a field name no other record has (an attacker's stream: every
//! record misses the renderer's kept plans and builds its own). Figures:
//! `render.new_shape_ns_per_record`, `render.known_shape_ns_per_record` and their ratio
//! `render.new_shape_per_known_shape` (what a record of a new shape costs, bounded by the
//! record).

#[path = "../support/mod.rs"]
mod support;

use std::hint::black_box;
use std::time::{Duration, Instant};

use logsift::config::{FormatConfig, JsonStyle, Schema};
use logsift::pipeline::{Chain, ChainOutput, Content, InputRecord, StageOptions};
use logsift::render::Renderer;
use logsift::wasm::Limits;
use logsift_event::{EventView, Origin, Value};
use logsift_sdk::testing;
use serde_json::{Map, Value as Json};

const RECORDS: usize = 100_000;
const BATCH: usize = 256;
const PASSES: usize = 7;

/// The reference: a JSON map of the event, nested, then serialised.
fn via_map(frame: &[u8], out: &mut Vec<u8>) {
    fn json(value: &Value<'_>) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(*b),
            Value::Int(i) => Json::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
            Value::Str(s) => Json::String(s.to_string()),
            Value::Timestamp(_) | Value::Ip(_) => Json::String(value.to_string()),
            Value::Array(items) => Json::Array(items.iter().map(json).collect()),
        }
    }
    let view = EventView::from_frame(frame).expect("a frame");
    let mut map = Map::new();
    for field in view.fields() {
        let (name, value) = field.expect("a field");
        let mut at = &mut map;
        let mut parts = name.split('.').peekable();
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                at.insert(part.to_owned(), json(&value));
                break;
            }
            at = match at.entry(part).or_insert_with(|| Json::Object(Map::new())) {
                Json::Object(inner) => inner,
                _ => break,
            };
        }
    }
    serde_json::to_writer(out, &map).expect("writing to a Vec");
}

/// The floor: reading every field of the event frame, writing nothing but their lengths.
fn decode_only(frame: &[u8], out: &mut Vec<u8>) {
    let view = EventView::from_frame(frame).expect("a frame");
    let mut n = 0;
    for field in view.fields() {
        let (name, value) = field.expect("a field");
        n += name.len() + value.as_str().map_or(8, str::len);
    }
    out.extend_from_slice(&n.to_le_bytes());
}

fn main() {
    let Some(path) = testing::shared_data("data/loghub/OpenSSH_2k.log") else {
        eprintln!("bench skipped: ../shared/data/loghub/OpenSSH_2k.log is needed");
        return;
    };
    let text = std::fs::read_to_string(path).expect("reading the sample");
    let lines: Vec<&str> = text.lines().collect();
    let sandbox = support::Sandbox::new();
    let mut chain = Chain::new([
        (sandbox.load("syslog", serde_json::json!({"year": 2024}), Limits::default()), StageOptions::default()),
        (sandbox.load("ssh-root-login", serde_json::json!({}), Limits::default()), StageOptions::default()),
    ]);
    let batches: Vec<(Vec<InputRecord>, ChainOutput)> = (0..RECORDS)
        .map(|i| InputRecord {
            cut_from: None,
            raw: lines[i % lines.len()].as_bytes().to_vec(),
            origin: Origin::Kafka { topic: "logs".into(), partition: (i % 2) as i32, offset: i as i64, key: None, headers: vec![] },
        })
        .collect::<Vec<_>>()
        .chunks(BATCH)
        .map(|inputs| {
            let out = chain.process(inputs);
            (inputs.to_vec(), out)
        })
        .collect();
    let items: usize = batches.iter().map(|(_, out)| out.items().count()).sum();

    let events = batches.iter().flat_map(|(_, out)| out.items()).filter(|i| matches!(i.content, Content::Event { .. })).count();

    let format = |json, schema| Some(FormatConfig { json, schema });
    // (name, format or the map reference, events only)
    let cases: [(&str, Option<FormatConfig>, bool); 6] = [
        ("ecs nested", format(JsonStyle::Nested, Schema::Ecs), false),
        ("ecs flat", format(JsonStyle::Flat, Schema::Ecs), false),
        ("ocsf", format(JsonStyle::Nested, Schema::Ocsf), false),
        ("events nested", format(JsonStyle::Nested, Schema::Ecs), true),
        ("events via map", None, true),
        ("events decode only", None, true),
    ];
    // `cargo bench --bench render -- NAME` runs only the cases whose name contains NAME (to
    // profile one); the figures are then not recorded.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    let run = |name: &str| only.as_ref().is_none_or(|o| name.contains(o.as_str()));
    let mut samples: Vec<Vec<Duration>> = vec![Vec::new(); cases.len()];
    let mut bytes = vec![0usize; cases.len()];
    let mut buf = Vec::with_capacity(4096);
    for _ in 0..PASSES {
        for (case, (name, format, events_only)) in cases.iter().enumerate() {
            if !run(name) {
                samples[case].push(Duration::from_nanos(1));
                continue;
            }
            let mut renderer = format.as_ref().map(Renderer::for_format);
            let mut written = 0;
            let start = Instant::now();
            for (inputs, out) in &batches {
                for item in out.items() {
                    let event = match item.content {
                        Content::Event { frame, .. } => Some(frame),
                        _ if *events_only => continue,
                        _ => None,
                    };
                    buf.clear();
                    match &mut renderer {
                        Some(r) => r.write(&item, inputs, None, &mut buf).expect("render"),
                        None if name.contains("decode") => decode_only(event.expect("events only"), &mut buf),
                        None => via_map(event.expect("events only"), &mut buf),
                    }
                    written += black_box(&buf).len();
                }
            }
            samples[case].push(start.elapsed());
            bytes[case] = written;
        }
    }
    println!("rendering {items} output records ({events} events, the rest alerts), median of {PASSES} passes:");
    println!("  {:<16} {:>10} {:>10}", "case", "ns/record", "MB/s");
    let mut figures = Vec::new();
    let mut times = Vec::new();
    for (case, (name, _, events_only)) in cases.iter().enumerate() {
        let time = support::bench::median(samples[case].clone());
        let per = time.as_nanos() as f64 / if *events_only { events } else { items } as f64;
        let mbs = bytes[case] as f64 / time.as_secs_f64() / 1e6;
        println!("  {name:<16} {per:>10.0} {mbs:>10.0}");
        let key = name.replace(' ', "_");
        figures.push((format!("render.{key}_ns_per_record"), per));
        figures.push((format!("render.{key}_mb_per_s"), mbs));
        times.push(time);
    }
    let ratio = times[4].as_secs_f64() / times[3].as_secs_f64();
    println!("  events nested, written directly vs via a map: {ratio:.2}x as fast");
    figures.push(("render.nested_per_map".into(), ratio));
    if only.is_none() {
        let (new_shape, known_shape) = shapes(&sandbox);
        println!("  hostile shapes, ECS nested: a new shape per record {new_shape:.0} ns, one shape {known_shape:.0} ns per record");
        figures.push(("render.new_shape_ns_per_record".into(), new_shape));
        figures.push(("render.known_shape_ns_per_record".into(), known_shape));
        figures.push(("render.new_shape_per_known_shape".into(), new_shape / known_shape));
    }
    // A partial run (one case, to profile it) leaves the recorded figures alone.
    if only.is_none() {
        let figures: Vec<(&str, f64)> = figures.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        support::bench::record(&figures);
    }
}

/// ns per record rendering JSON records whose field names are new in every record, and the
/// same records all of one shape.
fn shapes(sandbox: &support::Sandbox) -> (f64, f64) {
    let mut chain = Chain::new([(sandbox.load("json", serde_json::json!({}), Limits::default()), StageOptions::default())]);
    let mut per_record = |unique: bool| {
        let batches: Vec<(Vec<InputRecord>, ChainOutput)> = (0..RECORDS)
            .map(|i| {
                let name = if unique { format!("field_{i}") } else { "field".to_owned() };
                let raw = format!(r#"{{"user":{{"name":"alice"}},"{name}":{i},"message":"login failed from 10.0.0.{}"}}"#, i % 250);
                InputRecord { cut_from: None, raw: raw.into_bytes(), origin: Origin::File { path: "-".into(), line: i as u64 + 1 } }
            })
            .collect::<Vec<_>>()
            .chunks(BATCH)
            .map(|inputs| (inputs.to_vec(), chain.process(inputs)))
            .collect();
        let mut buf = Vec::with_capacity(4096);
        let mut passes = Vec::new();
        for _ in 0..PASSES {
            let mut renderer = Renderer::for_format(&FormatConfig { json: JsonStyle::Nested, schema: Schema::Ecs });
            let start = Instant::now();
            for (inputs, out) in &batches {
                for item in out.items() {
                    buf.clear();
                    renderer.write(&item, inputs, None, &mut buf).expect("render");
                    black_box(&buf);
                }
            }
            passes.push(start.elapsed());
        }
        support::bench::median(passes).as_nanos() as f64 / RECORDS as f64
    };
    (per_record(true), per_record(false))
}
