//! Regular expressions and `cidr`.

use super::*;

#[test]
fn re_is_a_case_sensitive_regular_expression() {
    // "Regex is matched case-sensitive by default."
    let rule = one("User|re: '^Admin[0-9]+$'");
    assert_eq!(
        fires(&rule, &each("User", &["Admin42", "Admin1", "admin42", "ADMIN42", "Admin", "Admin42x"])),
        [true, true, false, false, false, false]
    );
}

#[test]
fn re_uses_alternation_grouping_and_quantifiers() {
    let rule = one("CommandLine|re: '(certutil|bitsadmin)(\\.exe)? .*http'");
    let events = each(
        "CommandLine",
        &["certutil.exe -urlcache -f http://x/a", "bitsadmin /transfer j http://x/a", "certutil -hashfile a.txt", "curl http://x/a"],
    );
    assert_eq!(fires(&rule, &events), [true, true, false, false]);
}

#[test]
fn re_i_makes_the_expression_case_insensitive() {
    let rule = one("User|re|i: '^admin[0-9]+$'");
    assert_eq!(fires(&rule, &each("User", &["ADMIN42", "admin42", "Admin7", "ADMINX", "sysadmin1"])), [true, true, true, false, false]);
}

#[test]
fn re_m_lets_anchors_match_at_line_breaks() {
    let events =
        [field("Payload", "first line\nevil\nlast line"), field("Payload", "first line\nnot evil\nlast line"), field("Payload", "evil")];
    assert_eq!(fires(&one("Payload|re|m: '^evil$'"), &events), [true, false, true]);
    assert_eq!(fires(&one("Payload|re: '^evil$'"), &events), [false, false, true], "without m, ^ and $ are the ends of the value");
}

#[test]
fn re_s_lets_the_dot_match_a_line_break() {
    let events = [field("Payload", "begin\nmiddle\nend"), field("Payload", "begin middle end"), field("Payload", "end\nbegin")];
    assert_eq!(fires(&one("Payload|re|s: 'begin.*end'"), &events), [true, true, false]);
    assert_eq!(fires(&one("Payload|re: 'begin.*end'"), &events), [false, true, false], "without s, the dot stops at a line break");
}

#[test]
fn cidr_matches_ipv4_addresses_in_the_network() {
    // The appendix's example: `DestinationIp|cidr: 10.0.0.0/8`.
    let rule = one("DestinationIp|cidr: 10.0.0.0/8");
    let events = [
        field("DestinationIp", "10.1.2.3"),
        field("DestinationIp", "10.255.255.255"),
        field("DestinationIp", Value::Ip("10.20.30.40".parse().unwrap())),
        field("DestinationIp", "11.0.0.1"),
        field("DestinationIp", "9.255.255.255"),
        field("DestinationIp", Value::Ip("192.168.1.10".parse().unwrap())),
        field("DestinationIp", "not an address"),
    ];
    assert_eq!(fires(&rule, &events), [true, true, true, false, false, false, false]);
}

#[test]
fn cidr_matches_ipv6_addresses_in_the_network() {
    let rule = one("DestinationIp|cidr: '2001:db8::/32'");
    let events = [
        field("DestinationIp", "2001:db8::1"),
        field("DestinationIp", "2001:db8:ffff:1::5"),
        field("DestinationIp", Value::Ip("2001:db8:1::5".parse().unwrap())),
        field("DestinationIp", "2001:db9::1"),
        field("DestinationIp", "fe80::1"),
        field("DestinationIp", "10.0.0.1"),
    ];
    assert_eq!(fires(&rule, &events), [true, true, true, false, false, false]);
}
