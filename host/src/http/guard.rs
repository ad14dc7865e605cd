//! The guards in front of every route.
//!
//! *Host check*, against DNS rebinding: a page on another site can make a browser send
//! requests here under its own name (`evil.example` resolving to 127.0.0.1), and read the
//! answers as same-origin. So a request is served only when its `Host` (and the authority of
//! an absolute-form target, if any) names this endpoint: exactly the bound `ip:port`; also
//! `localhost:port` when bound to a loopback address; and, when bound to every address
//! (`0.0.0.0` or `[::]`), any IP literal with the right port. A DNS name never passes, so
//! scrapers and browsers reach the endpoint by address. Anything else, a missing `Host`
//! included, gets `421 Misdirected Request`.
//!
//! *Headers*: every response, refusals included, carries a Content-Security-Policy that
//! allows only this server's own script, style and JSON ([`CONTENT_SECURITY_POLICY`]; no
//! inline code, no other origin, no framing, Trusted Types required so no string can become
//! markup), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`,
//! `X-Frame-Options: DENY`, same-origin opener and resource policies, and
//! `Cache-Control: no-store` unless the route set its own.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The policy on every response: the page's script, style and data come from this server
/// and nothing else does.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'";

/// Which `Host` values name this endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostCheck {
    local: SocketAddr,
}

/// A `Host` value split into name and port (`None`: no port given).
fn split_host(host: &str) -> Option<(&str, Option<u16>)> {
    let (name, port) = match host.strip_prefix('[') {
        Some(rest) => {
            let (name, after) = rest.split_once(']')?;
            (name, if after.is_empty() { None } else { Some(after.strip_prefix(':')?) })
        }
        None => match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        },
    };
    let port = match port {
        Some(p) if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) => Some(p.parse().ok()?),
        Some(_) => return None,
        None => None,
    };
    Some((name, port))
}

impl HostCheck {
    /// The check for an endpoint bound to `local`.
    pub fn new(local: SocketAddr) -> Self {
        HostCheck { local }
    }

    /// Whether `host` (a `Host` header's value) names this endpoint.
    pub fn permits(&self, host: &str) -> bool {
        let Some((name, port)) = split_host(host) else { return false };
        if port.unwrap_or(80) != self.local.port() {
            return false;
        }
        let bound = self.local.ip();
        match name.parse::<IpAddr>() {
            Ok(ip) => ip == bound || bound.is_unspecified(),
            Err(_) => name.eq_ignore_ascii_case("localhost") && (bound.is_loopback() || bound.is_unspecified()),
        }
    }

    /// What a client should send, for the refusal's message.
    pub fn expected(&self) -> String {
        let port = self.local.port();
        match self.local.ip() {
            ip if ip.is_unspecified() => format!("an IP address of this host with port {port}, or localhost:{port}"),
            ip if ip.is_loopback() => format!("{} or localhost:{port}", self.local),
            _ => self.local.to_string(),
        }
    }
}

/// Refuses misdirected requests, and sets the security headers on every response.
pub async fn guard(State(check): State<HostCheck>, request: Request, next: Next) -> Response {
    let host = request.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    let authority = request.uri().authority().map(|a| a.as_str());
    let permitted = host.is_some_and(|h| check.permits(h)) && authority.is_none_or(|a| check.permits(a));
    let mut response = if permitted {
        next.run(request).await
    } else {
        // The refused name is not echoed back, nor logged above debug: it is the client's text.
        tracing::debug!(host = ?host, "request refused: Host does not name this endpoint");
        let message = format!("misdirected request: this endpoint answers to Host {}\n", check.expected());
        (StatusCode::MISDIRECTED_REQUEST, message).into_response()
    };
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (HeaderName::from_static("cross-origin-opener-policy"), "same-origin"),
        (HeaderName::from_static("cross-origin-resource-policy"), "same-origin"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers.entry(header::CACHE_CONTROL).or_insert(HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(addr: &str) -> HostCheck {
        HostCheck::new(addr.parse().expect("an address"))
    }

    #[test]
    fn a_loopback_endpoint_answers_to_its_address_and_localhost_only() {
        let c = check("127.0.0.1:9464");
        assert!(c.permits("127.0.0.1:9464"));
        assert!(c.permits("localhost:9464"));
        assert!(c.permits("LocalHost:9464"));
        for refused in [
            "evil.example:9464",
            "evil.example",
            "127.0.0.1:80",
            "127.0.0.1",
            "localhost",
            "localhost.:9464",
            "127.0.0.2:9464",
            "",
            ":9464",
        ] {
            assert!(!c.permits(refused), "{refused:?} must be refused");
        }
        assert!(!c.permits("127.0.0.1:9464:1") && !c.permits("127.0.0.1:+9464") && !c.permits("127.0.0.1: 9464"));
    }

    #[test]
    fn an_ipv6_endpoint_answers_to_its_bracketed_address() {
        let c = check("[::1]:9464");
        assert!(c.permits("[::1]:9464") && c.permits("[0:0:0:0:0:0:0:1]:9464") && c.permits("localhost:9464"));
        assert!(!c.permits("::1:9464") && !c.permits("[::1]") && !c.permits("[::1]x:9464"));
    }

    #[test]
    fn an_endpoint_on_every_address_answers_to_any_ip_but_no_name() {
        let c = check("0.0.0.0:9464");
        assert!(c.permits("10.1.2.3:9464") && c.permits("[fe80::1]:9464") && c.permits("localhost:9464"));
        assert!(!c.permits("logsift.internal:9464") && !c.permits("10.1.2.3:9465"));
    }

    #[test]
    fn a_specific_address_answers_to_itself_and_port_80_may_be_implied() {
        let c = check("192.0.2.10:80");
        assert!(c.permits("192.0.2.10") && c.permits("192.0.2.10:80"));
        assert!(!c.permits("localhost:80") && !c.permits("192.0.2.11"));
    }
}
