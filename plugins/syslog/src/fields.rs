//! The field vocabulary: every name this parser writes, the [`MessageFields`] a message
//! shape fills in, and [`write`], which turns a parsed line into typed event fields.
//!
//! Strings are borrowed from the line; only structured-data field names (built from the
//! SD-ID and param name) and escaped structured-data values are allocated.

use std::borrow::Cow;
use std::net::IpAddr;

use logsift_sdk::Value;

use crate::header::Header;
use crate::structured_data;

/// `event.original`: the raw line, read and kept.
pub const ORIGINAL: &str = "event.original";
/// `event.dataset`: always [`DATASET`]; it also tells a later parser the event is claimed.
pub const EVENT_DATASET: &str = "event.dataset";
/// The value of `event.dataset`.
pub const DATASET: &str = "syslog";
/// `@timestamp`: the header's time, nanoseconds since the epoch (UTC).
pub const TIMESTAMP: &str = "@timestamp";
/// `host.hostname`: HOSTNAME.
pub const HOST_HOSTNAME: &str = "host.hostname";
/// `process.name`: the tag or APP-NAME up to `(` or a space.
pub const PROCESS_NAME: &str = "process.name";
/// `process.pid`: the `[pid]` or a numeric PROCID.
pub const PROCESS_PID: &str = "process.pid";
/// `message`: the free text after the header.
pub const MESSAGE: &str = "message";
/// `log.syslog.appname`: the full tag or APP-NAME, verbatim (`sshd(pam_unix)`).
pub const APPNAME: &str = "log.syslog.appname";
/// `log.syslog.priority`: PRI.
pub const PRIORITY: &str = "log.syslog.priority";
/// `log.syslog.facility.code`: PRI / 8.
pub const FACILITY_CODE: &str = "log.syslog.facility.code";
/// `log.syslog.severity.code`: PRI % 8.
pub const SEVERITY_CODE: &str = "log.syslog.severity.code";
/// `log.syslog.version`: RFC 5424 VERSION.
pub const VERSION: &str = "log.syslog.version";
/// `log.syslog.procid`: RFC 5424 PROCID, verbatim.
pub const PROCID: &str = "log.syslog.procid";
/// `log.syslog.msgid`: RFC 5424 MSGID.
pub const MSGID: &str = "log.syslog.msgid";
/// Prefix of `log.syslog.structured_data.<sd-id>.<param>`.
pub const STRUCTURED_DATA_PREFIX: &str = "log.syslog.structured_data.";
/// `log.syslog.repeat_count`: N of `message repeated N times: [ … ]`.
pub const REPEAT_COUNT: &str = "log.syslog.repeat_count";
/// `event.action`: which message shape the line has.
pub const EVENT_ACTION: &str = "event.action";
/// `event.outcome`: `success`, `failure` or `unknown`.
pub const EVENT_OUTCOME: &str = "event.outcome";
/// `event.category`: an array, e.g. `["authentication"]`.
pub const EVENT_CATEGORY: &str = "event.category";
/// `event.reason`: why (disconnect reason, sudo refusal).
pub const EVENT_REASON: &str = "event.reason";
/// `user.name`: the account the line is about.
pub const USER_NAME: &str = "user.name";
/// `user.effective.name`: the account sudo or su switches to.
pub const USER_EFFECTIVE_NAME: &str = "user.effective.name";
/// `source.user.name`: PAM's `ruser`, the requesting user.
pub const SOURCE_USER_NAME: &str = "source.user.name";
/// `source.ip`: the remote address, when the text is an IP.
pub const SOURCE_IP: &str = "source.ip";
/// `source.domain`: the remote host, when the text is a name.
pub const SOURCE_DOMAIN: &str = "source.domain";
/// `source.port`: the remote port.
pub const SOURCE_PORT: &str = "source.port";
/// `sshd.auth.method`: `password`, `publickey`, `none`, `keyboard-interactive/pam`, ….
pub const SSHD_AUTH_METHOD: &str = "sshd.auth.method";
/// `sshd.invalid_user`: `true` when sshd says the user does not exist.
pub const SSHD_INVALID_USER: &str = "sshd.invalid_user";
/// `sshd.disconnect.code`: the SSH disconnect reason code.
pub const SSHD_DISCONNECT_CODE: &str = "sshd.disconnect.code";
/// `pam.more_failures`: N of `PAM N more authentication failures`.
pub const PAM_MORE_FAILURES: &str = "pam.more_failures";
/// `process.command_line`: the command sudo ran.
pub const PROCESS_COMMAND_LINE: &str = "process.command_line";
/// `process.working_directory`: the directory sudo ran it in.
pub const PROCESS_WORKING_DIRECTORY: &str = "process.working_directory";

/// `event.category` values.
pub mod category {
    /// Logins, failed passwords, unknown users, su.
    pub const AUTHENTICATION: &[&str] = &["authentication"];
    /// Sessions opened and closed.
    pub const SESSION: &[&str] = &["session"];
    /// Connections, disconnects, scans.
    pub const NETWORK: &[&str] = &["network"];
    /// Commands run through sudo.
    pub const PROCESS: &[&str] = &["process"];
}

/// `event.outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EventOutcome {
    /// It worked.
    Success,
    /// It was refused or failed.
    Failure,
    /// Neither applies or the line does not say.
    #[default]
    Unknown,
}

impl EventOutcome {
    /// The ECS keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            EventOutcome::Success => "success",
            EventOutcome::Failure => "failure",
            EventOutcome::Unknown => "unknown",
        }
    }
}

