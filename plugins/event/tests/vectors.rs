//! The encoding's test vectors (`wit/test-vectors.json`, referenced by `wit/README.md`) are
//! what this crate writes and reads, byte for byte.

use std::borrow::Cow;
use std::net::IpAddr;

use logsift_event::alert::Alerts;
use logsift_event::{Alert, Batch, EventView, EventWriter, Level, Origin, Value};

fn vectors() -> Vec<(String, Vec<u8>)> {
    let text = include_str!("../../../wit/test-vectors.json");
    // A tiny reader for the file's fixed shape, so this crate needs no JSON library:
    // entries of "name": "...", "hex": "..." in order.
    let mut out = Vec::new();
    let mut name = None;
    for line in text.lines() {
        let line = line.trim().trim_end_matches(',');
        if let Some(v) = line.strip_prefix("\"name\": ") {
            name = Some(v.trim_matches('"').to_owned());
        } else if let Some(v) = line.strip_prefix("\"hex\": ") {
            let hex = v.trim_matches('"').replace(' ', "");
            let bytes = (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect();
            out.push((name.take().expect("hex without name"), bytes));
        }
    }
    out
}

fn expected(name: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    match name {
        "file-line" => {
            let origin = Origin::File { path: "a.log".into(), line: 7 };
            let mut w = EventWriter::begin(&mut buf, &origin);
            w.field("event.original", &Value::from("hi"));
            w.finish();
        }
        "typed-fields" => {
            let mut w = EventWriter::begin(&mut buf, &Origin::None);
            w.field("source.ip", &Value::Ip("10.0.0.1".parse::<IpAddr>().unwrap()))
                .field("source.port", &Value::Int(22))
                .field("@timestamp", &Value::Timestamp(1_000_000_000))
                .field("event.outcome", &Value::from("failure"))
                .field("related.user", &Value::Array(vec![Value::from("root"), Value::Null]))
                .field("ok", &Value::Bool(true))
                .field("score", &Value::Float(0.5));
            w.finish();
        }
        "kafka-two-events" => {
            let origin = Origin::Kafka {
                topic: "logs".into(),
                partition: 3,
                offset: 42,
                key: Some(Cow::Borrowed(b"k")),
                headers: vec![("h".into(), Cow::Borrowed(b"v"))],
            };
            for text in ["a", "b"] {
                let mut w = EventWriter::begin(&mut buf, &origin);
                w.field("event.original", &Value::from(text));
                w.finish();
            }
        }
        "two-alerts" => {
            Alert::new("ssh.root-login", "Failed SSH password login for root", Level::High)
                .with_tags(["attack.t1110.001"])
                .with_status("stable")
                .with_detail("source.ip", "203.0.113.9")
                .encode(&mut buf, 3);
            Alert::new("r", "", Level::Informational).with_dedupe_key("k").encode(&mut buf, 0);
        }
        other => panic!("test vector {other} has no expected value here"),
    }
    buf
}

#[test]
fn every_test_vector_encodes_byte_for_byte() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 4, "the vector file changed: update this test");
    for (name, bytes) in vectors {
        assert_eq!(expected(&name), bytes, "vector {name}");
    }
}

#[test]
fn every_test_vector_decodes_back_to_its_values() {
    for (name, bytes) in vectors() {
        let mut reencoded = Vec::new();
        if name.ends_with("alerts") {
            for alert in Alerts::new(&bytes) {
                let alert = alert.unwrap_or_else(|e| panic!("vector {name}: {e}"));
                alert.encode(&mut reencoded, alert.record);
            }
            assert_eq!(reencoded, bytes, "vector {name} round trip");
            continue;
        }
        for event in Batch::new(&bytes) {
            let event = event.unwrap_or_else(|e| panic!("vector {name}: {e}"));
            let mut w = EventWriter::begin(&mut reencoded, &event.origin().unwrap());
            for (n, v) in event.decode_all().unwrap() {
                w.field(n, &v);
            }
            w.finish();
        }
        assert_eq!(reencoded, bytes, "vector {name} round trip");
    }
}

