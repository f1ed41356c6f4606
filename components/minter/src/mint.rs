//! The mint: vault → key → JWT → GitHub, with every input checked first; and
//! the checks built on the same steps (verify, the bot's commit identity).

use crate::drift::{self, Drift};
use crate::error::{FailureKind, MintError, ServiceFailure};
use crate::github::{self, GithubSettings, IssuedToken, Permission, Scope};
use crate::jwt::{self, AppKey, Issuer};
use crate::names::{check_bot_name, is_name, is_repository, one_line};
use crate::policy::Resolution;
use crate::transport::Transport;
use crate::url::check_base;
use crate::vault::VaultSettings;

/// Everything the component is told about its surroundings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub vault: VaultSettings,
    pub github: GithubSettings,
}

/// Where to look the installation up when INSTALLATION_ID is absent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Locate {
    pub owner: Option<String>,
    /// A repository of the owner (`--repo OWNER/REPO`).
    pub repository: Option<String>,
}

/// What to mint, after the policy resolved it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MintRequest {
    pub bot: String,
    pub scope: Scope,
    pub locate: Locate,
}

/// A minted token with where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Minted {
    pub bot: String,
    /// The App as the vault names it (APP_ID: its id or its Client ID).
    pub app: Issuer,
    pub installation_id: u64,
    pub issued: IssuedToken,
}

/// Checks a permission request before it is sent: GitHub's App permissions and their levels.
pub fn check_scope(scope: &Scope) -> Result<(), String> {
    for Permission { name, level } in &scope.permissions {
        crate::permissions::check_name(name).map_err(|why| format!("invalid permission: {why}"))?;
        crate::permissions::check_level(name, level)
            .map_err(|why| format!("invalid permission {name}={level}: {why}"))?;
    }
    if scope.repositories.len() > 500 {
        return Err("at most 500 repositories can be named in one token request".into());
    }
    for repo in &scope.repositories {
        if !is_repository(repo) {
            return Err(format!(
                "invalid repository name {:?}: give NAME or OWNER/NAME, e.g. Hello-World",
                one_line(repo, 60)
            ));
        }
    }
    Ok(())
}

/// Splits `OWNER/NAME` repositories into names plus where to find the
/// installation; all owners named must agree.
pub fn split_repositories(
    repositories: &[String],
    owner: Option<&str>,
) -> Result<(Vec<String>, Locate), String> {
    let mut locate = Locate {
        owner: owner.map(str::to_string),
        repository: None,
    };
    let mut names = Vec::new();
    for repo in repositories {
        match repo.split_once('/') {
            Some((o, name)) => {
                if !is_name(o) || !is_repository(name) {
                    return Err(format!(
                        "invalid repository {:?}: give NAME or OWNER/NAME",
                        one_line(repo, 60)
                    ));
                }
                if locate
                    .owner
                    .as_deref()
                    .is_some_and(|known| !known.eq_ignore_ascii_case(o))
                {
                    return Err(format!("repository {repo} is not under owner {}: one token covers one installation", locate.owner.as_deref().unwrap_or("")));
                }
                locate.owner = Some(o.to_string());
                locate.repository.get_or_insert_with(|| name.to_string());
                names.push(name.to_string());
            }
            None => names.push(repo.clone()),
        }
    }
    if let Some(o) = &locate.owner {
        if !is_name(o) {
            return Err(format!(
                "invalid owner {:?}: give the organization or user login",
                one_line(o, 60)
            ));
        }
    }
    Ok((names, locate))
}

/// Logs the vault's machine identity in once, for a caller that keeps the
/// access token between calls (`vault-login`). Reads no secret; with an
/// `access-token` login nothing is sent.
pub fn vault_login(
    t: &dyn Transport,
    settings: &Settings,
) -> Result<crate::vault::VaultAccess, MintError> {
    let vault = settings.vault.store();
    vault.check().map_err(MintError::Vault)?;
    vault
        .login(t, &settings.github.user_agent)
        .map_err(MintError::Vault)
}

