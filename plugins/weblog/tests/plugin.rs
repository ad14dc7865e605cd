//! The plugin as the host sees it: who it is, which settings it refuses, and how `auto`
//! tells the formats apart within one batch.

mod common;

use common::{event, text};
use logsift_sdk::testing::{Fate, events_batch, plugin, run, run_lines};
use logsift_sdk::{Kind, Plugin, Settings, Value};
use logsift_weblog::WebLog;

fn init(settings: &str) -> Result<WebLog, String> {
    WebLog::init(Settings::from_json(settings).expect("settings are JSON"))
}

#[test]
fn the_plugin_is_the_weblog_parser() {
    assert_eq!(WebLog::METADATA.name, "weblog");
    assert_eq!(WebLog::METADATA.kind, Kind::Parser);
}

#[test]
fn every_documented_setting_is_accepted() {
    for format in ["auto", "common", "combined", "iis", "apache_error"] {
        assert!(init(&format!(r#"{{"format": "{format}", "timezone": "-05:30"}}"#)).is_ok(), "{format}");
    }
    assert!(init("{}").is_ok());
}

#[test]
fn bad_settings_are_refused_with_a_reason() {
    let cases = [
        (r#"{"formt": "iis"}"#, "invalid settings: unknown field `formt`, expected `format` or `timezone`"),
        (
            r#"{"format": "apache"}"#,
            "invalid settings: unknown variant `apache`, expected one of `auto`, `common`, `combined`, `iis`, `apache_error`",
        ),
        (r#"{"format": 3}"#, "invalid settings: invalid type: integer `3`, expected"),
        (
            r#"{"timezone": "Europe/Paris"}"#,
            "invalid settings: timezone \"Europe/Paris\" is not UTC, Z or a fixed offset like +03:00 (zone names are not supported)",
        ),
    ];
    for (settings, reason) in cases {
        let err = init(settings).expect_err(settings);
        assert!(err.starts_with(reason), "{settings}\n got: {err}\nwant: {reason}");
    }
}

#[test]
fn auto_tells_each_format_apart_line_by_line() {
    let lines = [
        r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#,
        "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok",
        "2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx - 80 - 10.0.2.17 - - 200 0 0 7",
        "#Software: Microsoft Internet Information Services 10.0",
        "   ",
        r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5 "-" "curl/8""#,
    ];
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    assert_eq!(event(&results[0]).get("http.response.status_code"), Some(&Value::Int(200)));
    assert_eq!(event(&results[1]).get("log.level"), Some(&text("notice")));
    assert_eq!(event(&results[2]).get("destination.ip"), Some(&Value::Ip("10.0.2.15".parse().unwrap())));
    assert_eq!(results[3].fate, Fate::Dropped);
    assert_eq!(results[4].fate, Fate::Dropped, "a blank line is nothing to parse");
    assert_eq!(event(&results[5]).get("user_agent.original"), Some(&text("curl/8")));
}

#[test]
fn a_fixed_format_rejects_lines_of_the_others() {
    let results = run_lines(
        &mut plugin::<WebLog>(r#"{"format": "apache_error"}"#),
        &["#Fields: date", r#"1.2.3.4 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#],
    );
    assert_eq!(results[0].fate, Fate::Rejected("apache error log: expected '[' opening the timestamp at column 1".into()));
    assert_eq!(results[1].fate, Fate::Rejected("apache error log: expected '[' opening the timestamp at column 1".into()));
}

#[test]
fn an_event_without_event_original_is_rejected() {
    let batch = events_batch(&[vec![("message", Value::from("hello"))], vec![("event.original", Value::Int(3))]]);
    let results = run(&mut plugin::<WebLog>("{}"), &batch);
    assert_eq!(results[0].fate, Fate::Rejected("event has no event.original to parse".into()));
    assert_eq!(results[1].fate, Fate::Rejected("event.original is not a string".into()));
}

#[test]
fn an_event_an_earlier_parser_claimed_is_left_alone() {
    let claimed = vec![("event.original", Value::from("not a web line")), ("event.dataset", Value::from("syslog"))];
    let results = run(&mut plugin::<WebLog>("{}"), &events_batch(&[claimed]));
    let Fate::Passed(events) = &results[0].fate else { panic!("{:?}", results[0].fate) };
    assert_eq!(events[0].fields.len(), 2);
    assert_eq!(events[0].get_str("event.dataset"), Some("syslog"));
}

/// Every prefix of each sample line, and each line with every character in turn replaced by
/// an awkward one (a multi-byte letter, a quote, a bracket, a space, a backslash).
fn mangled(samples: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    for sample in samples {
        let chars: Vec<char> = sample.chars().collect();
        for i in 0..=chars.len() {
            out.push(chars[..i].iter().collect());
            for awkward in ['é', '"', '[', ']', ' ', '\\', '#', ':'] {
                let mut changed = chars.clone();
                if i < changed.len() {
                    changed[i] = awkward;
                    out.push(changed.into_iter().collect());
                }
            }
        }
    }
    out
}

#[test]
fn no_mangled_line_makes_the_parser_panic() {
    let lines = mangled(&[
        r#"10.0.0.1 - bob [11/Jul/2018:08:41:28 +0300] "GET /a?b HTTP/1.1" 200 5 "http://r/" "ua \"q\"""#,
        "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5874] AH00037: x",
        "2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389 80 - 10.0.2.17 Mozilla/5.0+(X) - 200 0 0 7",
        FIELDS_LINE,
    ]);
    for settings in ["{}", r#"{"format": "combined"}"#, r#"{"format": "iis"}"#, r#"{"format": "apache_error"}"#] {
        let results = run_lines(&mut plugin::<WebLog>(settings), &lines);
        assert_eq!(results.len(), lines.len());
    }
}

const FIELDS_LINE: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs(User-Agent) sc-status time-taken";
