//! The checks each fuzz target runs on one input: every function panics on a broken
//! invariant and returns quietly otherwise. No input may make them panic: a record, a
//! plugin's returned batch, a configuration file and a log file are all written by someone
//! else.

use std::io::BufReader;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

use arbitrary::Unstructured;
use logsift_event::{Batch, EventView, EventWriter, Origin, Value};
use logsift_sdk::{Plugin, testing};

/// What a plugin returns is decoded by the host: the trust boundary. Whatever the bytes,
/// decoding returns an error or events whose every field decodes once validated, and
/// `validate` (which builds nothing) accepts and refuses exactly what decoding does.
pub fn batch_decode(data: &[u8]) {
    for view in Batch::new(data) {
        let Ok(view) = view else { break };
        let decoded = view.origin().and_then(|_| view.decode_all()).map(drop);
        assert_eq!(view.validate(), decoded, "validate answers as decoding the origin and fields does");
        if decoded.is_ok() {
            let fields = view.decode_all().expect("a validated event decodes");
            assert_eq!(fields.len(), view.len(), "every counted field decodes");
            for (name, _) in &fields {
                assert!(view.get(name).is_some(), "a decoded name can be looked up");
            }
        }
    }
    let _ = EventView::from_frame(data).map(|v| v.validate());
}

/// A value as the fuzzer builds it (built by hand, not derived: a derived `Arbitrary` nests
/// arrays as deep as the input says and overflows a thread's stack).
#[derive(Debug)]
pub enum FuzzValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Timestamp(i64),
    Ip4([u8; 4]),
    Ip6([u8; 16]),
    Array(Vec<FuzzValue>),
}

/// Arrays nest at most this deep (the encoding allows 32).
const MAX_NESTING: usize = 30;

fn fuzz_value(u: &mut Unstructured<'_>, depth: usize) -> arbitrary::Result<FuzzValue> {
    Ok(match u.choose_index(9)? {
        0 => FuzzValue::Null,
        1 => FuzzValue::Bool(u.arbitrary()?),
        2 => FuzzValue::Int(u.arbitrary()?),
        3 => FuzzValue::Float(u.arbitrary()?),
        4 => FuzzValue::Str(u.arbitrary()?),
        5 => FuzzValue::Timestamp(u.arbitrary()?),
        6 => FuzzValue::Ip4(u.arbitrary()?),
        7 => FuzzValue::Ip6(u.arbitrary()?),
        _ if depth >= MAX_NESTING => FuzzValue::Null,
        _ => {
            let len = u.int_in_range(0..=8)?;
            FuzzValue::Array((0..len).map(|_| fuzz_value(u, depth + 1)).collect::<arbitrary::Result<_>>()?)
        }
    })
}

fn value(v: &FuzzValue) -> Value<'_> {
    match v {
        FuzzValue::Null => Value::Null,
        FuzzValue::Bool(b) => Value::Bool(*b),
        FuzzValue::Int(i) => Value::Int(*i),
        FuzzValue::Float(f) => Value::Float(*f),
        FuzzValue::Str(s) => Value::from(s.as_str()),
        FuzzValue::Timestamp(t) => Value::Timestamp(*t),
        FuzzValue::Ip4(b) => Value::Ip(IpAddr::from(*b)),
        FuzzValue::Ip6(b) => Value::Ip(IpAddr::V6(Ipv6Addr::from(*b))),
        FuzzValue::Array(items) => Value::Array(items.iter().map(value).collect()),
    }
}

/// An event as the fuzzer builds it: fields, and a file origin.
#[derive(Debug)]
pub struct FuzzEvent {
    pub path: String,
    pub line: u64,
    pub fields: Vec<(String, FuzzValue)>,
}

