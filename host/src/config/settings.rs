//! Settings from the environment, with the names users already have
//! (Infisical's CLI, GitHub's Actions), validated before anything runs.

use crate::sandbox::bindings::exports::raxx::identity::types as wit;
use crate::sandbox::reach::Allowlist;
use raxx_core::settings::{self as core, InfisicalLogin, VaultSettings};

/// The reading itself is the host core's (`crates/core/src/settings`), which
/// the Node host runs too.
pub use raxx_core::settings::{
    ConfigError, Side, DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FIRST_BYTE_TIMEOUT_MS,
    VAULT_CREDENTIAL_VARS,
};

/// Everything the host needs to run a mint.
#[derive(Clone)]
pub struct Settings {
    pub wit: wit::Settings,
    pub allowlist: Allowlist,
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
            .finish_non_exhaustive()
    }
}

/// The component's WIT settings from the core's: the one place the two meet
/// (one arm per store and login method, as `wit/identity.wit` has them).
fn to_wit(settings: &core::Settings) -> Result<wit::Settings, ConfigError> {
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
                other => return Err(ConfigError::new(
                    Side::Vault,
                    format!(
                        "INFISICAL_AUTH_METHOD={}: this raxx-host logs in with Universal Auth only",
                        other.method().name()
                    ),
                )),
            },
        }),
    };
    Ok(wit::Settings {
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
    })
}

impl Settings {
    /// Reads settings through `var` (the process environment in the CLI):
    /// the core's reading, then the host's own networking (proxy, CAs).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let settings = core::Settings::from_env(&var, &user_agent())?;
        network(&var)?;
        Ok(Settings {
            wit: to_wit(&settings)?,
            allowlist: Allowlist::new(settings.bases.clone()),
        })
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
