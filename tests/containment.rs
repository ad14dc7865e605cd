//! A plugin that traps, hangs or exhausts its memory never crashes the host or loses a
//! record: after a faulting call every record of the batch is retried alone on a fresh
//! instance, only the guilty records go to dead letter, and later batches are processed.
//! Records that fault alone never quarantine their plugin; only faults no record explains do.

mod support;

use logsift::pipeline::{FailurePolicy, HealthConfig, Payload, RejectPolicy, StageOptions};
use logsift::wasm::{Limits, LoadError};
use serde_json::json;
use support::{Sandbox, alerts, dead_letters, event_sources, records};

fn lines(n: usize, guilty: &[(usize, &str)]) -> Vec<String> {
    (0..n)
        .map(|i| match guilty.iter().find(|(at, _)| *at == i) {
            Some((_, marker)) => format!("record {i} {marker}"),
            None => format!("record {i}"),
        })
        .collect()
}

fn quick_limits() -> Limits {
    Limits { timeout_ms: 150, memory_mb: 32, ..Limits::default() }
}

/// Runs `marker` records through the faulty plugin and checks containment: exactly the
/// guilty records dead-lettered with `reason`, every other record an event, and a second
/// batch processed in full on the rebuilt instance.
fn assert_contained(marker: &str, reason: &str) -> logsift::pipeline::StageStats {
    assert_contained_with(marker, reason, quick_limits())
}

fn assert_contained_with(marker: &str, reason: &str, limits: Limits) -> logsift::pipeline::StageStats {
    let sandbox = Sandbox::new();
    let mut chain = sandbox.chain("faulty", json!({}), limits, StageOptions::default());
    let input = records("in.log", &lines(64, &[(5, marker), (40, marker)]));
    let out = chain.process(&input);

    let dead = dead_letters(&out);
    assert_eq!(dead.iter().map(|d| d.0).collect::<Vec<_>>(), vec![5, 40], "only the guilty records are dead-lettered");
    for (_, plugin, why) in &dead {
        assert_eq!(plugin, "faulty");
        assert!(why.contains(reason), "reason {why:?} should mention {reason:?}");
    }
    let expected: Vec<u32> = (0..64).filter(|i| *i != 5 && *i != 40).collect();
    assert_eq!(event_sources(&out), expected, "every innocent record goes on, in order");

    let later = chain.process(&records("in.log", &lines(64, &[])));
    assert_eq!(later.events.len(), 64, "the batch after the fault is processed in full");
    assert!(dead_letters(&later).is_empty());
    chain.stages()[0].stats.clone()
}

#[test]
fn trapping_record_is_dead_lettered_and_the_rest_of_the_batch_goes_on() {
    let stats = assert_contained("TRAP", "trap requested by the record");
    assert!(stats.traps >= 2, "the fault really happened: {stats:?}");
    assert!(stats.rebuilds >= 2, "the instance was rebuilt: {stats:?}");
}

#[test]
fn looping_record_hits_the_deadline_and_only_it_is_dead_lettered() {
    let stats = assert_contained("LOOP", "deadline of 150 ms exceeded");
    assert!(stats.deadlines >= 2, "the deadline really struck: {stats:?}");
}

#[test]
fn record_that_allocates_without_bound_hits_the_memory_cap_alone() {
    // A deadline far from what filling 32 MiB takes, even on a loaded machine.
    let stats = assert_contained_with("OOM", "memory limit of 32.0 MiB exceeded", Limits { timeout_ms: 5000, ..quick_limits() });
    assert!(stats.memory >= 2, "the memory cap really struck: {stats:?}");
}

#[test]
fn rejected_record_goes_to_dead_letter_with_the_plugins_reason_without_a_fault() {
    let sandbox = Sandbox::new();
    let mut chain = sandbox.chain("faulty", json!({}), quick_limits(), StageOptions::default());
    let out = chain.process(&records("in.log", &lines(10, &[(3, "REJECT")])));
    assert_eq!(dead_letters(&out), vec![(3, "faulty".to_owned(), "faulty plugin: rejected as asked".to_owned())]);
    assert_eq!(out.events.len(), 9);
    assert_eq!(chain.stages()[0].stats.faults(), 0);
}

#[test]
fn on_reject_pass_sends_rejected_records_on_unchanged() {
    let sandbox = Sandbox::new();
    let options = StageOptions { on_reject: RejectPolicy::Pass, ..StageOptions::default() };
    let mut chain = sandbox.chain("faulty", json!({}), quick_limits(), options);
    let out = chain.process(&records("in.log", &lines(10, &[(3, "REJECT")])));
    assert!(dead_letters(&out).is_empty());
    assert_eq!(event_sources(&out), (0..10).collect::<Vec<_>>());
    assert_eq!(chain.stages()[0].stats.rejected, 1);
}

