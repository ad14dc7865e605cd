//! sudo's own log line: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l`.
//!
//! A line with a refusal before the list (`3 incorrect password attempts`, `user NOT in
//! sudoers`, `command not allowed`) is the same action with outcome `failure` and the
//! refusal in `event.reason`. sudo's PAM lines (`pam_unix(sudo:auth): authentication
//! failure; …`) are PAM's, see [`crate::pam`].

use crate::fields::{EventOutcome, MessageFields, category};
use crate::shapes::ShapeDef;

/// `event.action` of a command run (or refused) through sudo.
pub const COMMAND: &str = "sudo_command";

/// sudo message shapes.
pub const SHAPES: &[ShapeDef] = &[ShapeDef::new("{login} : {sudo}", COMMAND, EventOutcome::Success, category::PROCESS)];

/// Reads `[refusal ; ]TTY=… ; PWD=… ; USER=… ; COMMAND=…`. `COMMAND` is last and taken
/// whole, ` ; ` included. Returns `false` when there is no `COMMAND`: then the line is some
/// other sudo message.
pub fn read_fields<'s>(text: &'s str, out: &mut MessageFields<'s>) -> bool {
    let mut rest = text.trim();
    loop {
        if let Some(command) = rest.strip_prefix("COMMAND=") {
            out.command_line = Some(command).filter(|c| !c.is_empty());
            return true;
        }
        let (item, next) = rest.split_once(" ; ").unwrap_or((rest, ""));
        match item.split_once('=') {
            Some(("PWD", dir)) => out.working_directory = Some(dir),
            Some(("USER", user)) => out.effective_user = Some(user),
            Some(("TTY" | "GROUP" | "ENV" | "TSID" | "CHROOT" | "CWD", _)) => {}
            _ if out.reason.is_none() && !item.is_empty() => {
                out.reason = Some(item);
                out.outcome = EventOutcome::Failure;
            }
            _ => {}
        }
        if next.is_empty() {
            return false;
        }
        rest = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_keeps_semicolons_and_refusal_is_a_failure() {
        let mut out = MessageFields { outcome: EventOutcome::Success, ..MessageFields::default() };
        assert!(read_fields("3 incorrect password attempts ; TTY=pts/1 ; PWD=/tmp ; USER=root ; COMMAND=/bin/sh -c 'a ; b'", &mut out));
        assert_eq!(out.command_line, Some("/bin/sh -c 'a ; b'"));
        assert_eq!((out.working_directory, out.effective_user), (Some("/tmp"), Some("root")));
        assert_eq!((out.reason, out.outcome), (Some("3 incorrect password attempts"), EventOutcome::Failure));
    }

    #[test]
    fn list_without_command_is_not_a_sudo_command() {
        assert!(!read_fields("unable to resolve host web1", &mut MessageFields::default()));
    }
}