fn fuzz_events(u: &mut Unstructured<'_>) -> arbitrary::Result<Vec<FuzzEvent>> {
    let mut events = Vec::new();
    while !u.is_empty() && events.len() < 64 {
        let (path, line) = (u.arbitrary()?, u.arbitrary()?);
        let count = u.int_in_range(0..=32)?;
        let fields = (0..count).map(|_| Ok((u.arbitrary()?, fuzz_value(u, 0)?))).collect::<arbitrary::Result<_>>()?;
        events.push(FuzzEvent { path, line, fields });
    }
    Ok(events)
}

fn same(a: &Value<'_>, b: &Value<'_>) -> bool {
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => x.to_bits() == y.to_bits() || (x.is_nan() && y.is_nan()),
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        _ => a == b,
    }
}

/// What the SDK and the host encode decodes to the same fields and origin.
pub fn batch_encode(data: &[u8]) {
    let Ok(events) = fuzz_events(&mut Unstructured::new(data)) else { return };
    let mut buf = Vec::new();
    for event in &events {
        let mut w = EventWriter::begin(&mut buf, &Origin::File { path: event.path.as_str().into(), line: event.line });
        for (name, v) in &event.fields {
            w.field(name, &value(v));
        }
        w.finish();
    }
    let mut decoded = Batch::new(&buf);
    for event in &events {
        let view = decoded.next().expect("as many events as encoded").expect("an encoded event decodes");
        view.validate().expect("an encoded event validates");
        match view.origin().expect("origin") {
            Origin::File { path, line } => assert!(path == event.path.as_str() && line == event.line),
            other => panic!("origin changed to {other:?}"),
        }
        let fields = view.decode_all().expect("fields");
        assert_eq!(fields.len(), event.fields.len());
        for ((name, got), (want_name, want)) in fields.iter().zip(&event.fields) {
            assert_eq!(name, want_name);
            assert!(same(got, &value(want)), "{name}: {got:?} != {want:?}");
        }
    }
    assert!(decoded.next().is_none(), "no more events than encoded");
}

/// A parser's line-to-fields path, as the SDK runs it: any line is parsed or rejected with
/// a reason, never a panic.
pub fn parser_line<P: Plugin>(data: &[u8], settings: &str) {
    let line = String::from_utf8_lossy(data);
    let mut plugin: P = testing::plugin(settings);
    let results = testing::run(&mut plugin, &testing::lines_batch(&[line.as_ref()]));
    assert_eq!(results.len(), 1, "one result per record");
}

/// The configuration loader: any text is settings or an error that says why.
pub fn config_load(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let path = Path::new("/nonexistent/logsift.toml");
    if let Ok(settings) = logsift::Settings::from_toml(&text, path, Default::default(), std::iter::empty()) {
        assert!(settings.batch_size >= 1);
        assert!(settings.pipeline.iter().all(|s| s.plugin.is_some() != s.directory.is_some()));
    }
}

/// The file source's framing: lines are kept up to the bound, JSON values are framed in
/// one pass, and every byte read is accounted for.
pub fn file_framing(data: &[u8]) {
    const MAX: usize = 64;
    let mut reader = BufReader::with_capacity(7, data);
    let mut buf = Vec::new();
    let mut frame = logsift::files::JsonFrame::default();
    let (mut consumed, mut number) = (0u64, 0u64);
    while let Some(line) = logsift::files::read_line(&mut reader, &mut buf, MAX).expect("reading from memory") {
        number += 1;
        consumed += line.consumed;
        assert!(buf.len() <= MAX && buf.len() as u64 <= line.length && line.length < line.consumed + 1);
        if let Some((value, first, cut)) = frame.push(&buf, line.length, number, MAX) {
            assert!(value.len() <= MAX, "a framed value stays within the bound");
            assert!(first <= number);
            assert!(cut.is_none_or(|n| n > value.len() as u64));
        }
    }
    if let Some((value, _, _)) = frame.finish() {
        assert!(value.len() <= MAX);
    }
    assert_eq!(consumed, data.len() as u64, "every byte is read once");
}
