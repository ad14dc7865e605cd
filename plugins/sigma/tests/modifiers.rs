//! Sigma's detection semantics, one behaviour per test, taken from the Sigma specification
//! (`sigma-rules-specification.md` and the modifiers appendix, SigmaHQ/sigma-specification):
//! maps (AND) and lists (OR), keyword lists, conditions, `1 of` / `all of`, wildcards and
//! escaping, `null` and empty values, and each value modifier. Every test feeds events that
//! must match and events that must not, so a rule that matches everything (or nothing)
//! fails it. Rules are written inline; `one` builds a rule with a single selection.
//!
//! A test marked `#[ignore]` records where rsigma 0.23 departs from the specification.

mod common;

use common::{at, at_values, fired, sigma};
use logsift_sdk::Value;

/// The id every rule here is given.
const ID: &str = "5a5a0000-0000-4000-8000-000000000001";

type Event = Vec<(&'static str, Value<'static>)>;

/// A rule whose `detection` section is `detection` (unindented YAML, condition included).
fn rule(detection: &str) -> String {
    let body: String = detection.lines().map(|line| format!("    {line}\n")).collect();
    format!("title: Modifier test\nid: {ID}\nlogsource:\n    product: test\ndetection:\n{body}level: low\n")
}

/// A rule with the single selection `sel` made of the map item `item` (`field|mods: value`).
fn one(item: &str) -> String {
    rule(&format!("sel:\n    {item}\ncondition: sel"))
}

/// Per event, whether the rule fired; the rule must load.
fn fires(rule: &str, events: &[Event]) -> Vec<bool> {
    let mut plugin = sigma(&[("rule.yml", rule)], serde_json::json!({}));
    let rules = plugin.rules();
    assert!(rules.refused.is_empty() && rules.loaded == 1, "the rule did not load: {:?}\n{rule}", rules.refused);
    fired(&mut plugin, events).into_iter().map(|ids| ids.iter().any(|id| id == ID)).collect()
}

/// An event with string fields.
fn ev(fields: &[(&'static str, &'static str)]) -> Event {
    at(0, fields)
}

/// An event with one field of any type.
fn field(name: &'static str, value: impl Into<Value<'static>>) -> Event {
    at_values(0, vec![(name, value.into())])
}

/// Events with the one field `name` set to each of `values`.
fn each(name: &'static str, values: &[&'static str]) -> Vec<Event> {
    values.iter().map(|v| field(name, *v)).collect()
}

// ---------------------------------------------------------------------------------------
// Maps, lists, keywords
// ---------------------------------------------------------------------------------------

#[test]
fn a_map_is_and_and_a_value_list_is_or() {
    // The spec's example: EventLog 'Security' and (EventID 517 or EventID 1102).
    let rule = rule("selection:\n    EventLog: Security\n    EventID:\n        - 517\n        - 1102\ncondition: selection");
    let event = |log: &'static str, id: i64| at_values(0, vec![("EventLog", log.into()), ("EventID", id.into())]);
    let events = [event("Security", 517), event("Security", 1102), event("Security", 4624), event("System", 517), field("EventID", 517i64)];
    assert_eq!(fires(&rule, &events), [true, true, false, false, false]);
}

#[test]
fn a_number_in_a_rule_matches_the_same_number_written_as_text() {
    // "All values are treated as case-insensitive strings": EventID 517 also matches "517".
    let rule = one("EventID: 517");
    assert_eq!(fires(&rule, &each("EventID", &["517", "5170", "1102"])), [true, false, false]);
}

#[test]
fn a_list_of_maps_is_or() {
    // The spec's example: an image ending with `\example.exe` or a description containing
    // `Test executable`.
    let rule =
        rule("selection:\n    - Image|endswith: '\\\\example.exe'\n    - Description|contains: 'Test executable'\ncondition: selection");
    let events = [
        field("Image", r"C:\Temp\example.exe"),
        field("Description", "This is a Test executable for sure"),
        field("Image", r"C:\Temp\notexample.exe"),
        field("Description", "A production executable"),
        ev(&[("Image", r"C:\Temp\other.exe"), ("Description", "Other")]),
    ];
    assert_eq!(fires(&rule, &events), [true, true, false, false, false]);
}

