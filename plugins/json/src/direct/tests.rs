//! The direct reader against serde_json: on every line it takes, the same fields in the
//! same order; every line serde_json refuses, declined.

use proptest::prelude::*;

use super::*;
use crate::flatten::through_serde;
use crate::typed;

/// Both readings of `line`: the direct reader's fields if it took the line, and serde_json's.
fn both<'t>(line: &'t str, config: &JsonConfig) -> (Option<Fields<'t>>, Result<Fields<'t>, String>) {
    let mut direct = Vec::new();
    let took = read(line, config, typed::TypedNames::of(config), &mut direct);
    let mut serde = Vec::new();
    let serde = through_serde(line, config, typed::TypedNames::of(config), &mut serde).map(|()| serde);
    (took.then_some(direct), serde)
}

/// Asserts that the direct reader takes `line` and reads it as serde_json does.
fn taken_alike(line: &str, config: &JsonConfig) {
    let (direct, serde) = both(line, config);
    assert_eq!(direct.as_ref(), Some(serde.as_ref().unwrap_or_else(|e| panic!("{line}: {e}"))), "{line}");
}

#[test]
fn plain_lines_are_taken_and_read_as_serde_json_reads_them() {
    let config = JsonConfig::default();
    for line in [
        r#"{}"#,
        r#" { "a" : 1 , "b":{"c":"x","d":{}}, "e":[] } "#,
        r#"{"n":[0,-0,7,-12,123456789012345678,1.5,-2.5E-3,1e3,0.0],"t":true,"f":false,"z":null}"#,
        r#"{"p":"C:\\Windows\\System32\\cmd.exe","q":"say \"hi\"\/","u":"\u00e9\u0041\ud83d\ude00","w":"\b\f\n\r\t"}"#,
        r#"{"a":[[1,["x"]],[],"é"],"@timestamp":"2020-10-23T02:36:40.671Z","source":{"ip":"10.0.0.1"}}"#,
        r#"{"event":{"original":"kept out"},"event.original":"also","x.y":1,"x":{"y":2}}"#,
        r#"{"items":[1,[{"z":1.0,"a":[2,"x\"y\u0001"]}],{},123456789012345678,-3,2.5e-3]}"#,
    ] {
        taken_alike(line, &config);
    }
}

