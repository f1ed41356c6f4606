//! Infisical's settings: the project, and the machine identity's login
//! (`login.rs`: Universal Auth, Kubernetes, OIDC, JWT or a given access
//! token), read with the names Infisical's own tools use. A JWT login's token
//! comes from a source the host reads at each login (`source.rs`).

mod login;
mod source;

pub use login::{
    cache_secret, method as login_method, IdentityJwt, InfisicalLogin, LoginMethod, UniversalAuth,
    VAULT_CREDENTIAL_VARS,
};
pub use source::{
    actions_answer, actions_token_url, source_error, ActionsIdToken, CredentialSource,
    SourceFailure, DEFAULT_KUBERNETES_TOKEN_PATH, MAX_SOURCE_BYTES,
};

use super::{get, ConfigError, Env, Side};
use crate::reach::Base;

pub const DEFAULT_INFISICAL_URL: &str = "https://app.infisical.com";
pub const DEFAULT_ENVIRONMENT: &str = "prod";
pub const DEFAULT_PATH_PREFIX: &str = "/MooseQuest/";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfisicalSettings {
    /// The API's base URL, ending in `/api`.
    pub api_url: String,
    pub project_id: String,
    pub environment: String,
    pub path_prefix: String,
    pub login: InfisicalLogin,
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

/// Infisical's settings and the base URL its requests are judged against.
pub fn read(var: &impl Env) -> Result<(InfisicalSettings, Base), ConfigError> {
    let login = login::read(var, login::method(var)?)?;
    let project_id = login::require(
        var,
        &["INFISICAL_PROJECT_ID"],
        "the ID of the Infisical project that holds the bots' folders",
        "",
    )?;
    let environment =
        get(var, &["INFISICAL_ENVIRONMENT"]).unwrap_or_else(|| DEFAULT_ENVIRONMENT.into());
    let path_prefix =
        get(var, &["INFISICAL_PATH_PREFIX"]).unwrap_or_else(|| DEFAULT_PATH_PREFIX.into());
    let domain = get(var, &["INFISICAL_DOMAIN", "INFISICAL_API_URL"])
        .unwrap_or_else(|| DEFAULT_INFISICAL_URL.into());
    let url = api_url(&domain);
    let base = Base::new("infisical", &url).map_err(|e| {
        ConfigError::new(
            Side::Vault,
            format!("INFISICAL_DOMAIN/INFISICAL_API_URL {e}"),
        )
    })?;
    Ok((
        InfisicalSettings {
            api_url: url,
            project_id,
            environment,
            path_prefix,
            login,
        },
        base,
    ))
}