#[test]
fn validate_accepts_and_refuses_exactly_what_decoding_does_with_the_same_error() {
    let mut base = expected("typed-fields");
    // A non-ASCII name and value, and a long string, beside the vector's fields.
    let mut w = EventWriter::begin(&mut base, &Origin::File { path: "ü.log".into(), line: 1 });
    w.field("user.name", &Value::from("Zoë")).field("message", &Value::from("é".repeat(40)));
    w.finish();
    let mut checked = 0;
    let mut refused = 0;
    let mut compare = |bytes: &[u8]| {
        for view in Batch::new(bytes) {
            let Ok(view) = view else { break };
            let decoded = view.origin().and_then(|_| view.decode_all()).map(drop);
            assert_eq!(view.validate(), decoded, "validate and decoding disagree on {bytes:02x?}");
            checked += 1;
            refused += usize::from(decoded.is_err());
        }
    };
    compare(&base);
    // Arrays nested up to the limit and past it (refused: "arrays nested too deeply").
    for depth in 30..=34 {
        let mut value = Value::Null;
        for _ in 0..depth {
            value = Value::Array(vec![value]);
        }
        let mut deep = Vec::new();
        let mut w = EventWriter::begin(&mut deep, &Origin::None);
        w.field("deep", &value);
        w.finish();
        compare(&deep);
    }
    for at in 0..base.len() {
        // Every byte turned into a few others: tags, lengths, counts and text bytes all lie
        // in some of them (0x80, 0xff: text that is not UTF-8).
        for byte in [0x00, 0x01, 0x05, 0x07, 0x08, 0x80, 0xc3, 0xff] {
            let mut bytes = base.clone();
            bytes[at] = byte;
            compare(&bytes);
        }
    }
    assert!(refused > 100 && refused < checked, "the corruptions exercise both answers: {refused} of {checked} refused");
}

#[test]
fn text_bytes_are_a_string_values_bytes_checked_as_decoding_checks_them() {
    let mut base = expected("typed-fields");
    let mut w = EventWriter::begin(&mut base, &Origin::None);
    w.field("user.name", &Value::from("Zoë")).field("message", &Value::from("é".repeat(40))).field("n", &Value::Int(7));
    w.finish();
    let (mut strings, mut refused) = (0, 0);
    for at in 0..base.len() {
        for byte in [0x00, 0x01, 0x05, 0x80, 0xc3, 0xff] {
            let mut bytes = base.clone();
            bytes[at] = byte;
            for view in Batch::new(&bytes).flatten() {
                for (name, field) in view.field_spans().flatten() {
                    let raw = view.field_value(field, name);
                    match (raw.decode(), raw.text_bytes()) {
                        (Ok(Value::Str(text)), Some(Ok(got))) => {
                            assert_eq!(got, text.as_bytes());
                            strings += 1;
                        }
                        (Err(e), Some(Err(got))) => {
                            assert_eq!(got, e);
                            refused += 1;
                        }
                        (Ok(Value::Str(_)), other) => panic!("a string read as {other:?}"),
                        (Ok(_), other) => assert!(other.is_none(), "not a string, read as {other:?}"),
                        (Err(e), other) => assert!(other.is_none(), "{e}: read as {other:?}"),
                    }
                }
            }
        }
    }
    assert!(strings > 100 && refused > 10, "both answers exercised: {strings} strings, {refused} refused");
}

#[test]
fn a_truncated_event_is_an_error_with_its_offset_not_a_panic() {
    let bytes = expected("typed-fields");
    for cut in 0..bytes.len() {
        let result: Result<Vec<_>, _> = Batch::new(&bytes[..cut]).map(|e| e.and_then(|e| e.decode_all())).collect();
        if cut > 0 {
            let err = result.expect_err("a cut event must not decode");
            assert!(err.offset <= cut, "offset {} past the cut {cut}", err.offset);
        }
    }
}

