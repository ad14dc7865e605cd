//! The event's reads, writes and encoding against the batch format.

use logsift_event::{Batch, EventWriter, ORIGINAL};

use std::rc::Rc;

use super::read::PEEKS;
use super::*;
use crate::Outcome;

/// One encoded event with these fields.
fn encoded(fields: &[(&str, Value<'_>)]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = EventWriter::begin(&mut buf, &Origin::None);
    for (name, value) in fields {
        w.field(name, value);
    }
    w.finish();
    buf
}

fn event(buf: &[u8]) -> Event<'_> {
    Event::from_view(Batch::new(buf).next().expect("one event").expect("well-formed"))
}

/// Splits `key=value` into one field that borrows both from the line.
fn key_value(line: &str) -> Parsed<'_> {
    match line.split_once('=') {
        Some((key, value)) => Ok(Some(vec![(Cow::Borrowed(key), Value::from(value))])),
        None if line.is_empty() => Ok(None),
        None => Err(format!("no = in {line:?}")),
    }
}

#[test]
fn get_each_reads_what_get_reads_for_every_name_in_the_order_of_the_names() {
    let long = "x".repeat(70);
    let buf = encoded(&[
        ("host.name", Value::from("web-1")),
        ("source.ip", Value::from("10.0.0.1")),
        ("user.id", Value::Int(7)),
        ("source.ip", Value::from("10.0.0.2")),
        (&long, Value::Bool(true)),
    ]);
    let e = event(&buf);
    let names = ["user.id", "missing", "source.ip", long.as_str(), "user.name", "source.ip", "host.nam"];
    let each = e.get_each(&names);
    assert!(e.fields.get().is_none(), "read without decoding the event");
    let one_by_one: Vec<(usize, Value<'_>)> = names.iter().enumerate().filter_map(|(at, n)| Some((at, e.get(n)?.clone()))).collect();
    assert_eq!(each, one_by_one);
    assert_eq!(each.iter().map(|(at, _)| *at).collect::<Vec<_>>(), [0, 2, 3, 5], "the first source.ip, for both names");
    assert_eq!(each[1].1, Value::from("10.0.0.1"));
    assert_eq!(e.get_each(&names), each, "the same once the event is decoded");
    assert!(e.contains("user.id") && !e.contains("user.name"));
    let undecoded = event(&buf);
    assert!(undecoded.contains("user.id") && !undecoded.contains("user.name") && undecoded.contains(&long));
    assert!(undecoded.fields.get().is_none(), "contains reads the names alone");
}

#[test]
fn fill_sets_only_what_contains_then_set_would() {
    let buf = encoded(&[(ORIGINAL, Value::from("x")), ("host.name", Value::from("web-1")), ("owner", Value::Null)]);
    let fill = shared(&[
        ("owner", Value::from("secops")),
        ("host.nam", Value::from("prefix")),
        ("criticality", Value::from("high")),
        ("host.name", Value::from("other")),
        ("criticality", Value::from("low")),
        ("pending", Value::from("from the list")),
    ]);
    let one_by_one = |e: &mut Event<'_>| {
        for (name, value) in fill.iter() {
            if !e.contains(name) {
                e.set(name.clone(), value.clone());
            }
        }
    };
    let mut outputs = Vec::new();
    for decoded_first in [false, true] {
        let (mut filled, mut expected) = (event(&buf), event(&buf));
        for e in [&mut filled, &mut expected] {
            e.set("pending", "set before");
            if decoded_first {
                assert_eq!(e.get("host.name"), Some(&Value::from("web-1")));
            }
        }
        filled.fill(&fill);
        one_by_one(&mut expected);
        assert_eq!(filled.fields.get().is_some(), decoded_first, "fill decodes nothing");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert_eq!(filled.encode_changes(&mut a), Encoded::Update);
        expected.encode_changes(&mut b);
        assert_eq!(fields_of(&a), fields_of(&b));
        outputs.push(fields_of(&a));
    }
    assert_eq!(outputs[0], outputs[1]);
    let added: Vec<&str> = outputs[0].iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(added, ["pending", "host.nam", "criticality"], "present fields (even null) and later repeats are left");
    assert_eq!(outputs[0][2].1, Value::from("high"));
}

