//! The machine identity's login: which method (`INFISICAL_AUTH_METHOD`, or
//! inferred from what is set), and that method's variables, with the names
//! Infisical's own tools use.
//!
//! Unset, the method is inferred: universal (a client ID or secret), token
//! (an access token) or kubernetes (a service-account token or its path).
//! oidc and jwt are never inferred. Two methods configured at once is an
//! error naming both; nothing configured is Universal Auth's "not set".

use super::source::{ActionsIdToken, CredentialSource, DEFAULT_KUBERNETES_TOKEN_PATH};
use crate::settings::{get, ConfigError, Env, Secret, Side};

/// A login method, as `INFISICAL_AUTH_METHOD` names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoginMethod {
    Universal,
    Kubernetes,
    Oidc,
    Jwt,
    Token,
}

impl LoginMethod {
    pub const ALL: [LoginMethod; 5] = [
        LoginMethod::Universal,
        LoginMethod::Kubernetes,
        LoginMethod::Oidc,
        LoginMethod::Jwt,
        LoginMethod::Token,
    ];

    /// `universal`, `kubernetes`, `oidc`, `jwt` or `token`.
    pub fn name(self) -> &'static str {
        match self {
            LoginMethod::Universal => "universal",
            LoginMethod::Kubernetes => "kubernetes",
            LoginMethod::Oidc => "oidc",
            LoginMethod::Jwt => "jwt",
            LoginMethod::Token => "token",
        }
    }

    pub fn from_name(name: &str) -> Option<LoginMethod> {
        LoginMethod::ALL
            .into_iter()
            .find(|m| m.name().eq_ignore_ascii_case(name))
    }
}

/// How the machine identity logs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InfisicalLogin {
    UniversalAuth(UniversalAuth),
    Kubernetes(IdentityJwt),
    Oidc(IdentityJwt),
    Jwt(IdentityJwt),
    /// An access token already issued: no login is sent.
    AccessToken(Secret),
}

impl InfisicalLogin {
    pub fn method(&self) -> LoginMethod {
        match self {
            InfisicalLogin::UniversalAuth(_) => LoginMethod::Universal,
            InfisicalLogin::Kubernetes(_) => LoginMethod::Kubernetes,
            InfisicalLogin::Oidc(_) => LoginMethod::Oidc,
            InfisicalLogin::Jwt(_) => LoginMethod::Jwt,
            InfisicalLogin::AccessToken(_) => LoginMethod::Token,
        }
    }

    /// The file the login's token is read from, when it is one: what a
    /// sandbox must keep from the agent.
    pub fn credential_file(&self) -> Option<&str> {
        match self {
            InfisicalLogin::Kubernetes(login)
            | InfisicalLogin::Oidc(login)
            | InfisicalLogin::Jwt(login) => match &login.source {
                CredentialSource::File(path) => Some(path),
                _ => None,
            },
            _ => None,
        }
    }
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

/// A machine identity that logs in with a JWT (Kubernetes, OIDC, JWT Auth):
/// its id and where the host gets the token at each login.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentityJwt {
    /// `INFISICAL_MACHINE_IDENTITY_ID`.
    pub identity_id: String,
    pub source: CredentialSource,
}

const METHOD_VAR: &str = "INFISICAL_AUTH_METHOD";
const CLIENT_ID_VARS: [&str; 2] = ["INFISICAL_CLIENT_ID", "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID"];
/// The variables the machine identity's client secret is read from, in order.
const CLIENT_SECRET_VARS: [&str; 2] = [
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
];
const TOKEN_VARS: [&str; 2] = ["INFISICAL_TOKEN", "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN"];
const IDENTITY_ID_VAR: &str = "INFISICAL_MACHINE_IDENTITY_ID";
const KUBERNETES_TOKEN_VAR: &str = "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN";
const KUBERNETES_PATH_VAR: &str = "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH";
const JWT_VAR: &str = "INFISICAL_AUTH_JWT";
const JWT_PATH_VAR: &str = "INFISICAL_AUTH_JWT_PATH";
const AUDIENCE_VAR: &str = "INFISICAL_OIDC_AUDIENCE";
const ACTIONS_URL_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_URL";
const ACTIONS_TOKEN_VAR: &str = "ACTIONS_ID_TOKEN_REQUEST_TOKEN";

