//! logsift's syslog parser: reads `event.original` as an RFC 3164 or RFC 5424 line and sets
//! typed ECS fields, keeping `event.original`. A line that is not syslog is rejected with
//! the reason; a syslog line whose message has no known shape still gets its header fields.
//!
//! Settings (all optional): `year` (RFC 3164 lines carry none; default inferred from the
//! clock) and `timezone` (of RFC 3164 lines: `"UTC"`, a fixed offset such as `"+02:00"`, or
//! an IANA name such as `"Europe/Berlin"`, whose daylight-saving time applies per line;
//! default UTC). See [`SyslogConfig`].
//!
//! # Fields
//!
//! Header: `event.dataset` (`syslog`), `@timestamp`, `host.hostname`, `process.name` (tag up to `(` or a space), `process.pid`,
//! `log.syslog.appname` (tag verbatim), `message`, `log.syslog.priority`,
//! `log.syslog.facility.code`, `log.syslog.severity.code`; RFC 5424 adds
//! `log.syslog.version`, `log.syslog.procid`, `log.syslog.msgid` and
//! `log.syslog.structured_data.<sd-id>.<param>`.
//!
//! Messages ([`fields`] lists every name): `event.action`, `event.outcome`,
//! `event.category`, `user.name`, `user.effective.name`, `source.user.name`, `source.ip`
//! or `source.domain`, `source.port`, `event.reason`, `sshd.auth.method`,
//! `sshd.invalid_user`, `sshd.disconnect.code`, `pam.more_failures`,
//! `process.command_line`, `process.working_directory`, `log.syslog.repeat_count`.
//!
//! | `event.action` | lines | outcome | category |
//! |---|---|---|---|
//! | `ssh_login` | sshd `Failed <method> for [invalid user ]U from A port P`, `Accepted …` | failure / success | authentication |
//! | `invalid_user` | sshd `Invalid user U from A` | failure | authentication |
//! | `invalid_user_auth_request` | sshd `input_userauth_request: invalid user U` | failure | authentication |
//! | `too_many_authentication_failures` | sshd `Disconnecting: Too many authentication failures for U` | failure | authentication |
//! | `pam_more_authentication_failures` | sshd `PAM N more authentication failures; …` | failure | authentication |
//! | `disconnect` | sshd `Received disconnect from A: N: text`, `Disconnected from …` | unknown | network |
//! | `connection_closed` | sshd `Connection closed by A` | unknown | network |
//! | `no_identification_string` | sshd `Did not receive identification string from A` | failure | network |
//! | `reverse_mapping_check_failed` | sshd `reverse mapping checking getaddrinfo … POSSIBLE BREAK-IN ATTEMPT!` | failure | network |
//! | `pam_authentication_failure` | PAM `authentication failure; … rhost=H user=U` | failure | authentication |
//! | `pam_user_unknown` | PAM `check pass; user unknown` | failure | authentication |
//! | `session_opened` / `session_closed` | PAM `session opened/closed for user U` | success | session |
//! | `sudo_command` | sudo `U : [refusal ; ]TTY=… ; PWD=… ; USER=… ; COMMAND=…` | success / failure | process |
//! | `su` | su `FAILED SU (to E) U on T`, `(to E) U on T`, `Successful su for E by U` | failure / success | authentication |
//!
//! # Layout
//!
//! - [`header`]: RFC 3164 and RFC 5424 headers → [`header::Header`], or why the line is not syslog.
//! - [`timestamp`]: BSD and RFC 3339 timestamps, fixed offsets and named zones (the text
//!   is scanned here; dates and zones are reckoned by jiff, through `logsift_sdk::calendar`).
//! - [`year`]: the year of a yearless BSD timestamp (setting or clock).
//! - [`structured_data`]: RFC 5424 STRUCTURED-DATA, checked and walked without copying.
//! - [`shapes`]: the template engine every message shape is written in.
//! - [`messages`]: picks the shape table for a program and unwraps repeated messages.
//! - [`sshd`], [`pam`], [`sudo`], [`su`]: the shape tables, one per program.
//! - [`fields`]: the field names and the writer into the event.
//! - [`config`]: settings and how they build a [`Syslog`].

use std::borrow::Cow;

use logsift_sdk::{Context, Event, Kind, Metadata, Outcome, Plugin, Settings, Value};

pub mod config;
pub mod fields;
pub mod header;
pub mod messages;
pub mod pam;
pub mod shapes;
pub mod sshd;
pub mod structured_data;
pub mod su;
pub mod sudo;
pub mod timestamp;
pub mod year;

pub use config::SyslogConfig;

use fields::MessageFields;
use header::{Header, HeaderError, Stamp};
use jiff::tz::TimeZone;
use messages::Recognizer;
use year::YearSource;

/// The syslog parser plugin. Build it with [`SyslogConfig::build`] (or through
/// [`Plugin::init`]).
#[derive(Debug, Clone)]
pub struct Syslog {
    zone: TimeZone,
    years: YearSource,
    recognizer: Recognizer,
}

/// A line read into its parts, borrowing from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed<'s> {
    /// The header and message text.
    pub header: Header<'s>,
    /// `@timestamp`, when the line has one.
    pub timestamp: Option<i64>,
    /// What the message says.
    pub message: MessageFields<'s>,
}

impl Syslog {
    /// Reads one line; the error says why it is not syslog.
    pub fn parse<'s>(&mut self, line: &'s str) -> Result<Parsed<'s>, HeaderError> {
        let header = header::parse(line)?;
        let timestamp = match header.timestamp {
            Stamp::None => None,
            Stamp::Instant(nanos) => Some(nanos),
            Stamp::Bsd(time) => {
                let year = self.years.year_for(time.month);
                Some(time.to_nanos(year, &self.zone).map_err(HeaderError::BadTimestamp)?)
            }
        };
        let message = self.recognizer.recognize(&header);
        Ok(Parsed { header, timestamp, message })
    }

    /// Parses `line` and hands each field to `set`; rejects a line that is not syslog.
    fn parse_into<'s>(&mut self, line: &'s str, mut set: impl FnMut(Cow<'static, str>, Value<'s>)) -> Outcome {
        match self.parse(line) {
            Ok(parsed) => {
                fields::write(&parsed.header, parsed.timestamp, &parsed.message, &mut set);
                Outcome::Pass
            }
            Err(e) => Outcome::Reject(e.to_string()),
        }
    }
}

impl Plugin for Syslog {
    const METADATA: Metadata = Metadata::new(
        "syslog",
        env!("CARGO_PKG_VERSION"),
        Kind::Parser,
        "parses RFC 3164 and RFC 5424 syslog lines into ECS fields, with sshd, PAM, sudo and su events",
    );

    fn init(settings: Settings) -> Result<Self, String> {
        settings.parse::<SyslogConfig>()?.build().map_err(|e| e.to_string())
    }

    fn process(&mut self, event: &mut Event<'_>, _ctx: &mut Context) -> Outcome {
        // Fields borrow from the batch when `event.original` does (it always does for a
        // record straight from the host); a copy is parsed only if a stage before changed it.
        // Not `Event::parse_original`: the fields go straight into the event, with no list
        // of them in between.
        match event.original_to_parse() {
            Ok(Cow::Borrowed(line)) => self.parse_into(line, |name, value| event.push(name, value)),
            Ok(Cow::Owned(line)) => self.parse_into(&line, |name, value| event.push(name, value.into_owned())),
            Err(reason) => Outcome::Reject(reason),
        }
    }
}

logsift_sdk::export_plugin!(Syslog);
