//! The component's network reach against a hostile component (tests/hostile)
//! that holds real credentials: an App JWT the test signs with a world's App
//! key, or a token the real minter minted. It may send only the requests the
//! minter makes (wit/reach.json), and a token exchange no wider than the
//! resolution the host asked for. Every refusal leaves the fakes untouched.

use crate::harness::{cache, component_path};
use crate::sandbox::{hostile, settings};
use raxx_fakes::World;
use raxx_host::{CallError, Resolved, Runtime};
use raxx_host::{MintError, MintRequest, PolicyDocuments};

/// The hostile component sends `lines` (`METHOD URL [BODY]`) with `credential`
/// as the bearer, held to `scope` (a resolution the real minter made, or
/// none); what it saw, one answer per line.
fn send(world: &World, credential: &str, scope: Option<&Resolved>, lines: &[String]) -> String {
    let runtime = hostile();
    let request = MintRequest {
        bot: Some("send".into()),
        agent: Some(credential.into()),
        owner: Some(lines.join("\n")),
        repositories: scope.map(|r| r.repositories.clone()).unwrap_or_default(),
        permissions: scope.map(|r| r.permissions.clone()).unwrap_or_default(),
    };
    let resolved = runtime
        .resolve(&crate::egress::policy(), &request)
        .expect("the hostile resolve echoes");
    match runtime.mint(&settings(world), &resolved).result {
        Err(CallError::Failed(MintError::InvalidRequest(report))) => {
            report.trim_start_matches("send: ").to_string()
        }
        other => panic!("unexpected {other:?}"),
    }
}

/// An App JWT for `bot`, signed with its key in the world (by the minter's own signer).
fn app_jwt(world: &World, bot: &str) -> String {
    let bot = world.bot(bot);
    let key = raxx_minter::pem::parse_private_key(&bot.key.pkcs1_pem()).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    raxx_minter::jwt::sign(&key, &raxx_minter::jwt::Issuer::AppId(bot.app_id), now)
}

/// What the policy resolves for `agent` under `policy` (the real minter's resolve).
fn resolve(policy: &PolicyDocuments, agent: &str) -> Resolved {
    let request = MintRequest {
        bot: None,
        agent: Some(agent.into()),
        owner: None,
        repositories: vec![],
        permissions: vec![],
    };
    Runtime::load(&component_path(), &cache())
        .unwrap()
        .resolve(policy, &request)
        .unwrap()
}

fn access_tokens(world: &World, bot: &str, body: serde_json::Value) -> String {
    format!(
        "POST {}/app/installations/{}/access_tokens {body}",
        world.github_url(),
        world.bot(bot).installation_id
    )
}

#[test]
fn a_get_and_a_post_to_unlisted_paths_of_an_allowed_origin_are_denied() {
    let world = World::start_shared();
    let gh = world.github_url();
    // A real token of raxx-dev-bot (contents and issues write), and its App's JWT.
    let runtime = Runtime::load(&component_path(), &cache()).unwrap();
    let minted = runtime
        .mint(
            &settings(&world),
            &resolve(&crate::egress::policy(), "feature-developer"),
        )
        .result
        .expect("mint");
    let jwt = app_jwt(&world, "raxx-dev-bot");
    let installation = world.bot("raxx-dev-bot").installation_id;
    let before = world.github.requests().len();
    let with_token = [
        format!("GET {gh}/repos/raxx-app/TradeMasterAPI"),
        format!(
            r#"POST {gh}/repos/raxx-app/TradeMasterAPI/issues {{"title":"key","body":"-----BEGIN RSA PRIVATE KEY-----"}}"#
        ),
        format!("GET {gh}/installation/repositories"),
    ];
    assert_eq!(
        send(&world, &minted.token, None, &with_token),
        "denied; denied; denied",
        "a mint call reads no repositories list either"
    );
    let with_jwt = [
        format!("GET {gh}/app/hook/config"),
        format!("PUT {gh}/app/installations/{installation}/suspended"),
        format!("GET {gh}/app"),
    ];
    assert_eq!(
        send(&world, &jwt, None, &with_jwt),
        "denied; denied; denied",
        "verify's and the kill switch's requests are not a mint's"
    );
    assert_eq!(
        world.github.requests().len(),
        before,
        "nothing reached the fake GitHub"
    );
    assert!(world.github.issues().is_empty() && !world.github.is_suspended(installation));
}

