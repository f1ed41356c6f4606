//! Settings from the environment, with the names users already have
//! (Infisical's CLI, GitHub's Actions), validated before anything runs.

use crate::config::login_source::JwtSource;
use crate::sandbox::bindings::exports::raxx::identity::types as wit;
use crate::sandbox::reach::Allowlist;
use raxx_core::settings::{self as core, CredentialSource, InfisicalLogin, VaultSettings};
use std::borrow::Cow;

/// The reading itself is the host core's (`crates/core/src/settings`), which
/// the Node host runs too.
pub use raxx_core::settings::{
    ConfigError, LoginMethod, Side, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FIRST_BYTE_TIMEOUT_MS,
    VAULT_CREDENTIAL_VARS,
};

/// Everything the host needs to run a mint.
#[derive(Clone)]
pub struct Settings {
    /// The component's settings. With a JWT login (kubernetes, oidc, jwt) the
    /// login's `jwt` is empty here: the token is read where the settings say
    /// at each login, into the copy [`Settings::for_login`] gives.
    pub wit: wit::Settings,
    pub allowlist: Allowlist,
    /// Where a JWT login's token comes from; none for universal and token.
    pub(crate) jwt_source: Option<JwtSource>,
}

impl Drop for Settings {
    // The machine identity's secret does not outlive the settings.
    fn drop(&mut self) {
        let wit::VaultSettings::Infisical(infisical) = &mut self.wit.vault;
        match &mut infisical.login {
            wit::InfisicalLogin::UniversalAuth(identity) => {
                zeroize::Zeroize::zeroize(&mut identity.client_secret)
            }
            wit::InfisicalLogin::Kubernetes(identity)
            | wit::InfisicalLogin::Oidc(identity)
            | wit::InfisicalLogin::Jwt(identity) => zeroize::Zeroize::zeroize(&mut identity.jwt),
            wit::InfisicalLogin::AccessToken(token) => zeroize::Zeroize::zeroize(token),
        }
    }
}

impl std::fmt::Debug for Settings {
    // Never print the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let wit::VaultSettings::Infisical(infisical) = &self.wit.vault;
        f.debug_struct("Settings")
            .field("infisical", &infisical.api_url)
            .field("github", &self.wit.github.api_url)
            .field("login", &self.login_method())
            .finish_non_exhaustive()
    }
}

/// The component's WIT settings from the core's: the one place the two meet
/// (one arm per store and login method, as `wit/identity.wit` has them). A
/// JWT login's token is not known yet: its `jwt` is left empty.
fn to_wit(settings: &core::Settings) -> wit::Settings {
    let identity = |login: &core::IdentityJwt| wit::IdentityJwt {
        identity_id: login.identity_id.clone(),
        jwt: String::new(),
    };
    let vault = match &settings.vault {
        VaultSettings::Infisical(vault) => wit::VaultSettings::Infisical(wit::InfisicalSettings {
            api_url: vault.api_url.clone(),
            project_id: vault.project_id.clone(),
            environment: vault.environment.clone(),
            path_prefix: vault.path_prefix.clone(),
            login: match &vault.login {
                InfisicalLogin::UniversalAuth(login) => {
                    wit::InfisicalLogin::UniversalAuth(wit::UniversalAuth {
                        client_id: login.client_id.clone(),
                        client_secret: login.client_secret.clone(),
                    })
                }
                InfisicalLogin::Kubernetes(login) => {
                    wit::InfisicalLogin::Kubernetes(identity(login))
                }
                InfisicalLogin::Oidc(login) => wit::InfisicalLogin::Oidc(identity(login)),
                InfisicalLogin::Jwt(login) => wit::InfisicalLogin::Jwt(identity(login)),
                InfisicalLogin::AccessToken(token) => {
                    wit::InfisicalLogin::AccessToken(token.expose().to_string())
                }
            },
        }),
    };
    wit::Settings {
        vault,
        github: wit::GithubSettings {
            api_url: settings.github.api_url.clone(),
            user_agent: settings.github.user_agent.clone(),
        },
        network: wit::NetworkSettings {
            connect_timeout_ms: settings.network.connect_timeout_ms,
            first_byte_timeout_ms: settings.network.first_byte_timeout_ms,
            max_retries: settings.network.max_retries,
        },
    }
}

