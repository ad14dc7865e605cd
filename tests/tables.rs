//! Lookup tables end to end: the host loads them, grants them to the stages that name them,
//! refreshes them when their files change (a bad file is refused and the old version
//! stays), and the shipped enrichers read them from inside the sandbox.

mod support;

use std::path::Path;
use std::process::Command;

use logsift::config::JsonStyle;
use logsift::pipeline::{Chain, InputRecord};
use logsift::render::Renderer;

/// Runs `lines` through the running generation; every output record, flat.
fn run(reloader: &logsift::Runtime, lines: &[&str]) -> Vec<serde_json::Value> {
    let mut chain = Chain::new(reloader.pipeline().current().stages.iter().cloned());
    let inputs: Vec<InputRecord> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| InputRecord {
            cut_from: None,
            raw: l.as_bytes().to_vec(),
            origin: logsift_event::Origin::File { path: "test".into(), line: i as u64 + 1 },
        })
        .collect();
    let output = chain.process(&inputs);
    let mut renderer = Renderer::new(JsonStyle::Flat);
    output
        .items()
        .map(|item| {
            let mut map = renderer.item(&item, &inputs).expect("render");
            map.insert("output".into(), item.output.into());
            serde_json::Value::Object(map)
        })
        .collect()
}

fn config(dir: &Path, text: &str) -> logsift::Settings {
    let path = dir.join("logsift.toml");
    std::fs::write(&path, text).expect("config");
    logsift::Settings::load(&path).expect("settings")
}

fn threat_intel_config(dir: &Path, grant: &str) -> logsift::Settings {
    config(
        dir,
        &format!(
            "[reload]\nwatch = false\n[tables.iocs]\nkind = \"ioc\"\npath = \"iocs.csv\"\n[[pipeline]]\nplugin = {json:?}\n[[pipeline]]\nplugin = {intel:?}\n{grant}\n",
            json = support::plugin("json").display().to_string(),
            intel = support::plugin("threat-intel").display().to_string(),
        ),
    )
}

const LINES: [&str; 3] = [r#"{"source.ip":"203.0.113.7"}"#, r#"{"source.ip":"198.51.100.9"}"#, r#"{"url.domain":"a.b.evil.example"}"#];

/// Per input line, the indicator the event was marked with.
fn marked(out: &[serde_json::Value]) -> Vec<Option<String>> {
    out.iter()
        .filter(|r| r["output"] == "events")
        .map(|e| {
            let ip = e["threat.indicator.ip"].as_str();
            ip.or(e["threat.indicator.url.domain"].as_str()).map(str::to_owned)
        })
        .collect()
}

#[test]
fn a_granted_table_is_read_refreshed_when_its_file_changes_and_kept_when_the_new_file_is_bad() {
    let dir = tempfile::tempdir().expect("tempdir");
    let iocs = dir.path().join("iocs.csv");
    std::fs::write(&iocs, "indicator,provider\n203.0.113.0/24,feed-a\nevil.example,feed-a\n").expect("iocs");
    let mut reloader = logsift::Runtime::start(threat_intel_config(dir.path(), "tables = [\"iocs\"]"), None).expect("start");
    let answering = || reloader.pipeline().current().stages[1].0.tables().answering_time();
    let before = answering();
    let out = run(&reloader, &LINES);
    assert!(answering() > before, "the host times the lookups it answers");
    assert_eq!(marked(&out), [Some("203.0.113.0/24".into()), None, Some("evil.example".into())]);
    let alerts: Vec<&serde_json::Value> = out.iter().filter(|r| r["output"] == "alerts").collect();
    assert_eq!(alerts.len(), 2);
    assert_eq!(alerts[0]["rule.id"], "logsift.threat-intel.match");
    assert_eq!(alerts[0]["alert.details.provider"], "feed-a");

    // The feed changes: the new version is read without reloading the plugin.
    std::fs::write(&iocs, "indicator,provider\n198.51.100.9,feed-b\n").expect("iocs");
    assert_eq!(reloader.reload("test"), Some(1), "same plugins, same generation");
    assert_eq!(marked(&run(&reloader, &LINES)), [None, Some("198.51.100.9".into()), None]);

    // A broken feed is refused: the previous version stays.
    std::fs::write(&iocs, "indicator,provider\nnot an indicator,feed-c\n").expect("iocs");
    reloader.reload("test");
    assert_eq!(marked(&run(&reloader, &LINES)), [None, Some("198.51.100.9".into()), None]);
}

#[test]
fn a_plugin_cannot_read_a_table_its_stage_is_not_granted() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("iocs.csv"), "indicator\n203.0.113.7\n").expect("iocs");
    let refused = logsift::Runtime::start(threat_intel_config(dir.path(), ""), None).err().expect("refused");
    let text = refused.to_string();
    assert!(text.contains("iocs") && text.contains("not granted"), "{text}");
}

