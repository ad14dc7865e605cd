//! What one JSON line becomes: flattening, arrays, numbers, typed fields, and the lines
//! that are refused, each with serde_json's line and column.

use logsift_json::JsonLines;
use logsift_sdk::testing::{Fate, OwnedEvent, RecordResult, events_batch, plugin, run, run_lines};
use logsift_sdk::{Kind, Plugin, Settings, Value};

fn parse_with(settings: &str, line: &str) -> RecordResult {
    run_lines(&mut plugin::<JsonLines>(settings), &[line]).remove(0)
}

fn parse(line: &str) -> OwnedEvent {
    let result = parse_with("{}", line);
    result.event().cloned().unwrap_or_else(|| panic!("expected an event, got {:?}", result.fate))
}

fn ip(text: &str) -> Value<'static> {
    Value::Ip(text.parse().expect("test IP"))
}

fn text(s: &str) -> Value<'static> {
    Value::from(s.to_owned())
}

#[test]
fn nested_objects_flatten_to_dotted_names_and_dotted_keys_are_kept() {
    let e = parse(r#"{"source":{"ip":"1.2.3.4","geo":{"city":"X"}},"a.b":{"c":1},"user.name":"root"}"#);
    let names: Vec<&str> = e.fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["event.original", "source.ip", "source.geo.city", "a.b.c", "user.name", "event.dataset"]);
    assert_eq!(e.get("source.ip"), Some(&ip("1.2.3.4")));
    assert_eq!(e.get("a.b.c"), Some(&Value::Int(1)));
}