/// What a recognised message says, borrowed from the line. `action` is `None` when the
/// message has no known shape (other fields may still be set, e.g. `repeat_count`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MessageFields<'s> {
    /// `event.action`.
    pub action: Option<&'static str>,
    /// `event.outcome`.
    pub outcome: EventOutcome,
    /// `event.category`.
    pub category: &'static [&'static str],
    /// `user.name`.
    pub user: Option<&'s str>,
    /// `user.effective.name`.
    pub effective_user: Option<&'s str>,
    /// `source.user.name`.
    pub source_user: Option<&'s str>,
    /// `source.ip`.
    pub source_ip: Option<IpAddr>,
    /// `source.domain`.
    pub source_domain: Option<&'s str>,
    /// `source.port`.
    pub source_port: Option<u16>,
    /// `sshd.auth.method`.
    pub auth_method: Option<&'s str>,
    /// `sshd.invalid_user` (written only when true).
    pub invalid_user: bool,
    /// `event.reason`.
    pub reason: Option<&'s str>,
    /// `sshd.disconnect.code`.
    pub disconnect_code: Option<i64>,
    /// `pam.more_failures`.
    pub more_failures: Option<i64>,
    /// `process.command_line`.
    pub command_line: Option<&'s str>,
    /// `process.working_directory`.
    pub working_directory: Option<&'s str>,
    /// `log.syslog.repeat_count`.
    pub repeat_count: Option<i64>,
}

/// Hands every field of a parsed line to `set`, header fields first.
pub fn write<'s>(
    header: &Header<'s>,
    timestamp: Option<i64>,
    message: &MessageFields<'s>,
    set: &mut impl FnMut(Cow<'static, str>, Value<'s>),
) {
    let mut put = |name: &'static str, value: Value<'s>| set(Cow::Borrowed(name), value);
    let text = |s: &'s str| Value::Str(Cow::Borrowed(s));
    put(EVENT_DATASET, Value::from(DATASET));
    if let Some(t) = timestamp {
        put(TIMESTAMP, Value::Timestamp(t));
    }
    if let Some(host) = header.hostname {
        put(HOST_HOSTNAME, text(host));
    }
    if let Some(name) = header.process_name() {
        put(PROCESS_NAME, text(name));
    }
    if let Some(pid) = header.pid {
        put(PROCESS_PID, Value::Int(pid));
    }
    if let Some(app) = header.appname {
        put(APPNAME, text(app));
    }
    if let Some(pri) = header.priority {
        put(PRIORITY, Value::Int(i64::from(pri)));
        put(FACILITY_CODE, Value::Int(i64::from(pri / 8)));
        put(SEVERITY_CODE, Value::Int(i64::from(pri % 8)));
    }
    if let Some(version) = header.version {
        put(VERSION, Value::Int(i64::from(version)));
    }
    if let Some(procid) = header.procid {
        put(PROCID, text(procid));
    }
    if let Some(msgid) = header.msgid {
        put(MSGID, text(msgid));
    }
    if !header.message.is_empty() {
        put(MESSAGE, text(header.message));
    }
    if let Some(action) = message.action {
        put(EVENT_ACTION, Value::from(action));
        put(EVENT_OUTCOME, Value::from(message.outcome.as_str()));
        put(EVENT_CATEGORY, Value::Array(message.category.iter().map(|&c| Value::from(c)).collect()));
    }
    let texts = [
        (USER_NAME, message.user),
        (USER_EFFECTIVE_NAME, message.effective_user),
        (SOURCE_USER_NAME, message.source_user),
        (SOURCE_DOMAIN, message.source_domain),
        (SSHD_AUTH_METHOD, message.auth_method),
        (EVENT_REASON, message.reason),
        (PROCESS_COMMAND_LINE, message.command_line),
        (PROCESS_WORKING_DIRECTORY, message.working_directory),
    ];
    for (name, value) in texts {
        if let Some(value) = value {
            put(name, text(value));
        }
    }
    if let Some(ip) = message.source_ip {
        put(SOURCE_IP, Value::Ip(ip));
    }
    let ints = [
        (SOURCE_PORT, message.source_port.map(i64::from)),
        (SSHD_DISCONNECT_CODE, message.disconnect_code),
        (PAM_MORE_FAILURES, message.more_failures),
        (REPEAT_COUNT, message.repeat_count),
    ];
    for (name, value) in ints {
        if let Some(value) = value {
            put(name, Value::Int(value));
        }
    }
    if message.invalid_user {
        put(SSHD_INVALID_USER, Value::Bool(true));
    }
    if let Some(sd) = header.structured_data {
        write_structured_data(sd, set);
    }
}

/// One field per SD param, `log.syslog.structured_data.<sd-id>.<param>`; a param name
/// repeated within an element (RFC 5424 allows it) becomes one array of its values.
fn write_structured_data<'s>(sd: &'s str, set: &mut impl FnMut(Cow<'static, str>, Value<'s>)) {
    for element in structured_data::elements(sd) {
        for (index, (name, raw)) in element.params().enumerate() {
            if element.params().take(index).any(|(earlier, _)| earlier == name) {
                continue;
            }
            let mut repeats = element.params().skip(index + 1).filter(|(later, _)| *later == name).peekable();
            let value = if repeats.peek().is_none() {
                Value::Str(structured_data::unescape(raw))
            } else {
                let all = std::iter::once(raw).chain(repeats.map(|(_, v)| v));
                Value::Array(all.map(|v| Value::Str(structured_data::unescape(v))).collect())
            };
            let mut field = String::with_capacity(STRUCTURED_DATA_PREFIX.len() + element.id.len() + 1 + name.len());
            field.push_str(STRUCTURED_DATA_PREFIX);
            field.push_str(element.id);
            field.push('.');
            field.push_str(name);
            set(Cow::Owned(field), value);
        }
    }
}