/// Where a JWT login's token comes from, with what the host needs to get it.
fn jwt_source(settings: &core::Settings, network: crate::net::Network) -> Option<JwtSource> {
    let VaultSettings::Infisical(vault) = &settings.vault;
    let source: &CredentialSource = match &vault.login {
        InfisicalLogin::Kubernetes(login)
        | InfisicalLogin::Oidc(login)
        | InfisicalLogin::Jwt(login) => &login.source,
        InfisicalLogin::UniversalAuth(_) | InfisicalLogin::AccessToken(_) => return None,
    };
    Some(JwtSource {
        method: vault.login.method(),
        source: source.clone(),
        network,
        user_agent: settings.github.user_agent.clone(),
    })
}

impl Settings {
    /// Reads settings through `var` (the process environment in the CLI):
    /// the core's reading, then the host's own networking (proxy, CAs).
    /// Nothing is read or fetched for the login yet.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let settings = core::Settings::from_env(&var, &user_agent())?;
        let network = network(&var)?;
        Ok(Settings {
            wit: to_wit(&settings),
            allowlist: Allowlist::new(settings.bases.clone()),
            jwt_source: jwt_source(&settings, network),
        })
    }

    /// The login method configured.
    pub fn login_method(&self) -> LoginMethod {
        let wit::VaultSettings::Infisical(vault) = &self.wit.vault;
        match &vault.login {
            wit::InfisicalLogin::UniversalAuth(_) => LoginMethod::Universal,
            wit::InfisicalLogin::Kubernetes(_) => LoginMethod::Kubernetes,
            wit::InfisicalLogin::Oidc(_) => LoginMethod::Oidc,
            wit::InfisicalLogin::Jwt(_) => LoginMethod::Jwt,
            wit::InfisicalLogin::AccessToken(_) => LoginMethod::Token,
        }
    }

    /// The settings for a call that logs in (`mint`, `verify`,
    /// `set-suspended`, `vault-login`): with a JWT login, a copy holding the
    /// token read from its file or asked from the GitHub Actions runner now
    /// (a projected token rotates, an ID token expires); otherwise these
    /// settings as they are. A failure is one line naming the method and what
    /// to fix (exit 2), never a token.
    pub fn for_login(&self) -> Result<Cow<'_, Settings>, ConfigError> {
        let Some(source) = &self.jwt_source else {
            return Ok(Cow::Borrowed(self));
        };
        let token = source.token()?;
        let mut settings = self.clone();
        settings.jwt_source = None;
        let wit::VaultSettings::Infisical(vault) = &mut settings.wit.vault;
        if let wit::InfisicalLogin::Kubernetes(identity)
        | wit::InfisicalLogin::Oidc(identity)
        | wit::InfisicalLogin::Jwt(identity) = &mut vault.login
        {
            identity.jwt = token.expose().to_string();
        }
        Ok(Cow::Owned(settings))
    }
}

/// A configuration problem as the component would report it: the vault's or
/// GitHub's failure (kind `absent` or `config`), or an invalid request for
/// raxx's own knobs. What `exec`'s fallback rule and the session judge.
pub fn mint_error(e: &ConfigError) -> crate::MintError {
    use wit::{FailureKind, ServiceFailure};
    let service = ServiceFailure {
        kind: if e.absent {
            FailureKind::Absent
        } else {
            FailureKind::Config
        },
        status: None,
        message: e.message.clone(),
    };
    match e.side {
        Side::Vault => crate::MintError::Vault(service),
        Side::Github => crate::MintError::Github(service),
        Side::Host => crate::MintError::InvalidRequest(e.message.clone()),
    }
}

