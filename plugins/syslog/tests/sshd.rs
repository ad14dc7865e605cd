//! sshd message shapes, one line each, asserted field by field.

mod common;

use common::{categories, ip, parse, utc_nanos};
use logsift_sdk::Value;

#[test]
fn failed_root_password_sets_user_source_ip_and_port() {
    let e = parse("Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2");
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(utc_nanos(2005, 12, 10, 7, 7, 38))));
    assert_eq!(e.get_str("host.hostname"), Some("LabSZ"));
    assert_eq!(e.get_str("process.name"), Some("sshd"));
    assert_eq!(e.get_str("log.syslog.appname"), Some("sshd"));
    assert_eq!(e.get_int("process.pid"), Some(24206));
    assert_eq!(e.get_str("message"), Some("Failed password for root from 52.80.34.196 port 36060 ssh2"));
    assert_eq!(e.get_str("event.action"), Some("ssh_login"));
    assert_eq!(e.get_str("event.outcome"), Some("failure"));
    assert_eq!(categories(&e), ["authentication"]);
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("52.80.34.196"));
    assert_eq!(e.get_int("source.port"), Some(36060));
    assert_eq!(e.get_str("sshd.auth.method"), Some("password"));
    assert_eq!(e.get("sshd.invalid_user"), None);
    assert_eq!(
        e.get_str("event.original"),
        Some("Dec 10 07:07:38 LabSZ sshd[24206]: Failed password for root from 52.80.34.196 port 36060 ssh2")
    );
}

#[test]
fn failed_password_for_invalid_user_marks_the_user_invalid() {
    let e = parse("Dec 10 06:55:48 LabSZ sshd[24200]: Failed password for invalid user webmaster from 173.234.31.186 port 38926 ssh2");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("ssh_login"), Some("failure")));
    assert_eq!(e.get_str("user.name"), Some("webmaster"));
    assert_eq!(e.get("sshd.invalid_user"), Some(&Value::Bool(true)));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("173.234.31.186"));
    assert_eq!(e.get_int("source.port"), Some(38926));
}

#[test]
fn failed_none_and_publickey_are_logins_with_their_method() {
    let e = parse("Dec 10 08:24:40 LabSZ sshd[24363]: Failed none for invalid user 0 from 5.188.10.180 port 49811 ssh2");
    assert_eq!((e.get_str("event.action"), e.get_str("sshd.auth.method")), (Some("ssh_login"), Some("none")));
    assert_eq!(e.get_str("user.name"), Some("0"));
    let e = parse("Mar  3 10:00:00 bastion sshd[77]: Failed publickey for deploy from 2001:db8::7 port 50022 ssh2: RSA SHA256:AbC/dEf+123");
    assert_eq!((e.get_str("event.outcome"), e.get_str("sshd.auth.method")), (Some("failure"), Some("publickey")));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("2001:db8::7"));
    assert_eq!(e.get_str("user.name"), Some("deploy"));
}

#[test]
fn accepted_password_is_a_successful_login() {
    let e = parse("Dec 10 09:32:20 LabSZ sshd[24680]: Accepted password for fztu from 119.137.62.142 port 49116 ssh2");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("ssh_login"), Some("success")));
    assert_eq!(categories(&e), ["authentication"]);
    assert_eq!(e.get_str("user.name"), Some("fztu"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("119.137.62.142"));
    assert_eq!(e.get_int("source.port"), Some(49116));
    assert_eq!(e.get_str("sshd.auth.method"), Some("password"));
}

#[test]
fn user_name_that_imitates_the_log_format_cannot_spoof_the_source() {
    let e =
        parse("Mar  3 10:00:00 h sshd[1]: Failed password for invalid user x from 10.0.0.1 port 1 ssh2 from 203.0.113.9 port 4444 ssh2");
    assert_eq!(e.get_str("user.name"), Some("x from 10.0.0.1 port 1 ssh2"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("203.0.113.9"));
    assert_eq!(e.get_int("source.port"), Some(4444));
}

#[test]
fn invalid_user_line_sets_user_and_source() {
    let e = parse("Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("invalid_user"), Some("failure")));
    assert_eq!(categories(&e), ["authentication"]);
    assert_eq!(e.get_str("user.name"), Some("webmaster"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("173.234.31.186"));
    assert_eq!(e.get("sshd.invalid_user"), Some(&Value::Bool(true)));
}

#[test]
fn input_userauth_request_is_its_own_action_without_a_source() {
    let e = parse("Dec 10 06:55:46 LabSZ sshd[24200]: input_userauth_request: invalid user webmaster [preauth]");
    assert_eq!(e.get_str("event.action"), Some("invalid_user_auth_request"));
    assert_eq!(e.get_str("user.name"), Some("webmaster"));
    assert_eq!(e.get("sshd.invalid_user"), Some(&Value::Bool(true)));
    assert_eq!(e.get("source.ip"), None);
    assert_eq!(e.get_str("message"), Some("input_userauth_request: invalid user webmaster [preauth]"));
}

#[test]
fn received_disconnect_records_code_and_reason() {
    let e = parse("Dec 10 06:55:48 LabSZ sshd[24200]: Received disconnect from 173.234.31.186: 11: Bye Bye [preauth]");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("disconnect"), Some("unknown")));
    assert_eq!(categories(&e), ["network"]);
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("173.234.31.186"));
    assert_eq!(e.get_int("sshd.disconnect.code"), Some(11));
    assert_eq!(e.get_str("event.reason"), Some("Bye Bye"));
}