#[test]
fn records_that_fault_alone_never_quarantine_their_plugin_and_cost_one_fault_each() {
    let sandbox = Sandbox::new();
    let health = HealthConfig { max_failures: 3, on_failure: FailurePolicy::FailOpen, ..HealthConfig::default() };
    let mut chain = sandbox.chain("faulty", json!({}), quick_limits(), StageOptions { health, ..StageOptions::default() });
    let guilty: Vec<(usize, &str)> = (0..10).map(|i| (i * 3, "TRAP")).collect();
    let out = chain.process(&records("in.log", &lines(30, &guilty)));

    let stats = chain.stages()[0].stats.clone();
    assert_eq!(stats.quarantines, 0, "an attacker's records do not switch the plugin off");
    assert_eq!(stats.traps, 11, "the batch's fault, then one per guilty record alone: {stats:?}");
    assert_eq!(dead_letters(&out).len(), 10);
    assert_eq!(out.events.len(), 20, "every other record went through the plugin");
    assert!(alerts(&out).is_empty());
    let later = chain.process(&records("in.log", &lines(5, &[])));
    assert_eq!(later.events.len(), 5);
}

/// A batch of 40 records asks for 40 MiB under a 32 MiB cap; one record alone asks for 1.
fn batch_hungry(sandbox: &Sandbox, health: HealthConfig) -> logsift::pipeline::Chain {
    sandbox.chain("faulty", json!({"batch_mb": 1}), quick_limits(), StageOptions { health, ..StageOptions::default() })
}

#[test]
fn a_plugin_that_faults_where_no_record_explains_it_is_quarantined_fail_open_with_a_degraded_alert() {
    let sandbox = Sandbox::new();
    let health = HealthConfig { max_failures: 2, on_failure: FailurePolicy::FailOpen, ..HealthConfig::default() };
    let mut chain = batch_hungry(&sandbox, health);
    let first = chain.process(&records("in.log", &lines(40, &[])));
    assert_eq!(first.events.len(), 40, "each record passed alone");
    assert!(dead_letters(&first).is_empty() && alerts(&first).is_empty());
    let second = chain.process(&records("in.log", &lines(40, &[])));
    let stats = chain.stages()[0].stats.clone();
    assert_eq!((stats.unexplained, stats.quarantines), (2, 1), "{stats:?}");
    assert_eq!(alerts(&second), vec!["logsift.plugin.degraded".to_owned()]);
    assert_eq!(second.events.len(), 40, "no record is lost");

    let later = chain.process(&records("in.log", &lines(5, &[(1, "TRAP")])));
    assert_eq!(later.events.len(), 5, "while quarantined, records pass unchanged (the trap is not even reached)");
    assert_eq!(chain.stages()[0].stats.skipped, 5);
}

#[test]
fn fail_closed_plugin_dead_letters_its_records_while_quarantined() {
    let sandbox = Sandbox::new();
    let health = HealthConfig { max_failures: 1, on_failure: FailurePolicy::FailClosed, ..HealthConfig::default() };
    let mut chain = batch_hungry(&sandbox, health);
    let first = chain.process(&records("in.log", &lines(40, &[])));
    assert_eq!(first.events.len(), 40);
    assert_eq!(alerts(&first), vec!["logsift.plugin.degraded".to_owned()], "quarantine is loud whatever the policy");
    let out = chain.process(&records("in.log", &lines(6, &[])));
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 6);
    assert!(dead[0].2.contains("quarantined after repeated failures (fail-closed)"), "{:?}", dead[0]);
}

#[test]
fn a_plugin_that_fills_its_stderr_keeps_running() {
    let sandbox = Sandbox::new();
    let mut chain = sandbox.chain("faulty", json!({}), quick_limits(), StageOptions::default());
    let chatty: Vec<(usize, &str)> = (0..10).map(|i| (i, "CHATTY")).collect();
    let out = chain.process(&records("in.log", &lines(10, &chatty)));
    assert_eq!(out.events.len(), 10, "a megabyte of stderr is truncated, not a trap");
    assert_eq!(chain.stages()[0].stats.faults(), 0);
    // What it kept is the newest: a later panic message is still the dead letter's reason.
    let out = chain.process(&records("in.log", &lines(3, &[(0, "CHATTY"), (1, "TRAP")])));
    let dead = dead_letters(&out);
    assert_eq!(dead.len(), 1);
    assert!(dead[0].2.contains("trap requested by the record"), "{:?}", dead[0]);
}

