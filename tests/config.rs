//! The configuration refuses what it does not understand, naming the key, and takes
//! `LOGSIFT_` environment overrides.

use std::path::{Path, PathBuf};

use logsift::Settings;
use logsift::config::JsonStyle;

fn write(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("logsift.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn load(text: &str, env: &[(&str, &str)]) -> Result<Settings, String> {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), text);
    Settings::load_with_env(&path, env.iter().map(|(k, v)| (k.to_string(), v.to_string()))).map_err(|e| e.to_string())
}

const MINIMAL: &str = "[[pipeline]]\nplugin = \"p.wasm\"\n";

#[test]
fn an_unknown_top_level_key_is_refused_by_name() {
    let err = load(&format!("batch_sise = 10\n{MINIMAL}"), &[]).unwrap_err();
    assert!(err.contains("unknown field `batch_sise`"), "{err}");
}

#[test]
fn an_unknown_nested_key_is_refused_by_name() {
    let err = load("[limits]\nmemory_megs = 3\n", &[]).unwrap_err();
    assert!(err.contains("unknown field `memory_megs`"), "{err}");
    let err = load("[[pipeline]]\nplugin = \"p.wasm\"\npolicy = \"x\"\n", &[]).unwrap_err();
    assert!(err.contains("unknown field `policy`"), "{err}");
    let err = load("[[pipeline]]\nplugin = \"p.wasm\"\n[pipeline.health]\nmax_fails = 1\n", &[]).unwrap_err();
    assert!(err.contains("unknown field `max_fails`"), "{err}");
}

#[test]
fn an_unknown_environment_key_is_refused_by_name() {
    let err = load(MINIMAL, &[("LOGSIFT_BATCHSIZE", "5")]).unwrap_err();
    assert!(err.contains("batchsize"), "{err}");
}

#[test]
fn environment_variables_override_the_file_with_double_underscores_between_levels() {
    let s = load(
        "batch_size = 10\n[limits]\ntimeout_ms = 100\n",
        &[
            ("LOGSIFT_BATCH_SIZE", "64"),
            ("LOGSIFT_LIMITS__TIMEOUT_MS", "750"),
            ("LOGSIFT_FORMAT__JSON", "flat"),
            ("OTHER_VARIABLE", "ignored"),
        ],
    )
    .unwrap();
    assert_eq!(s.batch_size, 64);
    assert_eq!(s.limits.timeout_ms, 750);
    assert_eq!(s.limits.memory_mb, 64, "unset keys keep their defaults");
    assert_eq!(s.format.json, JsonStyle::Flat);
}

#[test]
fn a_stage_overrides_limits_key_by_key() {
    let s = load("[limits]\nmemory_mb = 128\n[[pipeline]]\nplugin = \"p.wasm\"\n[pipeline.limits]\ntimeout_ms = 50\n", &[]).unwrap();
    let limits = s.limits_for(&s.pipeline[0]);
    assert_eq!((limits.memory_mb, limits.timeout_ms), (128, 50));
}

#[test]
fn plugin_paths_are_relative_to_the_configuration_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "[[pipeline]]\nplugin = \"plugins/p.wasm\"\n[[pipeline]]\nplugin = \"/abs/q.wasm\"\n[[pipeline]]\ndirectory = \"detect\"\n",
    );
    let s = Settings::load_with_env(&path, []).unwrap();
    assert_eq!(s.pipeline[0].plugin, Some(dir.path().join("plugins/p.wasm")));
    assert_eq!(s.pipeline[1].plugin, Some(PathBuf::from("/abs/q.wasm")));
    assert_eq!(s.pipeline[2].directory, Some(dir.path().join("detect")));
}

#[test]
fn out_of_range_values_are_refused_with_their_key() {
    let err = load("batch_size = 0\n", &[]).unwrap_err();
    assert!(err.contains("batch_size: must be between 1 and 65536"), "{err}");
    let err = load("[[pipeline]]\nplugin = \"p.wasm\"\n[pipeline.limits]\ntimeout_ms = 0\n", &[]).unwrap_err();
    assert!(err.contains("pipeline[0].limits"), "{err}");
}