#[test]
fn scalars_keep_their_json_types() {
    let e = parse(r#"{"i":-3,"w":2.0,"f":0.25,"big":18446744073709551615,"t":true,"n":null,"s":"caf\u00e9 \"q\""}"#);
    assert_eq!(e.get("i"), Some(&Value::Int(-3)));
    assert_eq!(e.get("w"), Some(&Value::Int(2)), "a whole number is an Int however written");
    assert_eq!(e.get("f"), Some(&Value::Float(0.25)));
    assert_eq!(e.get("big"), Some(&Value::Float(18_446_744_073_709_551_615.0)));
    assert_eq!(e.get("t"), Some(&Value::Bool(true)));
    assert_eq!(e.get("n"), Some(&Value::Null));
    assert_eq!(e.get("s"), Some(&text("café \"q\"")));
}

#[test]
fn arrays_of_scalars_are_arrays_and_arrays_with_objects_are_json_text() {
    let e = parse(r#"{"tags":["a",1,null,[true]],"empty":[],"procs":[{"pid":4,"name":"System"},{"pid":8}],"deep":[1,[{"x":{}}]]}"#);
    let tags = Value::Array(vec![text("a"), Value::Int(1), Value::Null, Value::Array(vec![Value::Bool(true)])]);
    assert_eq!(e.get("tags"), Some(&tags));
    assert_eq!(e.get("empty"), Some(&Value::Array(Vec::new())));
    assert_eq!(e.get("procs"), Some(&text(r#"[{"pid":4,"name":"System"},{"pid":8}]"#)));
    assert_eq!(e.get("deep"), Some(&text(r#"[1,[{"x":{}}]]"#)));
    assert_eq!(e.get("procs.pid"), None, "objects inside arrays are not flattened");
}

#[test]
fn timestamps_and_ips_are_typed_only_where_configured() {
    let line = r#"{"@timestamp":"2020-10-23T05:36:40.671+03:00","seen":"2020-10-23T02:36:40.671Z","host":{"ip":["10.0.0.1","::1","n/a"]},"client":{"ip":"not-an-ip"},"peer":"10.0.0.9"}"#;
    let e = parse(line);
    // date -u -d 2020-10-23T02:36:40.671Z +%s%N → 1603420600671000000
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(1_603_420_600_671_000_000)));
    assert_eq!(e.get("seen"), Some(&text("2020-10-23T02:36:40.671Z")));
    assert_eq!(e.get("host.ip"), Some(&Value::Array(vec![ip("10.0.0.1"), ip("::1"), text("n/a")])));
    assert_eq!(e.get("client.ip"), Some(&text("not-an-ip")));
    assert_eq!(e.get("peer"), Some(&text("10.0.0.9")));

    let result = parse_with(r#"{"timestamp_fields": ["seen"], "ip_fields": ["peer"]}"#, line);
    let e = result.event().expect("event");
    assert_eq!(e.get("seen"), Some(&Value::Timestamp(1_603_420_600_671_000_000)));
    assert_eq!(e.get("@timestamp"), Some(&text("2020-10-23T05:36:40.671+03:00")));
    assert_eq!(e.get("peer"), Some(&ip("10.0.0.9")));
    assert_eq!(e.get("host.ip"), Some(&Value::Array(vec![text("10.0.0.1"), text("::1"), text("n/a")])));
}

#[test]
fn the_raw_line_is_kept_and_a_json_event_original_does_not_replace_it() {
    let line = r#"{"event":{"original":"forged"},"message":"m"}"#;
    let e = parse(line);
    assert_eq!(e.get_str("event.original"), Some(line));
    assert_eq!(e.fields.len(), 3);
}

#[test]
fn later_duplicate_names_win() {
    let e = parse(r#"{"a":{"b":1},"a.b":2,"x":1,"x":"two"}"#);
    assert_eq!(e.get("a.b"), Some(&Value::Int(2)));
    assert_eq!(e.get("x"), Some(&text("two")));
    assert_eq!(e.fields.len(), 4);
}

#[test]
fn lines_that_are_not_one_json_object_are_rejected_with_line_and_column() {
    let cases = [
        ("not json", "json: expected ident at line 1 column 2"),
        ("[1,2]", "json: invalid type: sequence, expected a JSON object at line 1 column 0"),
        ("42", "json: invalid type: integer `42`, expected a JSON object at line 1 column 2"),
        (r#""text""#, "json: invalid type: string \"text\", expected a JSON object at line 1 column 6"),
        (r#"{"a":1} {"b":2}"#, "json: trailing characters at line 1 column 9"),
        (r#"{"a":1"#, "json: EOF while parsing an object at line 1 column 6"),
        (r#"{"a":tru}"#, "json: expected ident at line 1 column 9"),
    ];
    let lines: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let results = run_lines(&mut plugin::<JsonLines>("{}"), &lines);
    for ((line, reason), result) in cases.iter().zip(&results) {
        assert_eq!(result.fate, Fate::Rejected((*reason).into()), "{line}");
    }
}

#[test]
fn nesting_beyond_max_depth_is_rejected_where_it_goes_too_deep() {
    let line = r#"{"a":{"b":[[1]]}}"#;
    assert!(parse_with(r#"{"max_depth": 4}"#, line).event().is_some());
    let result = parse_with(r#"{"max_depth": 3}"#, line);
    assert_eq!(result.fate, Fate::Rejected("json: nesting deeper than max_depth 3 at line 1 column 12".into()));
    let deep = format!("{}1{}", r#"{"a":"#.repeat(21), "}".repeat(21));
    let result = parse_with("{}", &deep);
    assert!(
        matches!(&result.fate, Fate::Rejected(r) if r.starts_with("json: nesting deeper than max_depth 20 at line 1 column")),
        "{:?}",
        result.fate
    );
}

#[test]
fn blank_lines_are_dropped() {
    assert_eq!(parse_with("{}", "  \r").fate, Fate::Dropped);
}

#[test]
fn events_without_a_string_event_original_are_rejected() {
    let batch = events_batch(&[vec![("message", Value::from("{}"))], vec![("event.original", Value::Int(1))]]);
    let results = run(&mut plugin::<JsonLines>("{}"), &batch);
    assert_eq!(results[0].fate, Fate::Rejected("event has no event.original to parse".into()));
    assert_eq!(results[1].fate, Fate::Rejected("event.original is not a string".into()));
}

#[test]
fn the_plugin_is_the_json_parser() {
    assert_eq!(JsonLines::METADATA.name, "json");
    assert_eq!(JsonLines::METADATA.kind, Kind::Parser);
}

#[test]
fn bad_settings_are_refused_with_a_reason() {
    let init = |s: &str| JsonLines::init(Settings::from_json(s).expect("settings are JSON"));
    let cases = [
        (
            r#"{"ip_field": ["a"]}"#,
            "invalid settings: unknown field `ip_field`, expected one of `timestamp_fields`, `ip_fields`, `max_depth`, `max_fields`",
        ),
        (r#"{"ip_fields": "source.ip"}"#, "invalid settings: invalid type: string \"source.ip\", expected a sequence"),
        (r#"{"max_depth": 0}"#, "invalid settings: max_depth must be between 1 and 32, not 0"),
        (r#"{"max_depth": 33}"#, "invalid settings: max_depth must be between 1 and 32, not 33"),
        (r#"{"max_depth": -1}"#, "invalid settings: invalid value: integer `-1`, expected usize"),
        (r#"{"timestamp_fields": [""]}"#, "invalid settings: field names in timestamp_fields and ip_fields must not be empty (\"\")"),
    ];
    for (settings, reason) in cases {
        assert_eq!(init(settings).expect_err(settings), reason, "{settings}");
    }
    assert!(init(r#"{"timestamp_fields": [], "ip_fields": [], "max_depth": 32}"#).is_ok());
}

#[test]
fn the_dataset_is_json_unless_the_line_names_its_own() {
    assert_eq!(parse(r#"{"a":1}"#).get_str("event.dataset"), Some("json"));
    let e = parse(r#"{"event":{"dataset":"system.auth"},"a":1}"#);
    assert_eq!(e.get_str("event.dataset"), Some("system.auth"));
    assert_eq!(e.fields.len(), 3);
}

#[test]
fn an_event_an_earlier_parser_claimed_is_left_alone() {
    let claimed = vec![("event.original", Value::from("not json")), ("event.dataset", Value::from("syslog"))];
    let results = run(&mut plugin::<JsonLines>("{}"), &events_batch(&[claimed]));
    let Fate::Passed(events) = &results[0].fate else { panic!("{:?}", results[0].fate) };
    assert_eq!(events[0].fields.len(), 2);
}

#[test]
fn no_truncated_or_mangled_line_makes_the_parser_panic() {
    let sample = r#"{"@timestamp":"2020-10-23T02:36:40.671Z","source":{"ip":"10.0.0.1"},"a":[1,{"b":"c\u00e9"}],"n":-1.5e3}"#;
    let chars: Vec<char> = sample.chars().collect();
    let mut lines: Vec<String> = Vec::new();
    for i in 0..=chars.len() {
        lines.push(chars[..i].iter().collect());
        for awkward in ['é', '"', '{', '[', ']', '}', ',', '\\', ':'] {
            let mut changed = chars.clone();
            if i < changed.len() {
                changed[i] = awkward;
                lines.push(changed.into_iter().collect());
            }
        }
    }
    let results = run_lines(&mut plugin::<JsonLines>(r#"{"max_depth": 3}"#), &lines);
    assert_eq!(results.len(), lines.len());
    assert!(results.iter().any(|r| r.event().is_some()));
}