/// An escaped string copies its plain text a block at a time: characters of two, three and
/// four bytes at every offset from an escape, so that some straddle a block's end, and
/// strings ending at every offset near the line's end, are read as serde_json reads them.
#[test]
fn escaped_strings_with_characters_across_blocks_are_read_as_serde_json_reads_them() {
    let config = JsonConfig::default();
    for wide in ["é", "日", "😀"] {
        for before in 0..40 {
            let plain = "x".repeat(before);
            for tail in ["", " ", "   "] {
                taken_alike(&format!(r#"{{"a":"\n{plain}{wide}{plain}\t{wide}","b":1{tail}}}"#), &config);
                taken_alike(&format!(r#"{{"a":"{plain}\"{wide}{wide}{plain}"{tail}}}"#), &config);
            }
        }
    }
    // The buffer is sized up to the first `"`: past an escaped one it grows, many times
    // over for a long string of escaped quotes and text.
    let long: String = (0..200).map(|i| format!(r#"\"{}\\{}"#, "y".repeat(i % 37), "é".repeat(i % 5))).collect();
    taken_alike(&format!(r#"{{"a":"{long}","b":"\"{long}"}}"#), &config);
}

#[test]
fn lines_serde_json_refuses_or_that_need_its_text_are_declined() {
    let config = JsonConfig { max_depth: 3, max_fields: 3, ..JsonConfig::default() };
    for line in [
        "",
        "[1]",
        r#"{"a":1"#,
        r#"{"a":1} x"#,
        r#"{"a":01}"#,
        r#"{"a":1.}"#,
        r#"{"a":1e400}"#,
        r#"{"a":1234567890123456789}"#,
        r#"{"a":tru}"#,
        r#"{"a":"\q"}"#,
        r#"{"a":"\ud800"}"#,
        r#"{"a":"\udc00"}"#,
        r#"{"a":"\ud800\u0041"}"#,
        r#"{"a":"\u12"}"#,
        "{\"a\":\"tab\there\"}",
        "{\"a\":\t1}",
        r#"{"a":{"b":{"c":{"d":1}}}}"#,
        r#"{"a":[[[1]]]}"#,
        r#"{"a":[{"b":{"c":1}}]}"#,
        r#"{"a":1,"b":2,"c":3,"d":4}"#,
        r#"{"a":1,}"#,
        r#"{"a" 1}"#,
        r#"{a:1}"#,
    ] {
        let (direct, _) = both(line, &config);
        assert!(direct.is_none(), "{line}");
    }
}

/// Every line of the shared captures (Windows events, CloudTrail with its arrays of
/// objects) is taken by the direct reader and read as serde_json reads it.
#[test]
fn every_real_line_is_taken_and_read_alike() {
    let Some(dir) = logsift_sdk::testing::shared_data("data/security-datasets") else { return };
    let config = JsonConfig::default();
    let mut lines = 0;
    for entry in std::fs::read_dir(dir).expect("security-datasets") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            for line in std::fs::read_to_string(&path).expect("read").lines().filter(|l| !l.trim().is_empty()) {
                taken_alike(line, &config);
                lines += 1;
            }
        }
    }
    assert!(lines > 700, "{lines} lines");
}

/// JSON-like text: valid objects from a small grammar, with pieces that test the edges
/// (escapes, surrogates, numbers near the limits, spaces, limits of depth and fields, objects in
/// arrays), and
/// sometimes cut short or with a stray byte.
fn line() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "a",
        "b.c",
        "event.original",
        "@timestamp",
        "source.ip",
        "x y",
        "é",
        "日本語のテキスト",
        "abcdefghijklmnop",
        "\\n",
        "\\\"",
        "\\\\",
        "\\/",
        "\\u00e9",
        "\\ud83d\\ude00",
        "\\ud800",
        "\\udc00x",
        "\\q",
        "\\u004",
        "C:\\\\Windows",
        "1970-01-01T00:00:01Z",
        "10.0.0.1",
        "\t",
    ]);
    let string = prop::collection::vec(piece, 0..4).prop_map(|p| format!("\"{}\"", p.concat()));
    let number = prop::sample::select(vec![
        "0",
        "-0",
        "1",
        "-12",
        "007",
        "1.5",
        "1e3",
        "-2.5E-3",
        "123456789012345678",
        "1234567890123456789",
        "99999999999999999999",
        "1e400",
        "1.",
        "-",
        "0.0",
        "3.0",
        "-1e-400",
    ])
    .prop_map(String::from);
    let literal = prop::sample::select(vec!["true", "false", "null", "tru", "nul"]).prop_map(String::from);
    let scalar = prop_oneof![3 => string.clone(), 2 => number, 1 => literal];
    let sep = prop::sample::select(vec![",", ", ", " ,", ",,"]);
    let value = scalar.prop_recursive(4, 40, 5, move |inner| {
        let members = prop::collection::vec((string.clone(), inner.clone()), 0..5);
        prop_oneof![
            (prop::collection::vec(inner, 0..5), sep.clone()).prop_map(|(items, sep)| format!("[{}]", items.join(sep))),
            (members, sep.clone())
                .prop_map(|(m, sep)| format!("{{{}}}", m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(sep))),
        ]
    });
    let object = prop::collection::vec((prop::sample::select(vec!["\"a\"", "\"a.b\"", "\"k\\u0041\"", "\"b\""]), value), 0..6)
        .prop_map(|m| format!("{{{}}}", m.into_iter().map(|(k, v)| format!("{k}:{v}")).collect::<Vec<_>>().join(",")));
    (object, any::<prop::sample::Index>(), prop::sample::select(vec!["", "cut", "}", "\"", "\\", " ", "x"])).prop_map(
        |(line, at, stray)| {
            let at = at.index(line.len() + 1);
            match stray {
                "" => line,
                "cut" => line.get(..at).unwrap_or(&line).to_owned(),
                stray => line.get(..at).map_or(line.clone(), |head| format!("{head}{stray}{}", &line[at..])),
            }
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(20_000))]

    #[test]
    fn whatever_the_direct_reader_takes_it_reads_as_serde_json(line in line(), tight in any::<bool>()) {
        let config = if tight { JsonConfig { max_depth: 3, max_fields: 4, ..JsonConfig::default() } } else { JsonConfig::default() };
        let (direct, serde) = both(&line, &config);
        if let Some(direct) = direct {
            prop_assert_eq!(Ok(direct), serde, "{}", line);
        }
    }
}