#[test]
fn error_prefixed_disconnect_is_the_same_action() {
    let e = parse(
        "Dec 10 09:11:20 LabSZ sshd[24437]: error: Received disconnect from 103.99.0.122: 14: No more user authentication methods available. [preauth]",
    );
    assert_eq!(e.get_str("event.action"), Some("disconnect"));
    assert_eq!(e.get_int("sshd.disconnect.code"), Some(14));
    assert_eq!(e.get_str("event.reason"), Some("No more user authentication methods available."));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("103.99.0.122"));
}

#[test]
fn newer_disconnect_with_port_is_recognised() {
    let e = parse("Mar  3 10:00:00 h sshd[1]: Received disconnect from 198.51.100.4 port 50514:11: Bye Bye [preauth]");
    assert_eq!(e.get_str("event.action"), Some("disconnect"));
    assert_eq!(e.get_int("source.port"), Some(50514));
    assert_eq!(e.get_int("sshd.disconnect.code"), Some(11));
}

#[test]
fn connection_closed_sets_the_source() {
    let e = parse("Dec 10 07:02:47 LabSZ sshd[24203]: Connection closed by 212.47.254.145 [preauth]");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("connection_closed"), Some("unknown")));
    assert_eq!(categories(&e), ["network"]);
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("212.47.254.145"));
}

#[test]
fn missing_identification_string_is_a_failed_connection() {
    let e = parse("Dec 10 07:11:42 LabSZ sshd[24224]: Did not receive identification string from 187.141.143.180");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("no_identification_string"), Some("failure")));
    assert_eq!(categories(&e), ["network"]);
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("187.141.143.180"));
}

#[test]
fn reverse_mapping_break_in_warning_sets_both_domain_and_ip() {
    let e = parse(
        "Dec 10 06:55:46 LabSZ sshd[24200]: reverse mapping checking getaddrinfo for ns.marryaldkfaczcz.com [173.234.31.186] failed - POSSIBLE BREAK-IN ATTEMPT!",
    );
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("reverse_mapping_check_failed"), Some("failure")));
    assert_eq!(e.get_str("source.domain"), Some("ns.marryaldkfaczcz.com"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("173.234.31.186"));
}

#[test]
fn too_many_authentication_failures_names_the_user() {
    let e = parse("Dec 10 07:13:56 LabSZ sshd[24227]: Disconnecting: Too many authentication failures for root [preauth]");
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("too_many_authentication_failures"), Some("failure")));
    assert_eq!(e.get_str("user.name"), Some("root"));
}

#[test]
fn pam_more_failures_summary_is_not_a_login_and_keeps_the_count() {
    let e = parse(
        "Dec 10 07:13:56 LabSZ sshd[24227]: PAM 5 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.36.59.76.dynamic-dsl-ip.omantel.net.om  user=root",
    );
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("pam_more_authentication_failures"), Some("failure")));
    assert_eq!(e.get_int("pam.more_failures"), Some(5));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(e.get_str("source.domain"), Some("5.36.59.76.dynamic-dsl-ip.omantel.net.om"));
    assert_eq!(e.get("source.ip"), None);
    let e = parse(
        "Dec 10 08:26:04 LabSZ sshd[24375]: PAM 1 more authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=5.188.10.180 ",
    );
    assert_eq!(e.get_int("pam.more_failures"), Some(1));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("5.188.10.180"));
}

#[test]
fn repeated_message_is_parsed_as_its_inner_message_with_the_count() {
    let e =
        parse("Dec 10 07:13:56 LabSZ sshd[24227]: message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]");
    assert_eq!(e.get_int("log.syslog.repeat_count"), Some(5));
    assert_eq!((e.get_str("event.action"), e.get_str("event.outcome")), (Some("ssh_login"), Some("failure")));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("5.36.59.76"));
    assert_eq!(e.get_int("source.port"), Some(42393));
    assert_eq!(e.get_str("message"), Some("message repeated 5 times: [ Failed password for root from 5.36.59.76 port 42393 ssh2]"));
}

#[test]
fn unknown_sshd_message_keeps_its_header_and_gets_no_action() {
    let e = parse("Dec 10 11:03:53 LabSZ sshd[25457]: fatal: Write failed: Connection reset by peer [preauth]");
    assert_eq!(e.get("event.action"), None);
    assert_eq!(e.get("event.outcome"), None);
    assert_eq!(e.get_str("process.name"), Some("sshd"));
    assert_eq!(e.get_str("message"), Some("fatal: Write failed: Connection reset by peer [preauth]"));
}

#[test]
fn sshd_session_program_of_newer_openssh_uses_the_sshd_shapes() {
    let e = parse("Mar  3 10:00:00 h sshd-session[9]: Connection closed by authenticating user root 198.51.100.7 port 40022 [preauth]");
    assert_eq!(e.get_str("event.action"), Some("connection_closed"));
    assert_eq!(e.get_str("user.name"), Some("root"));
    assert_eq!(ip(&e, "source.ip").as_deref(), Some("198.51.100.7"));
    assert_eq!(e.get_int("source.port"), Some(40022));
}
