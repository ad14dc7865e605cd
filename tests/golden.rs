//! Golden outputs: what `logsift run` writes in every output format (ECS nested and flat,
//! OCSF), for events, alerts and dead letters, compared as parsed JSON with outputs recorded
//! before the renderer was rewritten to write JSON directly.
//!
//! Inputs committed beside this file (`tests/golden/*.log`, `*.jsonl`) have their expected
//! outputs committed in full (`tests/golden/expected/`); the real logs of `../shared` are
//! not copied into the repository, so for them only a digest of the canonical output per
//! file is kept (`tests/golden/expected/shared.digests`). A line with a key twice fails
//! whatever its values.
//!
//! After a deliberate change of the output, `GOLDEN_BLESS=1 cargo test --release --test
//! golden` rewrites the expected files; review their diff before committing.

mod support;

use std::collections::BTreeMap;
use std::fmt;
use std::process::Command;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value as Json};
use support::{shared_data, workspace};

/// One JSON value, parsed so that an object with a key twice is an error (serde_json keeps
/// the last one silently).
struct Strict(Json);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct StrictVisitor;
        impl<'de> Visitor<'de> for StrictVisitor {
            type Value = Strict;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
                Ok(Strict(Json::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
                Ok(Strict(Json::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
                Ok(Strict(Json::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
                Ok(Strict(Json::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
                Ok(Strict(Json::from(v)))
            }
            fn visit_string<E>(self, v: String) -> Result<Strict, E> {
                Ok(Strict(Json::String(v)))
            }
            fn visit_unit<E>(self) -> Result<Strict, E> {
                Ok(Strict(Json::Null))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
                let mut items = Vec::new();
                while let Some(Strict(item)) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Strict(Json::Array(items)))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Strict, A::Error> {
                let mut map = Map::new();
                while let Some(key) = access.next_key::<String>()? {
                    let Strict(value) = access.next_value()?;
                    if map.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("duplicate key {key:?}")));
                    }
                }
                Ok(Strict(Json::Object(map)))
            }
        }
        deserializer.deserialize_any(StrictVisitor)
    }
}

fn parse_strict(line: &str) -> Json {
    serde_json::from_str::<Strict>(line).unwrap_or_else(|e| panic!("{e}: {line}")).0
}

/// The output formats, as the environment overrides that select them.
const FORMATS: [(&str, &[(&str, &str)]); 3] =
    [("nested", &[]), ("flat", &[("LOGSIFT_FORMAT__JSON", "flat")]), ("ocsf", &[("LOGSIFT_FORMAT__SCHEMA", "ocsf")])];

/// Runs `logsift run` and returns its output lines, parsed, grouped by the input file they
/// came from (in order of appearance within each file).
fn run(config: &str, format: &[(&str, &str)], inputs: &[String]) -> BTreeMap<String, Vec<Json>> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_logsift"));
    command.args(["run", "--quiet", "--config", config]).current_dir(workspace()).env_remove("RUST_LOG");
    for input in inputs {
        command.args(["--input", input]);
    }
    command.envs(format.iter().copied());
    let out = command.output().expect("running logsift");
    assert!(out.status.success(), "logsift run --config {config} failed: {}", String::from_utf8_lossy(&out.stderr));
    let mut by_file: BTreeMap<String, Vec<Json>> = BTreeMap::new();
    for line in String::from_utf8(out.stdout).expect("output is UTF-8").lines() {
        let json = parse_strict(line);
        let path = [
            &json["log"]["file"]["path"],
            &json["log.file.path"],
            &json["unmapped"]["log.file.path"],
            &json["evidences"][0]["data"]["log.file.path"],
        ]
        .into_iter()
        .find_map(Json::as_str)
        .unwrap_or_else(|| panic!("no log.file.path in {line}"))
        .to_owned();
        by_file.entry(path).or_default().push(json);
    }
    by_file
}

/// A digest of output lines in canonical form (serde_json writes object keys sorted).
fn digest(lines: &[Json]) -> String {
    let mut hasher = blake3::Hasher::new();
    for line in lines {
        hasher.update(serde_json::to_string(line).unwrap().as_bytes());
        hasher.update(b"\n");
    }
    hasher.finalize().to_hex()[..32].to_owned()
}

fn blessing() -> bool {
    std::env::var_os("GOLDEN_BLESS").is_some()
}

/// Compares the output for a committed input with its expected file (or rewrites it).
fn check_committed(case: &str, actual: &[Json]) -> Vec<String> {
    let path = workspace().join("tests/golden/expected").join(format!("{case}.jsonl"));
    if blessing() {
        let text: String = actual.iter().map(|j| serde_json::to_string(j).unwrap() + "\n").collect();
        std::fs::write(&path, text).unwrap();
        return vec![];
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let expected: Vec<Json> = text.lines().map(parse_strict).collect();
    let mut problems = Vec::new();
    if expected.len() != actual.len() {
        problems.push(format!("{case}: {} lines, expected {}", actual.len(), expected.len()));
    }
    for (i, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e != a {
            problems.push(format!("{case} line {}:\n  expected {e}\n  actual   {a}", i + 1));
        }
    }
    problems
}

/// The configurations, each with its committed input and the `../shared` files it reads
/// (named as seen from the workspace, where logsift runs, so `log.file.path` and the event
/// ids derived from it do not depend on where the checkout is).
fn cases() -> Vec<(&'static str, &'static str, Vec<String>)> {
    let shared =
        |names: &[&str]| -> Vec<String> { names.iter().filter(|n| shared_data(n).is_some()).map(|n| format!("../shared/{n}")).collect() };
    vec![
        (
            "chain",
            "tests/golden/mixed.log",
            shared(&[
                "data/loghub/OpenSSH_2k.log",
                "data/loghub/Linux_2k.log",
                "data/loghub/Apache_2k.log",
                "data/web/webshell_access_log.txt",
                "data/web/tunna_iis_w3c.log",
            ]),
        ),
        (
            "json",
            "tests/golden/records.jsonl",
            shared(&[
                "data/security-datasets/cmd_bitsadmin_download_psh_script__cmd_bitsadmin_download_psh_script_2020-10-2302365189.json",
                "data/security-datasets/cmd_discover_iexplorer_version_registry__cmd_discover_iexplorer_version_registry_2020-10-2123281491.json",
                "data/security-datasets/ec2_proxy_s3_exfiltration__ec2_proxy_s3_exfiltration_2020-09-14011940.json",
                "data/security-datasets/psh_lsass_memory_dump_comsvcs__psh_lsass_memory_dump_comsvcs_2020-10-18T19500924.json",
            ]),
        ),
    ]
}

#[test]
fn every_format_writes_what_it_wrote_before_for_committed_and_shared_inputs() {
    let digests_path = workspace().join("tests/golden/expected/shared.digests");
    let recorded: BTreeMap<String, String> = std::fs::read_to_string(&digests_path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let mut parts = l.rsplitn(3, ' ');
            let (digest, lines, key) = (parts.next()?, parts.next()?, parts.next()?);
            Some((key.to_owned(), format!("{lines} {digest}")))
        })
        .collect();
    let mut digests = BTreeMap::new();
    let mut problems = Vec::new();
    let mut runs = Vec::new();
    for (config, committed, shared) in cases() {
        for (format, env) in FORMATS {
            let inputs: Vec<String> = std::iter::once(committed.to_owned()).chain(shared.iter().cloned()).collect();
            runs.push(std::thread::spawn(move || {
                let out = run(&format!("tests/golden/{config}.toml"), env, &inputs);
                (config, format, committed, inputs, out)
            }));
        }
    }
    for handle in runs {
        let (config, format, committed, inputs, mut out) = handle.join().unwrap();
        let case = format!("{config}-{format}");
        problems.extend(check_committed(&case, &out.remove(committed).unwrap_or_default()));
        for input in &inputs[1..] {
            let lines = out.remove(input).unwrap_or_default();
            assert!(!lines.is_empty(), "{case}: no output for {input}");
            let key = format!("{case} {input}");
            let value = format!("{} {}", lines.len(), digest(&lines));
            match recorded.get(&key) {
                Some(expected) if *expected != value && !blessing() => {
                    problems.push(format!("{key}: lines and digest {value}, expected {expected}"))
                }
                None if !blessing() => problems.push(format!("{key}: no digest recorded (run with GOLDEN_BLESS=1)")),
                _ => {}
            }
            digests.insert(key, value);
        }
        assert!(out.is_empty(), "{case}: output for files not given: {:?}", out.keys().collect::<Vec<_>>());
    }
    if blessing() {
        let text: String = digests.iter().map(|(k, v)| format!("{k} {v}\n")).collect();
        std::fs::write(&digests_path, text).unwrap();
    }
    assert!(problems.is_empty(), "{} differences:\n{}", problems.len(), problems.join("\n"));
}
