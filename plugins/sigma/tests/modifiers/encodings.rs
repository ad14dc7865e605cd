//! Encodings (`base64`, `base64offset`, `utf16le`/`wide`) and `windash`.

use super::*;

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
/// Pins a deviation of rsigma 0.23 from the specification, so an upgrade that changes it is
/// noticed: windash only expands `-` in the rule's value; the spec converts all five
/// characters interchangeably, so a rule written with `/` should also match the other four
/// (`[true, true, true, true, true, false]`).
fn windash_deviation_rsigma_expands_only_a_dash() {
    // "Using the windash modifier converts the aforementioned characters interchangeably".
    let rule = one("CommandLine|windash|contains: ' /foo'");
    let events = each("CommandLine", &["tool /foo", "tool -foo", "tool \u{2013}foo", "tool \u{2014}foo", "tool \u{2015}foo", "tool foo"]);
    assert_eq!(fires(&rule, &events), [true, false, false, false, false, false], "rsigma changed: the spec says all but the last");
}
