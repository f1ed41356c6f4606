//! Settings from an environment lookup (the process environment in the CLI),
//! with the names users already have (Infisical's CLI, GitHub's Actions),
//! validated before anything runs. One reader per secret store
//! (`infisical/`), then GitHub's and the network's.

mod github;
mod infisical;
mod network;
mod secret;

pub use github::{read as github, GithubSettings, DEFAULT_GITHUB_URL};
pub use infisical::{
    actions_answer, actions_token_url, api_url as infisical_api_url, cache_secret, login_method,
    read as infisical, source_error, ActionsIdToken, CredentialSource, IdentityJwt, InfisicalLogin,
    InfisicalSettings, LoginMethod, SourceFailure, UniversalAuth, DEFAULT_ENVIRONMENT,
    DEFAULT_INFISICAL_URL, DEFAULT_KUBERNETES_TOKEN_PATH, DEFAULT_PATH_PREFIX, MAX_SOURCE_BYTES,
    VAULT_CREDENTIAL_VARS,
};
pub use network::{
    read as network, timeouts, NetworkSettings, DEFAULT_CONNECT_TIMEOUT_MS,
    DEFAULT_FIRST_BYTE_TIMEOUT_MS, DEFAULT_RETRIES,
};
pub use secret::Secret;

use crate::reach::Base;

/// Which side a configuration problem belongs to (it decides the exit code).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    Vault,
    Github,
    /// raxx's own knobs (timeouts, retries).
    Host,
}

impl Side {
    /// `vault`, `github` or `host`.
    pub fn name(self) -> &'static str {
        match self {
            Side::Vault => "vault",
            Side::Github => "github",
            Side::Host => "host",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub side: Side,
    pub message: String,
    /// The machine identity is not configured at all (a required variable is
    /// missing), rather than set to something invalid.
    pub absent: bool,
}

impl ConfigError {
    pub fn new(side: Side, message: String) -> ConfigError {
        ConfigError {
            side,
            message,
            absent: false,
        }
    }
}

/// Where the component's secrets come from: one arm per store and login method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultSettings {
    Infisical(InfisicalSettings),
}

/// Everything a host needs to run a call: the component's settings and the
/// base URLs its requests are judged against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    pub vault: VaultSettings,
    pub github: GithubSettings,
    pub network: NetworkSettings,
    /// The configured services' base URLs (the allowlist's), vault first.
    pub bases: Vec<Base>,
}

/// Every variable the settings are read from: a host that hands the core an
/// environment as data passes these and nothing else.
pub const VARIABLES: [&str; 24] = [
    "INFISICAL_AUTH_METHOD",
    "INFISICAL_CLIENT_ID",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    "INFISICAL_TOKEN",
    "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN",
    "INFISICAL_MACHINE_IDENTITY_ID",
    "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN",
    "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
    "INFISICAL_AUTH_JWT",
    "INFISICAL_AUTH_JWT_PATH",
    "INFISICAL_OIDC_AUDIENCE",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "INFISICAL_PROJECT_ID",
    "INFISICAL_ENVIRONMENT",
    "INFISICAL_PATH_PREFIX",
    "INFISICAL_DOMAIN",
    "INFISICAL_API_URL",
    "GITHUB_API_URL",
    "RAXX_CONNECT_TIMEOUT_MS",
    "RAXX_TIMEOUT_MS",
    "RAXX_RETRIES",
];

/// An environment lookup.
pub trait Env: Fn(&str) -> Option<String> {}
impl<F: Fn(&str) -> Option<String>> Env for F {}

/// The first of `names` set to something besides blanks, trimmed.
pub fn get(var: &impl Env, names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        var(n)
            .filter(|v| !v.trim().is_empty())
            .map(|v| v.trim().to_string())
    })
}

/// A whole number from 0 to `max` in `name`, or `default` when it is unset.
pub fn number(var: &impl Env, name: &str, default: u32, max: u32) -> Result<u32, ConfigError> {
    match get(var, &[name]) {
        None => Ok(default),
        Some(v) => v.parse::<u32>().ok().filter(|n| *n <= max).ok_or_else(|| {
            ConfigError::new(
                Side::Host,
                format!("{name}={v:?} is not a whole number from 0 to {max}"),
            )
        }),
    }
}

impl Settings {
    /// Reads settings through `var`; `user_agent` is the host's
    /// (`raxx-host/<version>`: GitHub rejects requests without one).
    pub fn from_env(var: impl Env, user_agent: &str) -> Result<Settings, ConfigError> {
        let (vault, vault_base) = infisical::read(&var)?;
        let (github, github_base) = github::read(&var, user_agent)?;
        let network = network::read(&var)?;
        Ok(Settings {
            vault: VaultSettings::Infisical(vault),
            github,
            network,
            bases: vec![vault_base, github_base],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    #[test]
    fn the_settings_read_only_the_variables_listed() {
        let asked = RefCell::new(std::collections::BTreeSet::new());
        // Once per login method and spelling (Infisical's own names, its CLI's):
        // between them every name is read.
        let runs: [&[&str]; 6] = [
            &["INFISICAL_CLIENT_ID", "INFISICAL_CLIENT_SECRET"],
            &[
                "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
                "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
            ],
            &[
                "INFISICAL_AUTH_METHOD=token",
                "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN",
            ],
            &[
                "INFISICAL_AUTH_METHOD=kubernetes",
                "INFISICAL_MACHINE_IDENTITY_ID",
                "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
            ],
            &[
                "INFISICAL_AUTH_METHOD=oidc",
                "INFISICAL_MACHINE_IDENTITY_ID",
                "ACTIONS_ID_TOKEN_REQUEST_URL=https://runner.example/t?v=2",
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            ],
            &[
                "INFISICAL_AUTH_METHOD=jwt",
                "INFISICAL_MACHINE_IDENTITY_ID",
                "INFISICAL_AUTH_JWT_PATH",
            ],
        ];
        for names in runs {
            let var = |name: &str| {
                asked.borrow_mut().insert(name.to_string());
                names
                    .iter()
                    .find_map(|set| match set.split_once('=') {
                        Some((n, v)) => (n == name).then(|| v.to_string()),
                        None => (*set == name).then(|| "x".to_string()),
                    })
                    .or_else(|| (name == "INFISICAL_PROJECT_ID").then(|| "x".to_string()))
            };
            Settings::from_env(var, "ua").unwrap();
        }
        let mut listed: Vec<String> = VARIABLES.iter().map(|v| v.to_string()).collect();
        listed.sort();
        assert_eq!(asked.into_inner().into_iter().collect::<Vec<_>>(), listed);
    }
}