/// The vault machine identity's variables that carry a credential or lead to
/// one. A child of `exec` or `spawn` never inherits them: with them it could
/// log in as the identity and pull any bot's private key.
pub const VAULT_CREDENTIAL_VARS: [&str; 13] = [
    "INFISICAL_CLIENT_ID",
    "INFISICAL_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_ID",
    "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
    "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN",
    "INFISICAL_TOKEN",
    IDENTITY_ID_VAR,
    KUBERNETES_TOKEN_VAR,
    KUBERNETES_PATH_VAR,
    JWT_VAR,
    JWT_PATH_VAR,
    ACTIONS_URL_VAR,
    ACTIONS_TOKEN_VAR,
];

fn vault_err(message: String) -> ConfigError {
    ConfigError::new(Side::Vault, message)
}

fn absent(message: String) -> ConfigError {
    ConfigError {
        absent: true,
        ..vault_err(message)
    }
}

/// The first of `names` set, or the "not set" line: `{name} is not set (or
/// {others}): export {what}{suffix}`.
pub(super) fn require(
    var: &impl Env,
    names: &[&str],
    what: &str,
    suffix: &str,
) -> Result<String, ConfigError> {
    get(var, names).ok_or_else(|| {
        let alt = if names.len() > 1 {
            format!(" (or {})", names[1..].join(", "))
        } else {
            String::new()
        };
        absent(format!(
            "{} is not set{alt}: export {what}{suffix}",
            names[0]
        ))
    })
}