#[test]
fn every_record_is_accounted_for_as_event_or_dead_letter() {
    let sandbox = Sandbox::new();
    let mut chain = sandbox.chain("faulty", json!({}), quick_limits(), StageOptions::default());
    let guilty = [(0, "TRAP"), (7, "REJECT"), (8, "OOM"), (63, "TRAP")];
    let out = chain.process(&records("in.log", &lines(64, &guilty)));
    let mut seen: Vec<u32> = event_sources(&out);
    seen.extend(dead_letters(&out).iter().map(|d| d.0));
    seen.sort_unstable();
    assert_eq!(seen, (0..64).collect::<Vec<_>>());
    assert!(out.routed.iter().all(|r| matches!(r.payload, Payload::DeadLetter(_))));
}

#[test]
fn a_missing_plugin_file_is_refused_naming_the_file() {
    let sandbox = Sandbox::new();
    let err = sandbox.load_path(std::path::Path::new("/nonexistent/p.wasm"), json!({}), Limits::default()).unwrap_err();
    assert!(matches!(err, LoadError::Read { .. }), "{err}");
    assert!(err.to_string().contains("/nonexistent/p.wasm"), "{err}");
}

#[test]
fn a_core_module_or_garbage_is_refused_as_not_a_component() {
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().unwrap();
    for (file, bytes, why) in [
        ("core.wasm", &b"\0asm\x01\0\0\0"[..], "core WebAssembly module"),
        ("garbage.wasm", &b"this is not wasm at all"[..], "magic number"),
    ] {
        let path = dir.path().join(file);
        std::fs::write(&path, bytes).unwrap();
        let err = sandbox.load_path(&path, json!({}), Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::NotComponent { .. }), "{file}: {err}");
        assert!(err.to_string().contains(why), "{file}: {err}");
    }
}

/// `bytes` with every `from` replaced by `to` (of the same length).
fn replaced(bytes: &[u8], from: &[u8], to: &[u8]) -> (Vec<u8>, usize) {
    assert_eq!(from.len(), to.len());
    let (mut out, mut n, mut i) = (Vec::with_capacity(bytes.len()), 0, 0);
    while i < bytes.len() {
        if bytes[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
            n += 1;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    (out, n)
}

#[test]
fn a_plugin_built_against_another_contract_version_is_refused_with_a_message_to_rebuild() {
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().unwrap();
    let current = format!("logsift:plugin/types@{}", logsift::wasm::CONTRACT_VERSION);
    let bytes = std::fs::read(support::plugin("passthrough")).unwrap();
    // The same component as if built against the first contract (0.1.0) or a later one.
    for (file, other) in [("old.wasm", "logsift:plugin/types@0.1.0"), ("newer.wasm", "logsift:plugin/types@0.9.0")] {
        let (patched, n) = replaced(&bytes, current.as_bytes(), other.as_bytes());
        assert!(n > 0, "the passthrough component imports {current}");
        let path = dir.path().join(file);
        std::fs::write(&path, patched).unwrap();
        let err = sandbox.load_path(&path, json!({}), Limits::default()).unwrap_err();
        assert!(matches!(err, LoadError::Contract { .. }), "{file}: {err}");
        let message = err.to_string();
        let found = other.rsplit('@').next().unwrap();
        assert!(message.contains(&format!("logsift:plugin@{found}")), "{message}");
        assert!(message.contains(&format!("@{}", logsift::wasm::CONTRACT_VERSION)), "{message}");
        assert!(message.contains("rebuild it"), "{message}");
    }
    // Unpatched, it loads.
    sandbox.load("passthrough", json!({}), Limits::default());
}

#[test]
fn a_truncated_component_is_refused_at_compile() {
    let sandbox = Sandbox::new();
    let dir = tempfile::tempdir().unwrap();
    let bytes = std::fs::read(support::plugin("passthrough")).unwrap();
    let path = dir.path().join("truncated.wasm");
    std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    let err = sandbox.load_path(&path, json!({}), Limits::default()).unwrap_err();
    assert!(matches!(err, LoadError::Compile { .. }), "{err}");
}

#[test]
fn a_plugin_whose_init_fails_is_refused_with_its_reason() {
    let sandbox = Sandbox::new();
    let err = sandbox.load_path(&support::plugin("faulty"), json!({"fail_init": true}), Limits::default()).unwrap_err();
    assert!(matches!(err, LoadError::Init { .. }), "{err}");
    assert!(err.to_string().contains("init failed because fail_init is set"), "{err}");
    let err = sandbox.load_path(&support::plugin("faulty"), json!({"bogus": 1}), Limits::default()).unwrap_err();
    assert!(err.to_string().contains("unknown field `bogus`"), "{err}");
}
