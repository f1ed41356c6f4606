//! GitHub answers (installation tokens, error bodies, Date headers) never panic the parsers.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(token) = raxx_minter::github::parse_token(data) {
        assert!(!token.token.is_empty());
    }
    let _ = raxx_minter::error::service_message(data);
    let _ = raxx_minter::retry::parse_http_date(&String::from_utf8_lossy(data));
});