#[test]
fn field_spans_are_the_fields_as_encoded_and_a_lying_value_is_an_error() {
    // Every kind of value: the spans name the fields in order and cover the field section.
    let bytes = expected("typed-fields");
    let event = EventView::from_frame(&bytes).unwrap();
    let spans: Vec<_> = event.field_spans().collect::<Result<_, _>>().unwrap();
    let names: Vec<_> = event.decode_all().unwrap().into_iter().map(|(name, _)| name.as_bytes()).collect();
    assert_eq!(spans.iter().map(|(name, _)| *name).collect::<Vec<_>>(), names);
    assert_eq!(spans.iter().map(|(_, span)| span.len()).sum::<usize>(), event.raw_counted_fields().len() - 4);
    // Values that lie, each after a good field: the good one is given, then the error.
    use logsift_event::tag;
    let lies: [(&[u8], &str); 5] = [
        (&[tag::STRING, 100, 0, 0, 0, b'x'], "truncated string"),
        (&[tag::INT, 1, 2, 3], "truncated number"),
        (&[tag::BOOL, 2], "bool is neither 0 nor 1"),
        (&[tag::IP, 5, 1, 2, 3, 4, 5], "ip length is neither 4 nor 16"),
        (&[tag::IP, 16, 1, 2, 3, 4], "truncated ip"),
    ];
    for (value, what) in lies {
        let mut buf = Vec::new();
        let mut w = EventWriter::begin(&mut buf, &Origin::None);
        w.field("a", &Value::from("ok"));
        w.raw_field("b", value);
        w.finish();
        let event = EventView::from_frame(&buf).unwrap();
        let mut spans = event.field_spans();
        assert!(matches!(spans.next(), Some(Ok((b"a", _)))), "{what}");
        assert_eq!(spans.next().unwrap().unwrap_err().what, what);
        assert!(spans.next().is_none(), "{what}");
    }
}

#[test]
fn spans_end_with_an_error_on_bytes_after_the_last_field_and_names_are_told_text_as_decoding_does() {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, &Origin::None);
    w.field("a", &Value::from("ok")).field("bé", &Value::Int(1));
    w.finish();
    // The frame made one byte longer, that byte after the last field.
    let body_len = u32::from_le_bytes(buf[..4].try_into().unwrap()) + 1;
    buf[..4].copy_from_slice(&body_len.to_le_bytes());
    buf.push(0);
    let event = EventView::from_frame(&buf).unwrap();
    let mut spans = event.field_spans();
    let names: Vec<&[u8]> = spans.by_ref().take(2).map(|span| span.unwrap().0).collect();
    assert_eq!(names, [b"a".as_slice(), "bé".as_bytes()]);
    assert_eq!(spans.next().unwrap().unwrap_err(), event.decode_all().unwrap_err(), "the error decoding gives");
    assert_eq!(spans.next(), None);
    assert_eq!(event.field_name(names[1]), Ok("bé"));

    // A name that is not UTF-8: the same error at the same offset as decoding.
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, &Origin::None);
    w.field("a", &Value::from("ok")).field("bé", &Value::Int(1));
    w.finish();
    let at = buf.windows(2).position(|w| w == "é".as_bytes()).unwrap();
    buf[at + 1] = b'x';
    let event = EventView::from_frame(&buf).unwrap();
    let name = event.field_spans().nth(1).unwrap().unwrap().0;
    assert_eq!(event.field_name(name).unwrap_err(), event.decode_all().unwrap_err());
}

#[test]
fn a_lying_array_length_is_refused_without_allocating_it() {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, &Origin::None);
    w.raw_field("x", &[7, 0xff, 0xff, 0xff, 0xff]);
    w.finish();
    let err = EventView::from_frame(&buf).unwrap().decode_all().unwrap_err();
    assert_eq!(err.what, "array length exceeds the event");
}

#[test]
fn get_finds_a_field_by_name() {
    let bytes = expected("typed-fields");
    let view = EventView::from_frame(&bytes).unwrap();
    assert_eq!(view.get("source.port"), Some(Value::Int(22)));
    assert_eq!(view.get("missing"), None);
    assert_eq!(view.len(), 7);
}
