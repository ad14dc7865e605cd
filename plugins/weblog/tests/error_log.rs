//! Apache error logs: loghub's `Apache_2k.log` parsed whole and checked line by line
//! against loghub's own structured CSV (time, level, content), plus the 2.4 line shape.

mod common;

use common::{event, events, ip, shared_lines, tally, text, web};
use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, OwnedEvent, plugin, run_lines};
use logsift_weblog::WebLog;

const APACHE: &str = "data/loghub/Apache_2k.log";
const STRUCTURED: &str = "data/loghub/Apache_2k.log_structured.csv";

/// Renders a timestamp as Apache writes it (`Sun Dec 04 04:47:44 2005`), computing the
/// calendar date the other way round from the plugin (days → date), so a mistake in one
/// direction is not hidden by the same mistake in the other.
fn apache_time(nanos: i64) -> String {
    const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    let secs = nanos.div_euclid(1_000_000_000);
    let (days, rest) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // H. Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{} {} {day:02} {:02}:{:02}:{:02} {year}",
        WEEKDAYS[days.rem_euclid(7) as usize],
        MONTHS[(month - 1) as usize],
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

#[test]
fn every_line_of_the_apache_error_log_becomes_an_event() {
    let Some(lines) = shared_lines(APACHE) else {
        return;
    };
    // 1999 CRLFs and a last line without one: awk 'END {print NR}' → 2000
    assert_eq!(lines.len(), 2000);
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    let t = tally(&results);
    assert_eq!(t.rejected, Vec::<(usize, String)>::new());
    assert_eq!((t.events, t.dropped), (2000, 0));
}

#[test]
fn every_line_agrees_with_loghubs_structured_csv() {
    let (Some(lines), Some(csv)) = (shared_lines(APACHE), shared_lines(STRUCTURED)) else {
        return;
    };
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    // LineId,Time,Level,Content,EventId,EventTemplate — no field is quoted, none has a comma
    // (awk -F, 'NF!=6' … | wc -l → 0).
    assert_eq!(csv.len(), 2001);
    for (row, result) in csv[1..].iter().zip(&results) {
        let cols: Vec<&str> = row.trim_end_matches('\r').split(',').collect();
        let (id, time, level, content) = (cols[0], cols[1], cols[2], cols[3]);
        let e = event(result);
        let Some(Value::Timestamp(ts)) = e.get("@timestamp") else { panic!("line {id}: no @timestamp") };
        assert_eq!(apache_time(*ts), time, "line {id}");
        assert_eq!(e.get_str("log.level"), Some(level), "line {id}");
        let (client, message) = match content.strip_prefix("[client ").and_then(|c| c.split_once("] ")) {
            Some((client, message)) => (Some(ip(client)), message),
            None => (None, content),
        };
        assert_eq!(e.get("source.ip"), client.as_ref(), "line {id}");
        assert_eq!(e.get_str("message"), Some(message), "line {id}");
    }
}

#[test]
fn levels_and_clients_total_what_awk_and_grep_count() {
    let Some(lines) = shared_lines(APACHE) else {
        return;
    };
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines);
    let all: Vec<&OwnedEvent> = events(&results).collect();
    // awk -F'] ' '{print $2}' Apache_2k.log | sort | uniq -c → 595 [error, 1405 [notice
    assert_eq!(all.iter().filter(|e| e.get_str("log.level") == Some("error")).count(), 595);
    assert_eq!(all.iter().filter(|e| e.get_str("log.level") == Some("notice")).count(), 1405);
    // grep -c '\[client ' Apache_2k.log → 32
    assert_eq!(all.iter().filter(|e| e.get("source.ip").is_some()).count(), 32);
    assert!(all.iter().all(|e| e.get("event.category") == Some(&web()) && e.get("process.pid").is_none()));
}

