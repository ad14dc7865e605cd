//! What each fuzz target checks, shared by the libFuzzer targets (`fuzz_targets/`) and by
//! the stable regression test that replays the committed corpora (`tests/fuzz_regressions.rs`
//! includes this file).
#![allow(missing_docs)]

pub mod checks;
