//! Windows events exported as JSON (`evtx_dump`, SigmaHQ's regression samples):
//! `{"Event": {"System": {…}, "EventData": {…}}}` becomes the flat fields Sigma rules and
//! analysts use — `EventID`, `Channel`, `Computer`, `Provider_Name`, `@timestamp` (from
//! `TimeCreated`'s `SystemTime`), and each `EventData` (or `UserData` element) entry under
//! its own name, spaces removed (Defender's `Threat Name` is `ThreatName`). XML attributes
//! (`#attributes`) of anything else are dropped; other `System` entries keep their
//! `Event.System.` names.

use std::borrow::Cow;

use logsift_sdk::Value;

use crate::flatten::Fields;
use logsift_sdk::rfc3339;

const SYSTEM: &str = "Event.System.";

/// Whether `fields` are a flattened Windows event.
pub(crate) fn is_windows_event(fields: &Fields<'_>) -> bool {
    fields.iter().any(|(name, _)| name.starts_with(SYSTEM))
}

/// The name a field of a Windows event gets, or `None` to drop it.
fn rename(name: &str) -> Option<Cow<'static, str>> {
    if let Some(system) = name.strip_prefix(SYSTEM) {
        return Some(match system {
            "EventID" | "Channel" | "Computer" | "EventRecordID" | "Level" | "Task" | "Keywords" => Cow::Owned(system.to_owned()),
            "EventID.#text" => Cow::Borrowed("EventID"),
            "Provider.#attributes.Name" => Cow::Borrowed("Provider_Name"),
            "TimeCreated.#attributes.SystemTime" => Cow::Borrowed("@timestamp"),
            "Execution.#attributes.ProcessID" => Cow::Borrowed("ProcessID"),
            "Security.#attributes.UserID" => Cow::Borrowed("UserID"),
            other if other.contains("#attributes") => return None,
            other => Cow::Owned(format!("{SYSTEM}{other}")),
        });
    }
    let data = name.strip_prefix("Event.EventData.").or_else(|| {
        // `UserData` holds one element whose children are the fields.
        name.strip_prefix("Event.UserData.").and_then(|rest| rest.split_once('.')).map(|(_, field)| field)
    });
    match data {
        Some(field) if !field.starts_with('#') => Some(Cow::Owned(field.replace(' ', ""))),
        _ => None,
    }
}

/// Renames the fields of a flattened Windows event in place.
pub(crate) fn normalise(fields: &mut Fields<'_>) {
    let taken = std::mem::take(fields);
    for (name, value) in taken {
        let Some(name) = rename(&name) else { continue };
        let value = match (&*name, value) {
            ("@timestamp", Value::Str(s)) => rfc3339::parse(&s).map_or(Value::Str(s), Value::Timestamp),
            (_, value) => value,
        };
        fields.push((name, value));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::JsonConfig;

    #[test]
    fn a_regression_sample_becomes_the_fields_sigma_rules_use() {
        let line = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"Provider":{"#attributes":{"Name":"Microsoft-Windows-Sysmon"}},"EventID":1,"TimeCreated":{"#attributes":{"SystemTime":"2026-04-17T04:14:33.653414Z"}},"Channel":"Microsoft-Windows-Sysmon/Operational","Computer":"ws1","Correlation":{"#attributes":{"ActivityID":"A"}},"Version":5},"EventData":{"Image":"C:\\x.exe","Threat Name":"EICAR","#text":"t"}}}"##;
        let mut fields = crate::flatten::flatten(line, &JsonConfig::default(), 0).expect("JSON");
        assert!(is_windows_event(&fields));
        normalise(&mut fields);
        let names: Vec<&str> = fields.iter().map(|(n, _)| &**n).collect();
        assert_eq!(names, ["Provider_Name", "EventID", "@timestamp", "Channel", "Computer", "Event.System.Version", "Image", "ThreatName"]);
        assert!(matches!(fields[2].1, Value::Timestamp(_)), "{:?}", fields[2]);
        assert_eq!(fields[1].1, Value::Int(1));
    }

    #[test]
    fn other_json_is_left_alone() {
        let fields = crate::flatten::flatten(r#"{"Event":{"Name":"x"},"EventID":4}"#, &JsonConfig::default(), 0).expect("JSON");
        assert!(!is_windows_event(&fields));
    }
}