/// The variables set among `names`.
fn set_among(var: &impl Env, names: &[&'static str]) -> Vec<&'static str> {
    names
        .iter()
        .copied()
        .filter(|n| get(var, &[n]).is_some())
        .collect()
}

/// The method in force: explicit, or inferred from what is set.
pub fn method(var: &impl Env) -> Result<LoginMethod, ConfigError> {
    if let Some(name) = get(var, &[METHOD_VAR]) {
        return LoginMethod::from_name(&name).ok_or_else(|| {
            vault_err(format!(
                "{METHOD_VAR}={name:?} is not a login method: use universal, kubernetes, oidc, jwt or token"
            ))
        });
    }
    let universal = [CLIENT_ID_VARS, CLIENT_SECRET_VARS].concat();
    let candidates = [
        (LoginMethod::Universal, set_among(var, &universal)),
        (LoginMethod::Token, set_among(var, &TOKEN_VARS)),
        (
            LoginMethod::Kubernetes,
            set_among(var, &[KUBERNETES_TOKEN_VAR, KUBERNETES_PATH_VAR]),
        ),
    ];
    let found: Vec<_> = candidates
        .iter()
        .filter(|(_, vars)| !vars.is_empty())
        .collect();
    match found.as_slice() {
        [] => {
            let jwt = set_among(var, &[JWT_VAR, JWT_PATH_VAR]);
            if let Some(name) = jwt.first() {
                Err(absent(format!(
                    "{name} is set but {METHOD_VAR} is not: set {METHOD_VAR} to oidc or jwt"
                )))
            } else if get(var, &[IDENTITY_ID_VAR]).is_some() {
                Err(absent(format!(
                    "{IDENTITY_ID_VAR} is set but {METHOD_VAR} is not: set {METHOD_VAR} to kubernetes, oidc or jwt"
                )))
            } else {
                // Nothing configured: Universal Auth's own "not set" line.
                Ok(LoginMethod::Universal)
            }
        }
        [(one, _)] => Ok(*one),
        several => {
            let named: Vec<String> = several
                .iter()
                .map(|(m, vars)| format!("{} ({})", m.name(), vars.join(", ")))
                .collect();
            let (last, rest) = named.split_last().expect("two or more");
            Err(vault_err(format!(
                "two login methods are configured, {} and {last}: unset one, or set {METHOD_VAR} to the one to use",
                rest.join(", ")
            )))
        }
    }
}

/// The login of `method`, from its variables.
pub fn read(var: &impl Env, method: LoginMethod) -> Result<InfisicalLogin, ConfigError> {
    let suffix = format!(" ({METHOD_VAR}={})", method.name());
    let identity_id = || {
        require(
            var,
            &[IDENTITY_ID_VAR],
            "the machine identity's ID",
            &suffix,
        )
    };
    let given = |names: [&str; 2]| {
        get(var, &names[..1])
            .map(|v| CredentialSource::Value(Secret::new(v)))
            .or_else(|| get(var, &names[1..]).map(CredentialSource::File))
    };
    Ok(match method {
        LoginMethod::Universal => InfisicalLogin::UniversalAuth(UniversalAuth {
            client_id: require(
                var,
                &CLIENT_ID_VARS,
                "the machine identity's Universal Auth client ID",
                "",
            )?,
            client_secret: require(
                var,
                &CLIENT_SECRET_VARS,
                "the machine identity's Universal Auth client secret",
                "",
            )?,
        }),
        LoginMethod::Token => InfisicalLogin::AccessToken(Secret::new(require(
            var,
            &TOKEN_VARS,
            "an Infisical access token",
            &suffix,
        )?)),
        LoginMethod::Kubernetes => InfisicalLogin::Kubernetes(IdentityJwt {
            identity_id: identity_id()?,
            source: given([KUBERNETES_TOKEN_VAR, KUBERNETES_PATH_VAR]).unwrap_or_else(|| {
                CredentialSource::File(DEFAULT_KUBERNETES_TOKEN_PATH.to_string())
            }),
        }),
        LoginMethod::Jwt => {
            let identity_id = identity_id()?;
            let source = given([JWT_VAR, JWT_PATH_VAR]);
            let source = source.ok_or_else(|| {
                absent(format!(
                    "{JWT_VAR} is not set (or {JWT_PATH_VAR}): export the JWT the machine identity trusts, or the path of a file holding it{suffix}"
                ))
            })?;
            InfisicalLogin::Jwt(IdentityJwt {
                identity_id,
                source,
            })
        }
        LoginMethod::Oidc => {
            let identity_id = identity_id()?;
            let source = match given([JWT_VAR, JWT_PATH_VAR]) {
                Some(source) => source,
                None => CredentialSource::ActionsIdToken(actions(var)?),
            };
            InfisicalLogin::Oidc(IdentityJwt {
                identity_id,
                source,
            })
        }
    })
}

/// The GitHub Actions ID-token request, when the runner offers one.
fn actions(var: &impl Env) -> Result<ActionsIdToken, ConfigError> {
    match (get(var, &[ACTIONS_URL_VAR]), get(var, &[ACTIONS_TOKEN_VAR])) {
        (Some(request_url), Some(token)) => {
            let request = ActionsIdToken {
                request_url,
                request_token: Secret::new(token),
                audience: get(var, &[AUDIENCE_VAR]),
            };
            super::source::actions_token_url(&request)?;
            Ok(request)
        }
        _ => Err(absent(format!(
            "{METHOD_VAR}=oidc needs an ID token: set {JWT_VAR} or {JWT_PATH_VAR}, or run on GitHub Actions with `permissions: id-token: write` (which sets {ACTIONS_URL_VAR} and {ACTIONS_TOKEN_VAR})"
        ))),
    }
}

/// The secret that keys the compiled-code cache, when the method has a
/// stable one: Universal Auth's client secret, the token method's access
/// token. Kubernetes, OIDC and JWT logins present short-lived tokens: none
/// (no user cache; the installed or in-memory compiled code is used).
pub fn cache_secret(var: &impl Env) -> Option<String> {
    match method(var).ok()? {
        LoginMethod::Universal => get(var, &CLIENT_SECRET_VARS),
        LoginMethod::Token => get(var, &TOKEN_VARS),
        _ => None,
    }
}