#[test]
fn keywords_are_searched_for_in_every_field_and_linked_with_or() {
    // The spec's example: 'EVILSERVICE' or 'svchost.exe -n evil', in no particular field.
    let rule = rule("keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\ncondition: keywords");
    let events = [
        field("message", "Service EvilService was installed"),
        field("process.command_line", "svchost.exe -n evil"),
        ev(&[("user.name", "alice"), ("CommandLine", r"C:\Windows\system32\svchost.exe -n evil -p")]),
        field("message", "svchost.exe -k netsvcs"),
        field("message", "Service GoodService was installed"),
    ];
    assert_eq!(fires(&rule, &events), [true, true, true, false, false]);
}

#[test]
#[ignore = "rsigma 0.23 deviates from the spec: under `'|all'` each keyword is compared with a whole field value \
            (plain keyword lists search within values) and all of them with the same value, so the spec's example never matches"]
fn keywords_with_all_must_all_be_found() {
    // The spec's example: '|all' links the keywords with AND.
    let rule =
        rule("keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords_cmdlet");
    let events = each(
        "ScriptBlockText",
        &[
            "Set-OabVirtualDirectory -Identity 'EX01\\OAB' -ExternalUrl 'http://evil/'",
            "Get-OabVirtualDirectory -Server EX01",
            "Set-Mailbox -ExternalUrl x",
        ],
    );
    assert_eq!(fires(&rule, &events), [true, false, false]);
}

// ---------------------------------------------------------------------------------------
// Conditions
// ---------------------------------------------------------------------------------------

/// A selection on `EventID: 1` and two keyword lists, under `condition`.
fn with_condition(condition: &str) -> String {
    rule(&format!("selection1:\n    EventID: 1\nkeywords1:\n    - 'mimikatz'\nkeywords2:\n    - 'sekurlsa'\ncondition: {condition}"))
}

fn process(id: i64, command: &'static str) -> Event {
    at_values(0, vec![("EventID", id.into()), ("CommandLine", command.into())])
}

#[test]
fn brackets_group_a_condition() {
    // The spec's example: `selection1 and (keywords1 or keywords2)`.
    let rule = with_condition("selection1 and (keywords1 or keywords2)");
    let events = [
        process(1, "mimikatz.exe"),
        process(1, "x sekurlsa::logonpasswords"),
        process(1, "notepad.exe"),
        process(2, "sekurlsa::logonpasswords"),
    ];
    assert_eq!(fires(&rule, &events), [true, true, false, false]);
}

#[test]
fn and_binds_tighter_than_or() {
    // Without brackets the same words read `(selection1 and keywords1) or keywords2`.
    let rule = with_condition("selection1 and keywords1 or keywords2");
    let events =
        [process(1, "mimikatz.exe"), process(2, "mimikatz.exe"), process(2, "sekurlsa::logonpasswords"), process(1, "notepad.exe")];
    assert_eq!(fires(&rule, &events), [true, false, true, false]);
}

#[test]
fn not_negates_a_search_and_binds_tighter_than_and() {
    // `keywords and not filters`, and `not a and b` reads `(not a) and b`.
    let rule = with_condition("keywords1 and not selection1");
    let events = [process(2, "mimikatz.exe"), process(1, "mimikatz.exe"), process(2, "notepad.exe")];
    assert_eq!(fires(&rule, &events), [true, false, false]);

    let rule = with_condition("not selection1 and keywords1");
    assert_eq!(fires(&rule, &events), [true, false, false]);
}

#[test]
fn a_list_of_conditions_is_or() {
    let rule = rule("sel_a:\n    A: x\nsel_b:\n    B: y\ncondition:\n    - sel_a\n    - sel_b");
    let events = [field("A", "x"), field("B", "y"), field("C", "x")];
    assert_eq!(fires(&rule, &events), [true, true, false]);
}

