//! Special values (`null`, empty, `exists`), numbers and field references.

use super::*;

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
/// Pins a deviation of rsigma 0.23 from the specification, so an upgrade that changes it is
/// noticed: `exists` treats a field present with a null value as absent; the spec says it
/// checks only the presence of a field, "be it empty or null" (`[true, false]`, then
/// `[false, true]`).
fn exists_deviation_rsigma_treats_null_as_absent() {
    // Modifiers appendix: "this check only verifies the presence of a field, not its value, be it empty or null."
    let rule = one("PasswordLastSet|exists: true");
    assert_eq!(fires(&rule, &[field("PasswordLastSet", Value::Null), field("EventID", 4738i64)]), [false, false], "rsigma changed");
    let rule = one("PasswordLastSet|exists: false");
    assert_eq!(fires(&rule, &[field("PasswordLastSet", Value::Null), field("EventID", 4738i64)]), [true, true], "rsigma changed");
}

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
