//! The sandbox's egress: only the configured origins are reachable, and a
//! refusal names the host it refused.

use crate::harness::{cache, component_path};
use raxx_fakes::{Reply, World};
use raxx_host::Allowlist;
use raxx_host::PolicyFiles;
use raxx_host::Settings;
use raxx_host::{CallError, Resolved, Runtime};
use raxx_host::{FailureKind, MintError, MintRequest, PolicyDocuments};
use raxx_url::Origin;

/// The shipped policy, as the CLI would read it.
pub fn policy() -> PolicyDocuments {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    PolicyFiles {
        agent_map: root.join("agent_bot_map.yaml"),
        policy: root.join("policy.yaml"),
    }
    .read()
    .unwrap()
}

fn settings(world: &World) -> Settings {
    let env = world.env();
    Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap()
}

/// A bot's own resolution, as `mint BOT` resolves it.
pub(crate) fn resolved(runtime: &Runtime, bot: &str) -> Resolved {
    let request = MintRequest {
        bot: Some(bot.into()),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    };
    runtime.resolve(&policy(), &request).unwrap()
}

#[test]
fn a_request_to_a_host_off_the_allowlist_is_denied_and_named() {
    let world = World::start_shared();
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let mut s = settings(&world);
    // Allow Infisical only: the component's GitHub request must be refused by the host.
    s.allowlist = Allowlist::new(vec![s.allowlist.bases()[0].clone()]);
    let outcome = runtime.mint(&s, &resolved(&runtime, "raxx-dev-bot"));
    let Err(CallError::Failed(MintError::Github(f))) = outcome.result else {
        panic!("expected a GitHub failure")
    };
    assert_eq!(f.kind, FailureKind::Denied);
    assert!(f.message.contains(&world.github_url()), "{}", f.message);
    assert!(f.message.contains("egress allowlist"), "{}", f.message);
    let github = Origin::from_base_url(&world.github_url()).unwrap();
    let installation = world.bot("raxx-dev-bot").installation_id;
    assert_eq!(
        outcome.denied,
        vec![format!(
            "POST {github}/app/installations/{installation}/access_tokens: not an allowed origin"
        )]
    );
    assert!(
        world.github.requests().is_empty(),
        "the denied request never reached GitHub"
    );
}

#[test]
fn the_same_host_on_another_port_is_denied() {
    let world = World::start_shared();
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let mut s = settings(&world);
    let mut shifted = s.allowlist.bases().to_vec();
    shifted[0].origin.port = shifted[0].origin.port.wrapping_add(1);
    s.allowlist = Allowlist::new(shifted);
    let outcome = runtime.mint(&s, &resolved(&runtime, "raxx-dev-bot"));
    let Err(CallError::Failed(MintError::Vault(f))) = outcome.result else {
        panic!("expected a vault failure")
    };
    assert_eq!(f.kind, FailureKind::Denied);
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn one_runtime_mints_for_several_bots_with_the_configured_allowlist() {
    let world = World::start_shared();
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let s = settings(&world);
    for bot in ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"] {
        let outcome = runtime.mint(&s, &resolved(&runtime, bot));
        let token = outcome.result.unwrap_or_else(|e| panic!("{bot}: {e:?}"));
        assert_eq!(token.bot, bot);
        assert_eq!(token.installation_id, world.bot(bot).installation_id);
        assert!(outcome.denied.is_empty());
    }
}

#[test]
fn a_mint_opens_one_connection_per_service_and_none_outlives_it() {
    let world = World::start_with_keys(raxx_fakes::world::shared_keys());
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let outcome = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"));
    outcome.result.expect("mint");
    assert_eq!(
        world.infisical.requests().len(),
        2,
        "login, then the bot's folder"
    );
    assert_eq!(
        world.connections(),
        (1, 1),
        "Infisical's two requests share one connection"
    );
    assert_eq!(outcome.connections, 2);
    // Connections (and the buffers that carried the secrets) end with the call.
    let next = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-ops-bot"));
    next.result.expect("mint");
    assert_eq!(
        (next.connections, connections_settle(&world, (2, 2))),
        (2, (2, 2))
    );
}

#[test]
fn a_kept_connection_that_dies_is_replaced() {
    let world = World::start_with_keys(raxx_fakes::world::shared_keys());
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    // The login's connection is reset under the secrets list; the retry opens a new one.
    world.infisical.inject("secrets", vec![Reply::Reset]);
    let outcome = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"));
    outcome.result.expect("the retry on a new connection mints");
    assert_eq!(world.connections(), (2, 1));
    assert_eq!(outcome.connections, 3);
}

