//! Case, wildcards and escaping; `contains`, `startswith`, `endswith`, `all`.

use super::*;

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