/// Two selections named `selection*`, one named `other`.
fn three(condition: &str) -> String {
    rule(&format!("selection_a:\n    A: x\nselection_b:\n    B: y\nother:\n    C: z\ncondition: {condition}"))
}

#[test]
fn one_of_a_pattern_needs_any_matching_selection() {
    let rule = three("1 of selection*");
    let events = [field("A", "x"), field("B", "y"), field("C", "z"), ev(&[("A", "no"), ("B", "no")])];
    assert_eq!(fires(&rule, &events), [true, true, false, false]);
}

#[test]
fn all_of_a_pattern_needs_every_matching_selection() {
    let rule = three("all of selection*");
    let events = [ev(&[("A", "x"), ("B", "y")]), field("A", "x"), field("B", "y"), ev(&[("A", "x"), ("C", "z")])];
    assert_eq!(fires(&rule, &events), [true, false, false, false]);
}

#[test]
fn one_of_them_needs_any_selection() {
    let rule = three("1 of them");
    let events = [field("C", "z"), field("A", "x"), field("B", "y"), field("D", "w")];
    assert_eq!(fires(&rule, &events), [true, true, true, false]);
}

#[test]
fn all_of_them_needs_every_selection() {
    let rule = three("all of them");
    let events = [ev(&[("A", "x"), ("B", "y"), ("C", "z")]), ev(&[("A", "x"), ("B", "y")]), ev(&[("B", "y"), ("C", "z")])];
    assert_eq!(fires(&rule, &events), [true, false, false]);
}

#[test]
fn them_leaves_out_identifiers_starting_with_an_underscore() {
    // "across all defined search identifiers not starting with an underscore `_`"
    let rule = rule("selection_a:\n    A: x\nselection_b:\n    B: y\n_helper:\n    H: never\ncondition: all of them");
    assert_eq!(fires(&rule, &[ev(&[("A", "x"), ("B", "y")]), field("A", "x")]), [true, false]);
}

#[test]
fn one_of_a_pattern_and_not_one_of_another() {
    // The spec's example: `1 of selection* and not 1 of filter*`.
    let rule = rule(
        "selection_img:\n    Image|endswith: '\\rundll32.exe'\nselection_cli:\n    CommandLine|contains: 'javascript:'\n\
         filter_a:\n    User: SYSTEM\nfilter_b:\n    ParentImage|endswith: '\\explorer.exe'\n\
         condition: 1 of selection* and not 1 of filter*",
    );
    let events = [
        ev(&[("Image", r"C:\Windows\System32\rundll32.exe"), ("User", "alice")]),
        ev(&[("CommandLine", "mshta javascript:alert(1)"), ("User", "alice")]),
        ev(&[("Image", r"C:\Windows\System32\rundll32.exe"), ("User", "SYSTEM")]),
        ev(&[("CommandLine", "mshta javascript:alert(1)"), ("ParentImage", r"C:\Windows\explorer.exe")]),
        ev(&[("Image", r"C:\Windows\System32\notepad.exe"), ("User", "alice")]),
    ];
    assert_eq!(fires(&rule, &events), [true, true, false, false, false]);
}

// ---------------------------------------------------------------------------------------
// Case, wildcards, escaping
// ---------------------------------------------------------------------------------------

#[test]
fn matching_is_case_insensitive_by_default() {
    // The spec's first example rule, `Image: 'C:\Windows\System32\whoami.exe'`.
    let rule = one(r"Image: 'C:\Windows\System32\whoami.exe'");
    let events = each(
        "Image",
        &[r"C:\Windows\System32\whoami.exe", r"c:\WINDOWS\system32\WhoAmI.EXE", r"C:\Windows\System32\whoami.exe.bak", r"D:\whoami.exe"],
    );
    assert_eq!(fires(&rule, &events), [true, true, false, false]);
}

