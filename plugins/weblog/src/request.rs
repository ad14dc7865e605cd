//! The quoted parts of an access log line: the request line (`GET /a?b HTTP/1.1`) split
//! into method, target, path, query and version, and Apache's `\"` / `\\` escapes undone.
//!
//! Promise: a request line that is neither `METHOD TARGET HTTP/x` nor HTTP/0.9's
//! `GET TARGET` (a TLS handshake sent to a plain-HTTP port, a scanner's
//! `GNUTELLA CONNECT/0.6`, Apache's `-` for nothing received) never fails the line: the HTTP fields are left out and the text is kept whole in
//! `weblog.request_line` (`-` sets nothing).

use std::borrow::Cow;

use logsift_sdk::Value;
use memchr::{memchr, memchr2, memrchr};

use crate::fields::Fields;

/// Undoes Apache's escaping of `"` and `\` (`\"` → `"`, `\\` → `\`); other escapes such as
/// `\x16` stay as written, since their bytes need not be UTF-8. Borrows when there is
/// nothing to undo.
pub(crate) fn unescape(text: &str) -> Cow<'_, str> {
    if memchr(b'\\', text.as_bytes()).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some(next @ ('"' | '\\')) => out.push(next),
                Some(other) => {
                    out.push('\\');
                    out.push(other);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Adds the fields of a request line (raw, escapes still in place).
pub(crate) fn put_request<'t>(fields: &mut Fields<'t>, raw: &'t str) {
    if raw == "-" {
        return;
    }
    match unescape(raw) {
        Cow::Borrowed(line) => put_line(fields, line, Value::from),
        Cow::Owned(line) => put_line(fields, &line, |part: &str| Value::from(part.to_owned())),
    }
}

/// Adds the parts of an unescaped request line, each made a value by `text` (a borrow of
/// the log line, or a copy when unescaping had to build a new string).
fn put_line<'l, 't>(fields: &mut Fields<'t>, line: &'l str, text: impl Fn(&'l str) -> Value<'t>) {
    let Some((method, target, version)) = split(line) else {
        fields.put("weblog.request_line", text(line));
        return;
    };
    fields.put("http.request.method", text(method));
    if let Some(version) = version {
        fields.put("http.version", text(version));
    }
    fields.put("url.original", text(target));
    let (path, query) = target_parts(method, target);
    if let Some(path) = path {
        fields.put("url.path", text(path));
    }
    if let Some(query) = query {
        fields.put("url.query", text(query));
    }
}

/// Method, target and version of a well-formed request line: the method is an HTTP token,
/// the version is the last word and starts with `HTTP/`, the target is everything between
/// (servers that log it unescaped may leave spaces in it). An HTTP/0.9 request,
/// `GET /path` (Tomcat logs it with a trailing space), has no version.
fn split(line: &str) -> Option<(&str, &str, Option<&str>)> {
    let (method, rest) = split_at_byte(line, memchr(b' ', line.as_bytes())?);
    if method == "GET" {
        let target = rest.strip_suffix(' ').unwrap_or(rest);
        if !target.is_empty() && memchr(b' ', target.as_bytes()).is_none() {
            return Some((method, target, None));
        }
    }
    let (target, version) = split_at_byte(rest, memrchr(b' ', rest.as_bytes())?);
    let version = version.strip_prefix("HTTP/")?;
    let is_token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    (is_token(method) && !target.is_empty() && !version.is_empty()).then_some((method, target, Some(version)))
}

/// The path and query of a request target. Origin form (`/a?b`) and anything else a client
/// sent as its path (`c:\boot.ini`) split at the first `?`; absolute form
/// (`http://host/a?b`) drops the scheme and authority first. `*` (`OPTIONS *`) and the
/// authority form of `CONNECT host:443` have no path.
fn target_parts<'t>(method: &str, target: &'t str) -> (Option<&'t str>, Option<&'t str>) {
    if target == "*" || method == "CONNECT" {
        return (None, None);
    }
    // The scheme is the run of scheme characters that opens the target; it counts only when
    // `://` follows it (the first `://` of the target, since `:` ends the run).
    let scheme = target.bytes().take_while(|&b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)).count();
    let local = match target[scheme..].strip_prefix("://") {
        Some(rest) if scheme > 0 => memchr2(b'/', b'?', rest.as_bytes()).map_or("", |at| &rest[at..]),
        _ => target,
    };
    let (path, query) = match memchr(b'?', local.as_bytes()) {
        Some(at) => {
            let (path, query) = split_at_byte(local, at);
            (path, Some(query))
        }
        None => (local, None),
    };
    ((!path.is_empty()).then_some(path), query.filter(|q| !q.is_empty()))
}

