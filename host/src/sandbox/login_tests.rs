//! The component's machine-identity logins end to end: the built component in
//! the sandbox, through the egress hook, against the fake Infisical that
//! verifies what it receives (the identity, the JWT's signature, expiry and
//! audience). How the host reads a method's settings is `config/`'s.

use crate::config::settings::Settings;
use crate::exit::Exit;
use crate::sandbox::bindings::exports::raxx::identity::types as wit;
use crate::sandbox::runtime::{default_component_path, CallError, Resolved, Runtime};
use raxx_fakes::jwt::FakeIssuer;
use raxx_fakes::World;
use std::sync::OnceLock;

const AUDIENCE: &str = "https://infisical.example";

/// One runtime and one issuer for the module (compiling the component and
/// making a 2048-bit key are the slow parts).
fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        let component =
            default_component_path().expect("the minter component is not built: run scripts/build");
        let cache = crate::sandbox::cache::Cache::in_dir(
            std::env::temp_dir().join(format!("raxx-lib-test-cache-{}", std::process::id())),
            &raxx_fakes::world::client_secret(),
        );
        Runtime::load(&component, &cache).unwrap()
    })
}

fn issuer() -> &'static FakeIssuer {
    static ISSUER: OnceLock<FakeIssuer> = OnceLock::new();
    ISSUER.get_or_init(|| FakeIssuer::new("https://issuer.example"))
}

/// The world's settings with `login` instead of its Universal Auth.
fn settings(world: &World, login: wit::InfisicalLogin) -> Settings {
    let env = world.env();
    let mut settings =
        Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap();
    let wit::VaultSettings::Infisical(vault) = &mut settings.wit.vault;
    vault.login = login;
    settings
}

fn login(method: &str, identity_id: &str, jwt: String) -> wit::InfisicalLogin {
    let identity = wit::IdentityJwt {
        identity_id: identity_id.into(),
        jwt,
    };
    match method {
        "kubernetes" => wit::InfisicalLogin::Kubernetes(identity),
        "oidc" => wit::InfisicalLogin::Oidc(identity),
        _ => wit::InfisicalLogin::Jwt(identity),
    }
}

fn resolved() -> Resolved {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../policies");
    let policy = crate::config::policy::PolicyFiles {
        agent_map: root.join("agent_bot_map.yaml"),
        policy: root.join("policy.yaml"),
    }
    .read()
    .unwrap();
    let request = wit::MintRequest {
        bot: Some("raxx-dev-bot".into()),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    };
    runtime().resolve(&policy, &request).unwrap()
}

#[test]
fn each_jwt_login_mints_against_the_fake_that_verifies_it() {
    let world = World::start_shared();
    let resolved = resolved();
    for method in ["kubernetes", "oidc", "jwt"] {
        let id = format!("identity-{method}");
        world
            .infisical
            .add_jwt_identity(&id, method, issuer().public(), AUDIENCE, None);
        let jwt = issuer().issue(AUDIENCE, "system:serviceaccount:agents:raxx", 300);
        let settings = settings(&world, login(method, &id, jwt.clone()));
        let token = runtime().mint(&settings, &resolved).result.unwrap();
        assert!(token.token.starts_with("ghs_"), "{method}");
        let sent = world.infisical.requests();
        let login = sent
            .iter()
            .find(|r| r.path == format!("/api/v1/auth/{method}-auth/login"))
            .unwrap_or_else(|| panic!("{method}: no login"));
        assert_eq!(
            login.json().unwrap(),
            serde_json::json!({"identityId": id, "jwt": jwt}),
            "{method}"
        );
        assert_eq!(login.header("authorization"), None, "{method}");
        assert_eq!(world.infisical.logins_by(method), 1, "{method}");
        let access = runtime().vault_login(&settings).unwrap();
        assert_eq!(access.expires_in, Some(7200), "{method}");
    }
    assert_eq!(world.infisical.logins_by("universal"), 0);
}

#[test]
fn a_refused_jwt_login_is_a_vault_failure_that_names_the_method_and_never_the_jwt() {
    let world = World::start_shared();
    let resolved = resolved();
    world
        .infisical
        .add_jwt_identity("identity-oidc", "oidc", issuer().public(), AUDIENCE, None);
    let cases = [
        (
            "identity-oidc",
            issuer().issue("sts.amazonaws.com", "repo:a/b", 300),
            "401 UnauthorizedError: Access denied: OIDC audience not allowed.",
        ),
        (
            "identity-unknown",
            issuer().issue(AUDIENCE, "repo:a/b", 300),
            "401 UnauthorizedError: Invalid credentials",
        ),
        (
            "identity-oidc",
            issuer().issue(AUDIENCE, "repo:a/b", -60),
            "401 UnauthorizedError: Access denied: jwt expired",
        ),
    ];
    for (id, jwt, said) in cases {
        let settings = settings(&world, login("oidc", id, jwt.clone()));
        let Err(e @ CallError::Failed(_)) = runtime().mint(&settings, &resolved).result else {
            panic!("{said}: refused")
        };
        assert_eq!(e.exit(), Exit::Vault, "{said}");
        let line = e.to_string();
        assert!(
            line.starts_with(
                "Infisical refused the machine identity's oidc login (INFISICAL_AUTH_METHOD=oidc; "
            ) && line.contains(said)
                && line.contains("check INFISICAL_MACHINE_IDENTITY_ID"),
            "{line}"
        );
        assert!(!line.contains(&jwt) && !line.contains('\n'), "{line}");
        assert!(
            matches!(runtime().vault_login(&settings), Err(CallError::Failed(_))),
            "{said}: vault-login refused too"
        );
    }
    assert_eq!(world.infisical.secret_reads(), 0);
    assert!(world.github.requests().is_empty());
}