/// The host's networking from the environment: its timeout caps
/// (`RAXX_CONNECT_TIMEOUT_MS`, `RAXX_TIMEOUT_MS`, read by the core), the
/// proxy (`HTTPS_PROXY`, `ALL_PROXY`, `NO_PROXY`, as curl reads them) and the
/// CAs it trusts (the system's, or `SSL_CERT_FILE` / `SSL_CERT_DIR`). A value
/// it cannot use is a `Side::Host` error that names the variable and never
/// echoes a proxy's credentials.
pub fn network(var: impl Fn(&str) -> Option<String>) -> Result<crate::net::Network, ConfigError> {
    let host = |message: String| ConfigError::new(Side::Host, message);
    let (connect, first_byte) = core::timeouts(&var)?;
    let ms = |n: u32| std::time::Duration::from_millis(n.into());
    let limits = crate::net::Limits {
        connect: ms(connect),
        first_byte: ms(first_byte),
    };
    let proxy = crate::net::Proxy::from_env(&var).map_err(|e| host(e.0))?;
    let trust = crate::net::Trust::from_env(&var).map_err(host)?;
    Ok(crate::net::Network {
        limits,
        proxy,
        trust,
    })
}

/// The git host of the configured GitHub: `github.com` for `api.github.com`,
/// else the API URL's own host (GitHub Enterprise Server), with its port when
/// one is given. Returns (scheme, host) as git's credential protocol names them.
pub fn github_git_host(api_url: &str) -> Option<(String, String)> {
    let uri: http::Uri = api_url.parse().ok()?;
    let scheme = uri.scheme_str()?.to_string();
    let authority = uri.authority()?;
    let host = if authority.host().eq_ignore_ascii_case("api.github.com") {
        "github.com".to_string()
    } else {
        authority.as_str().to_ascii_lowercase()
    };
    Some((scheme, host))
}