/// A shared list of these fields.
fn shared(fields: &[(&str, Value<'static>)]) -> SharedFields {
    fields.iter().map(|(name, value)| ((*name).to_owned(), value.clone())).collect::<Vec<_>>().into()
}

/// The fields of an encoded event or update, by name.
fn sorted_fields_of(buf: &[u8]) -> Vec<(String, Value<'static>)> {
    let mut fields = fields_of(buf);
    fields.sort_by(|a, b| a.0.cmp(&b.0));
    fields
}

#[test]
fn shared_fields_read_and_go_back_as_fields_set_one_by_one() {
    let buf = encoded(&[(ORIGINAL, Value::from("x")), ("host.name", Value::from("web-1")), ("owner", Value::Null)]);
    let marks = shared(&[
        ("host.name", Value::from("replaced")),
        ("tag", Value::from("first")),
        ("pending", Value::from("from the list")),
        ("tag", Value::from("last")),
        ("later", Value::from("from the list")),
    ]);
    let fill = shared(&[("owner", Value::from("secops")), ("tag", Value::from("filled")), ("criticality", Value::from("high"))]);
    // Each step on the shared lists, and the same by `set` (and `contains`) one field at a time.
    type Step = fn(&mut Event<'_>, &SharedFields, &SharedFields, bool);
    let steps: [Step; 4] = [
        |e, _, _, _| e.set("pending", "set before"),
        |e, marks, _, one_by_one| match one_by_one {
            false => e.set_all(marks),
            true => marks.iter().for_each(|(n, v)| e.set(n.clone(), v.clone())),
        },
        |e, _, fill, one_by_one| match one_by_one {
            false => e.fill(fill),
            true => {
                for (n, v) in fill.iter() {
                    if !e.contains(n) {
                        e.set(n.clone(), v.clone());
                    }
                }
            }
        },
        |e, _, _, _| e.set("later", "set after"),
    ];
    for decoded_after in 0..=steps.len() {
        let (mut shared_way, mut one_by_one) = (event(&buf), event(&buf));
        for (at, step) in steps.iter().enumerate() {
            for (e, by_one) in [(&mut shared_way, false), (&mut one_by_one, true)] {
                if at == decoded_after {
                    assert!(e.get("host.name").is_some(), "decoded before step {at}");
                }
                step(e, &marks, &fill, by_one);
            }
        }
        assert_eq!(shared_way.fields.get().is_some(), decoded_after < steps.len(), "nothing decoded unless read");
        let names = ["host.name", "tag", "pending", "later", "owner", "criticality", "missing"];
        // Read from the names alone first, then by decoding.
        for name in names {
            assert_eq!(shared_way.contains(name), one_by_one.contains(name), "{name}");
        }
        assert_eq!(shared_way.fields.get().is_some(), decoded_after < steps.len(), "contains decodes nothing");
        for name in names {
            assert_eq!(shared_way.get_each(&[name]), one_by_one.get_each(&[name]), "{name}");
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        assert_eq!(shared_way.encode_changes(&mut a), Encoded::Update);
        one_by_one.encode_changes(&mut b);
        assert_eq!(sorted_fields_of(&a), sorted_fields_of(&b), "decoded before step {decoded_after}");
        let fields: std::collections::BTreeMap<String, Value<'static>> = fields_of(&a).into_iter().collect();
        assert_eq!(fields["host.name"], Value::from("replaced"));
        assert_eq!(fields["tag"], Value::from("last"), "of two entries, the last; fill leaves a field present");
        assert_eq!(fields["pending"], Value::from("from the list"));
        assert_eq!(fields["later"], Value::from("set after"), "a later set replaces a shared field");
        assert!(!fields.contains_key("owner"), "fill leaves a present null");
        assert_eq!(fields["criticality"], Value::from("high"));
        let read: Vec<(String, Value<'_>)> = shared_way.fields().map(|(n, v)| (n.to_owned(), v.clone())).collect();
        let mut read_by_one: Vec<(String, Value<'_>)> = one_by_one.fields().map(|(n, v)| (n.to_owned(), v.clone())).collect();
        let mut read_sorted = read.clone();
        read_sorted.sort_by(|a, b| a.0.cmp(&b.0));
        read_by_one.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(read_sorted, read_by_one, "read back after the fact");
    }
    assert_eq!(Rc::strong_count(&marks), 1, "events dropped, the list is the stage's again");
}

#[test]
fn lists_too_long_to_keep_aside_are_set_field_by_field() {
    let buf = encoded(&[(ORIGINAL, Value::from("x")), ("f3", Value::from("came in"))]);
    let long: Vec<(String, Value<'static>)> = (0..70).map(|at| (format!("f{}", at % 68), Value::Int(at))).collect();
    let long: SharedFields = long.into();
    for fill in [true, false] {
        let (mut shared_way, mut one_by_one) = (event(&buf), event(&buf));
        match fill {
            true => shared_way.fill(&long),
            false => shared_way.set_all(&long),
        }
        for (name, value) in long.iter() {
            if !fill || !one_by_one.contains(name) {
                one_by_one.set(name.clone(), value.clone());
            }
        }
        assert!(shared_way.shared.is_empty(), "more entries than bits: nothing shared");
        let (mut a, mut b) = (Vec::new(), Vec::new());
        shared_way.encode_changes(&mut a);
        one_by_one.encode_changes(&mut b);
        assert_eq!(sorted_fields_of(&a), sorted_fields_of(&b));
        let fields: std::collections::BTreeMap<String, Value<'static>> = fields_of(&a).into_iter().collect();
        assert_eq!(fields.len(), if fill { 67 } else { 68 }, "f3 kept by fill, every name once");
        assert_eq!(fields["f0"], Value::Int(if fill { 0 } else { 68 }), "first entry for fill, last for set_all");
    }
}

#[test]
fn parsed_fields_borrow_from_the_batch() {
    let buf = encoded(&[(ORIGINAL, Value::from("user=root"))]);
    let mut e = event(&buf);
    assert!(matches!(e.parse_original(key_value), Outcome::Pass));
    assert!(e.is_modified());
    assert!(matches!(e.get("user"), Some(Value::Str(Cow::Borrowed("root")))));
    let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
    assert_eq!(names, [ORIGINAL, "user"]);
}

/// The fields of an encoded event, decoded.
fn fields_of(buf: &[u8]) -> Vec<(String, Value<'static>)> {
    let view = Batch::new(buf).next().expect("one event").expect("well-formed");
    view.decode_all().expect("decoded").into_iter().map(|(n, v)| (n.to_owned(), v.into_owned())).collect()
}

#[test]
fn only_the_fields_set_or_added_go_back_unless_one_was_removed() {
    let buf = encoded(&[(ORIGINAL, Value::from("x")), ("a", Value::Int(1)), ("b", Value::Int(2))]);
    let mut e = event(&buf);
    e.set("b", Value::Int(3));
    e.set("c", "new");
    let mut out = Vec::new();
    assert_eq!(e.encode_changes(&mut out), Encoded::Update);
    assert_eq!(fields_of(&out), [("b".to_owned(), Value::Int(3)), ("c".to_owned(), Value::from("new"))]);
    // Merged over the event that came in, it is the event as the plugin left it.
    let mut merged = Vec::new();
    let base = Batch::new(&buf).next().expect("one").expect("ok");
    let update = Batch::new(&out).next().expect("one").expect("ok");
    logsift_event::write_update(&mut merged, &base, &update).expect("merged");
    let mut whole = Vec::new();
    e.encode(&mut whole, e.raw_origin());
    assert_eq!(merged, whole);

    let mut e = event(&buf);
    e.set("c", "new");
    e.remove("a");
    let mut out = Vec::new();
    assert_eq!(e.encode_changes(&mut out), Encoded::Whole);
    let names: Vec<String> = fields_of(&out).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, [ORIGINAL, "b", "c"]);
}

#[test]
fn fields_set_before_any_read_are_not_decoded_and_reads_see_them() {
    let buf = encoded(&[(ORIGINAL, Value::from("x")), ("a", Value::Int(1))]);
    let mut e = event(&buf);
    e.set("a", Value::Int(2));
    e.set("b", "new");
    e.set("b", "newer");
    assert!(e.fields.get().is_none(), "nothing decoded yet");
    let mut out = Vec::new();
    assert_eq!(e.encode_changes(&mut out), Encoded::Update);
    assert_eq!(fields_of(&out), [("a".to_owned(), Value::Int(2)), ("b".to_owned(), Value::from("newer"))]);
    // A read decodes the event with the fields set over it, in place or after.
    assert_eq!(e.get("a"), Some(&Value::Int(2)));
    let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
    assert_eq!(names, [ORIGINAL, "a", "b"]);
    let mut again = Vec::new();
    assert_eq!(e.encode_changes(&mut again), Encoded::Update);
    assert_eq!(again, out, "the same update either way");
}

#[test]
fn a_parser_reads_only_the_original_and_hands_back_its_fields_alone() {
    let buf = encoded(&[("host.name", Value::from("web-1")), (ORIGINAL, Value::from("user=root")), ("n", Value::Int(7))]);
    let mut e = event(&buf);
    assert!(matches!(e.parse_original(key_value), Outcome::Pass));
    e.push("pushed", Value::Int(1));
    assert!(e.fields.get().is_none(), "the event was not decoded");
    let mut out = Vec::new();
    assert_eq!(e.encode_changes(&mut out), Encoded::Update);
    assert_eq!(fields_of(&out), [("user".to_owned(), Value::from("root")), ("pushed".to_owned(), Value::Int(1))]);
    // Read afterwards, the event is the one that came in with the fields added.
    assert!(matches!(e.get("user"), Some(Value::Str(Cow::Borrowed("root")))));
    let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
    assert_eq!(names, ["host.name", ORIGINAL, "n", "user", "pushed"]);
    let mut again = Vec::new();
    assert_eq!(e.encode_changes(&mut again), Encoded::Update);
    assert_eq!(again, out, "the same update either way");

    // A malformed value elsewhere in the event still rejects it, as when it was decoded.
    let mut buf = encoded(&[(ORIGINAL, Value::from("user=root")), ("bad", Value::from("zzz"))]);
    let at = buf.windows(3).position(|w| w == b"zzz").expect("the value");
    buf[at] = 0xFF;
    let mut e = event(&buf);
    assert!(matches!(e.parse_original(key_value), Outcome::Pass));
    assert!(e.decode_error().is_none(), "a value not read is not decoded");
    // A field whose frame cannot be read, after the original: the event is rejected.
    let mut broken = buf.clone();
    let at = broken.windows(3).position(|w| w == b"bad").expect("the name");
    broken[at - 4..at].copy_from_slice(&u32::MAX.to_le_bytes());
    let mut e = event(&broken);
    assert!(matches!(e.parse_original(|_| panic!("parsed a malformed event")), Outcome::Reject(_)));
    assert!(e.decode_error().is_some());
}

#[test]
fn only_the_values_read_are_decoded_and_a_bad_one_read_rejects_the_event() {
    let mut buf = encoded(&[(ORIGINAL, Value::from("x")), ("bad", Value::from("zzz")), ("n", Value::Int(7))]);
    let at = buf.windows(3).position(|w| w == b"zzz").expect("the value");
    buf[at] = 0xFF;
    let e = event(&buf);
    assert_eq!(e.names().collect::<Vec<_>>(), [ORIGINAL, "bad", "n"]);
    assert_eq!(e.get("n"), Some(&Value::Int(7)));
    assert!(e.decode_error().is_none(), "the value not read is not decoded, nor by listing the names");
    let mut copy = Vec::new();
    e.encode(&mut copy, e.raw_origin());
    assert_eq!(copy, buf, "an event encoded whole copies the values never read");
    assert_eq!(e.get("bad"), Some(&Value::Null), "a value that cannot be decoded reads as null");
    assert_eq!(e.decode_error().map(|d| d.what), Some("string is not UTF-8"));
    let error = e.decode_error().cloned();

    // The same through `get_each` on an event nothing has read, at the same position.
    let e = event(&buf);
    assert_eq!(e.get_each(&["n"]), [(0, Value::Int(7))]);
    assert!(e.decode_error().is_none(), "the value not asked for is not decoded");
    assert_eq!(e.get_each(&["n", "bad"]), [(0, Value::Int(7)), (1, Value::Null)]);
    assert_eq!(e.decode_error().cloned(), error);
}

#[test]
fn names_are_checked_only_when_read_as_text_and_a_bad_one_then_rejects_the_event() {
    let mut buf = encoded(&[(ORIGINAL, Value::from("x")), ("nAme", Value::Int(1)), ("n", Value::Int(7))]);
    let at = buf.windows(4).position(|w| w == b"nAme").expect("the name");
    buf[at + 1] = 0xFF;
    let view = Batch::new(&buf).next().expect("one event").expect("well-formed");
    let expected = view.decode_all().expect_err("a name that is not UTF-8");

    let mut e = event(&buf);
    assert_eq!(e.get("n"), Some(&Value::Int(7)));
    e.set("n", Value::Int(8));
    assert!(e.decode_error().is_none(), "reading and setting by name compares bytes");
    let mut update = Vec::new();
    assert_eq!(e.encode_changes(&mut update), Encoded::Update);
    assert_eq!(fields_of(&update), [("n".to_owned(), Value::Int(8))], "the update carries no name that came in");

    let e = event(&buf);
    let names: Vec<&str> = e.fields().map(|(n, _)| n).collect();
    assert_eq!(names, [ORIGINAL, "", "n"], "read as text, the bad name is empty");
    assert_eq!(e.decode_error(), Some(&expected), "with the error decoding gives, at the same offset");

    // Sent back whole — a field removed, the event emitted changed, or split into parts
    // that copy its fields — the event is rejected and nothing of it is sent.
    struct Whole(&'static str);
    impl crate::Plugin for Whole {
        const METADATA: crate::Metadata = crate::Metadata::new("whole", "0.0.0", crate::Kind::Enricher, "sends events back whole");
        fn init(_settings: crate::Settings) -> Result<Self, String> {
            Ok(Whole(""))
        }
        fn process(&mut self, event: &mut Event<'_>, _ctx: &mut crate::Context) -> Outcome {
            match self.0 {
                "remove" => {
                    event.remove("n");
                    Outcome::Pass
                }
                "emit" => {
                    event.set("n", Value::Int(9));
                    Outcome::Emit("other".into())
                }
                _ => {
                    let mut part = Event::new();
                    for (name, value) in event.fields() {
                        part.set(name.to_owned(), value.clone().into_owned());
                    }
                    Outcome::Split(vec![part, Event::new()])
                }
            }
        }
    }
    for how in ["remove", "emit", "split"] {
        let out = crate::runtime::process_batch(&mut Whole(how), &buf);
        assert!(out.events.is_empty(), "{how}: nothing of the event is sent");
        let [crate::runtime::Change { record: 0, action: crate::runtime::Action::Reject(reason) }] = &out.changes[..] else {
            panic!("{how}: {:?}", out.changes)
        };
        assert_eq!(*reason, expected.to_string(), "{how}");
    }
}

#[test]
fn an_original_set_in_this_call_is_parsed_from_a_copy() {
    let buf = encoded(&[(ORIGINAL, Value::from("user=root"))]);
    let mut e = event(&buf);
    e.set(ORIGINAL, "user=admin".to_owned());
    assert!(matches!(e.parse_original(key_value), Outcome::Pass));
    assert!(matches!(e.get("user"), Some(Value::Str(Cow::Owned(v))) if v == "admin"));
}

#[test]
fn no_record_drops_and_a_refusal_rejects_without_changing_the_event() {
    let buf = encoded(&[(ORIGINAL, Value::from(""))]);
    let mut e = event(&buf);
    assert!(matches!(e.parse_original(key_value), Outcome::Drop));
    assert!(!e.is_modified());

    let buf = encoded(&[(ORIGINAL, Value::from("root"))]);
    let mut e = event(&buf);
    assert!(matches!(e.parse_original(key_value), Outcome::Reject(r) if r == "no = in \"root\""));
    assert!(!e.is_modified());
}

#[test]
fn events_without_a_string_original_are_rejected_unparsed() {
    let cases = [
        (encoded(&[("message", Value::from("a=b"))]), "event has no event.original to parse"),
        (encoded(&[(ORIGINAL, Value::Int(1))]), "event.original is not a string"),
    ];
    for (buf, reason) in &cases {
        let outcome = event(buf).parse_original(|_| panic!("parsed an event without a string event.original"));
        assert!(matches!(&outcome, Outcome::Reject(r) if r == reason), "{outcome:?}");
    }
}

#[test]
fn a_few_reads_by_name_leave_the_event_undecoded_and_read_what_get_reads() {
    let buf = encoded(&[
        (ORIGINAL, Value::from("x")),
        ("process.name", Value::from("sshd")),
        ("n", Value::Int(7)),
        ("@timestamp", Value::Timestamp(5_000_000_000)),
        ("process.name", Value::from("other")),
    ]);
    let mut e = event(&buf);
    assert_eq!(e.get_str("process.name"), Some("sshd"), "the first field of the name, as get reads");
    assert_eq!(e.get_int("n"), Some(7));
    assert_eq!(e.timestamp_secs(), Some(5));
    assert_eq!(e.get_str("missing"), None);
    assert!(e.fields.get().is_none(), "read without decoding the event");
    // Set after reading: what goes back is the change alone, the event still undecoded.
    e.set("labels.seen", "yes");
    let mut out = Vec::new();
    assert_eq!(e.encode_changes(&mut out), Encoded::Update);
    assert_eq!(fields_of(&out), [("labels.seen".to_owned(), Value::from("yes"))]);
    // Past PEEKS reads the event is decoded once, and reads the same.
    let e = event(&buf);
    for _ in 0..PEEKS {
        assert_eq!(e.get_str("n"), None, "not a string");
    }
    assert!(e.fields.get().is_none());
    assert_eq!(e.get_str("process.name"), Some("sshd"));
    assert!(e.fields.get().is_some(), "decoded after {PEEKS} reads");
    assert_eq!((e.get_int("n"), e.timestamp()), (Some(7), Some(5_000_000_000)));

    // A value that cannot be decoded reads as nothing and rejects the event, as through get.
    let mut bad = buf.clone();
    let at = bad.windows(4).position(|w| w == b"sshd").expect("the value");
    bad[at] = 0xFF;
    let e = event(&bad);
    assert_eq!(e.get_str("process.name"), None);
    assert_eq!(e.decode_error().map(|d| d.what), Some("string is not UTF-8"));
}