#[test]
fn cased_makes_matching_case_sensitive() {
    let rule = one("CommandLine|cased: 'Invoke-Expression'");
    let events = each("CommandLine", &["Invoke-Expression", "invoke-expression", "INVOKE-EXPRESSION", "Invoke-Expression $x"]);
    assert_eq!(fires(&rule, &events), [true, false, false, false]);

    let rule = one("CommandLine|contains|cased: 'IEX'");
    let events = each("CommandLine", &["powershell IEX $x", "powershell iex $x", "powershell Iex $x"]);
    assert_eq!(fires(&rule, &events), [true, false, false]);
}

#[test]
fn a_question_mark_is_exactly_one_character() {
    // The spec's example: `progA.exe or progB.exe or ...` will be `prog?.exe`.
    let rule = one("Image: 'prog?.exe'");
    assert_eq!(
        fires(&rule, &each("Image", &["progA.exe", "progB.exe", "prog.exe", "progAB.exe", "progA.dll"])),
        [true, true, false, false, false]
    );
}

#[test]
fn a_star_is_any_number_of_characters() {
    // The spec's example: `antivirus_V1.exe or antivirus_V21.2.1.exe or ...` will be `antivirus_V*.exe`.
    let rule = one("Image: 'antivirus_V*.exe'");
    let events = each("Image", &["antivirus_V1.exe", "antivirus_V21.2.1.exe", "antivirus_V.exe", "antivirus_V1.dll", "x_antivirus_V1.exe"]);
    assert_eq!(fires(&rule, &events), [true, true, true, false, false]);
}

#[test]
fn an_escaped_star_or_question_mark_is_a_plain_character() {
    // "A wildcard has to be escaped to be handled as a plain character. eg: `\*`, `\?`."
    let rule = one(r"Name: 'file\*.txt'");
    assert_eq!(fires(&rule, &each("Name", &["file*.txt", "file1.txt", "file.txt"])), [true, false, false]);

    let rule = one(r"Name: 'what\?'");
    assert_eq!(fires(&rule, &each("Name", &["what?", "whats", "what"])), [true, false, false]);
}

#[test]
fn a_plain_backslash_is_written_single_or_double() {
    // "Plain backslash not followed by a wildcard can be expressed as single `\` or double `\\`."
    for text in [r"Path: 'C:\Windows\System32'", r"Path: 'C:\\Windows\\System32'"] {
        let events = each("Path", &[r"C:\Windows\System32", r"C:\\Windows\\System32", "C:/Windows/System32"]);
        assert_eq!(fires(&one(text), &events), [true, false, false], "{text}");
    }
}

#[test]
fn an_escaped_backslash_before_a_star_keeps_the_star_a_wildcard() {
    // "The backslash before a wildcard has to be escaped to handle the value as a backslash
    // followed by a wildcard: `\\*`."
    let rule = one(r"Path: 'C:\Temp\\*'");
    assert_eq!(
        fires(&rule, &each("Path", &[r"C:\Temp\file.txt", r"C:\Temp\*", r"C:\Tempfile.txt", r"C:\Other\file.txt"])),
        [true, true, false, false]
    );
}

#[test]
fn three_backslashes_and_a_star_are_a_backslash_and_a_plain_star() {
    // "Three backslashes are necessary to escape both, the backslash and the wildcard: `\\\*`."
    let rule = one(r"Path: 'C:\Temp\\\*'");
    assert_eq!(fires(&rule, &each("Path", &[r"C:\Temp\*", r"C:\Temp\file.txt", r"C:\Temp*"])), [true, false, false]);
}

#[test]
fn four_backslashes_are_a_double_backslash() {
    // "`\\\\` results in the plain value `\\`."
    let rule = one(r"Share: '\\\\server\share'");
    assert_eq!(fires(&rule, &each("Share", &[r"\\server\share", r"\server\share", r"\\\\server\share"])), [true, false, false]);
}

// ---------------------------------------------------------------------------------------
// Special values: null, empty, exists
// ---------------------------------------------------------------------------------------