/// `raxx-host/<version>`: GitHub rejects requests without a User-Agent.
pub fn user_agent() -> String {
    format!("raxx-host/{}", env!("CARGO_PKG_VERSION"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    const BASE: &[(&str, &str)] = &[
        ("INFISICAL_CLIENT_ID", "id"),
        ("INFISICAL_CLIENT_SECRET", "s3cret"),
        ("INFISICAL_PROJECT_ID", "p"),
    ];

    #[test]
    fn defaults_match_the_design() {
        let s = Settings::from_env(env(BASE)).unwrap();
        let wit::VaultSettings::Infisical(vault) = &s.wit.vault;
        assert_eq!(vault.api_url, "https://app.infisical.com/api");
        assert_eq!(vault.environment, "prod");
        assert_eq!(vault.path_prefix, "/MooseQuest/");
        assert_eq!(s.wit.github.api_url, "https://api.github.com");
        assert!(s.wit.github.user_agent.starts_with("raxx-host/"));
        assert_eq!(s.allowlist.origins().len(), 2);
    }

    #[test]
    fn accepts_the_infisical_cli_names_and_appends_api() {
        let s = Settings::from_env(env(&[
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", "id"),
            ("INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET", "s"),
            ("INFISICAL_PROJECT_ID", "p"),
            ("INFISICAL_DOMAIN", "https://vault.example.com/"),
            ("GITHUB_API_URL", "https://ghe.example.com/api/v3/"),
        ]))
        .unwrap();
        let wit::VaultSettings::Infisical(vault) = &s.wit.vault;
        assert_eq!(vault.api_url, "https://vault.example.com/api");
        assert_eq!(s.wit.github.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            raxx_core::settings::infisical_api_url("https://eu.infisical.com/api"),
            "https://eu.infisical.com/api"
        );
    }

    #[test]
    fn missing_variables_are_named_and_the_secret_is_never_echoed() {
        let err = Settings::from_env(env(&[("INFISICAL_CLIENT_SECRET", "s3cret")])).unwrap_err();
        assert_eq!(err.side, Side::Vault);
        assert!(
            err.message.starts_with("INFISICAL_CLIENT_ID is not set"),
            "{}",
            err.message
        );
        let err = Settings::from_env(env(&[
            ("INFISICAL_CLIENT_ID", "i"),
            ("INFISICAL_CLIENT_SECRET", "s3cret"),
        ]))
        .unwrap_err();
        assert!(err.message.starts_with("INFISICAL_PROJECT_ID is not set"));
        let s = Settings::from_env(env(BASE)).unwrap();
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn network_knobs_have_defaults_and_are_checked() {
        let s = Settings::from_env(env(BASE)).unwrap();
        assert_eq!(
            (
                s.wit.network.connect_timeout_ms,
                s.wit.network.first_byte_timeout_ms,
                s.wit.network.max_retries
            ),
            (5_000, 20_000, 2)
        );
        let mut pairs = BASE.to_vec();
        pairs.push(("RAXX_TIMEOUT_MS", "soon"));
        let err = Settings::from_env(env(&pairs)).unwrap_err();
        assert_eq!(err.side, Side::Host);
        assert!(err.message.contains("RAXX_TIMEOUT_MS"), "{}", err.message);
    }

    #[test]
    fn a_jwt_login_is_read_only_for_a_call_that_logs_in() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let path_text = path.display().to_string();
        let s = Settings::from_env(env(&[
            ("INFISICAL_AUTH_METHOD", "kubernetes"),
            ("INFISICAL_MACHINE_IDENTITY_ID", "ident"),
            (
                "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
                &path_text,
            ),
            ("INFISICAL_PROJECT_ID", "p"),
        ]))
        .unwrap();
        assert_eq!(s.login_method(), LoginMethod::Kubernetes);
        let jwt = |s: &Settings| {
            let wit::VaultSettings::Infisical(vault) = &s.wit.vault;
            match &vault.login {
                wit::InfisicalLogin::Kubernetes(identity) => {
                    (identity.identity_id.clone(), identity.jwt.clone())
                }
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(jwt(&s), ("ident".into(), String::new()), "nothing read yet");
        let err = s.for_login().unwrap_err();
        assert_eq!(err.side, Side::Vault);
        assert!(err
            .message
            .contains("cannot read the service-account token"));
        std::fs::write(&path, "sa.jwt.one\n").unwrap();
        assert_eq!(
            jwt(&s.for_login().unwrap()),
            ("ident".into(), "sa.jwt.one".into())
        );
        std::fs::write(&path, "sa.jwt.two").unwrap();
        let login = s.for_login().unwrap();
        assert_eq!(jwt(&login).1, "sa.jwt.two", "read again at each login");
        assert!(!format!("{login:?}").contains("sa.jwt"));
    }

    #[test]
    fn universal_and_token_logins_are_used_as_they_are() {
        let s = Settings::from_env(env(BASE)).unwrap();
        assert_eq!(s.login_method(), LoginMethod::Universal);
        assert!(matches!(s.for_login().unwrap(), Cow::Borrowed(_)));
        let s = Settings::from_env(env(&[
            ("INFISICAL_TOKEN", "t0ken"),
            ("INFISICAL_PROJECT_ID", "p"),
        ]))
        .unwrap();
        assert_eq!(s.login_method(), LoginMethod::Token);
        assert!(matches!(s.for_login().unwrap(), Cow::Borrowed(_)));
        assert!(!format!("{s:?}").contains("t0ken"));
    }

    #[test]
    fn git_hosts_follow_the_api_url() {
        assert_eq!(
            github_git_host("https://api.github.com"),
            Some(("https".into(), "github.com".into()))
        );
        assert_eq!(
            github_git_host("https://ghe.example.com/api/v3"),
            Some(("https".into(), "ghe.example.com".into()))
        );
        assert_eq!(
            github_git_host("http://127.0.0.1:8080"),
            Some(("http".into(), "127.0.0.1:8080".into()))
        );
    }

    #[test]
    fn plain_http_is_refused_off_loopback_with_the_side_named() {
        let mut pairs = BASE.to_vec();
        pairs.push(("GITHUB_API_URL", "http://github.example.com"));
        let err = Settings::from_env(env(&pairs)).unwrap_err();
        assert_eq!(err.side, Side::Github);
        assert!(err.message.contains("use https"), "{}", err.message);
    }
}