/// A request before the policy has resolved it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PolicyRequest {
    pub bot: Option<String>,
    pub agent: Option<String>,
    pub owner: Option<String>,
    pub narrow: Scope,
}

/// A bot's App as the vault describes it, ready to sign as.
pub struct App {
    pub bot: String,
    /// The vault folder, for advice in messages.
    pub path: String,
    pub app_id: String,
    pub issuer: Issuer,
    pub installation_id: Option<u64>,
    key: AppKey,
}

impl App {
    /// Pulls the bot's secrets live and checks them. Nothing is kept after the call.
    pub fn load(t: &dyn Transport, settings: &Settings, bot: &str) -> Result<App, MintError> {
        check_bot_name(bot).map_err(MintError::InvalidRequest)?;
        let vault = settings.vault.store();
        vault.check().map_err(MintError::Vault)?;
        check_base("GitHub", "GITHUB_API_URL", &settings.github.api_url)
            .map_err(MintError::Github)?;
        let secrets = vault
            .fetch_app_secrets(t, &settings.github.user_agent, bot)
            .map_err(MintError::Vault)?;
        let path = vault.location(bot);
        let bad_secret =
            |msg: String| MintError::Vault(ServiceFailure::new(FailureKind::BadSecret, None, msg));
        let issuer = Issuer::parse(&secrets.app_id).ok_or_else(|| {
            bad_secret(format!("APP_ID at {path} is neither a numeric App ID nor a Client ID (Iv…); store the App ID from the App's settings page"))
        })?;
        let installation_id = match &secrets.installation_id {
            Some(id) => Some(id.trim().parse::<u64>().map_err(|_| {
                bad_secret(format!("INSTALLATION_ID at {path} is not a number; store the number from the installation's URL"))
            })?),
            None => None,
        };
        let key = crate::pem::parse_private_key(&secrets.private_key_pem)
            .map_err(|e| bad_secret(format!("{e} (at {path})")))?;
        Ok(App {
            bot: bot.to_string(),
            path,
            app_id: secrets.app_id.trim().to_string(),
            issuer,
            installation_id,
            key,
        })
    }

    /// A fresh App JWT for `now`.
    pub fn jwt(&self, now: u64) -> String {
        jwt::sign(&self.key, &self.issuer, now)
    }

    /// Exchanges the JWT; when GitHub rejects its `iat`/`exp` (this machine's
    /// clock is off), signs again once on GitHub's clock from the `Date` header.
    pub fn issue_with_clock_recovery(
        &self,
        t: &dyn Transport,
        gh: &GithubSettings,
        jwt: &str,
        installation_id: u64,
        scope: &Scope,
        locate: &Locate,
    ) -> Result<IssuedToken, MintError> {
        match self.issue(t, gh, jwt, installation_id, scope, locate) {
            Err(MintError::Github(f))
                if f.status == Some(401)
                    && (f.message.contains("'iat'") || f.message.contains("'exp'")) =>
            {
                match f.server_time {
                    Some(server_now) => {
                        self.issue(t, gh, &self.jwt(server_now), installation_id, scope, locate)
                    }
                    None => Err(MintError::Github(f)),
                }
            }
            other => other,
        }
    }

    /// INSTALLATION_ID from the vault, or looked up on the owner/repository named.
    pub fn installation(
        &self,
        t: &dyn Transport,
        gh: &GithubSettings,
        jwt: &str,
        locate: &Locate,
    ) -> Result<u64, MintError> {
        if let Some(id) = self.installation_id {
            return Ok(id);
        }
        match &locate.owner {
            Some(owner) => github::find_installation(t, gh, jwt, owner, locate.repository.as_deref()).map_err(MintError::Github),
            None => Err(MintError::Vault(ServiceFailure::new(
                FailureKind::BadSecret,
                None,
                format!("Infisical folder {} lacks INSTALLATION_ID; add it there, or pass --owner ORG or --repo OWNER/REPO to look the installation up", self.path),
            ))),
        }
    }

