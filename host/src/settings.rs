//! Settings from the environment, with the names users already have
//! (Infisical's CLI, GitHub's Actions), validated before anything runs.

use crate::bindings::exports::raxx::identity::identity as wit;
use crate::reach::{Allowlist, Base, Service};

pub const DEFAULT_INFISICAL_URL: &str = "https://app.infisical.com";
pub const DEFAULT_GITHUB_URL: &str = "https://api.github.com";
pub const DEFAULT_ENVIRONMENT: &str = "prod";
pub const DEFAULT_PATH_PREFIX: &str = "/MooseQuest/";
pub const DEFAULT_CONNECT_TIMEOUT_MS: u32 = 5_000;
pub const DEFAULT_FIRST_BYTE_TIMEOUT_MS: u32 = 20_000;
pub const DEFAULT_RETRIES: u32 = 2;

/// The vault machine identity's variables. A child of `exec` or `spawn` never
/// inherits them: with them it could pull any bot's private key.
pub const VAULT_CREDENTIAL_VARS: [&str; 6] = [
    "INFISICAL_CLIENT_ID",
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN",
    "INFISICAL_TOKEN",
];

/// Which side a configuration problem belongs to (it decides the exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Vault,
    Github,
    /// raxx's own knobs (timeouts, retries).
    Host,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub side: Side,
    pub message: String,
    /// The machine identity is not configured at all (a required variable is
    /// missing), rather than set to something invalid.
    pub absent: bool,
}

fn vault_err(message: String) -> ConfigError {
    ConfigError {
        side: Side::Vault,
        message,
        absent: false,
    }
}

/// Everything the host needs to run a mint.
#[derive(Clone)]
pub struct Settings {
    pub wit: wit::Settings,
    pub allowlist: Allowlist,
}

impl Drop for Settings {
    // The machine identity's secret does not outlive the settings.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.wit.vault.client_secret);
    }
}

impl std::fmt::Debug for Settings {
    // Never print the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("infisical", &self.wit.vault.api_url)
            .field("github", &self.wit.github.api_url)
            .finish_non_exhaustive()
    }
}

/// Infisical's CLI rule: the API lives under `/api`; append it when missing.
pub fn infisical_api_url(domain: &str) -> String {
    let base = domain.trim().trim_end_matches('/');
    if base.ends_with("/api") {
        base.to_string()
    } else {
        format!("{base}/api")
    }
}

