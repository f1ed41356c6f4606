//! The mint: vault → key → JWT → GitHub, with every input checked first.

use crate::error::{FailureKind, MintError, ServiceFailure};
use crate::github::{self, GithubSettings, Permission, Scope};
use crate::infisical::{self, VaultSettings};
use crate::jwt::{self, Issuer};
use crate::policy::{Documents, Policies, Resolution};
use crate::transport::Transport;

/// Everything the component is told about its surroundings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub vault: VaultSettings,
    pub github: GithubSettings,
}

/// What to mint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintRequest {
    pub bot: String,
    pub scope: Scope,
}

/// A minted token with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minted {
    pub bot: String,
    pub app_id: String,
    pub installation_id: String,
    pub issued: github::IssuedToken,
}

/// Bot names double as vault folder names: keep them to one plain path segment.
pub fn check_bot_name(bot: &str) -> Result<(), String> {
    let ok = !bot.is_empty()
        && bot.len() <= 100
        && bot.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && bot.as_bytes()[0].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(format!("invalid bot name {:?}: use letters, digits, '-', '_' or '.', e.g. raxx-dev-bot", crate::error::one_line(bot, 60)))
    }
}

/// Checks a permission request before it is sent (GitHub's own names are snake_case).
pub fn check_scope(scope: &Scope) -> Result<(), String> {
    for Permission { name, level } in &scope.permissions {
        if name.is_empty() || !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(format!("invalid permission name {name:?}: use GitHub's snake_case names, e.g. contents, pull_requests"));
        }
        if !matches!(level.as_str(), "read" | "write" | "admin") {
            return Err(format!("invalid level {level:?} for permission {name}: use read, write or admin"));
        }
    }
    if scope.repositories.len() > 500 {
        return Err("at most 500 repositories can be named in one token request".into());
    }
    for repo in &scope.repositories {
        let ok = !repo.is_empty() && repo.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !ok {
            return Err(format!("invalid repository name {:?}: give the name without the owner, e.g. Hello-World", crate::error::one_line(repo, 60)));
        }
    }
    Ok(())
}

fn check_url(service: &str, var: &str, url: &str) -> Result<(), ServiceFailure> {
    crate::url::split(url)
        .map(|_| ())
        .map_err(|e| ServiceFailure::new(FailureKind::Config, None, format!("{service} URL is unusable: {}; fix {var}", e.detail)))
}

/// A request before the policy has resolved it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRequest {
    pub bot: Option<String>,
    pub agent: Option<String>,
    pub narrow: Scope,
}

/// Checks the documents and resolves the request to a bot and exact scope.
pub fn resolve(docs: &Documents<'_>, request: &PolicyRequest) -> Result<(Policies, Resolution), MintError> {
    if let Some(bot) = &request.bot {
        check_bot_name(bot).map_err(MintError::InvalidRequest)?;
    }
    check_scope(&request.narrow).map_err(MintError::InvalidRequest)?;
    let policies = Policies::load(docs).map_err(MintError::Policy)?;
    let resolution = policies.resolve(request.bot.as_deref(), request.agent.as_deref(), &request.narrow).map_err(MintError::Policy)?;
    Ok((policies, resolution))
}

/// Resolves the request against the policy (before any network call), then mints.
pub fn mint_with_policy(
    t: &dyn Transport,
    settings: &Settings,
    docs: &Documents<'_>,
    request: &PolicyRequest,
    now: u64,
) -> Result<(Resolution, Minted), MintError> {
    let (_, resolution) = resolve(docs, request)?;
    let minted = mint(t, settings, &MintRequest { bot: resolution.bot.clone(), scope: resolution.scope.clone() }, now)?;
    Ok((resolution, minted))
}

