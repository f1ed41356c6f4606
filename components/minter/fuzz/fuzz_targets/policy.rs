//! The policy reader never panics: any agent map + policy pair is either
//! accepted or refused with a message naming a file and line.
#![no_main]
#![forbid(unsafe_code)]
use libfuzzer_sys::fuzz_target;
use raxx_minter::github::Scope;
use raxx_minter::policy::{Documents, Policies};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (map, policy) = text.split_once('\0').unwrap_or((&text, ""));
    let docs = Documents {
        agent_map: map,
        agent_map_name: "map.yaml",
        policy,
        policy_name: "policy.yaml",
    };
    match Policies::load(&docs) {
        Ok(p) => {
            for class in p.agents.keys() {
                let _ = p.resolve(None, Some(class), &Scope::default());
            }
        }
        Err(e) => {
            assert!(e.message.contains(".yaml line ") || e.message.contains("missing 'version"))
        }
    }
    let _ = raxx_minter::yaml::parse(&text);
});
