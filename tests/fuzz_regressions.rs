//! The fuzz targets' checks (`tests/fuzz/src/checks.rs`) over every input of their committed
//! corpora (`tests/fuzz/corpus/<target>/`, minimised) and every crash found
//! (`tests/fuzz/regressions/<target>/`), on stable: what the fuzzer found stays fixed.

#[path = "fuzz/src/checks.rs"]
mod checks;

use std::path::Path;

/// Runs `check` on every file of the target's corpus and regressions; returns how many.
fn replay(target: &str, check: impl Fn(&[u8])) -> usize {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fuzz");
    let mut count = 0;
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        for entry in entries {
            let path = entry.expect("entry").path();
            let data = std::fs::read(&path).expect("input");
            let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(&data)));
            assert!(outcome.is_ok(), "{target}: {} fails its check", path.display());
            count += 1;
        }
    }
    count
}

#[test]
fn the_event_batch_decoder_holds_on_every_corpus_input() {
    assert!(replay("batch_decode", checks::batch_decode) > 0, "the batch_decode corpus is committed");
}

#[test]
fn encoded_events_decode_to_what_was_encoded_on_every_corpus_input() {
    assert!(replay("batch_encode", checks::batch_encode) > 0, "the batch_encode corpus is committed");
}

#[test]
fn the_parsers_hold_on_every_corpus_line() {
    assert!(replay("syslog_line", |d| checks::parser_line::<logsift_syslog::Syslog>(d, r#"{"year": 2024}"#)) > 0);
    assert!(replay("weblog_line", |d| checks::parser_line::<logsift_weblog::WebLog>(d, "{}")) > 0);
    assert!(replay("json_line", |d| checks::parser_line::<logsift_json::JsonLines>(d, "{}")) > 0);
}

#[test]
fn the_configuration_loader_holds_on_every_corpus_input() {
    assert!(replay("config_load", checks::config_load) > 0);
}

#[test]
fn the_file_framing_holds_on_every_corpus_input() {
    assert!(replay("file_framing", checks::file_framing) > 0);
}
