//! Fuzz target: see `logsift_fuzz::checks::batch_encode`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsift_fuzz::checks::batch_encode(data));
