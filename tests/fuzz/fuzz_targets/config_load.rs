//! Fuzz target: see `logsift_fuzz::checks::config_load`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsift_fuzz::checks::config_load(data));
