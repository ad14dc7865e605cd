//! IIS W3C extended logs: the shared Tunna capture (4,308 lines, two `#Fields:` headers)
//! parsed whole, lines checked field by field, totals checked against awk, and the
//! per-origin `#Fields:` state on batches written here.

mod common;

use common::{event, events, ip, shared_lines, tally, text, web};
use logsift_event::{EventWriter, Origin};
use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, RecordResult, plugin, run, run_lines};
use logsift_weblog::WebLog;

const TUNNA: &str = "data/web/tunna_iis_w3c.log";

const FIELDS: &str = "#Fields: date time s-ip cs-method cs-uri-stem cs-uri-query s-port cs-username c-ip cs(User-Agent) cs(Referer) sc-status sc-substatus sc-win32-status time-taken";

fn tunna() -> Option<Vec<RecordResult>> {
    let lines = shared_lines(TUNNA)?;
    assert_eq!(lines.len(), 4308);
    Some(run_lines(&mut plugin::<WebLog>("{}"), &lines))
}

/// Runs lines that each come from their own origin.
fn run_from(plugin: &mut WebLog, records: &[(Origin<'_>, &str)]) -> Vec<RecordResult> {
    let mut buf = Vec::new();
    for (origin, line) in records {
        let mut w = EventWriter::begin(&mut buf, origin);
        w.field("event.original", &Value::from(*line));
        w.finish();
    }
    run(plugin, &buf)
}

fn file(path: &str) -> Origin<'_> {
    Origin::File { path: path.into(), line: 1 }
}

fn kafka(partition: i32) -> Origin<'static> {
    Origin::Kafka { topic: "iis".into(), partition, offset: 0, key: None, headers: Vec::new() }
}

#[test]
fn every_data_line_of_the_tunna_log_is_an_event_and_directives_are_dropped() {
    let Some(results) = tunna() else { return };
    // grep -c '^#' → 9 directives; line 6 is empty (CRLF only); awk '!/^#/ && NF' | wc -l → 4298
    let t = tally(&results);
    assert_eq!(t.rejected, Vec::<(usize, String)>::new());
    assert_eq!((t.events, t.dropped), (4298, 10));
    for line in [1, 2, 3, 4, 5, 6, 2601, 2602, 2603, 2604] {
        assert_eq!(results[line - 1].fate, Fate::Dropped, "line {line}");
    }
}

#[test]
fn the_first_data_line_with_its_query_is_read_field_by_field() {
    let Some(results) = tunna() else { return };
    // Line 7: 2019-09-03 10:13:36 10.0.2.15 GET /erp/conn.aspx proxy&port=3389&ip=127.0.0.1 80 - 10.0.2.17 - - 200 0 0 7
    let e = event(&results[6]);
    let mut fields: Vec<(&str, &Value<'static>)> = e.fields.iter().map(|(n, v)| (n.as_str(), v)).skip(1).collect();
    fields.sort_by_key(|(n, _)| *n);
    let expected = [
        ("@timestamp", Value::Timestamp(1_567_505_616_000_000_000)), // date -u -d 2019-09-03T10:13:36Z +%s
        ("destination.ip", ip("10.0.2.15")),
        ("destination.port", Value::Int(80)),
        ("event.category", web()),
        ("event.dataset", text("weblog.iis")),
        ("event.duration", Value::Int(7_000_000)),
        ("event.outcome", text("success")),
        ("http.request.method", text("GET")),
        ("http.response.status_code", Value::Int(200)),
        ("iis.sub_status", Value::Int(0)),
        ("iis.win32_status", Value::Int(0)),
        ("source.ip", ip("10.0.2.17")),
        ("url.path", text("/erp/conn.aspx")),
        ("url.query", text("proxy&port=3389&ip=127.0.0.1")),
    ];
    assert_eq!(fields, expected.iter().map(|(n, v)| (*n, v)).collect::<Vec<_>>());
    assert_eq!(e.fields[0].0, "event.original");
}

#[test]
fn a_post_after_the_second_header_is_read_too() {
    let Some(results) = tunna() else { return };
    // Line 8: … POST /erp/conn.aspx proxy 80 - 10.0.2.17 - - 200 0 0 4
    let e = event(&results[7]);
    assert_eq!(e.get("http.request.method"), Some(&text("POST")));
    assert_eq!(e.get("url.query"), Some(&text("proxy")));
    assert_eq!(e.get("event.duration"), Some(&Value::Int(4_000_000)));
    assert_eq!(e.get("user.name"), None);
    assert_eq!(e.get("user_agent.original"), None);
    // Line 2605, the first after the second #Fields: … GET … 200 0 0 1824
    let e = event(&results[2604]);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(1_567_508_645_000_000_000))); // date -u -d 2019-09-03T11:04:05Z +%s
    assert_eq!(e.get("event.duration"), Some(&Value::Int(1_824_000_000)));
}

