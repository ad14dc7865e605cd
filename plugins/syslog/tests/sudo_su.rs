//! sudo and su message shapes.

mod common;

use common::{categories, parse};

#[test]
fn sudo_command_sets_users_command_line_and_directory() {
    let e = parse("Mar  3 10:15:02 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l /root");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("sudo_command"), Some("success")));
    assert_eq!(categories(&e), ["process"]);
    assert_eq!(e.get_str("user.name"), Some("alice"));
    assert_eq!(e.get_str("user.effective.name"), Some("root"));
    assert_eq!(e.get_str("process.command_line"), Some("/bin/ls -l /root"));
    assert_eq!(e.get_str("process.working_directory"), Some("/home/alice"));
    assert_eq!(e.get_str("process.name"), Some("sudo"));
    assert_eq!(e.get("event.reason"), None);
}

#[test]
fn sudo_incorrect_password_attempts_is_a_failed_command_with_the_reason() {
    let e =
        parse("Mar  3 10:16:40 web1 sudo: mallory : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/tmp ; USER=root ; COMMAND=/bin/bash");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("sudo_command"), Some("failure")));
    assert_eq!(e.get_str("event.reason"), Some("3 incorrect password attempts"));
    assert_eq!(e.get_str("user.name"), Some("mallory"));
    assert_eq!(e.get_str("user.effective.name"), Some("root"));
    assert_eq!(e.get_str("process.command_line"), Some("/bin/bash"));
}

#[test]
fn sudo_user_not_in_sudoers_is_a_failed_command() {
    let e = parse("Mar  3 10:17:00 web1 sudo: bob : user NOT in sudoers ; TTY=pts/3 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/id");
    assert_eq!(e.get_str("event.outcome"), Some("failure"));
    assert_eq!(e.get_str("event.reason"), Some("user NOT in sudoers"));
}

#[test]
fn sudo_pam_authentication_failure_is_a_pam_action() {
    let e = parse(
        "Mar  3 10:16:30 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=mallory uid=1001 euid=0 tty=/dev/pts/2 ruser=mallory rhost=  user=mallory",
    );
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("pam_authentication_failure"), Some("failure")));
    assert_eq!(e.get_str("user.name"), Some("mallory"));
    assert_eq!(e.get_str("process.name"), Some("sudo"));
}

#[test]
fn other_sudo_messages_get_no_action() {
    let e = parse("Mar  3 10:18:00 web1 sudo: alice : unable to resolve host web1");
    assert_eq!(e.get("event.action"), None);
}

#[test]
fn failed_su_names_who_tried_and_the_target() {
    let e = parse("Mar  3 11:00:00 web1 su[4242]: FAILED SU (to root) alice on pts/0");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("su"), Some("failure")));
    assert_eq!(categories(&e), ["authentication"]);
    assert_eq!(e.get_str("user.name"), Some("alice"));
    assert_eq!(e.get_str("user.effective.name"), Some("root"));
}

#[test]
fn successful_su_in_both_spellings() {
    let e = parse("Mar  3 11:01:00 web1 su[4243]: (to root) alice on pts/0");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("su"), Some("success")));
    assert_eq!((e.get_str("user.name"), e.get_str("user.effective.name")), (Some("alice"), Some("root")));
    let e = parse("Mar  3 11:01:00 web1 su[4243]: Successful su for root by alice");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("su"), Some("success")));
    assert_eq!((e.get_str("user.name"), e.get_str("user.effective.name")), (Some("alice"), Some("root")));
}

#[test]
fn old_su_plus_and_minus_lines_are_success_and_failure() {
    let e = parse("Mar  3 11:02:00 web1 su: + pts/1 alice:root");
    assert_eq!(
        (e.get_str("event.outcome"), e.get_str("user.name"), e.get_str("user.effective.name")),
        (Some("success"), Some("alice"), Some("root"))
    );
    let e = parse("Mar  3 11:02:00 web1 su: - pts/1 alice:root");
    assert_eq!(e.get_str("event.outcome"), Some("failure"));
}