impl Settings {
    /// Reads settings through `var` (the process environment in the CLI).
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
        let get = |names: &[&str]| {
            names.iter().find_map(|n| {
                var(n)
                    .filter(|v| !v.trim().is_empty())
                    .map(|v| v.trim().to_string())
            })
        };
        let require = |names: &[&str], what: &str| {
            get(names).ok_or_else(|| {
                let alt = if names.len() > 1 {
                    format!(" (or {})", names[1..].join(", "))
                } else {
                    String::new()
                };
                ConfigError {
                    absent: true,
                    ..vault_err(format!("{} is not set{alt}: export {what}", names[0]))
                }
            })
        };
        let client_id = require(
            &["INFISICAL_CLIENT_ID", "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"],
            "the machine identity's Universal Auth client ID",
        )?;
        let client_secret = require(
            &[
                "INFISICAL_CLIENT_SECRET",
                "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
            ],
            "the machine identity's Universal Auth client secret",
        )?;
        let project_id = require(
            &["INFISICAL_PROJECT_ID"],
            "the ID of the Infisical project that holds the bots' folders",
        )?;
        let environment =
            get(&["INFISICAL_ENVIRONMENT"]).unwrap_or_else(|| DEFAULT_ENVIRONMENT.into());
        let path_prefix =
            get(&["INFISICAL_PATH_PREFIX"]).unwrap_or_else(|| DEFAULT_PATH_PREFIX.into());
        let domain = get(&["INFISICAL_DOMAIN", "INFISICAL_API_URL"])
            .unwrap_or_else(|| DEFAULT_INFISICAL_URL.into());
        let vault_url = infisical_api_url(&domain);
        let vault_base = Base::new(Service::Infisical, &vault_url)
            .map_err(|e| vault_err(format!("INFISICAL_DOMAIN/INFISICAL_API_URL {e}")))?;
        let github_url = get(&["GITHUB_API_URL"])
            .unwrap_or_else(|| DEFAULT_GITHUB_URL.into())
            .trim_end_matches('/')
            .to_string();
        let github_base = Base::new(Service::Github, &github_url).map_err(|e| ConfigError {
            side: Side::Github,
            message: format!("GITHUB_API_URL {e}"),
            absent: false,
        })?;
        // The host's caps (`network`) are also the timeouts the component asks for.
        let caps = network(&var)?.limits;
        let network = wit::NetworkSettings {
            connect_timeout_ms: caps.connect.as_millis() as u32,
            first_byte_timeout_ms: caps.first_byte.as_millis() as u32,
            max_retries: number(&var, "RAXX_RETRIES", DEFAULT_RETRIES, 10)?,
        };
        Ok(Settings {
            wit: wit::Settings {
                vault: wit::VaultSettings {
                    api_url: vault_url,
                    client_id,
                    client_secret,
                    project_id,
                    environment,
                    path_prefix,
                },
                github: wit::GithubSettings {
                    api_url: github_url,
                    user_agent: user_agent(),
                },
                network,
            },
            allowlist: Allowlist::new(vec![vault_base, github_base]),
        })
    }
}

/// A whole number from 0 to `max` in `name`, or `default` when it is unset.
fn number(
    var: impl Fn(&str) -> Option<String>,
    name: &str,
    default: u32,
    max: u32,
) -> Result<u32, ConfigError> {
    match var(name)
        .map(|v| v.trim().to_string())
        .filter(|v| !v.is_empty())
    {
        None => Ok(default),
        Some(v) => v
            .parse::<u32>()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| ConfigError {
                side: Side::Host,
                message: format!("{name}={v:?} is not a whole number from 0 to {max}"),
                absent: false,
            }),
    }
}

/// The host's networking from the environment: its timeout caps
/// (`RAXX_CONNECT_TIMEOUT_MS`, `RAXX_TIMEOUT_MS`), the proxy (`HTTPS_PROXY`,
/// `ALL_PROXY`, `NO_PROXY`, as curl reads them) and the CAs it trusts (the
/// system's, or `SSL_CERT_FILE` / `SSL_CERT_DIR`). A value it cannot use is a
/// `Side::Host` error that names the variable and never echoes a proxy's credentials.
pub fn network(var: impl Fn(&str) -> Option<String>) -> Result<crate::net::Network, ConfigError> {
    let host = |message: String| ConfigError {
        side: Side::Host,
        message,
        absent: false,
    };
    let ms = |name: &str, default: u32| {
        number(&var, name, default, 600_000)
            .map(|n| std::time::Duration::from_millis(n.max(1).into()))
    };
    let limits = crate::net::Limits {
        connect: ms("RAXX_CONNECT_TIMEOUT_MS", DEFAULT_CONNECT_TIMEOUT_MS)?,
        first_byte: ms("RAXX_TIMEOUT_MS", DEFAULT_FIRST_BYTE_TIMEOUT_MS)?,
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
        assert_eq!(s.wit.vault.api_url, "https://app.infisical.com/api");
        assert_eq!(s.wit.vault.environment, "prod");
        assert_eq!(s.wit.vault.path_prefix, "/MooseQuest/");
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
        assert_eq!(s.wit.vault.api_url, "https://vault.example.com/api");
        assert_eq!(s.wit.github.api_url, "https://ghe.example.com/api/v3");
        assert_eq!(
            infisical_api_url("https://eu.infisical.com/api"),
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