#[test]
fn null_matches_a_missing_or_null_field() {
    // The spec's example: `PasswordLastSet: null` as a filter, `selection and not filter`.
    let rule = rule("selection:\n    EventID: 4738\nfilter:\n    PasswordLastSet: null\ncondition: selection and not filter");
    let event = |id: i64, set: Option<Value<'static>>| {
        let mut fields = vec![("EventID", Value::from(id))];
        fields.extend(set.map(|v| ("PasswordLastSet", v)));
        at_values(0, fields)
    };
    let events = [
        event(4738, Some("2024-05-01 10:00".into())),
        event(4738, None),
        event(4738, Some(Value::Null)),
        event(4624, Some("2024-05-01 10:00".into())),
    ];
    assert_eq!(fires(&rule, &events), [true, false, false, false]);

    let rule = one("PasswordLastSet: null");
    assert_eq!(
        fires(&rule, &[field("EventID", 4738i64), field("PasswordLastSet", Value::Null), field("PasswordLastSet", "x")]),
        [true, true, false]
    );
}

#[test]
fn an_empty_value_matches_an_empty_field() {
    // "An empty value is defined with `''`".
    let rule = one("Description: ''");
    assert_eq!(fires(&rule, &each("Description", &["", "x", " "])), [true, false, false]);
}

#[test]
fn exists_true_needs_the_field() {
    // The spec's example: `EventID: 4738` and `PasswordLastSet|exists: true`.
    let rule = rule("selection:\n    EventID: 4738\n    PasswordLastSet|exists: true\ncondition: selection");
    let event = |set: Option<&'static str>| {
        let mut fields = vec![("EventID", Value::from(4738i64))];
        fields.extend(set.map(|v| ("PasswordLastSet", Value::from(v))));
        at_values(0, fields)
    };
    // Presence, not value: an empty field exists.
    assert_eq!(fires(&rule, &[event(Some("2024-05-01 10:00")), event(Some("")), event(None)]), [true, true, false]);
}

#[test]
fn exists_false_needs_the_field_absent() {
    let rule = one("PasswordLastSet|exists: false");
    assert_eq!(
        fires(&rule, &[field("EventID", 4738i64), field("PasswordLastSet", "2024-05-01 10:00"), field("PasswordLastSet", "")]),
        [true, false, false]
    );
}

#[test]
#[ignore = "rsigma 0.23 deviates from the spec: `exists` treats a field present with a null value as absent, \
            the spec says it checks only the presence of a field, 'be it empty or null'"]
fn exists_counts_a_field_present_with_a_null_value() {
    // Modifiers appendix: "this check only verifies the presence of a field, not its value, be it empty or null."
    let rule = one("PasswordLastSet|exists: true");
    assert_eq!(fires(&rule, &[field("PasswordLastSet", Value::Null), field("EventID", 4738i64)]), [true, false]);
    let rule = one("PasswordLastSet|exists: false");
    assert_eq!(fires(&rule, &[field("PasswordLastSet", Value::Null), field("EventID", 4738i64)]), [false, true]);
}

// ---------------------------------------------------------------------------------------
// contains, startswith, endswith, all
// ---------------------------------------------------------------------------------------

#[test]
fn contains_matches_anywhere_in_the_field() {
    let rule = one("CommandLine|contains: 'whoami'");
    assert_eq!(
        fires(&rule, &each("CommandLine", &["whoami", "sh -c 'WHOAMI /all'", "/usr/bin/whoami", "hostname", "who ami"])),
        [true, true, true, false, false]
    );
}

#[test]
fn contains_with_a_list_is_or() {
    let rule = one("CommandLine|contains: ['whoami', 'hostname']");
    assert_eq!(fires(&rule, &each("CommandLine", &["sh -c whoami", "hostname -f", "uname -a"])), [true, true, false]);
}