#[test]
fn a_line_with_a_client_is_read_field_by_field() {
    let Some(lines) = shared_lines(APACHE) else {
        return;
    };
    // Line 132: [Sun Dec 04 05:15:09 2005] [error] [client 222.166.160.184] Directory index forbidden by rule: /var/www/html/
    let results = run_lines(&mut plugin::<WebLog>("{}"), &lines[131..132]);
    let e = event(&results[0]);
    let mut fields: Vec<(&str, &Value<'static>)> = e.fields.iter().skip(1).map(|(n, v)| (n.as_str(), v)).collect();
    fields.sort_by_key(|(n, _)| *n);
    let expected = [
        ("@timestamp", Value::Timestamp(1_133_673_309_000_000_000)), // date -u -d 2005-12-04T05:15:09Z +%s
        ("event.category", web()),
        ("event.dataset", text("weblog.apache_error")),
        ("log.level", text("error")),
        ("message", text("Directory index forbidden by rule: /var/www/html/")),
        ("source.ip", ip("222.166.160.184")),
    ];
    assert_eq!(fields, expected.iter().map(|(n, v)| (*n, v)).collect::<Vec<_>>());
}

#[test]
fn the_timezone_setting_shifts_naive_timestamps() {
    let line = "[Sun Dec 04 04:47:44 2005] [notice] workerEnv.init() ok /etc/httpd/conf/workers2.properties";
    let utc = run_lines(&mut plugin::<WebLog>("{}"), &[line]);
    let paris = run_lines(&mut plugin::<WebLog>(r#"{"timezone": "+01:00"}"#), &[line]);
    // date -u -d 2005-12-04T04:47:44Z +%s → 1133671664
    assert_eq!(event(&utc[0]).get("@timestamp"), Some(&Value::Timestamp(1_133_671_664_000_000_000)));
    assert_eq!(event(&paris[0]).get("@timestamp"), Some(&Value::Timestamp(1_133_668_064_000_000_000)));
}

#[test]
fn an_apache_two_four_line_gives_pid_thread_module_and_client_port() {
    let line = "[Wed Oct 11 14:32:52.123456 2000] [core:error] [pid 35708:tid 4328636416] [client 72.15.99.187:5874] AH00037: Symbolic link not allowed or link target not accessible: /usr/local/apache2/htdocs/x";
    let results = run_lines(&mut plugin::<WebLog>(r#"{"format": "apache_error"}"#), &[line]);
    let e = event(&results[0]);
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(971_274_772_123_456_000))); // date -u -d 2000-10-11T14:32:52Z +%s
    assert_eq!(e.get("log.level"), Some(&text("error")));
    assert_eq!(e.get("apache.error.module"), Some(&text("core")));
    assert_eq!(e.get("process.pid"), Some(&Value::Int(35708)));
    assert_eq!(e.get("process.thread.id"), Some(&Value::Int(4_328_636_416)));
    assert_eq!(e.get("source.ip"), Some(&ip("72.15.99.187")));
    assert_eq!(e.get("source.port"), Some(&Value::Int(5874)));
    assert!(e.get_str("message").is_some_and(|m| m.starts_with("AH00037: Symbolic link")));
}

#[test]
fn broken_error_log_lines_are_rejected_with_where_and_why() {
    let cases = [
        ("[Sun Dec 04 04:47:44 2005", "apache error log: timestamp is not closed by \"] \" at column 2"),
        (
            "[Sun Dec 32 04:47:44 2005] [notice] x",
            "apache error log: timestamp \"Sun Dec 32 04:47:44 2005\" is not like \"Sun Dec 04 04:47:44 2005\" at column 2",
        ),
        ("[Sun Dec 04 04:47:44 2005] notice x", "apache error log: expected '[' opening the level at column 28"),
        (
            "[Sun Dec 04 04:47:44 2005] [error] [client 1.2.3] x",
            "apache error log: [client 1.2.3] does not hold an IP address at column 36",
        ),
    ];
    let lines: Vec<&str> = cases.iter().map(|(l, _)| *l).collect();
    let results = run_lines(&mut plugin::<WebLog>(r#"{"format": "apache_error"}"#), &lines);
    for ((line, reason), result) in cases.iter().zip(&results) {
        assert_eq!(result.fate, Fate::Rejected((*reason).into()), "{line}");
    }
}
