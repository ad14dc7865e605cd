//! The shared OTRF Security-Datasets captures (Windows Security/Sysmon and AWS CloudTrail
//! records, one JSON object per line): every line of every `*.json` file parses, and the
//! fields add up to what jq counts in the same files.

use std::collections::BTreeMap;
use std::path::Path;

use logsift_json::JsonLines;
use logsift_sdk::Value;
use logsift_sdk::testing::{Fate, OwnedEvent, RecordResult, plugin, run_lines, shared_data};

/// A file's lines and what the plugin made of them.
struct Parsed {
    lines: Vec<String>,
    results: Vec<RecordResult>,
}

impl Parsed {
    fn events(&self) -> Vec<&OwnedEvent> {
        self.results.iter().map(|r| r.event().unwrap_or_else(|| panic!("expected an event, got {:?}", r.fate))).collect()
    }

    /// How many fields, over all events, satisfy `f`.
    fn fields_where(&self, f: impl Fn(&str, &Value<'static>) -> bool) -> usize {
        self.events().iter().map(|e| e.fields.iter().filter(|(n, v)| f(n, v)).count()).sum()
    }
}

/// Every `*.json` file of `data/security-datasets`, by file name, parsed with `settings`.
fn datasets(settings: &str) -> Option<BTreeMap<String, Parsed>> {
    let dir = shared_data("data/security-datasets")?;
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir(&dir).expect("listing security-datasets") {
        let path = entry.expect("directory entry").path();
        if path.extension().is_some_and(|e| e == "json") {
            let lines = read_lines(&path);
            let results = run_lines(&mut plugin::<JsonLines>(settings), &lines);
            let name = path.file_name().and_then(|n| n.to_str()).expect("file name").split("__").next().expect("prefix").to_owned();
            out.insert(name, Parsed { lines, results });
        }
    }
    Some(out)
}

fn read_lines(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    text.lines().map(str::to_owned).collect()
}

#[test]
fn every_line_of_every_dataset_is_one_event() {
    let Some(sets) = datasets("{}") else { return };
    // wc -l *.json
    let expected = [
        ("cmd_bitsadmin_download_psh_script", 424),
        ("cmd_discover_iexplorer_version_registry", 68),
        ("ec2_proxy_s3_exfiltration", 103),
        ("psh_lsass_memory_dump_comsvcs", 184),
    ];
    assert_eq!(sets.iter().map(|(n, p)| (n.as_str(), p.lines.len())).collect::<Vec<_>>(), expected);
    for (name, set) in &sets {
        for (i, result) in set.results.iter().enumerate() {
            assert!(matches!(&result.fate, Fate::Passed(e) if e.len() == 1), "{name} line {}: {:?}", i + 1, result.fate);
        }
    }
}

#[test]
fn field_counts_match_jq_leaf_counts() {
    let Some(sets) = datasets("{}") else { return };
    // jq -n 'def leaves: if type=="object" then (to_entries | map(.value | leaves) | add // 0) else 1 end;
    //        [inputs | leaves] | add' FILE — every scalar, null or array is one field, empty objects none
    let expected = [
        ("cmd_bitsadmin_download_psh_script", 9621),
        ("cmd_discover_iexplorer_version_registry", 1468),
        ("ec2_proxy_s3_exfiltration", 2476),
        ("psh_lsass_memory_dump_comsvcs", 3229),
    ];
    for (name, leaves) in expected {
        let set = &sets[name];
        // Plus event.original and event.dataset on each event (no record has its own:
        // jq -c 'select(has("event") or has("event.dataset"))' *.json | wc -l → 0).
        assert_eq!(set.fields_where(|_, _| true), leaves + 2 * set.lines.len(), "{name}");
    }
}

#[test]
fn types_add_up_to_what_jq_counts() {
    let Some(sets) = datasets(r#"{"ip_fields": ["sourceIPAddress"]}"#) else {
        return;
    };
    let timestamps = |name: &str| sets[name].fields_where(|n, v| n == "@timestamp" && matches!(v, Value::Timestamp(_)));
    let ints = |name: &str| sets[name].fields_where(|_, v| matches!(v, Value::Int(_)));
    // jq -c 'select(has("@timestamp"))' FILE | wc -l
    assert_eq!(timestamps("cmd_bitsadmin_download_psh_script"), 424);
    assert_eq!(timestamps("cmd_discover_iexplorer_version_registry"), 68);
    assert_eq!(timestamps("ec2_proxy_s3_exfiltration"), 103);
    assert_eq!(timestamps("psh_lsass_memory_dump_comsvcs"), 0);
    // jq -n '[inputs | [paths(type=="number") | select(all(.[]; type=="string"))] | length] | add' FILE
    assert_eq!(ints("cmd_bitsadmin_download_psh_script"), 424);
    assert_eq!(ints("cmd_discover_iexplorer_version_registry"), 68);
    assert_eq!(ints("ec2_proxy_s3_exfiltration"), 44);
    assert_eq!(ints("psh_lsass_memory_dump_comsvcs"), 184);
    // jq -n '[inputs | [.. | numbers | select(. != floor)] | length] | add' *.json → 0: no
    // fractions anywhere (CloudTrail's "bytesTransferredIn": 0.0 is whole, so Int).
    assert_eq!(sets.values().map(|s| s.fields_where(|_, v| matches!(v, Value::Float(_)))).sum::<usize>(), 0);

    let ec2 = &sets["ec2_proxy_s3_exfiltration"];
    // Arrays reached through objects only, all of which hold objects:
    // jq -n '[inputs | . as $o | [paths(type=="array") | select(all(.[]; type=="string"))] | …]' → 68 "objects"
    assert_eq!(ec2.fields_where(|_, v| v.as_str().is_some_and(|s| s.starts_with("[{"))), 68);
    // jq -n '[inputs | [paths(. == null) | select(all(.[]; type=="string"))] | length] | add' → 103
    assert_eq!(ec2.fields_where(|_, v| *v == Value::Null), 103);
    // jq -r '.sourceIPAddress' FILE | sort | uniq -c → 98 1.2.3.4, 5 ec2.amazonaws.com
    assert_eq!(ec2.fields_where(|n, v| n == "sourceIPAddress" && *v == Value::Ip("1.2.3.4".parse().unwrap())), 98);
    assert_eq!(ec2.fields_where(|n, v| n == "sourceIPAddress" && v.as_str() == Some("ec2.amazonaws.com")), 5);
}

#[test]
fn a_cloudtrail_record_flattens_field_by_field() {
    let Some(sets) = datasets("{}") else { return };
    let ec2 = &sets["ec2_proxy_s3_exfiltration"];
    let e = ec2.events()[0];
    // head -1 FILE | jq -r '[paths(scalars)] | map(join(".")) | .[]', plus the null responseElements
    let names: Vec<&str> = e.fields.iter().map(|(n, _)| n.as_str()).collect();
    let expected = [
        "event.original",
        "requestParameters.DescribeInstanceTypesRequest.NextToken",
        "requestParameters.DescribeInstanceTypesRequest.MaxResults",
        "userAgent",
        "awsRegion",
        "eventType",
        "@version",
        "userIdentity.arn",
        "userIdentity.type",
        "userIdentity.userName",
        "userIdentity.sessionContext.attributes.mfaAuthenticated",
        "userIdentity.sessionContext.attributes.creationDate",
        "userIdentity.accountId",
        "userIdentity.principalId",
        "userIdentity.accessKeyId",
        "recipientAccountId",
        "responseElements",
        "eventName",
        "sourceIPAddress",
        "eventSource",
        "requestID",
        "@timestamp",
        "eventID",
        "eventVersion",
        "event.dataset",
    ];
    assert_eq!(names, expected);
    assert_eq!(e.get_str("event.original"), Some(ec2.lines[0].as_str()));
    assert_eq!(e.get("requestParameters.DescribeInstanceTypesRequest.MaxResults"), Some(&Value::Int(100)));
    assert_eq!(e.get_str("userIdentity.userName"), Some("pedro"));
    assert_eq!(e.get_str("userIdentity.sessionContext.attributes.creationDate"), Some("2020-09-13T17:16:47Z"), "not a timestamp field");
    assert_eq!(e.get("responseElements"), Some(&Value::Null));
    assert_eq!(e.get_str("sourceIPAddress"), Some("1.2.3.4"), "not an ip field by default");
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(1_600_044_263_000_000_000))); // date -u -d 2020-09-14T00:44:23Z +%s
    assert_eq!(e.get_str("@version"), Some("1"));
}

