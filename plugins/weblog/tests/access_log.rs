//! Apache/Nginx access logs: the shared web-shell capture (common format, 2,661 lines)
//! parsed whole, chosen lines checked field by field, totals checked against counts taken
//! with shell tools, and the combined format's quoting on lines written here.

mod common;

use std::collections::BTreeMap;

use common::{event, events, ip, shared_lines, tally, text, web};
use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, OwnedEvent, plugin, run_lines};
use logsift_weblog::WebLog;

const WEBSHELL: &str = "data/web/webshell_access_log.txt";

/// Nanoseconds of a `date -u -d … +%s` result.
fn secs(s: i64) -> Value<'static> {
    Value::Timestamp(s * 1_000_000_000)
}

/// Asserts the event has exactly these fields besides `event.original` (any order).
fn assert_fields(event: &OwnedEvent, expected: &[(&str, Value<'static>)]) {
    let got: BTreeMap<&str, &Value<'static>> =
        event.fields.iter().filter(|(n, _)| n != "event.original").map(|(n, v)| (n.as_str(), v)).collect();
    let want: BTreeMap<&str, &Value<'static>> = expected.iter().map(|(n, v)| (*n, v)).collect();
    assert_eq!(got, want);
}

fn webshell() -> Option<(Vec<String>, Vec<logsift_sdk::testing::RecordResult>)> {
    let lines = shared_lines(WEBSHELL)?;
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    Some((lines, results))
}

#[test]
fn every_line_of_the_webshell_log_becomes_an_event() {
    let Some((lines, results)) = webshell() else {
        return;
    };
    assert_eq!(lines.len(), 2661);
    let t = tally(&results);
    assert_eq!(t.rejected, Vec::<(usize, String)>::new());
    assert_eq!((t.events, t.dropped), (2661, 0));
    // The raw line is kept, CR and all.
    assert_eq!(event(&results[0]).get_str("event.original"), Some(lines[0].as_str()));
}

#[test]
fn the_first_line_is_read_field_by_field() {
    let Some((_, results)) = webshell() else {
        return;
    };
    // 192.168.105.83 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 11444
    assert_fields(
        event(&results[0]),
        &[
            ("source.ip", ip("192.168.105.83")),
            ("@timestamp", secs(1_531_287_688)), // date -u -d 2018-07-11T08:41:28+03:00 +%s
            ("http.request.method", text("GET")),
            ("url.original", text("/")),
            ("url.path", text("/")),
            ("http.version", text("1.1")),
            ("http.response.status_code", Value::Int(200)),
            ("http.response.body.bytes", Value::Int(11444)),
            ("event.outcome", text("success")),
            ("event.category", web()),
            ("event.dataset", text("weblog.access")),
        ],
    );
}

#[test]
fn a_post_with_a_user_and_a_query_is_read_field_by_field() {
    let Some((_, results)) = webshell() else {
        return;
    };
    // Line 2582: the web-shell WAR upload through the Tomcat manager.
    assert_fields(
        event(&results[2581]),
        &[
            ("source.ip", ip("192.168.105.76")),
            ("user.name", text("admin")),
            ("@timestamp", secs(1_531_305_283)), // date -u -d 2018-07-11T13:34:43+03:00 +%s
            ("http.request.method", text("POST")),
            ("url.original", text("/manager/html/upload?org.apache.catalina.filters.CSRF_NONCE=F7954D71D4A2ECCC4559EE7AB04DE17D")),
            ("url.path", text("/manager/html/upload")),
            ("url.query", text("org.apache.catalina.filters.CSRF_NONCE=F7954D71D4A2ECCC4559EE7AB04DE17D")),
            ("http.version", text("1.1")),
            ("http.response.status_code", Value::Int(200)),
            ("http.response.body.bytes", Value::Int(19341)),
            ("event.outcome", text("success")),
            ("event.category", web()),
            ("event.dataset", text("weblog.access")),
        ],
    );
}

#[test]
fn a_not_found_with_no_body_has_no_byte_count_and_fails() {
    let Some((_, results)) = webshell() else {
        return;
    };
    // Line 547: "HEAD /someunexistantstuff4486884841113546354.html HTTP/1.1" 404 -
    let e = event(&results[546]);
    assert_eq!(e.get("http.response.status_code"), Some(&Value::Int(404)));
    assert_eq!(e.get("http.response.body.bytes"), None);
    assert_eq!(e.get("event.outcome"), Some(&text("failure")));
    assert_eq!(e.get("http.request.method"), Some(&text("HEAD")));
    assert_eq!(e.get("@timestamp"), Some(&secs(1_531_290_741))); // date -u -d 2018-07-11T09:32:21+03:00 +%s
    // Line 772: a 404 with a body and a query.
    let e = event(&results[771]);
    assert_eq!(e.get("url.path"), Some(&text("/cgi-bin/pub/pki")));
    assert_eq!(e.get("url.query"), Some(&text("cmd=serverInfo")));
    assert_eq!(e.get("http.response.body.bytes"), Some(&Value::Int(981)));
}

#[test]
fn nothing_received_and_binary_request_lines_keep_the_rest_of_the_line() {
    let Some((lines, results)) = webshell() else {
        return;
    };
    // Line 26: "-" (nothing received), logged with the epoch as its time: 03:00 at +0300.
    assert_fields(
        event(&results[25]),
        &[
            ("source.ip", ip("192.168.105.83")),
            ("@timestamp", secs(0)),
            ("http.response.status_code", Value::Int(400)),
            ("event.outcome", text("failure")),
            ("event.category", web()),
            ("event.dataset", text("weblog.access")),
        ],
    );
    // Line 27: a TLS ClientHello sent to the plain-HTTP port.
    let e = event(&results[26]);
    let start = lines[26].find('"').expect("quote") + 1;
    let end = lines[26].rfind("\" 400").expect("status");
    assert_eq!(e.get_str("weblog.request_line"), Some(&lines[26][start..end]));
    assert!(e.get_str("weblog.request_line").is_some_and(|r| r.starts_with("\u{16}\u{3}\u{1}")));
    assert_eq!(e.get("http.request.method"), None);
    assert_eq!(e.get("http.response.status_code"), Some(&Value::Int(400)));
    // Line 856: an HTTP/0.9 request, which Tomcat logs with a trailing space.
    let e = event(&results[855]);
    assert_eq!(e.get("url.path"), Some(&text("/index.jsp")));
    assert_eq!(e.get("http.version"), None);
}

#[test]
fn totals_match_counts_taken_with_shell_tools() {
    let Some((_, results)) = webshell() else {
        return;
    };
    let all: Vec<&OwnedEvent> = events(&results).collect();
    let count = |f: &dyn Fn(&OwnedEvent) -> bool| all.iter().filter(|e| f(e)).count();

    // LC_ALL=C sed -E 's/.*" ([0-9]{3}) ([0-9]+|-)\r?$/\1/' webshell_access_log.txt | sort | uniq -c
    // → 1484 404, 981 200, 154 400, 15 302, 8 401, 6 505, 6 500, 2 501, 2 405, 2 403, 1 101
    let mut statuses: BTreeMap<i64, usize> = BTreeMap::new();
    for e in &all {
        *statuses.entry(e.get_int("http.response.status_code").expect("status")).or_default() += 1;
    }
    let expected = [(101, 1), (200, 981), (302, 15), (400, 154), (401, 8), (403, 2), (404, 1484), (405, 2), (500, 6), (501, 2), (505, 6)];
    assert_eq!(statuses, BTreeMap::from(expected));
    assert_eq!(count(&|e| e.get_str("event.outcome") == Some("failure")), 1664);

    // Same sed with \2: 189 lines log "-" as the size, and the others sum to 12392083 bytes.
    assert_eq!(count(&|e| e.get("http.response.body.bytes").is_none()), 189);
    let bytes: i64 = all.iter().filter_map(|e| e.get_int("http.response.body.bytes")).sum();
    assert_eq!(bytes, 12_392_083);

    // LC_ALL=C awk '{print $1}' … | sort | uniq -c
    let mut clients: BTreeMap<String, usize> = BTreeMap::new();
    for e in &all {
        let Some(Value::Ip(ip)) = e.get("source.ip") else { panic!("no source.ip in {e:?}") };
        *clients.entry(ip.to_string()).or_default() += 1;
    }
    let expected = [("192.168.105.64", 1233), ("192.168.105.76", 115), ("192.168.105.83", 1290), ("192.168.153.46", 23)];
    assert_eq!(clients, expected.iter().map(|(k, v)| (k.to_string(), *v)).collect());

    // LC_ALL=C awk '$3!="-"' … | wc -l → 37, all "admin"
    assert_eq!(count(&|e| e.get_str("user.name") == Some("admin")), 37);
    assert_eq!(count(&|e| e.get("user.name").is_some()), 37);
    // LC_ALL=C grep -a -c '] "POST ' … → 77
    assert_eq!(count(&|e| e.get_str("http.request.method") == Some("POST")), 77);
    // LC_ALL=C grep -a -c '] "-" ' … → 14: nothing received, so no HTTP fields at all.
    assert_eq!(count(&|e| e.get("http.request.method").is_none() && e.get("weblog.request_line").is_none()), 14);
    // Request lines that are neither "-", METHOD TARGET HTTP/x nor HTTP/0.9 GET:
    // LC_ALL=C grep -a -c -v -E '] "(-|[A-Za-z]+ [^ ]+ HTTP/[0-9.]+|GET [^ ]+ )" [0-9]{3} ' … → 12
    assert_eq!(count(&|e| e.get("weblog.request_line").is_some()), 12);
    // The web shell itself: LC_ALL=C grep -a -c '"GET /error/cmd.jsp' … → 21
    assert_eq!(count(&|e| e.get_str("url.path") == Some("/error/cmd.jsp")), 21);
    assert!(all.iter().all(|e| e.get("event.category") == Some(&web()) && e.get_str("event.dataset") == Some("weblog.access")));
}

#[test]
fn a_combined_line_adds_referrer_and_user_agent() {
    let line = r#"10.1.2.3 - bob [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 304 - "http://www.example.com/start.html" "Mozilla/4.08 [en] (Win98; I ;Nav)""#;
    let results = run_lines(&mut plugin::<WebLog>("{}"), &[line]);
    assert_fields(
        event(&results[0]),
        &[
            ("source.ip", ip("10.1.2.3")),
            ("user.name", text("bob")),
            ("@timestamp", secs(971_211_336)), // date -u -d 2000-10-10T13:55:36-07:00 +%s
            ("http.request.method", text("GET")),
            ("url.original", text("/apache_pb.gif")),
            ("url.path", text("/apache_pb.gif")),
            ("http.version", text("1.0")),
            ("http.response.status_code", Value::Int(304)),
            ("http.request.referrer", text("http://www.example.com/start.html")),
            ("user_agent.original", text("Mozilla/4.08 [en] (Win98; I ;Nav)")),
            ("event.outcome", text("success")),
            ("event.category", web()),
            ("event.dataset", text("weblog.access")),
        ],
    );
}

#[test]
fn escaped_and_stray_quotes_stay_inside_their_field() {
    let lines = [
        // Apache escapes quotes in the request line and the user agent.
        r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET /a?q=\"x\" HTTP/1.1" 200 5 "-" "curl \"7.1\"""#,
        // Tomcat and nginx do not: a bare quote inside a field must not end it.
        r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET /a"b HTTP/1.1" 200 5 "http://x/"y" "agent "z" 1""#,
    ];
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    let e = event(&results[0]);
    assert_eq!(e.get_str("url.query"), Some(r#"q="x""#));
    assert_eq!(e.get_str("user_agent.original"), Some(r#"curl "7.1""#));
    assert_eq!(e.get("http.request.referrer"), None);
    let e = event(&results[1]);
    assert_eq!(e.get_str("url.path"), Some(r#"/a"b"#));
    assert_eq!(e.get_str("http.request.referrer"), Some(r#"http://x/"y"#));
    assert_eq!(e.get_str("user_agent.original"), Some(r#"agent "z" 1"#));
}

#[test]
fn lines_that_are_not_access_log_lines_are_rejected_with_where_and_why() {
    let cases = [
        ("hello world", "access log: expected user name, then \" [\" and the timestamp at column 12"),
        (
            r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" OK 5"#,
            "access log: the request line opened here has no closing quote followed by the status at column 43",
        ),
        (
            r#"10.0.0.1 - - [31/Jun/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#,
            "access log: timestamp \"31/Jun/2018:08:41:28 +0300\" is not like 11/Jul/2018:08:41:28 +0300 at column 15",
        ),
        (
            r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5k"#,
            "access log: response size \"5k\" is neither a number nor \"-\" at column 64",
        ),
        (
            r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5 "-" "agent"#,
            "access log: the user agent opened here has no closing quote at the end of the line at column 70",
        ),
        (
            r#"a:b - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#,
            "access log: client \"a:b\" is neither an IP address nor a host name at column 1",
        ),
        (
            r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5 "-" "curl/8" "203.0.113.9""#,
            "access log: unexpected text after the user agent (the combined format ends there) at column 78",
        ),
    ];
    let lines: Vec<&str> = cases.iter().map(|(line, _)| *line).collect();
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    for ((line, reason), result) in cases.iter().zip(&results) {
        match &result.fate {
            Fate::Rejected(got) => assert_eq!(got, reason, "{line}"),
            other => panic!("{line}: expected a reject, got {other:?}"),
        }
    }
}

#[test]
fn a_fixed_format_refuses_the_other_access_format() {
    let common = r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5"#;
    let combined = r#"10.0.0.1 - - [11/Jul/2018:08:41:28 +0300] "GET / HTTP/1.1" 200 5 "-" "ua""#;
    let results = run_lines(&mut plugin::<WebLog>(r#"{"format": "common"}"#), &[common, combined]);
    assert!(results[0].event().is_some());
    assert_eq!(
        results[1].fate,
        Fate::Rejected("access log: unexpected text after the response size (the common format ends there) at column 66".into())
    );
    let results = run_lines(&mut plugin::<WebLog>(r#"{"format": "combined"}"#), &[common, combined]);
    assert_eq!(
        results[0].fate,
        Fate::Rejected("access log: expected the quoted referrer and user agent of the combined format at column 65".into())
    );
    assert!(results[1].event().is_some());
}
