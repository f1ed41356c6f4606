//! A loopback world in its own process, for tests of hosts that cannot run the
//! fakes in theirs (the Node host: jco's wasi-http shim blocks the thread it
//! runs on, so a fake in the same process would never answer).
//!
//! Prints one JSON line on stdout, `{"env": {…}, "control": URL, "bots": […]}`:
//! the environment a host needs to use the world, and the control endpoint
//! (`raxx_fakes::control`) for fault injection. Runs until stdin closes, so
//! it ends with the test that started it. Test-only; never shipped.

#![forbid(unsafe_code)]

use raxx_fakes::server::{Handler, HttpRequest, Server};
use raxx_fakes::World;
use std::io::Read;
use std::process::ExitCode;
use std::sync::Arc;

fn main() -> ExitCode {
    let world = Arc::new(World::start());
    let handled = world.clone();
    let control = match Server::start(Arc::new(move |r: &HttpRequest| {
        raxx_fakes::control::handle(&handled, r)
    }) as Handler)
    {
        Ok(server) => server,
        Err(e) => {
            eprintln!("raxx-world: cannot start the control endpoint: {e}");
            return ExitCode::from(1);
        }
    };
    let env: serde_json::Map<String, serde_json::Value> = world
        .env()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    let bots: Vec<serde_json::Value> =
        world.bots.iter().map(|b| serde_json::json!({"name": b.name, "app_id": b.app_id, "installation_id": b.installation_id})).collect();
    println!(
        "{}",
        serde_json::json!({"env": env, "control": control.url(), "bots": bots})
    );
    // Until the test closes our stdin (or dies).
    let _ = std::io::stdin().read_to_end(&mut Vec::new());
    ExitCode::SUCCESS
}
