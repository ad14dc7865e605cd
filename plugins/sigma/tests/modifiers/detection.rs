//! Maps (AND) and lists (OR), keyword lists, conditions, `1 of` / `all of`.

use super::*;

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
fn keywords_match_values_never_the_field_names_in_a_parsed_events_raw_text() {
    // SigmaHQ's "Cisco Local Accounts" keywords met Windows events whose raw JSON holds the
    // field name `SubjectUserName`: a name, not a value, so no match.
    let rule = rule("keywords:\n    - 'username'\ncondition: keywords");
    let raw = r#"{"EventID":4624,"SubjectUserName":"alice"}"#;
    let events = [
        ev(&[("event.dataset", "json"), ("event.original", raw), ("SubjectUserName", "alice")]),
        ev(&[("event.dataset", "json"), ("event.original", raw), ("SubjectUserName", "the username is alice")]),
        ev(&[("event.original", "Dec 10 06:55:46 router: username admin privilege 15")]),
    ];
    assert_eq!(fires(&rule, &events), [false, true, true], "a value matches; an unparsed line is its own value");
}

#[test]
fn keywords_compare_each_value_lowercased_once_for_every_rule_and_cased_ones_as_written() {
    // Keyword texts are lowercased once per event and shared by every keyword rule: ASCII,
    // non-ASCII and numbers alike, through single keywords, a keyword set long enough to be
    // searched as one automaton, and wildcards (a regex); a `cased` keyword gets the text
    // as written.
    let events = [
        field("CommandLine", r"C:\TOOLS\MIMIKATZ.EXE privilege::debug"),
        field("message", "Ärger mit MimiKatz"),
        field("EventID", 4624i64),
        field("message", "mimi-katz"),
        field("message", "nothing to see"),
    ];
    let single = rule("keywords:\n    - 'mimikatz'\n    - '4624'\ncondition: keywords");
    assert_eq!(fires(&single, &events), [true, true, true, false, false]);
    let many: String = (0..12).map(|i| format!("    - 'decoy{i}'\n")).collect();
    let set = rule(&format!("keywords:\n{many}    - 'MimiKatz'\ncondition: keywords"));
    assert_eq!(fires(&set, &events), [true, true, false, false, false]);
    let wildcard = rule("keywords:\n    - 'MIMI*KATZ'\ncondition: keywords");
    assert_eq!(fires(&wildcard, &events), [true, true, false, true, false]);
    let cased = rule("keywords:\n    '|cased':\n        - '*MimiKatz*'\ncondition: keywords");
    assert_eq!(fires(&cased, &events), [false, true, false, false, false]);
}

#[test]
/// Pins a deviation of rsigma 0.23 from the specification, so an upgrade that changes it is
/// noticed: under `'|all'` each keyword is compared with a whole field value (plain keyword
/// lists search within values) and all of them with the same value, so the spec's example
/// never matches. The specification's answer is `[true, false, false]`.
fn keywords_with_all_deviation_rsigma_compares_whole_values() {
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
    assert_eq!(fires(&rule, &events), [false, false, false], "rsigma changed: the spec says [true, false, false]");
}

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
