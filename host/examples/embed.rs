//! Embedding the raxx-host library: load the minter component once, then
//! mint per call, each in a fresh sandbox that may reach only the configured
//! Infisical and GitHub origins. `docs/embedding.md` walks through it.
//!
//! `cargo run --release -p raxx-host --example embed -- raxx-dev-bot`
//! (with the INFISICAL_* variables set; the demo's fakes work too).

#![forbid(unsafe_code)]

use anyhow::Context;
use raxx_host::{default_component_path, Cache, MintRequest, PolicyFiles, Runtime, Settings};
use std::path::Path;
use std::process::ExitCode;

fn main() -> anyhow::Result<ExitCode> {
    let bot = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "raxx-dev-bot".into());
    // Once per process: the component (through the compiled-component cache) and the policy.
    let component = default_component_path().context("no minter component: run scripts/build")?;
    let runtime = Runtime::load(&component, &Cache::from_env(&component))?;
    let policies = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let files = PolicyFiles {
        agent_map: policies.join("agent_bot_map.yaml"),
        policy: policies.join("policy.yaml"),
    };
    let policy = files.read()?;
    let settings = Settings::from_env(|k| std::env::var(k).ok()).map_err(raxx_host::Error::from)?;

    // Per call: a fresh, locked-down instance. Resolve once (no network), then
    // mint for the resolution (again and again, for a session). Failures the
    // component reports are values; a trap is a `CallError::Host`.
    let request = MintRequest {
        bot: Some(bot),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    };
    let minted = runtime
        .resolve(&policy, &request)
        .and_then(|resolved| runtime.mint(&settings, &resolved).result);
    match minted {
        Ok(token) => {
            println!("{}", token.token);
            Ok(ExitCode::SUCCESS)
        }
        Err(failure) => {
            eprintln!("embed: {failure}");
            Ok(ExitCode::from(failure.exit().code()))
        }
    }
}
