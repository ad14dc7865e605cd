//! Fuzz target: see `logsift_fuzz::checks::file_framing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsift_fuzz::checks::file_framing(data));
