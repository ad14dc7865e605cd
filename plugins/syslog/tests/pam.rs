//! PAM message shapes, in both spellings: `pam_unix(service:type): …` and the old
//! `program(pam_unix)` tag.

mod common;

use common::{categories, ip, parse};

#[test]
fn pam_authentication_failure_with_user_is_not_an_ssh_login() {
    let e = parse(
        "Dec 10 07:07:38 LabSZ sshd[24206]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=52.80.34.196  user=root",
    );
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("pam_authentication_failure"), Some("failure")));
    assert_eq!(categories(&e), ["authentication"]);
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("52.80.34.196"));
    assert_eq!(e.get_str("process.name"), Some("sshd"));
}

#[test]
fn pam_authentication_failure_without_user_has_only_the_source() {
    let e = parse(
        "Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=173.234.31.186 ",
    );
    assert_eq!(e.get_str("event.action"), Some("pam_authentication_failure"));
    assert_eq!(e.get("user.name"), None);
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("173.234.31.186"));
}

#[test]
fn old_style_pam_tag_gives_process_name_and_full_appname() {
    let e = parse(
        "Jun 15 02:04:59 combo sshd(pam_unix)[20882]: authentication failure; logname= uid=0 euid=0 tty=NODEVssh ruser= rhost=220-135-151-1.hinet-ip.hinet.net  user=root",
    );
    assert_eq!(e.get_str("log.syslog.appname"), Some("sshd(pam_unix)"));
    assert_eq!(e.get_str("process.name"), Some("sshd"));
    assert_eq!(e.get_int("process.pid"), Some(20882));
    assert_eq!(e.get_str("event.action"), Some("pam_authentication_failure"));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(e.get_str("source.domain"), Some("220-135-151-1.hinet-ip.hinet.net"));
    assert_eq!(e.get("source.ip"), None);
}

#[test]
fn check_pass_user_unknown_is_a_failure() {
    let e = parse("Dec 10 06:55:46 LabSZ sshd[24200]: pam_unix(sshd:auth): check pass; user unknown");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("pam_user_unknown"), Some("failure")));
    assert_eq!(categories(&e), ["authentication"]);
    let e = parse("Jun 14 15:16:02 combo sshd(pam_unix)[19937]: check pass; user unknown");
    assert_eq!(e.get_str("event.action"), Some("pam_user_unknown"));
}

#[test]
fn session_opened_names_the_user() {
    let e = parse("Dec 10 09:32:20 LabSZ sshd[24680]: pam_unix(sshd:session): session opened for user fztu by (uid=0)");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("session_opened"), Some("success")));
    assert_eq!(categories(&e), ["session"]);
    assert_eq!(e.get_str("user.name"), Some("fztu"));
}

#[test]
fn session_closed_names_the_user() {
    let e = parse("Dec 10 09:32:25 LabSZ sshd[24680]: pam_unix(sshd:session): session closed for user fztu");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("session_closed"), Some("success")));
    assert_eq!(categories(&e), ["session"]);
    assert_eq!(e.get_str("user.name"), Some("fztu"));
}

#[test]
fn su_pam_session_lines_from_old_style_tags_are_sessions() {
    let e = parse("Jun 15 04:06:18 combo su(pam_unix)[21416]: session opened for user cyrus by (uid=0)");
    assert_eq!(e.get_str("event.action"), Some("session_opened"));
    assert_eq!(e.get_str("process.name"), Some("su"));
    assert_eq!(e.get_str("log.syslog.appname"), Some("su(pam_unix)"));
    assert_eq!(e.get_str("user.name"), Some("cyrus"));
    let e = parse("Jun 15 04:06:19 combo su(pam_unix)[21416]: session closed for user cyrus");
    assert_eq!((e.get_str("event.action"), e.get_str("user.name")), (Some("session_closed"), Some("cyrus")));
}

#[test]
fn newer_pam_session_line_drops_the_uid_suffix() {
    let e = parse("Mar  3 10:00:00 web1 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)");
    assert_eq!(e.get_str("event.action"), Some("session_opened"));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(e.get_str("process.name"), Some("sudo"));
}

#[test]
fn su_pam_failure_records_the_requesting_user() {
    let e = parse(
        "Mar  3 10:00:00 web1 su: pam_unix(su:auth): authentication failure; logname=alice uid=1000 euid=0 tty=/dev/pts/1 ruser=alice rhost=  user=root",
    );
    assert_eq!(e.get_str("event.action"), Some("pam_authentication_failure"));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(e.get_str("source.user.name"), Some("alice"));
    assert_eq!(e.get("source.ip"), None);
    assert_eq!(e.get("source.domain"), None);
}
