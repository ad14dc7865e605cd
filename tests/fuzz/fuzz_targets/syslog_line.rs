//! Fuzz target: the syslog parser's line-to-fields path (`logsift_fuzz::checks::parser_line`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| logsift_fuzz::checks::parser_line::<logsift_syslog::Syslog>(data, r#"{"year": 2024}"#));