#[test]
fn startswith_matches_the_beginning() {
    // The appendix: startswith replaces e.g. 'adm*'; both spellings behave the same.
    for text in ["User|startswith: 'adm'", "User: 'adm*'"] {
        let events = each("User", &["admin", "Administrator", "adm", "sysadmin", "ad"]);
        assert_eq!(fires(&one(text), &events), [true, true, true, false, false], "{text}");
    }
}

#[test]
fn endswith_matches_the_end() {
    // The appendix: endswith replaces e.g. '*\cmd.exe'; both spellings behave the same.
    for text in [r"Image|endswith: '\cmd.exe'", r"Image: '*\cmd.exe'"] {
        let events = each(
            "Image",
            &[r"C:\Windows\System32\cmd.exe", r"C:\WINDOWS\system32\CMD.EXE", r"C:\Windows\System32\notcmd.exe", r"C:\Windows\cmd.exe.bak"],
        );
        assert_eq!(fires(&one(text), &events), [true, true, false, false], "{text}");
    }
}

#[test]
fn all_links_the_values_with_and() {
    // The appendix: a command line whose parameters may come in any order.
    let rule = one("CommandLine|contains|all: ['net', ' user ', '/add']");
    let events = each(
        "CommandLine",
        &["net user bob P@ss /add", "net /add user bob", "net user bob", "net localgroup admins bob /add", "user /add"],
    );
    assert_eq!(fires(&rule, &events), [true, true, false, false, false]);
}

// ---------------------------------------------------------------------------------------
// Regular expressions
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// cidr
// ---------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------
// Encodings: base64, base64offset, utf16le / wide
// ---------------------------------------------------------------------------------------

#[test]
fn base64_matches_the_encoded_value() {
    // base64('/bin/bash') = 'L2Jpbi9iYXNo'; without `contains` the whole field must be it.
    let rule = one("Payload|base64: '/bin/bash'");
    let events = each("Payload", &["L2Jpbi9iYXNo", "/bin/bash", "L2Jpbi9zaA==", "L2Jpbi9iYXNoIC1jIGlk"]);
    assert_eq!(fires(&rule, &events), [true, false, false, false]);

    let rule = one("Payload|base64|contains: '/bin/bash'");
    assert_eq!(fires(&rule, &events), [true, false, false, true]);
}

#[test]
fn base64offset_finds_the_value_at_the_end_of_an_encoded_string() {
    // The three variants of '/bin/bash' (SigmaHQ's example for this modifier) begin
    // 'L2Jpbi9iYXNo', '9iaW4vYmFz' and 'vYmluL2Jhc2'. The payloads are base64 of '/bin/bash',
    // 'x/bin/bash', 'xy/bin/bash' (one per offset) and 'echo /bin/bash'; then of '/bin/sh',
    // and '/bin/bash' in plain text.
    let rule = one("Payload|base64offset|contains: '/bin/bash'");
    let events =
        each("Payload", &["L2Jpbi9iYXNo", "eC9iaW4vYmFzaA==", "eHkvYmluL2Jhc2g=", "ZWNobyAvYmluL2Jhc2g=", "L2Jpbi9zaA==", "/bin/bash"]);
    assert_eq!(fires(&rule, &events), [true, true, true, true, false, false]);
}

#[test]
fn base64offset_finds_the_value_inside_an_encoded_string() {
    // The payloads are base64 of '/bin/bash -c id', 'x/bin/bash -c id', 'xy/bin/bash -c id'
    // (one per offset), then of '/bin/sh -c id', and '/bin/bash -c id' in plain text.
    let rule = one("Payload|base64offset|contains: '/bin/bash'");
    let events = each(
        "Payload",
        &["L2Jpbi9iYXNoIC1jIGlk", "eC9iaW4vYmFzaCAtYyBpZA==", "eHkvYmluL2Jhc2ggLWMgaWQ=", "L2Jpbi9zaCAtYyBpZA==", "/bin/bash -c id"],
    );
    assert_eq!(fires(&rule, &events), [true, true, true, false, false]);
}

