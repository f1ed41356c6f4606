//! Infisical's settings: the project, and the machine identity's login
//! (Universal Auth), read with the names Infisical's CLI uses. A second login
//! method is one more `InfisicalLogin` arm read here.

use super::{get, ConfigError, Env, Side};
use crate::reach::Base;

pub const DEFAULT_INFISICAL_URL: &str = "https://app.infisical.com";
pub const DEFAULT_ENVIRONMENT: &str = "prod";
pub const DEFAULT_PATH_PREFIX: &str = "/MooseQuest/";

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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfisicalSettings {
    /// The API's base URL, ending in `/api`.
    pub api_url: String,
    pub project_id: String,
    pub environment: String,
    pub path_prefix: String,
    pub login: InfisicalLogin,
}

/// How the machine identity logs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InfisicalLogin {
    UniversalAuth(UniversalAuth),
}

#[derive(Clone, PartialEq, Eq)]
pub struct UniversalAuth {
    pub client_id: String,
    pub client_secret: String,
}

impl Drop for UniversalAuth {
    // The machine identity's secret does not outlive the settings.
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.client_secret);
    }
}

impl std::fmt::Debug for UniversalAuth {
    // Never print the client secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniversalAuth")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Infisical's CLI rule: the API lives under `/api`; append it when missing.
pub fn api_url(domain: &str) -> String {
    let base = domain.trim().trim_end_matches('/');
    if base.ends_with("/api") {
        base.to_string()
    } else {
        format!("{base}/api")
    }
}

/// The variables the machine identity's client secret is read from, in order.
const CLIENT_SECRET_VARS: [&str; 2] = [
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
];

/// The machine identity's client secret, when set (a host keys its compiled-code cache from it).
pub fn client_secret(var: &impl Env) -> Option<String> {
    get(var, &CLIENT_SECRET_VARS)
}

fn vault_err(message: String) -> ConfigError {
    ConfigError::new(Side::Vault, message)
}

/// Infisical's settings and the base URL its requests are judged against.
pub fn read(var: &impl Env) -> Result<(InfisicalSettings, Base), ConfigError> {
    let require = |names: &[&str], what: &str| {
        get(var, names).ok_or_else(|| {
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
        &CLIENT_SECRET_VARS,
        "the machine identity's Universal Auth client secret",
    )?;
    let project_id = require(
        &["INFISICAL_PROJECT_ID"],
        "the ID of the Infisical project that holds the bots' folders",
    )?;
    let environment =
        get(var, &["INFISICAL_ENVIRONMENT"]).unwrap_or_else(|| DEFAULT_ENVIRONMENT.into());
    let path_prefix =
        get(var, &["INFISICAL_PATH_PREFIX"]).unwrap_or_else(|| DEFAULT_PATH_PREFIX.into());
    let domain = get(var, &["INFISICAL_DOMAIN", "INFISICAL_API_URL"])
        .unwrap_or_else(|| DEFAULT_INFISICAL_URL.into());
    let url = api_url(&domain);
    let base = Base::new("infisical", &url)
        .map_err(|e| vault_err(format!("INFISICAL_DOMAIN/INFISICAL_API_URL {e}")))?;
    Ok((
        InfisicalSettings {
            api_url: url,
            project_id,
            environment,
            path_prefix,
            login: InfisicalLogin::UniversalAuth(UniversalAuth {
                client_id,
                client_secret,
            }),
        },
        base,
    ))
}
