//! Load: one host process (library use) minting concurrently for 50 agents.

use crate::harness::{cache, component_path};
use raxx_fakes::World;
use raxx_host::MintRequest;
use raxx_host::PolicyFiles;
use raxx_host::Runtime;
use raxx_host::Settings;

const CLASSES: [&str; 5] = [
    "feature-developer",
    "sre-agent",
    "card-groomer",
    "product-manager",
    "data-scientist",
];

#[test]
fn fifty_agents_mint_concurrently_without_failure_or_mix_up() {
    let world = World::start_shared();
    let env = world.env();
    let settings =
        Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let policy = PolicyFiles {
        agent_map: root.join("agent_bot_map.yaml"),
        policy: root.join("policy.yaml"),
    }
    .read()
    .unwrap();
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let results: Vec<(String, raxx_host::InstallationToken)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..50)
            .map(|i| {
                let (runtime, settings, policy) = (&runtime, &settings, &policy);
                s.spawn(move || {
                    let class = CLASSES[i % CLASSES.len()];
                    let request = MintRequest {
                        bot: None,
                        agent: Some(class.into()),
                        owner: None,
                        repositories: vec![],
                        permissions: vec![],
                    };
                    let resolved = runtime.resolve(policy, &request).expect("resolved");
                    (
                        class.to_string(),
                        runtime
                            .mint(settings, &resolved)
                            .result
                            .unwrap_or_else(|e| panic!("agent {i} ({class}): {e:?}")),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.len(), 50);
    let issued = world.github.issued_tokens();
    assert_eq!(issued.len(), 50, "exactly one token per agent");
    let mut seen = std::collections::HashSet::new();
    for (class, token) in &results {
        assert!(
            seen.insert(token.token.clone()),
            "a token was handed to two agents"
        );
        let by_github = issued
            .iter()
            .find(|t| t.token == token.token)
            .expect("GitHub issued it");
        let bot = match class.as_str() {
            "feature-developer" => "raxx-dev-bot",
            "sre-agent" | "card-groomer" => "raxx-ops-bot",
            _ => "raxx-pm-bot",
        };
        assert_eq!(
            (token.bot.as_str(), token.agent.as_deref()),
            (bot, Some(class.as_str()))
        );
        assert_eq!(
            by_github.installation_id,
            world.bot(bot).installation_id,
            "{class} got another bot's token"
        );
    }
}