    /// Where this App lives, for advice in errors.
    pub fn origin(&self) -> github::Origin<'_> {
        github::Origin {
            bot: &self.bot,
            vault_path: &self.path,
        }
    }

    /// Exchanges the JWT for an installation token. A 404 is diagnosed: which
    /// installations the App has now (on the owner `locate` names, if any),
    /// and what to update.
    pub fn issue(
        &self,
        t: &dyn Transport,
        gh: &GithubSettings,
        jwt: &str,
        installation_id: u64,
        scope: &Scope,
        locate: &Locate,
    ) -> Result<IssuedToken, MintError> {
        let issued =
            github::create_installation_token(t, gh, jwt, installation_id, scope, self.origin())
                .map_err(|mut f| {
                    if f.status == Some(404) {
                        f.message.push_str(&diagnose_missing_installation(
                            t,
                            gh,
                            jwt,
                            installation_id,
                            &self.path,
                            locate.owner.as_deref(),
                        ));
                    }
                    MintError::Github(f)
                })?;
        if !github::is_installation_token(&issued.token) {
            return Err(MintError::Github(ServiceFailure::new(
                FailureKind::Protocol,
                Some(201),
                "GitHub's access_tokens answer holds a token that is not an installation token (expected ghs_); check GITHUB_API_URL",
            )));
        }
        Ok(issued)
    }
}

/// Installations a diagnosis names at most before it asks for `--owner`.
const NAMED_INSTALLATIONS: usize = 5;

/// "; the App is installed on: acme (66000001) — update INSTALLATION_ID …".
/// Reads every page of the App's installations; with an `owner` named
/// (`--owner`, `--repo OWNER/NAME`) it picks that owner's.
fn diagnose_missing_installation(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    stale: u64,
    path: &str,
    owner: Option<&str>,
) -> String {
    let update =
        |id: u64| format!("update INSTALLATION_ID in Infisical at {path}/ from {stale} to {id}");
    match github::list_installations(t, gh, jwt) {
        Ok(list) if list.is_empty() => format!("; the App has no installations now: install it on your organization, then store its id as INSTALLATION_ID at {path}/"),
        Ok(list) if owner.is_some() => {
            let owner = owner.unwrap_or_default();
            match list.iter().find(|i| i.account.eq_ignore_ascii_case(owner)) {
                Some(i) => format!("; the App is installed on {} as {} — {}", i.account, i.id, update(i.id)),
                None => format!("; none of the App's {} installations is on {owner}: install it there, then store its id as INSTALLATION_ID at {path}/", list.len()),
            }
        }
        Ok(list) if list.len() > NAMED_INSTALLATIONS => {
            let first: Vec<String> = list.iter().take(NAMED_INSTALLATIONS).map(|i| format!("{} ({})", i.account, i.id)).collect();
            format!(
                "; the App is installed on {} accounts ({}, …) — pass --owner ORG (or --repo OWNER/NAME) to find yours, then update INSTALLATION_ID in Infisical at {path}/",
                list.len(),
                first.join(", ")
            )
        }
        Ok(list) => {
            let found: Vec<String> = list.iter().map(|i| format!("{} ({})", i.account, i.id)).collect();
            let advice = match list.as_slice() {
                [only] => update(only.id),
                _ => format!("update INSTALLATION_ID in Infisical at {path}/ to the one for your organization"),
            };
            format!("; the App is installed on: {} — {advice}", found.join(", "))
        }
        Err(_) => String::new(),
    }
}

