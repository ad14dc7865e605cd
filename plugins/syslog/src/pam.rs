//! PAM messages: `pam_unix(sshd:auth): authentication failure; … rhost=H user=U`, `check
//! pass; user unknown`, `session opened/closed for user X`.
//!
//! PAM lines come in two spellings: the modern one where the program (sshd, sudo, su)
//! prefixes the message with `pam_unix(service:type): `, and the old one where the tag
//! itself is `sshd(pam_unix)` and the message is bare (see `Linux_2k.log`). Both reach the
//! same table. A PAM failure has its own `event.action`, distinct from the program's own
//! verdict (`ssh_login`), so a count of failed logins does not count an attempt twice.

use crate::fields::{EventOutcome, MessageFields, category};
use crate::shapes::{ShapeDef, set_source};

/// `event.action` of `authentication failure; …`.
pub const AUTHENTICATION_FAILURE: &str = "pam_authentication_failure";
/// `event.action` of `check pass; user unknown`.
pub const USER_UNKNOWN: &str = "pam_user_unknown";
/// `event.action` of `session opened for user X`.
pub const SESSION_OPENED: &str = "session_opened";
/// `event.action` of `session closed for user X`.
pub const SESSION_CLOSED: &str = "session_closed";

/// PAM message shapes, tried in order.
pub const SHAPES: &[ShapeDef] = &[
    ShapeDef::new("authentication failure; {pam}", AUTHENTICATION_FAILURE, EventOutcome::Failure, category::AUTHENTICATION),
    ShapeDef::new("check pass; user unknown", USER_UNKNOWN, EventOutcome::Failure, category::AUTHENTICATION),
    ShapeDef::new("session opened for user {user} by {_}", SESSION_OPENED, EventOutcome::Success, category::SESSION),
    ShapeDef::new("session opened for user {user}", SESSION_OPENED, EventOutcome::Success, category::SESSION),
    ShapeDef::new("session closed for user {user}", SESSION_CLOSED, EventOutcome::Success, category::SESSION),
];

/// The message after a `pam_<module>(<service>:<type>): ` prefix, if it has one.
pub fn strip_prefix(message: &str) -> Option<&str> {
    if !message.starts_with("pam_") {
        return None;
    }
    // The first `): ` if it starts within 64 bytes: only those bytes are searched.
    let head = message.as_bytes().get(..message.len().min(64 + 2)).unwrap_or_default();
    let end = memchr::memchr_iter(b')', head).find(|&at| head.get(at + 1..at + 3) == Some(b": "))?;
    message.get(end + 3..)
}

/// Whether a tag is the old PAM spelling, `program(pam_module)`.
pub fn is_pam_tag(appname: &str) -> bool {
    // Each `(` (found by memchr) asked, not `contains`: a `&str` pattern builds a two-way
    // searcher on every call, and this is asked of nearly every line's tag.
    appname.match_indices('(').any(|(at, _)| appname.get(at..).is_some_and(|rest| rest.starts_with("(pam_")))
}

/// Reads PAM's `logname= uid=0 euid=0 tty=ssh ruser= rhost=H user=U`: `user` is the
/// account (`user.name`), `rhost` the remote host, `ruser` the requesting user. Empty
/// values are skipped.
pub fn read_fields<'s>(text: &'s str, out: &mut MessageFields<'s>) {
    for pair in text.split_ascii_whitespace() {
        match pair.split_once('=') {
            Some(("user", name)) if !name.is_empty() => out.user = Some(name),
            Some(("ruser", name)) if !name.is_empty() => out.source_user = Some(name),
            Some(("rhost", host)) => set_source(host, out),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_is_stripped_only_when_it_is_a_pam_prefix() {
        assert_eq!(strip_prefix("pam_unix(sshd:auth): check pass; user unknown"), Some("check pass; user unknown"));
        assert_eq!(strip_prefix("pam_unix(sudo:session): session closed for user root"), Some("session closed for user root"));
        assert_eq!(strip_prefix("Failed password for root"), None);
        // The prefix ends within 64 bytes: `)` at 63 is one, at 64 is not.
        let at = |n: usize| format!("pam_{}): rest", "x".repeat(n - 4));
        assert_eq!(strip_prefix(&at(63)), Some("rest"));
        assert_eq!(strip_prefix(&at(64)), None);
        assert_eq!(strip_prefix(&format!("{}: x): y", at(64))), None);
        assert_eq!(strip_prefix("pam_unix(sshd:auth) x): y"), Some("y"));
    }

    #[test]
    fn a_pam_tag_has_a_pam_module_in_parentheses_anywhere() {
        for (tag, pam) in [
            ("sshd(pam_unix)", true),
            ("(pam_unix)", true),
            ("x(y)(pam_env)", true),
            ("x((pam_", true),
            ("sshd", false),
            ("sshd(pam", false),
            ("pam_unix", false),
            ("sshd(pamunix)", false),
            ("", false),
        ] {
            assert_eq!(is_pam_tag(tag), pam, "{tag:?}");
            assert_eq!(is_pam_tag(tag), tag.contains("(pam_"), "{tag:?}");
        }
    }

    #[test]
    fn key_value_list_fills_user_and_source() {
        let mut out = MessageFields::default();
        read_fields("logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root", &mut out);
        assert_eq!((out.user, out.source_domain, out.source_user), (Some("root"), Some("220-135-151-1.hinet-ip.hinet.net"), None));
        let mut out = MessageFields::default();
        read_fields("logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=root", &mut out);
        assert_eq!((out.user, out.source_user, out.source_ip, out.source_domain), (Some("root"), Some("alice"), None, None));
    }
}