/// Base64 of `New-Object Net.WebClient` in UTF-16LE behind 0, 1 and 2 characters (so the
/// needle `Net.WebClient` sits at each of the three byte offsets modulo 3, at the end);
/// then the same text in UTF-8, and `New-Object Net.Sockets.TcpClient` in UTF-16LE.
const ENDING_COMMANDS: [&str; 5] = [
    "TgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQA",
    "YQBOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAA=",
    "YQBiAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0AA==",
    "TmV3LU9iamVjdCBOZXQuV2ViQ2xpZW50",
    "TgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AUwBvAGMAawBlAHQAcwAuAFQAYwBwAEMAbABpAGUAbgB0AA==",
];

/// As [`ENDING_COMMANDS`], with the text in brackets so the needle is followed by more:
/// `(New-Object Net.WebClient)`.
const ENCODED_COMMANDS: [&str; 5] = [
    "KABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBXAGUAYgBDAGwAaQBlAG4AdAApAA==",
    "YQAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA",
    "YQBiACgATgBlAHcALQBPAGIAagBlAGMAdAAgAE4AZQB0AC4AVwBlAGIAQwBsAGkAZQBuAHQAKQA=",
    "KE5ldy1PYmplY3QgTmV0LldlYkNsaWVudCk=",
    "KABOAGUAdwAtAE8AYgBqAGUAYwB0ACAATgBlAHQALgBTAG8AYwBrAGUAdABzAC4AVABjAHAAQwBsAGkAZQBuAHQAKQA=",
];

#[test]
fn utf16le_and_base64offset_find_a_string_in_an_encoded_powershell_command() {
    // "utf16le: Transforms value to UTF16-LE encoding", then base64offset, then contains.
    let rule = one("CommandLine|utf16le|base64offset|contains: 'Net.WebClient'");
    assert_eq!(fires(&rule, &each("CommandLine", &ENDING_COMMANDS)), [true, true, true, false, false]);
}

#[test]
fn wide_is_an_alias_for_utf16le() {
    let rule = one("CommandLine|wide|base64offset|contains: 'Net.WebClient'");
    assert_eq!(fires(&rule, &each("CommandLine", &ENDING_COMMANDS)), [true, true, true, false, false]);

    // Without the UTF-16 step only the UTF-8 payload has it.
    let rule = one("CommandLine|base64offset|contains: 'Net.WebClient'");
    assert_eq!(fires(&rule, &each("CommandLine", &ENDING_COMMANDS)), [false, false, false, true, false]);
}

#[test]
fn utf16le_and_base64offset_find_a_string_inside_an_encoded_powershell_command() {
    for modifiers in ["utf16le", "wide"] {
        let rule = one(&format!("CommandLine|{modifiers}|base64offset|contains: 'Net.WebClient'"));
        assert_eq!(fires(&rule, &each("CommandLine", &ENCODED_COMMANDS)), [true, true, true, false, false], "{modifiers}");
    }
}

// ---------------------------------------------------------------------------------------
// windash
// ---------------------------------------------------------------------------------------

#[test]
fn windash_lets_a_dash_be_any_of_the_windows_dashes() {
    // "-, /, – (en dash), — (em dash), and ― (horizontal bar)".
    let rule = one("CommandLine|windash|contains: ' -foo'");
    let events = each(
        "CommandLine",
        &[
            "tool -foo",
            "tool /foo",
            "tool \u{2013}foo",
            "tool \u{2014}foo",
            "tool \u{2015}foo",
            "tool foo",
            "tool _foo",
            "tool \\foo",
            "tool +foo",
        ],
    );
    assert_eq!(fires(&rule, &events), [true, true, true, true, true, false, false, false, false]);
}

#[test]
fn windash_takes_every_permutation_of_several_dashes() {
    let rule = one("CommandLine|windash: 'tool -a -b'");
    let events = each(
        "CommandLine",
        &["tool -a -b", "tool /a -b", "tool -a /b", "tool \u{2014}a \u{2013}b", "tool /a /b", "tool a b", "tool -a -b -c"],
    );
    assert_eq!(fires(&rule, &events), [true, true, true, true, true, false, false]);
}