/// Runs the whole mint for an already-resolved request. `now` is seconds since the Unix epoch.
pub fn mint(
    t: &dyn Transport,
    settings: &Settings,
    request: &MintRequest,
    now: u64,
) -> Result<Minted, MintError> {
    check_scope(&request.scope).map_err(MintError::InvalidRequest)?;
    let app = App::load(t, settings, &request.bot)?;
    let jwt = app.jwt(now);
    let installation_id = app.installation(t, &settings.github, &jwt, &request.locate)?;
    let issued = app.issue_with_clock_recovery(
        t,
        &settings.github,
        &jwt,
        installation_id,
        &request.scope,
        &request.locate,
    )?;
    Ok(Minted {
        bot: request.bot.clone(),
        app: app.issuer.clone(),
        installation_id,
        issued,
    })
}

/// The smoke test of one bot: what `raxx-host verify` prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verification {
    pub bot: String,
    pub app_slug: String,
    pub app_id: u64,
    /// `None` when the installation could not be read.
    pub installation_id: Option<u64>,
    pub repository_count: u64,
    pub repositories: Vec<String>,
    /// `None` when no test token was minted.
    pub expires_at: Option<String>,
    /// Empty when everything matched.
    pub problems: Vec<String>,
    /// The installation's granted permissions (empty when GitHub did not say).
    pub granted: Vec<Permission>,
    /// Set while the installation is suspended: since when, by whom.
    pub suspended_at: Option<String>,
    pub suspended_by: Option<String>,
    pub drift: Drift,
}

/// Checks that the App's slug is the bot's name (secrets stored under the
/// wrong bot), reads the installation (suspended? permission drift against
/// each of the bot's `users`), then mints for the bot and checks the
/// token kind and what it can reach. The token is revoked afterwards. No mint
/// is tried where one would fail (suspended, or the bot's own entry asks a
/// permission not granted): the row says why.
pub fn verify(
    t: &dyn Transport,
    settings: &Settings,
    users: &[drift::User],
    resolution: &Resolution,
    now: u64,
) -> Result<Verification, MintError> {
    let gh = &settings.github;
    let app = App::load(t, settings, &resolution.bot)?;
    let jwt = app.jwt(now);
    let info = github::get_app(t, gh, &jwt).map_err(MintError::Github)?;
    let mut problems = Vec::new();
    if info.slug != resolution.bot {
        problems.push(format!(
            "the App's slug is '{}', not '{}': the secrets at {} belong to another App",
            info.slug, resolution.bot, app.path
        ));
    }
    if matches!(app.issuer, Issuer::AppId(id) if id != info.id) {
        problems.push(format!(
            "APP_ID at {} is {}, but the key signs for App {}",
            app.path, app.app_id, info.id
        ));
    }
    let mut v = Verification {
        bot: resolution.bot.clone(),
        app_slug: info.slug,
        app_id: info.id,
        installation_id: None,
        repository_count: 0,
        repositories: Vec::new(),
        expires_at: None,
        problems,
        granted: Vec::new(),
        suspended_at: None,
        suspended_by: None,
        drift: Drift::default(),
    };
    // With another App's secrets in the folder the mint may fail too; the mismatch is the cause to report.
    let reported = |mut v: Verification, e: MintError| {
        if v.problems.is_empty() {
            return Err(e);
        }
        v.problems.push(format!("and the mint failed: {e}"));
        Ok(v)
    };
    let installation_id = match app.installation(t, gh, &jwt, &Locate::default()) {
        Ok(id) => id,
        Err(e) => return reported(v, e),
    };
    // Unreadable (a 404 among them): the mint below meets the same cause and diagnoses it.
    if let Ok(state) = github::get_installation(t, gh, &jwt, installation_id) {
        v.installation_id = Some(installation_id);
        v.drift = drift::drift(users, &state.permissions);
        (v.granted, v.suspended_at, v.suspended_by) =
            (state.permissions, state.suspended_at, state.suspended_by);
    }
    if v.suspended_at.is_some() || v.drift.missing.iter().any(|m| m.agent.is_none()) {
        return Ok(v);
    }
    let issued = match app.issue_with_clock_recovery(
        t,
        gh,
        &jwt,
        installation_id,
        &resolution.scope,
        &Locate::default(),
    ) {
        Ok(issued) => issued,
        Err(e) => return reported(v, e),
    };
    let repos = github::installation_repositories(t, gh, &issued.token);
    let _ = github::revoke_installation_token(t, gh, &issued.token);
    let (repository_count, repositories) = repos.map_err(MintError::Github)?;
    v.installation_id = Some(installation_id);
    v.repository_count = repository_count;
    v.repositories = repositories;
    v.expires_at = Some(issued.expires_at);
    Ok(v)
}