/// The text before and after the ASCII byte at `at` (a position `memchr` found).
fn split_at_byte(text: &str, at: usize) -> (&str, &str) {
    (&text[..at], &text[at + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(raw: &str) -> Fields<'_> {
        let mut fields = Fields::default();
        put_request(&mut fields, raw);
        fields
    }

    #[test]
    fn a_request_line_splits_into_method_target_and_version() {
        let f = request("GET /a/b?x=1&y HTTP/1.1");
        assert_eq!(f.get("http.request.method"), Some(&Value::from("GET")));
        assert_eq!(f.get("url.original"), Some(&Value::from("/a/b?x=1&y")));
        assert_eq!(f.get("url.path"), Some(&Value::from("/a/b")));
        assert_eq!(f.get("url.query"), Some(&Value::from("x=1&y")));
        assert_eq!(f.get("http.version"), Some(&Value::from("1.1")));
    }

    #[test]
    fn escaped_quotes_are_undone_in_the_target() {
        let f = request(r#"GET /q?\"a\\b\x41 HTTP/1.0"#);
        assert_eq!(f.get("url.query"), Some(&Value::from(r#""a\b\x41"#)));
    }

    #[test]
    fn absolute_targets_keep_only_path_and_query() {
        let f = request("GET http://example.com:8080/p?q HTTP/1.1");
        assert_eq!(f.get("url.path"), Some(&Value::from("/p")));
        assert_eq!(f.get("url.query"), Some(&Value::from("q")));
        let f = request("CONNECT example.com:443 HTTP/1.1");
        assert_eq!(f.get("url.original"), Some(&Value::from("example.com:443")));
        assert_eq!(f.get("url.path"), None);
    }

    #[test]
    fn only_a_leading_scheme_makes_a_target_absolute() {
        let cases = [
            ("/a?next=http://b/c", Some("/a"), Some("next=http://b/c")),
            ("/r/http://b/c", Some("/r/http://b/c"), None),
            ("ht!tp://h/p?q", Some("ht!tp://h/p"), Some("q")),
            ("svn+ssh://h?q", None, Some("q")),
            ("http://", None, None),
            ("://h/p", Some("://h/p"), None),
            ("c:\\boot.ini", Some("c:\\boot.ini"), None),
        ];
        for (target, path, query) in cases {
            assert_eq!(target_parts("GET", target), (path, query), "{target}");
        }
    }

    #[test]
    fn malformed_request_lines_are_kept_whole_without_http_fields() {
        for raw in ["GNUTELLA CONNECT/0.6 ", "some invalid request", "\u{16}\u{3}\u{1} =?A3", "t3 12.2.1 ", "POST /no-version"] {
            let f = request(raw);
            assert_eq!(f.get("http.request.method"), None, "{raw}");
            assert_eq!(f.get("weblog.request_line"), Some(&Value::from(raw)), "{raw}");
        }
        assert!(request("-").get("weblog.request_line").is_none());
    }

    #[test]
    fn an_http_0_9_get_has_a_target_but_no_version() {
        let f = request("GET /index.jsp ");
        assert_eq!(f.get("http.request.method"), Some(&Value::from("GET")));
        assert_eq!(f.get("url.path"), Some(&Value::from("/index.jsp")));
        assert_eq!(f.get("http.version"), None);
    }
}