#[test]
fn totals_match_counts_taken_with_awk() {
    let Some(results) = tunna() else { return };
    let all: Vec<_> = events(&results).collect();
    let count = |name: &str, value: &Value<'static>| all.iter().filter(|e| e.get(name) == Some(value)).count();
    // tr -d '\r' < tunna_iis_w3c.log | awk '!/^#/ && NF {m[$4]++} END {…}' → POST 1737, GET 2561
    assert_eq!(count("http.request.method", &text("POST")), 1737);
    assert_eq!(count("http.request.method", &text("GET")), 2561);
    // … awk '!/^#/ && NF {t+=$15} END {print t}' → 18505 ms in all
    let total: i64 = all.iter().filter_map(|e| e.get_int("event.duration")).sum();
    assert_eq!(total, 18_505_000_000);
    // … awk '!/^#/ && NF && $6 ~ /3389/' | wc -l → 3 tunnels opened to RDP
    assert_eq!(count("url.query", &text("proxy&port=3389&ip=127.0.0.1")), 3);
    // Every line: 200 from 10.0.2.17 to 10.0.2.15:80.
    assert_eq!(count("http.response.status_code", &Value::Int(200)), 4298);
    assert_eq!(count("source.ip", &ip("10.0.2.17")), 4298);
    assert_eq!(count("destination.port", &Value::Int(80)), 4298);
    assert_eq!(count("event.dataset", &text("weblog.iis")), 4298);
}

#[test]
fn each_origin_reads_its_data_lines_with_its_own_fields_directive() {
    let mut weblog = plugin::<WebLog>("{}");
    let results = run_from(
        &mut weblog,
        &[
            (file("a.log"), "#Fields: date time c-ip sc-status"),
            (file("b.log"), "#Fields: time cs-method cs-uri-stem s-sitename cs-version sc-bytes cs-host cs(Cookie)"),
            (file("a.log"), "2024-01-02 03:04:05 10.9.8.7 503"),
            (file("b.log"), "03:04:05 PUT /upload W3SVC1 HTTP/1.1 512 www.example.com a=b"),
        ],
    );
    assert_eq!(results[0].fate, Fate::Dropped);
    assert_eq!(results[1].fate, Fate::Dropped);
    let a = event(&results[2]);
    assert_eq!(a.get("source.ip"), Some(&ip("10.9.8.7")));
    assert_eq!(a.get("http.response.status_code"), Some(&Value::Int(503)));
    assert_eq!(a.get("event.outcome"), Some(&text("failure")));
    assert_eq!(a.get("@timestamp"), Some(&Value::Timestamp(1_704_164_645_000_000_000))); // date -u -d 2024-01-02T03:04:05Z +%s
    let b = event(&results[3]);
    assert_eq!(b.get("http.request.method"), Some(&text("PUT")));
    assert_eq!(b.get("url.path"), Some(&text("/upload")));
    assert_eq!(b.get("iis.s-sitename"), Some(&text("W3SVC1")));
    assert_eq!(b.get("iis.cs(Cookie)"), Some(&text("a=b")));
    assert_eq!(b.get("http.version"), Some(&text("1.1")));
    assert_eq!(b.get("http.response.bytes"), Some(&Value::Int(512)));
    assert_eq!(b.get("url.domain"), Some(&text("www.example.com")));
    assert_eq!(b.get("@timestamp"), None, "a time without a date gives no timestamp");
    assert_eq!(b.get("iis.time"), Some(&text("03:04:05")));
}

