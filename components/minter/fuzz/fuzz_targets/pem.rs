//! PEM normalisation and parsing never panic, and never echo the input.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(e) = raxx_minter::pem::parse_private_key(&text) {
        let message = e.to_string();
        assert!(message.starts_with("PRIVATE_KEY_PEM "));
        assert!(message.len() < 300);
    }
});