#[test]
fn a_windows_record_keeps_its_escaped_message_and_numeric_event_id() {
    let Some(sets) = datasets("{}") else { return };
    let e = sets["cmd_bitsadmin_download_psh_script"].events()[0];
    assert!(e.get_str("Message").is_some_and(|m| { m.starts_with("The audit log was cleared.\r\nSubject:\r\n\tSecurity ID:\tS-1-5-21-") }));
    assert_eq!(e.get("EventID"), Some(&Value::Int(1102)));
    assert_eq!(e.get_str("Channel"), Some("Security"));
    assert_eq!(e.get_str("TimeCreated"), Some("2020-10-23T02:36:40.671Z"), "not a timestamp field");
    assert_eq!(e.get("@timestamp"), Some(&Value::Timestamp(1_603_420_600_671_000_000))); // date -u -d 2020-10-23T02:36:40.671Z +%s%N
    // TimeCreated in the lsass set has no zone ("2020-10-18 07:50:06.220"): not RFC 3339, so
    // listing it as a timestamp field leaves it a string.
    let Some(sets) = datasets(r#"{"timestamp_fields": ["TimeCreated"]}"#) else {
        return;
    };
    let lsass = sets["psh_lsass_memory_dump_comsvcs"].events()[0];
    assert_eq!(lsass.get_str("TimeCreated"), Some("2020-10-18 07:50:06.220"));
    let bits = sets["cmd_bitsadmin_download_psh_script"].events()[0];
    assert_eq!(bits.get("TimeCreated"), Some(&Value::Timestamp(1_603_420_600_671_000_000)));
    assert_eq!(bits.get_str("@timestamp"), Some("2020-10-23T02:36:40.671Z"), "no longer listed");
}