/// What `set_suspended` did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suspension {
    pub bot: String,
    pub app: Issuer,
    pub installation_id: u64,
    pub suspended: bool,
}

/// The kill switch: suspends (or unsuspends) the bot's installation with its
/// App JWT, from the bot's live credentials.
pub fn set_suspended(
    t: &dyn Transport,
    settings: &Settings,
    resolution: &Resolution,
    suspended: bool,
    now: u64,
) -> Result<Suspension, MintError> {
    let gh = &settings.github;
    let app = App::load(t, settings, &resolution.bot)?;
    let jwt = app.jwt(now);
    let installation_id = app.installation(t, gh, &jwt, &Locate::default())?;
    github::set_suspended(t, gh, &jwt, installation_id, suspended, app.origin())
        .map_err(MintError::Github)?;
    Ok(Suspension {
        bot: app.bot.clone(),
        app: app.issuer.clone(),
        installation_id,
        suspended,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_transport::{ok, Script};
    use crate::transport::{Response, TransportError, TransportErrorKind};
    use crate::vault::infisical::{InfisicalSettings, Login, UniversalAuth};

    fn settings() -> Settings {
        Settings {
            vault: VaultSettings::Infisical(InfisicalSettings {
                api_url: "http://127.0.0.1:1/api".into(),
                project_id: "proj".into(),
                environment: "prod".into(),
                path_prefix: "/MooseQuest/".into(),
                login: Login::UniversalAuth(UniversalAuth {
                    client_id: "cid".into(),
                    client_secret: "csecret".into(),
                }),
            }),
            github: GithubSettings {
                api_url: "http://127.0.0.1:2".into(),
                user_agent: "raxx-host/test".into(),
            },
        }
    }

    fn secrets(app_id: &str, inst: &str, pem: &str) -> Result<Response, TransportError> {
        ok(
            200,
            serde_json::json!({"secrets": [
            {"secretKey": "APP_ID", "secretValue": app_id},
            {"secretKey": "INSTALLATION_ID", "secretValue": inst},
            {"secretKey": "PRIVATE_KEY_PEM", "secretValue": pem},
        ], "imports": []}),
        )
    }

    fn pem() -> String {
        crate::test_vectors::app_key().pkcs1.to_string()
    }

    fn request() -> MintRequest {
        MintRequest {
            bot: "raxx-dev-bot".into(),
            scope: Scope::default(),
            locate: Locate::default(),
        }
    }

    #[test]
    fn mints_in_three_requests_in_order() {
        let t = Script::new(vec![
            ok(
                200,
                serde_json::json!({"accessToken": "at", "expiresIn": 7200, "tokenType": "Bearer"}),
            ),
            secrets("42", "7", &pem()),
            ok(
                201,
                serde_json::json!({"token": "ghs_abc123", "expires_at": "2026-11-22T23:00:00Z"}),
            ),
        ]);
        let minted = mint(&t, &settings(), &request(), 1_700_000_000).unwrap();
        assert_eq!(minted.issued.token, "ghs_abc123");
        assert_eq!((minted.app, minted.installation_id), (Issuer::AppId(42), 7));
        let seen = t.seen.borrow();
        assert_eq!(
            seen[0].url,
            "http://127.0.0.1:1/api/v1/auth/universal-auth/login"
        );
        assert!(
            seen[1]
                .url
                .contains("secretPath=%2FMooseQuest%2Fraxx-dev-bot"),
            "{}",
            seen[1].url
        );
        assert!(seen[1]
            .headers
            .contains(&("authorization".into(), "Bearer at".into())));
        assert_eq!(
            seen[2].url,
            "http://127.0.0.1:2/app/installations/7/access_tokens"
        );
        assert!(seen[2]
            .headers
            .iter()
            .any(|(n, v)| n == "user-agent" && v == "raxx-host/test"));
    }

    #[test]
    fn unusable_secrets_are_vault_failures_naming_the_path() {
        for (app, inst, key, needle) in [
            ("abc", "7", pem(), "APP_ID at /MooseQuest/raxx-dev-bot"),
            (
                "42",
                "seven",
                pem(),
                "INSTALLATION_ID at /MooseQuest/raxx-dev-bot",
            ),
            (
                "42",
                "7",
                "-----BEGIN RSA PRIVATE KEY-----\nMIIE".to_string(),
                "truncated",
            ),
        ] {
            let t = Script::new(vec![
                ok(200, serde_json::json!({"accessToken": "at"})),
                secrets(app, inst, &key),
            ]);
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
            ok(
                404,
                serde_json::json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest"}),
            ),
            ok(
                200,
                serde_json::json!([{"id": 66, "account": {"login": "raxx-new"}}]),
            ),
        ]);
        match mint(&t, &settings(), &request(), 0) {
            Err(MintError::Github(f)) => {
                assert_eq!((f.kind, f.status), (FailureKind::NotFound, Some(404)));
                assert!(
                    f.message.contains(
                        "update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/"
                    ),
                    "{}",
                    f.message
                );
                assert!(
                    f.message.contains("installed on: raxx-new (66)")
                        && f.message.contains("from 7 to 66"),
                    "{}",
                    f.message
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_404_diagnosis_picks_the_named_owner_and_otherwise_asks_for_it() {
        let many: Vec<serde_json::Value> = (1..=8)
            .map(|i| serde_json::json!({"id": 60 + i, "account": {"login": format!("org-{i}")}}))
            .collect();
        let run = |locate: Locate| {
            let t = Script::new(vec![
                ok(200, serde_json::json!({"accessToken": "at"})),
                secrets("42", "7", &pem()),
                ok(404, serde_json::json!({"message": "Not Found"})),
                ok(200, serde_json::Value::from(many.clone())),
            ]);
            match mint(
                &t,
                &settings(),
                &MintRequest {
                    locate,
                    ..request()
                },
                0,
            ) {
                Err(MintError::Github(f)) => f.message,
                other => panic!("{other:?}"),
            }
        };
        let named = run(Locate {
            owner: Some("ORG-6".into()),
            repository: None,
        });
        assert!(named.ends_with("; the App is installed on org-6 as 66 — update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/ from 7 to 66"), "{named}");
        let elsewhere = run(Locate {
            owner: Some("acme".into()),
            repository: None,
        });
        assert!(
            elsewhere.contains("none of the App's 8 installations is on acme: install it there"),
            "{elsewhere}"
        );
        let unnamed = run(Locate::default());
        assert!(unnamed.contains("installed on 8 accounts (org-1 (61), org-2 (62), org-3 (63), org-4 (64), org-5 (65), …) — pass --owner ORG"), "{unnamed}");
    }

    fn policies() -> crate::policy::Policies {
        let docs = crate::policy::Documents {
            agent_map: "agents:\n  feature-developer: raxx-dev-bot\n",
            agent_map_name: "map.yaml",
            policy: "version: 1\nbots:\n  raxx-dev-bot:\n    permissions:\n      contents: write\n      metadata: read\n",
            policy_name: "policy.yaml",
        };
        crate::policy::Policies::load(&docs).unwrap()
    }

    fn verify_with(
        installation: serde_json::Value,
        then: Vec<Result<Response, TransportError>>,
    ) -> (Result<Verification, MintError>, Vec<String>) {
        let mut answers = vec![
            ok(200, serde_json::json!({"accessToken": "at"})),
            secrets("42", "7", &pem()),
            ok(200, serde_json::json!({"id": 42, "slug": "raxx-dev-bot"})),
            ok(200, installation),
        ];
        answers.extend(then);
        let t = Script::new(answers);
        let p = policies();
        let resolution = p
            .resolve(Some("raxx-dev-bot"), None, &Scope::default())
            .unwrap();
        let v = verify(
            &t,
            &settings(),
            &drift::users(&p, "raxx-dev-bot"),
            &resolution,
            0,
        );
        let urls = t
            .seen
            .borrow()
            .iter()
            .map(|q| format!("{} {}", q.method.as_str(), q.url))
            .collect();
        (v, urls)
    }

    #[test]
    fn verify_mints_nothing_for_a_suspended_installation_or_a_missing_permission() {
        let suspended = serde_json::json!({"id": 7, "permissions": {"contents": "write", "metadata": "read"}, "suspended_at": "2026-11-30T10:00:00Z", "suspended_by": {"login": "raxx-dev-bot[bot]"}});
        let (v, urls) = verify_with(suspended, vec![]);
        let v = v.unwrap();
        assert_eq!(
            (
                v.suspended_at.as_deref(),
                v.suspended_by.as_deref(),
                v.installation_id
            ),
            (
                Some("2026-11-30T10:00:00Z"),
                Some("raxx-dev-bot[bot]"),
                Some(7)
            )
        );
        assert_eq!(
            urls.last().unwrap(),
            "GET http://127.0.0.1:2/app/installations/7",
            "no access_tokens request"
        );
        let lacking = serde_json::json!({"id": 7, "permissions": {"contents": "read", "metadata": "read"}, "suspended_at": null});
        let (v, urls) = verify_with(lacking, vec![]);
        let v = v.unwrap();
        assert_eq!(
            v.drift.missing.len(),
            2,
            "the bot's entry and feature-developer: {:?}",
            v.drift
        );
        assert_eq!(
            v.drift.missing[0].gaps[0],
            drift::Gap {
                name: "contents".into(),
                asked: Some("write".into()),
                granted: Some("read".into())
            }
        );
        assert_eq!(urls.len(), 4, "{urls:?}");
    }

    #[test]
    fn verify_reports_excess_and_still_mints() {
        let wide = serde_json::json!({"id": 7, "permissions": {"contents": "write", "metadata": "read", "administration": "write"}});
        let (v, urls) = verify_with(
            wide,
            vec![
                ok(
                    201,
                    serde_json::json!({"token": "ghs_abc123", "expires_at": "2026-11-30T11:00:00Z", "permissions": {"contents": "write", "metadata": "read"}}),
                ),
                ok(
                    200,
                    serde_json::json!({"total_count": 1, "repositories": [{"name": "app"}]}),
                ),
                Ok(Response {
                    status: 204,
                    headers: vec![],
                    body: vec![],
                }),
            ],
        );
        let v = v.unwrap();
        assert_eq!(
            v.drift.excess,
            vec![drift::Gap {
                name: "administration".into(),
                asked: None,
                granted: Some("write".into())
            }]
        );
        assert!(v.drift.missing.is_empty() && v.problems.is_empty());
        assert_eq!(
            (v.repository_count, v.expires_at.as_deref()),
            (1, Some("2026-11-30T11:00:00Z"))
        );
        assert!(
            urls[4].ends_with("/app/installations/7/access_tokens")
                && urls[6].starts_with("DELETE "),
            "{urls:?}"
        );
    }

    #[test]
    fn repositories_with_owners_locate_the_installation() {
        let (names, locate) =
            split_repositories(&["raxx-app/TradeMasterAPI".into(), "docs".into()], None).unwrap();
        assert_eq!(
            names,
            vec!["TradeMasterAPI".to_string(), "docs".to_string()]
        );
        assert_eq!(
            locate,
            Locate {
                owner: Some("raxx-app".into()),
                repository: Some("TradeMasterAPI".into())
            }
        );
        assert!(
            split_repositories(&["a/x".into(), "b/y".into()], None).is_err(),
            "two owners"
        );
        assert!(
            split_repositories(&["a/x".into()], Some("b")).is_err(),
            "owner disagrees"
        );
        assert!(split_repositories(&["a/b/c".into()], None).is_err());
        assert!(
            split_repositories(&["acme/..".into()], None).is_err(),
            "a dot segment is no repository"
        );
        assert!(
            split_repositories(&["../x".into()], None).is_err(),
            "nor an owner"
        );
        assert_eq!(
            split_repositories(&["acme/.github".into()], None)
                .unwrap()
                .0,
            vec![".github".to_string()]
        );
        assert!(check_scope(&Scope {
            repositories: vec!["..".into()],
            permissions: vec![]
        })
        .is_err());
    }

    #[test]
    fn a_missing_installation_id_is_looked_up_on_the_owner() {
        let no_installation = ok(
            200,
            serde_json::json!({"secrets": [
                {"secretKey": "APP_ID", "secretValue": "42"},
                {"secretKey": "PRIVATE_KEY_PEM", "secretValue": pem()},
            ]}),
        );
        let t = Script::new(vec![
            ok(200, serde_json::json!({"accessToken": "at"})),
            no_installation.clone(),
            ok(404, serde_json::json!({"message": "Not Found"})),
            ok(200, serde_json::json!({"id": 77})),
            ok(
                201,
                serde_json::json!({"token": "ghs_abc123", "expires_at": "x"}),
            ),
        ]);
        let r = MintRequest {
            bot: "raxx-dev-bot".into(),
            scope: Scope::default(),
            locate: Locate {
                owner: Some("someone".into()),
                repository: None,
            },
        };
        assert_eq!(mint(&t, &settings(), &r, 0).unwrap().installation_id, 77);
        let urls: Vec<String> = t.seen.borrow().iter().map(|q| q.url.clone()).collect();
        assert!(
            urls[2].ends_with("/orgs/someone/installation")
                && urls[3].ends_with("/users/someone/installation"),
            "{urls:?}"
        );
        let t = Script::new(vec![
            ok(200, serde_json::json!({"accessToken": "at"})),
            no_installation,
        ]);
        match mint(&t, &settings(), &request(), 0) {
            Err(MintError::Vault(f)) => assert!(
                f.message.contains("pass --owner ORG or --repo OWNER/REPO"),
                "{}",
                f.message
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn denied_egress_names_the_host() {
        let t = Script::new(vec![Err(TransportError::new(
            TransportErrorKind::Denied,
            "HttpRequestDenied",
        ))]);
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
            let r = MintRequest {
                bot: bot.into(),
                scope: Scope::default(),
                locate: Locate::default(),
            };
            assert!(
                matches!(
                    mint(&t, &settings(), &r, 0),
                    Err(MintError::InvalidRequest(_))
                ),
                "{bot}"
            );
        }
        let bad_perm = MintRequest {
            bot: "b".into(),
            scope: Scope {
                repositories: vec![],
                permissions: vec![Permission {
                    name: "contents".into(),
                    level: "owner".into(),
                }],
            },
            locate: Locate::default(),
        };
        assert!(matches!(
            mint(&t, &settings(), &bad_perm, 0),
            Err(MintError::InvalidRequest(_))
        ));
        for (name, level, why) in [
            ("pull_request", "write", "did you mean 'pull_requests'?"),
            ("workflows", "read", "it takes write"),
        ] {
            let r = MintRequest {
                scope: Scope {
                    repositories: vec![],
                    permissions: vec![Permission {
                        name: name.into(),
                        level: level.into(),
                    }],
                },
                ..request()
            };
            match mint(&t, &settings(), &r, 0) {
                Err(MintError::InvalidRequest(m)) => assert!(m.contains(why), "{m}"),
                other => panic!("{other:?}"),
            }
        }
        assert!(t.seen.borrow().is_empty());
    }
}