/// Runs the whole mint for an already-resolved request. `now` is seconds since the Unix epoch.
pub fn mint(t: &dyn Transport, settings: &Settings, request: &MintRequest, now: u64) -> Result<Minted, MintError> {
    check_bot_name(&request.bot).map_err(MintError::InvalidRequest)?;
    check_scope(&request.scope).map_err(MintError::InvalidRequest)?;
    let vault = &settings.vault;
    check_url("Infisical", "INFISICAL_API_URL", &vault.api_url).map_err(MintError::Vault)?;
    check_url("GitHub", "GITHUB_API_URL", &settings.github.api_url).map_err(MintError::Github)?;

    let ua = &settings.github.user_agent;
    let access_token = infisical::login(t, vault, ua).map_err(MintError::Vault)?;
    let secrets = infisical::fetch_app_secrets(t, vault, ua, &access_token, &request.bot).map_err(MintError::Vault)?;
    let path = infisical::secret_path(&vault.path_prefix, &request.bot);

    let bad_secret = |msg: String| MintError::Vault(ServiceFailure::new(FailureKind::BadSecret, None, msg));
    let issuer = Issuer::parse(&secrets.app_id).ok_or_else(|| {
        bad_secret(format!("APP_ID at {path} is neither a numeric App ID nor a Client ID (Iv…); store the App ID from the App's settings page"))
    })?;
    let installation_id: u64 = secrets.installation_id.trim().parse().map_err(|_| {
        bad_secret(format!("INSTALLATION_ID at {path} is not a number; store the number from the installation's URL"))
    })?;
    let key = crate::pem::parse_private_key(&secrets.private_key_pem).map_err(|e| bad_secret(format!("{e} (at {path})")))?;
    let app_jwt = jwt::sign(&key, &issuer, now);
    drop(key);

    let issued = github::create_installation_token(t, &settings.github, &app_jwt, installation_id, &request.scope, &path)
        .map_err(MintError::Github)?;
    Ok(Minted {
        bot: request.bot.clone(),
        app_id: secrets.app_id.trim().to_string(),
        installation_id: installation_id.to_string(),
        issued,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Request, Response, TransportError, TransportErrorKind};
    use std::cell::RefCell;

    /// Answers requests in order from a script and records them.
    struct Script {
        answers: RefCell<Vec<Result<Response, TransportError>>>,
        seen: RefCell<Vec<Request>>,
    }

    impl Script {
        fn new(answers: Vec<Result<Response, TransportError>>) -> Self {
            Script { answers: RefCell::new(answers), seen: RefCell::new(Vec::new()) }
        }
    }

    impl Transport for Script {
        fn send(&self, request: &Request) -> Result<Response, TransportError> {
            self.seen.borrow_mut().push(request.clone());
            self.answers.borrow_mut().remove(0)
        }
    }

    fn ok(status: u16, body: serde_json::Value) -> Result<Response, TransportError> {
        Ok(Response { status, headers: vec![], body: body.to_string().into_bytes() })
    }

    fn settings() -> Settings {
        Settings {
            vault: VaultSettings {
                api_url: "http://127.0.0.1:1/api".into(),
                client_id: "cid".into(),
                client_secret: "csecret".into(),
                project_id: "proj".into(),
                environment: "prod".into(),
                path_prefix: "/MooseQuest/".into(),
            },
            github: GithubSettings { api_url: "http://127.0.0.1:2".into(), user_agent: "raxx-host/test".into() },
        }
    }

    fn secrets(app_id: &str, inst: &str, pem: &str) -> Result<Response, TransportError> {
        ok(200, serde_json::json!({"secrets": [
            {"secretKey": "APP_ID", "secretValue": app_id},
            {"secretKey": "INSTALLATION_ID", "secretValue": inst},
            {"secretKey": "PRIVATE_KEY_PEM", "secretValue": pem},
        ], "imports": []}))
    }

    fn pem() -> String {
        use rsa::pkcs1::EncodeRsaPrivateKey;
        crate::pem::tests::test_key().to_pkcs1_pem(rsa::pkcs1::LineEnding::LF).unwrap().to_string()
    }

    fn request() -> MintRequest {
        MintRequest { bot: "raxx-dev-bot".into(), scope: Scope::default() }
    }

    #[test]
    fn mints_in_three_requests_in_order() {
        let t = Script::new(vec![
            ok(200, serde_json::json!({"accessToken": "at", "expiresIn": 7200, "tokenType": "Bearer"})),
            secrets("42", "7", &pem()),
            ok(201, serde_json::json!({"token": "ghs_abc123", "expires_at": "2026-11-22T23:00:00Z"})),
        ]);
        let minted = mint(&t, &settings(), &request(), 1_700_000_000).unwrap();
        assert_eq!(minted.issued.token, "ghs_abc123");
        assert_eq!((minted.app_id.as_str(), minted.installation_id.as_str()), ("42", "7"));
        let seen = t.seen.borrow();
        assert_eq!(seen[0].url, "http://127.0.0.1:1/api/v1/auth/universal-auth/login");
        assert!(seen[1].url.contains("secretPath=%2FMooseQuest%2Fraxx-dev-bot"), "{}", seen[1].url);
        assert!(seen[1].headers.contains(&("authorization".into(), "Bearer at".into())));
        assert_eq!(seen[2].url, "http://127.0.0.1:2/app/installations/7/access_tokens");
        assert!(seen[2].headers.iter().any(|(n, v)| n == "user-agent" && v == "raxx-host/test"));
    }

    #[test]
    fn unusable_secrets_are_vault_failures_naming_the_path() {
        for (app, inst, key, needle) in [
            ("abc", "7", pem(), "APP_ID at /MooseQuest/raxx-dev-bot"),
            ("42", "seven", pem(), "INSTALLATION_ID at /MooseQuest/raxx-dev-bot"),
            ("42", "7", "-----BEGIN RSA PRIVATE KEY-----\nMIIE".to_string(), "truncated"),
        ] {
            let t = Script::new(vec![ok(200, serde_json::json!({"accessToken": "at"})), secrets(app, inst, &key)]);
            match mint(&t, &settings(), &request(), 0) {
                Err(MintError::Vault(f)) => {
                    assert_eq!(f.kind, FailureKind::BadSecret);
                    assert!(f.message.contains(needle), "{}", f.message);
                }
                other => panic!("expected a vault failure, got {other:?}"),
            }
        }
    }

    #[test]
    fn github_404_advises_updating_installation_id() {
        let t = Script::new(vec![
            ok(200, serde_json::json!({"accessToken": "at"})),
            secrets("42", "7", &pem()),
            ok(404, serde_json::json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"})),
        ]);
        match mint(&t, &settings(), &request(), 0) {
            Err(MintError::Github(f)) => {
                assert_eq!((f.kind, f.status), (FailureKind::NotFound, Some(404)));
                assert!(f.message.contains("update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn denied_egress_names_the_host() {
        let t = Script::new(vec![Err(TransportError::new(TransportErrorKind::Denied, "HttpRequestDenied"))]);
        match mint(&t, &settings(), &request(), 0) {
            Err(MintError::Vault(f)) => {
                assert_eq!(f.kind, FailureKind::Denied);
                assert!(f.message.contains("http://127.0.0.1:1"), "{}", f.message);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn invalid_requests_are_refused_before_any_network_call() {
        let t = Script::new(vec![]);
        for bot in ["../etc", "", "a/b", "-x"] {
            let r = MintRequest { bot: bot.into(), scope: Scope::default() };
            assert!(matches!(mint(&t, &settings(), &r, 0), Err(MintError::InvalidRequest(_))), "{bot}");
        }
        let bad_perm = MintRequest {
            bot: "b".into(),
            scope: Scope { repositories: vec![], permissions: vec![Permission { name: "contents".into(), level: "owner".into() }] },
        };
        assert!(matches!(mint(&t, &settings(), &bad_perm, 0), Err(MintError::InvalidRequest(_))));
        assert!(t.seen.borrow().is_empty());
    }
}
