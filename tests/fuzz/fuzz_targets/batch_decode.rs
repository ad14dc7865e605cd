//! Fuzz target: see `logsift_fuzz::checks::batch_decode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsift_fuzz::checks::batch_decode(data));