#[test]
fn a_stage_is_one_plugin_or_one_directory() {
    let err = load("[[pipeline]]\nplugin = \"p.wasm\"\ndirectory = \"d\"\n", &[]).unwrap_err();
    assert!(err.contains("pipeline[0]: set exactly one of `plugin`"), "{err}");
    let err = load("[[pipeline]]\nname = \"nothing\"\n", &[]).unwrap_err();
    assert!(err.contains("pipeline[0]: set exactly one"), "{err}");
    let err = load("[[pipeline]]\nplugin = \"p.wasm\"\n[pipeline.plugins.x]\na = 1\n", &[]).unwrap_err();
    assert!(err.contains("pipeline[0].plugins"), "{err}");
}

#[test]
fn malformed_toml_is_reported_with_its_line() {
    let err = load("batch_size = \n[limits\n", &[]).unwrap_err();
    assert!(err.contains("line 2, column 8"), "{err}");
}

#[test]
fn the_example_configuration_loads() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/logsift.toml");
    let s = Settings::load_with_env(&path, []).unwrap();
    assert_eq!(s.pipeline.len(), 3);
    assert!(s.pipeline[0].plugin.as_ref().is_some_and(|p| p.ends_with("lib/logsift/plugins/syslog.wasm")));
}

/// Every key path of a settings tree: maps with names of their own (`outputs`, `tables`)
/// as `<name>`, free-form tables (plugin settings, librdkafka properties) as one key.
fn key_paths(value: &serde_json::Value, path: &str, out: &mut std::collections::BTreeSet<String>) {
    const FREE_FORM: [&str; 5] = ["pipeline.settings", "pipeline.plugins", "kafka.consumer", "kafka.producer", "outputs.<name>.producer"];
    const NAMED: [&str; 2] = ["outputs", "tables"];
    match value {
        serde_json::Value::Object(map) if !FREE_FORM.contains(&path) => {
            for (key, child) in map {
                let key = if NAMED.contains(&path) { "<name>" } else { key.as_str() };
                let child_path = if path.is_empty() { key.to_owned() } else { format!("{path}.{key}") };
                key_paths(child, &child_path, out);
            }
        }
        serde_json::Value::Array(items) if items.first().is_some_and(serde_json::Value::is_object) => key_paths(&items[0], path, out),
        _ => {
            out.insert(path.to_owned());
        }
    }
}

#[test]
fn the_configuration_reference_lists_every_key_and_no_other() {
    let every_section = "batch_size = 10\n[outputs.NAME]\nfile = \"out.json\"\n[[pipeline]]\ndirectory = \"plugins\"\n[pipeline.plugins.NAME]\n\
                         [tables.NAME]\nkind = \"ioc\"\npath = \"iocs.txt\"\n[kafka]\nbrokers = \"localhost:9092\"\n";
    let settings = load(every_section, &[]).expect("settings");
    let mut code = std::collections::BTreeSet::new();
    key_paths(&serde_json::to_value(&settings).expect("JSON"), "", &mut code);
    let code: std::collections::BTreeSet<String> = code.into_iter().map(|k| k.replace("NAME", "<name>")).collect();
    let reference = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md")).expect("reference");
    let documented: std::collections::BTreeSet<String> =
        reference.lines().filter_map(|l| l.strip_prefix("| `")).filter_map(|l| l.split('`').next()).map(str::to_owned).collect();
    let missing: Vec<&String> = code.difference(&documented).collect();
    let stale: Vec<&String> = documented.difference(&code).collect();
    assert!(missing.is_empty() && stale.is_empty(), "keys not in docs/configuration.md: {missing:?}; documented but gone: {stale:?}");
}

/// The compile cache is off unless set; set in the file it is relative to the file's folder,
/// and `LOGSIFT_COMPILE_CACHE` sets it too.
#[test]
fn the_compile_cache_is_off_by_default_and_set_by_file_or_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), &format!("compile_cache = \"cache/compiled\"\n{MINIMAL}"));
    let from_file = Settings::load_with_env(&path, []).unwrap();
    assert_eq!(from_file.compile_cache, Some(dir.path().join("cache/compiled")));
    assert_eq!(load(MINIMAL, &[]).unwrap().compile_cache, None, "off by default");
    let from_env = load(MINIMAL, &[("LOGSIFT_COMPILE_CACHE", "/var/cache/logsift")]).unwrap();
    assert_eq!(from_env.compile_cache, Some(PathBuf::from("/var/cache/logsift")));
}