#[test]
fn kafka_partitions_keep_separate_fields_directives() {
    let mut weblog = plugin::<WebLog>("{}");
    let results = run_from(
        &mut weblog,
        &[
            (kafka(0), "#Fields: c-ip sc-status"),
            (kafka(1), "#Fields: sc-status c-ip"),
            (kafka(1), "404 10.0.0.2"),
            (kafka(0), "10.0.0.1 200"),
        ],
    );
    assert_eq!(event(&results[2]).get("source.ip"), Some(&ip("10.0.0.2")));
    assert_eq!(event(&results[3]).get("source.ip"), Some(&ip("10.0.0.1")));
}

#[test]
fn a_data_line_before_any_fields_directive_uses_the_iis_default_order() {
    let line = "2019-09-03 10:13:36 10.0.2.15 GET /a.aspx - 443 CORP\\alice 10.0.2.17 Mozilla/5.0+(Windows+NT+10.0) https://x/ 401 2 5 15";
    let results = run_lines(&mut plugin::<WebLog>("{}"), &[line, "2019-09-03 10:13:36 10.0.2.15 GET /a.aspx - 443"]);
    let e = event(&results[0]);
    assert_eq!(e.get("destination.port"), Some(&Value::Int(443)));
    assert_eq!(e.get("user.name"), Some(&text("CORP\\alice")));
    assert_eq!(e.get("url.query"), None);
    assert_eq!(e.get("user_agent.original"), Some(&text("Mozilla/5.0 (Windows NT 10.0)")));
    assert_eq!(e.get("http.request.referrer"), Some(&text("https://x/")));
    assert_eq!(e.get("iis.sub_status"), Some(&Value::Int(2)));
    assert_eq!(e.get("iis.win32_status"), Some(&Value::Int(5)));
    assert_eq!(
        results[1].fate,
        Fate::Rejected("iis: line has 7 values but no #Fields line came before it, and the IIS default has 15 columns".into())
    );
}

#[test]
fn bad_iis_lines_are_rejected_with_the_column_at_fault() {
    let results = run_lines(
        &mut plugin::<WebLog>(r#"{"format": "iis"}"#),
        &[
            FIELDS,
            "2019-09-03 10:13:36 10.0.2.15 GET /a - 80 - 10.0.2.17 - - 2OO 0 0 7",
            "2019-09-03 25:13:36 10.0.2.15 GET /a - 80 - 10.0.2.17 - - 200 0 0 7",
            "#Fields:",
        ],
    );
    assert_eq!(results[1].fate, Fate::Rejected("iis: value 12 (sc-status) \"2OO\" is not an HTTP status".into()));
    assert_eq!(results[2].fate, Fate::Rejected("iis: date and time \"2019-09-03\" \"25:13:36\" are not like 2019-09-03 10:13:36".into()));
    assert_eq!(results[3].fate, Fate::Rejected("iis: #Fields directive declares no columns".into()));
}

#[test]
fn an_origin_with_a_fields_directive_is_iis_even_for_lines_that_look_like_other_formats() {
    let results = run_lines(&mut plugin::<WebLog>("{}"), &["#Fields: cs-uri-stem cs-method", "[x] GET"]);
    assert_eq!(event(&results[1]).get("url.path"), Some(&text("[x]")));
}