#[test]
fn a_stage_naming_an_undefined_table_is_a_configuration_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("logsift.toml");
    std::fs::write(&path, "[[pipeline]]\nplugin = \"x.wasm\"\ntables = [\"geo\"]\n").expect("config");
    let err = logsift::Settings::load(&path).expect_err("refused").to_string();
    assert!(err.contains("pipeline[0].tables") && err.contains("\"geo\""), "{err}");
}

#[test]
fn the_enrichment_example_adds_context_and_flags_the_attackers_in_the_openssh_sample() {
    let Some(log) = support::shared_data("data/loghub/OpenSSH_2k.log") else { return };
    let config = support::workspace().join("examples/enrich.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_logsift"))
        .args(["run", "--flat", "--config"])
        .arg(&config)
        .arg("--input")
        .arg(&log)
        .output()
        .expect("logsift run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let records: Vec<serde_json::Value> =
        String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).expect("JSON")).collect();
    let events: Vec<&serde_json::Value> = records.iter().filter(|r| r.get("output").is_none()).collect();
    assert_eq!(events.len(), 2000);
    // 183.62.140.253 is on the example's indicator list; LabSZ is in its asset inventory.
    let flagged = events.iter().filter(|e| e["source.ip"] == "183.62.140.253").collect::<Vec<_>>();
    assert!(!flagged.is_empty());
    assert!(flagged.iter().all(|e| e["threat.indicator.ip"] == "183.62.140.253" && e["threat.indicator.provider"] == "example-feed"));
    let intel_alerts = records.iter().filter(|r| r["rule.id"] == "logsift.threat-intel.match").count();
    assert_eq!(intel_alerts, flagged.len(), "one alert per flagged event");
    assert!(events.iter().all(|e| e["host.asset.owner"] == "secops"), "every line is from host LabSZ");
}

#[test]
fn the_geoip_enricher_reads_maxmind_databases_granted_to_it() {
    let (Some(city), Some(asn)) =
        (support::shared_data("data/geoip/GeoLite2-City-Test.mmdb"), support::shared_data("data/geoip/GeoLite2-ASN-Test.mmdb"))
    else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let settings = config(
        dir.path(),
        &format!(
            "[reload]\nwatch = false\n[tables.geoip]\nkind = \"mmdb\"\npath = {city:?}\n[tables.asn]\nkind = \"mmdb\"\npath = {asn:?}\n\
             [[pipeline]]\nplugin = {json:?}\n[[pipeline]]\nplugin = {geoip:?}\ntables = [\"geoip\", \"asn\"]\n[pipeline.settings]\nasn_table = \"asn\"\n",
            city = city.display().to_string(),
            asn = asn.display().to_string(),
            json = support::plugin("json").display().to_string(),
            geoip = support::plugin("geoip").display().to_string(),
        ),
    );
    let reloader = logsift::Runtime::start(settings, None).expect("start");
    let out = run(&reloader, &[r#"{"source.ip":"81.2.69.142","destination.ip":"1.0.0.1"}"#, r#"{"source.ip":"10.1.1.1"}"#]);
    let (first, second) = (&out[0], &out[1]);
    assert_eq!(first["source.geo.country_iso_code"], "GB", "{first}");
    assert_eq!(first["source.geo.city_name"], "London", "{first}");
    assert!(first["source.geo.location.lat"].is_f64(), "{first}");
    assert_eq!(first["destination.as.number"], 15169, "{first}");
    assert_eq!(first["destination.as.organization.name"], "Google Inc.", "{first}");
    assert!(second.get("source.geo.country_iso_code").is_none(), "a private address is in no database: {second}");
}