#[test]
fn a_second_token_exchange_asking_more_than_the_resolution_is_denied() {
    let world = World::start_shared();
    // card-groomer: raxx-ops-bot, issues write and metadata read, on the installation's repositories.
    let scope = resolve(&crate::egress::policy(), "card-groomer");
    let jwt = app_jwt(&world, "raxx-ops-bot");
    let asked = |body: serde_json::Value| access_tokens(&world, "raxx-ops-bot", body);
    let lines = [
        asked(serde_json::json!({"permissions": {"issues": "write", "metadata": "read"}})),
        asked(
            serde_json::json!({"permissions": {"issues": "write", "metadata": "read", "security_events": "write"}}),
        ),
        asked(serde_json::json!({"permissions": {"issues": "admin"}})),
        asked(serde_json::json!({})),
        asked(serde_json::json!({"repositories": ["TradeMasterAPI"]})),
        asked(serde_json::json!({"permissions": {"issues": "read"}, "repository_ids": [1]})),
    ];
    let answers = send(&world, &jwt, Some(&scope), &lines);
    assert_eq!(
        answers, "status 201; denied; denied; denied; denied; denied",
        "within the scope, then wider five ways"
    );
    let asked: Vec<serde_json::Value> = world
        .github
        .token_requests()
        .into_iter()
        .map(|(_, body)| body)
        .collect();
    assert_eq!(
        asked,
        [serde_json::json!({"permissions": {"issues": "write", "metadata": "read"}})],
        "only the first reached GitHub"
    );
    assert_eq!(world.github.issued_tokens().len(), 1);
}

#[test]
fn a_token_exchange_for_a_repository_outside_the_resolution_is_denied() {
    let world = World::start_shared();
    let mut policy = crate::egress::policy();
    policy.policy = policy.policy.replace(
        "  card-groomer:\n    permissions:\n",
        "  card-groomer:\n    repositories: [TradeMasterAPI]\n    permissions:\n",
    );
    let scope = resolve(&policy, "card-groomer");
    assert_eq!(scope.repositories, ["TradeMasterAPI"]);
    let jwt = app_jwt(&world, "raxx-ops-bot");
    let permissions = serde_json::json!({"issues": "write"});
    let asked = |repositories: Option<&[&str]>| {
        let body = match repositories {
            Some(r) => serde_json::json!({"permissions": permissions, "repositories": r}),
            None => serde_json::json!({"permissions": permissions}),
        };
        access_tokens(&world, "raxx-ops-bot", body)
    };
    let lines = [
        asked(Some(&["TradeMasterAPI"])),
        asked(Some(&["raxx-docs"])),
        asked(Some(&["TradeMasterAPI", "raxx-docs"])),
        asked(None),
    ];
    assert_eq!(
        send(&world, &jwt, Some(&scope), &lines),
        "status 201; denied; denied; denied",
        "none = every repository of the installation"
    );
    assert_eq!(
        world.github.token_requests().len(),
        1,
        "only the first reached GitHub"
    );
}

#[test]
fn on_github_enterprise_requests_must_stay_under_the_api_path() {
    let world = World::start_shared();
    world.github.set_path_prefix("/api/v3");
    let gh = world.github_url();
    let mut env = world.env();
    env.iter_mut()
        .filter(|(k, _)| k == "GITHUB_API_URL")
        .for_each(|(_, v)| *v = format!("{gh}/api/v3"));
    let settings =
        raxx_host::Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let runtime = hostile();
    let fetch = |url: String| {
        let request = MintRequest {
            bot: Some("fetch".into()),
            agent: None,
            owner: Some(url),
            repositories: vec![],
            permissions: vec![],
        };
        let resolved = runtime.resolve(&crate::egress::policy(), &request).unwrap();
        match runtime.mint(&settings, &resolved).result {
            Err(CallError::Failed(MintError::InvalidRequest(report))) => report,
            other => panic!("unexpected {other:?}"),
        }
    };
    for outside in [
        format!("{gh}/app/installations"),
        format!("{gh}/api/v3/../app/installations"),
        format!("{gh}/api/v4/app/installations"),
    ] {
        assert_eq!(fetch(outside.clone()), "fetch: denied", "{outside}");
    }
    assert!(world.github.requests().is_empty());
    // The next page of the installations, under the base, is a listed request (the fake answers 403: no User-Agent).
    assert_eq!(
        fetch(format!("{gh}/api/v3/app/installations?per_page=100&page=2")),
        "fetch: status 403"
    );
}