#[test]
fn without_windash_a_dash_is_only_a_dash() {
    let rule = one("CommandLine|contains: ' -foo'");
    assert_eq!(fires(&rule, &each("CommandLine", &["tool -foo", "tool /foo", "tool \u{2013}foo"])), [true, false, false]);
}

#[test]
#[ignore = "rsigma 0.23 deviates from the spec: windash only expands `-` in the rule's value; the spec \
            converts all five characters interchangeably, so a rule written with `/` should also match `-`"]
fn windash_converts_a_slash_too() {
    // "Using the windash modifier converts the aforementioned characters interchangeably".
    let rule = one("CommandLine|windash|contains: ' /foo'");
    let events = each("CommandLine", &["tool /foo", "tool -foo", "tool \u{2013}foo", "tool \u{2014}foo", "tool \u{2015}foo", "tool foo"]);
    assert_eq!(fires(&rule, &events), [true, true, true, true, true, false]);
}

// ---------------------------------------------------------------------------------------
// Numbers and field references
// ---------------------------------------------------------------------------------------

/// Events with the numeric field `Bytes` at 999, 1000, 1001, 1000.5 and -5, then one
/// with `Bytes` as text and one without it.
fn sizes() -> Vec<Event> {
    let mut events: Vec<Event> = [999i64, 1000, 1001].iter().map(|n| field("Bytes", *n)).collect();
    events.push(field("Bytes", 1000.5));
    events.push(field("Bytes", -5i64));
    events.push(field("Bytes", "lots"));
    events.push(field("Other", 5000i64));
    events
}

#[test]
fn gt_is_strictly_greater() {
    assert_eq!(fires(&one("Bytes|gt: 1000"), &sizes()), [false, false, true, true, false, false, false]);
}

#[test]
fn gte_is_greater_or_equal() {
    assert_eq!(fires(&one("Bytes|gte: 1000"), &sizes()), [false, true, true, true, false, false, false]);
}

#[test]
fn lt_is_strictly_less() {
    assert_eq!(fires(&one("Bytes|lt: 1000"), &sizes()), [true, false, false, false, true, false, false]);
}

#[test]
fn lte_is_less_or_equal() {
    assert_eq!(fires(&one("Bytes|lte: 1000"), &sizes()), [true, true, false, false, true, false, false]);
}

#[test]
fn a_range_is_two_comparisons_in_one_map() {
    let rule = rule("sel:\n    Bytes|gte: 1000\n    Port|lt: 1024\ncondition: sel");
    let event = |bytes: i64, port: i64| at_values(0, vec![("Bytes", bytes.into()), ("Port", port.into())]);
    assert_eq!(fires(&rule, &[event(1000, 22), event(999, 22), event(5000, 1024), event(5000, 8080)]), [true, false, false, false]);
}

#[test]
fn fieldref_compares_two_fields_of_the_event() {
    // "A field reference can be used to compare fields of matched events directly."
    let rule = one("Image|fieldref: ParentImage");
    let events = [
        ev(&[("Image", r"C:\Windows\explorer.exe"), ("ParentImage", r"C:\Windows\explorer.exe")]),
        ev(&[("Image", r"C:\Windows\System32\cmd.exe"), ("ParentImage", r"C:\Windows\explorer.exe")]),
        field("Image", r"C:\Windows\explorer.exe"),
        field("ParentImage", r"C:\Windows\explorer.exe"),
    ];
    assert_eq!(fires(&rule, &events), [true, false, false, false]);
}

#[test]
fn fieldref_names_the_field_not_a_value() {
    // The value is a field name: a field equal to the text 'ParentImage' does not match.
    let rule = one("Image|fieldref: ParentImage");
    assert_eq!(fires(&rule, &[ev(&[("Image", "ParentImage"), ("ParentImage", "explorer.exe")])]), [false]);
}