#[test]
fn a_kept_connection_the_server_closed_between_calls_is_not_used() {
    let world = World::start_with_keys(raxx_fakes::world::shared_keys());
    world.set_keep_alive(std::time::Duration::from_millis(300));
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    runtime
        .mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"))
        .result
        .expect("mint");
    // Both services close the idle connections while no call runs.
    std::thread::sleep(std::time::Duration::from_millis(1000));
    // The next mint's own connections stay open however slow its steps.
    world.set_keep_alive(std::time::Duration::from_secs(30));
    let outcome = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"));
    outcome.result.expect("mint");
    let sent: Vec<&str> = outcome
        .requests
        .iter()
        .map(|r| r.request.as_str())
        .collect();
    assert_eq!(
        sent.len(),
        3,
        "nothing was sent on a closed connection and retried: {sent:?}"
    );
    assert_eq!(
        (outcome.connections, world.connections()),
        (2, (2, 2)),
        "a new connection to each service"
    );
}

/// The fakes' connection counts once they reach `expected` (or after 5 s):
/// a fake counts a connection in its accept thread, a moment after the
/// kernel accepted it, and nothing waits for a connection never used.
fn connections_settle(world: &World, expected: (usize, usize)) -> (usize, usize) {
    let start = std::time::Instant::now();
    while world.connections() != expected && start.elapsed() < std::time::Duration::from_secs(5) {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    world.connections()
}

#[test]
fn a_mint_connects_to_github_while_infisical_answers() {
    let world = World::start_with_keys(raxx_fakes::world::shared_keys());
    // 20 ms per answer: the background connection has Infisical's two round trips to open.
    world.set_latency(std::time::Duration::from_millis(20));
    world.infisical.inject(
        "secrets",
        vec![raxx_fakes::infisical::error(
            404,
            "NotFound",
            "Folder not found",
        )],
    );
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let outcome = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"));
    assert!(
        matches!(outcome.result, Err(CallError::Failed(MintError::Vault(_)))),
        "{:?}",
        outcome.result
    );
    assert_eq!(
        connections_settle(&world, (1, 1)),
        (1, 1),
        "GitHub was connected to before Infisical failed"
    );
    assert!(
        world.github.requests().is_empty(),
        "but never asked anything"
    );
    // It ends with the call: the next mint opens its own.
    let next = runtime.mint(&settings(&world), &resolved(&runtime, "raxx-dev-bot"));
    next.result.expect("mint");
    assert_eq!(
        (next.connections, connections_settle(&world, (2, 2))),
        (2, (2, 2))
    );
}

#[test]
fn calls_without_the_vault_do_not_preconnect() {
    let world = World::start_with_keys(raxx_fakes::world::shared_keys());
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let outcome = runtime.revoke(&settings(&world), "ghs_notatoken");
    assert!(outcome.is_err(), "an unknown token is refused");
    assert_eq!(world.connections(), (0, 1), "revoking talks to GitHub only");
}

#[test]
fn the_component_imports_only_standard_wasi_and_exports_identity() {
    // raxx-host's engine (it runs the wide-arithmetic build), for both builds of the source.
    let engine = wasmtime::Engine::new(&raxx_host::engine_config()).unwrap();
    let wide = component_path();
    let portable = raxx_host::portable_component_path(&wide).unwrap();
    for path in [wide, portable] {
        imports_only_standard_wasi(&engine, &path);
    }
}

fn imports_only_standard_wasi(engine: &wasmtime::Engine, path: &std::path::Path) {
    let engine = engine.clone();
    let component = wasmtime::component::Component::from_file(&engine, path).unwrap();
    let ty = component.component_type();
    let imports: Vec<String> = ty
        .imports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:http/outgoing-handler@0.2")),
        "{imports:?}"
    );
    assert!(
        imports
            .iter()
            .any(|i| i.starts_with("wasi:clocks/wall-clock@0.2")),
        "{imports:?}"
    );
    for import in &imports {
        assert!(import.starts_with("wasi:"), "non-standard import {import}");
        assert!(
            !import.starts_with("wasi:sockets/tcp-create-socket"),
            "sockets are never needed: {import}"
        );
        // RS256 (PKCS#1 v1.5) is deterministic: a randomness import means a dependency asked for one.
        assert!(
            !import.starts_with("wasi:random/"),
            "signing needs no randomness: {import}"
        );
    }
    let exports: Vec<String> = ty
        .exports(&engine)
        .map(|(name, _)| name.to_string())
        .collect();
    assert_eq!(
        exports,
        ["types", "policy", "app"].map(|i| format!("raxx:identity/{i}@0.2.0"))
    );
}
