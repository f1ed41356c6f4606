//! Infisical answers (secrets lists, error bodies) never panic the parser, and
//! messages stay one short line.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = raxx_minter::vault::infisical::parse_secrets(data, "/MooseQuest/raxx-dev-bot");
    let message = raxx_minter::error::service_message(data);
    assert!(!message.contains('\n'));
    assert!(message.chars().count() <= 241);
});
