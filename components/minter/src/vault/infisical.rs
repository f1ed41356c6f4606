//! Infisical: a machine identity logs in (Universal Auth, Kubernetes, OIDC or
//! JWT Auth; or it is given an access token and sends no login), then one
//! list call reads the bot's folder `{path-prefix}/{bot}`.

use super::{AppSecrets, Vault, VaultAccess, APP_ID, INSTALLATION_ID, PRIVATE_KEY_PEM};
use crate::error::{kind_for_status, service_message, FailureKind, ServiceFailure};
use crate::transport::{Method, Request, Response, Transport};
use crate::url::{encode, join};
use zeroize::Zeroize;

/// Where the Infisical vault is and who logs in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InfisicalSettings {
    pub api_url: String,
    pub project_id: String,
    pub environment: String,
    pub path_prefix: String,
    pub login: Login,
}

/// How the machine identity logs in: one arm per method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Login {
    UniversalAuth(UniversalAuth),
    /// `POST /v1/auth/kubernetes-auth/login`: the pod's service-account token.
    Kubernetes(IdentityJwt),
    /// `POST /v1/auth/oidc-auth/login`: the platform's OIDC ID token.
    Oidc(IdentityJwt),
    /// `POST /v1/auth/jwt-auth/login`: any JWT the identity trusts.
    Jwt(IdentityJwt),
    /// An access token already issued: no login is sent.
    AccessToken(AccessToken),
}

/// A machine identity that logs in with a JWT. The JWT is wiped on drop and
/// never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityJwt {
    pub identity_id: String,
    pub jwt: String,
}

impl std::fmt::Debug for IdentityJwt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityJwt")
            .field("identity_id", &self.identity_id)
            .finish_non_exhaustive()
    }
}

impl IdentityJwt {
    /// The login's body: `{identityId, jwt}`, the same for the three methods.
    fn body(&self) -> serde_json::Value {
        serde_json::json!({ "identityId": self.identity_id, "jwt": self.jwt })
    }
}

impl Drop for IdentityJwt {
    fn drop(&mut self) {
        self.jwt.zeroize();
    }
}

/// An Infisical access token given to the component. Wiped on drop, never
/// shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct AccessToken(pub String);

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AccessToken(..)")
    }
}

impl Drop for AccessToken {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

impl Login {
    /// The method as `INFISICAL_AUTH_METHOD` names it.
    pub fn method(&self) -> &'static str {
        match self {
            Login::UniversalAuth(_) => "universal",
            Login::Kubernetes(_) => "kubernetes",
            Login::Oidc(_) => "oidc",
            Login::Jwt(_) => "jwt",
            Login::AccessToken(_) => "token",
        }
    }
}

/// A Universal Auth machine identity. The client secret is wiped on drop
/// and never shown by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct UniversalAuth {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for UniversalAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UniversalAuth").finish_non_exhaustive()
    }
}

impl Drop for UniversalAuth {
    fn drop(&mut self) {
        self.client_secret.zeroize();
    }
}

impl Vault for InfisicalSettings {
    fn check(&self) -> Result<(), ServiceFailure> {
        crate::url::check_base("Infisical", "INFISICAL_API_URL", &self.api_url)
    }

    fn location(&self, bot: &str) -> String {
        secret_path(&self.path_prefix, bot)
    }

    fn login(&self, t: &dyn Transport, user_agent: &str) -> Result<VaultAccess, ServiceFailure> {
        login(t, self, user_agent)
    }

    /// Logs in, lists the folder; an access token that expired (or was
    /// revoked) between the two calls gets one fresh login and a second list.
    /// A token given as the login (`access-token`) gets no second chance here:
    /// its refusal is the answer (a caller that keeps tokens logs in again).
    fn fetch_app_secrets(
        &self,
        t: &dyn Transport,
        user_agent: &str,
        bot: &str,
    ) -> Result<AppSecrets, ServiceFailure> {
        let access = login(t, self, user_agent)?;
        match fetch_app_secrets(t, self, user_agent, &access.access_token, bot) {
            Err(f) if f.token_expired && !matches!(self.login, Login::AccessToken(_)) => {
                let fresh = login(t, self, user_agent)?;
                fetch_app_secrets(t, self, user_agent, &fresh.access_token, bot)
            }
            other => other,
        }
    }
}

/// `{prefix}/{bot}` with exactly one slash between, a leading slash, and no trailing one.
pub fn secret_path(prefix: &str, bot: &str) -> String {
    let prefix = prefix.trim().trim_matches('/');
    if prefix.is_empty() {
        format!("/{bot}")
    } else {
        format!("/{prefix}/{bot}")
    }
}

fn fail(kind: FailureKind, status: Option<u16>, message: String) -> ServiceFailure {
    ServiceFailure::new(kind, status, message)
}

fn send(t: &dyn Transport, req: &Request) -> Result<Response, ServiceFailure> {
    t.send(req)
        .map_err(|e| ServiceFailure::from_transport("Infisical", &req.url, &e))
}

/// Logs the machine identity in; returns the access token and how long it
/// lives. An `access-token` login sends nothing: the token is the answer,
/// with no expiry known.
pub fn login(
    t: &dyn Transport,
    vault: &InfisicalSettings,
    user_agent: &str,
) -> Result<VaultAccess, ServiceFailure> {
    let (path, body, secret) = match &vault.login {
        Login::AccessToken(token) => {
            return Ok(VaultAccess {
                access_token: token.0.clone(),
                expires_in: None,
            })
        }
        Login::UniversalAuth(identity) => (
            "/v1/auth/universal-auth/login",
            serde_json::json!({ "clientId": identity.client_id, "clientSecret": identity.client_secret }),
            identity.client_secret.as_str(),
        ),
        Login::Kubernetes(identity) => (
            "/v1/auth/kubernetes-auth/login",
            identity.body(),
            identity.jwt.as_str(),
        ),
        Login::Oidc(identity) => (
            "/v1/auth/oidc-auth/login",
            identity.body(),
            identity.jwt.as_str(),
        ),
        Login::Jwt(identity) => (
            "/v1/auth/jwt-auth/login",
            identity.body(),
            identity.jwt.as_str(),
        ),
    };
    let mut req = Request::new(Method::Post, join(&vault.api_url, path))
        .header("accept", "application/json")
        .header("user-agent", user_agent)
        .json_body(body.to_string().into_bytes());
    let resp = send(t, &req);
    if let Some(body) = req.body.as_mut() {
        body.zeroize();
    }
    let mut resp = resp?;
    let method = vault.login.method();
    if resp.status != 200 {
        let status = resp.status;
        // Infisical's message, without the credential should it ever echo it.
        let mut said = service_message(&resp.body);
        if !secret.is_empty() {
            said = said.replace(secret, "[redacted]");
        }
        return Err(fail(
            kind_for_status(status),
            Some(status),
            login_refused(&vault.login, status, &said),
        ));
    }
    let what = match method {
        "universal" => "login answer".to_string(),
        _ => format!("{method} login answer"),
    };
    let json: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|_| {
        fail(
            FailureKind::Protocol,
            Some(200),
            format!("Infisical's {what} was not JSON; check INFISICAL_API_URL points at Infisical's API"),
        )
    })?;
    resp.body.zeroize();
    let access = match json["accessToken"].as_str() {
        Some(token) if !token.is_empty() => VaultAccess {
            access_token: token.to_string(),
            // 0 (or no number): the token does not expire.
            expires_in: json["expiresIn"].as_u64().filter(|s| *s > 0),
        },
        _ => {
            return Err(fail(
                FailureKind::Protocol,
                Some(200),
                format!("Infisical's {what} has no accessToken; check INFISICAL_API_URL"),
            ))
        }
    };
    Ok(access)
}

/// The one line for a refused login: the method, Infisical's answer, and
/// what to fix (Universal Auth's lines are the ones it always had).
fn login_refused(login: &Login, status: u16, said: &str) -> String {
    let credential = match login {
        Login::UniversalAuth(_) => {
            let advice = match status {
                401 => "check INFISICAL_CLIENT_ID and INFISICAL_CLIENT_SECRET (the machine identity's Universal Auth credentials)",
                403 => "the client secret's trusted IPs or the identity's access may exclude this machine",
                422 | 400 => "the login request was malformed; check the client ID and secret values",
                429 => "rate limited; wait a minute and try again",
                _ if status >= 500 => "Infisical failed; try again later",
                _ => "unexpected answer; check INFISICAL_API_URL",
            };
            return format!(
                "Infisical refused the machine identity login ({status} {said}); {advice}"
            );
        }
        Login::Kubernetes(_) => "the identity's Kubernetes Auth accepts this pod's service-account token (INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: a token whose audience, namespace and service account it allows)",
        Login::Oidc(_) => "the identity's OIDC Auth trusts this ID token (its issuer, subject and audience: INFISICAL_OIDC_AUDIENCE)",
        Login::Jwt(_) => "the identity's JWT Auth trusts the token in INFISICAL_AUTH_JWT or INFISICAL_AUTH_JWT_PATH (its signing key, issuer, audience and expiry)",
        // Never sent: a given token needs no login (`login` answers it as is).
        Login::AccessToken(_) => "INFISICAL_TOKEN is a current access token",
    };
    let method = login.method();
    let advice = match status {
        401 => format!("check INFISICAL_MACHINE_IDENTITY_ID and that {credential}"),
        403 => "the identity's trusted IPs or access may exclude this machine".to_string(),
        422 | 400 => "the login request was malformed; check INFISICAL_MACHINE_IDENTITY_ID and the token's value".to_string(),
        429 => "rate limited; wait a minute and try again".to_string(),
        _ if status >= 500 => "Infisical failed; try again later".to_string(),
        _ => "unexpected answer; check INFISICAL_API_URL".to_string(),
    };
    format!("Infisical refused the machine identity's {method} login (INFISICAL_AUTH_METHOD={method}; {status} {said}); {advice}")
}

/// Lists the bot's folder and picks APP_ID, INSTALLATION_ID and PRIVATE_KEY_PEM.
pub fn fetch_app_secrets(
    t: &dyn Transport,
    vault: &InfisicalSettings,
    user_agent: &str,
    access_token: &str,
    bot: &str,
) -> Result<AppSecrets, ServiceFailure> {
    let path = secret_path(&vault.path_prefix, bot);
    let url = join(
        &vault.api_url,
        &format!(
            "/v4/secrets?projectId={}&environment={}&secretPath={}&viewSecretValue=true&expandSecretReferences=false&recursive=false&include_imports=false",
            encode(&vault.project_id),
            encode(&vault.environment),
            encode(&path)
        ),
    );
    let req = Request::new(Method::Get, url)
        .header("accept", "application/json")
        .header("user-agent", user_agent)
        .header("authorization", &format!("Bearer {access_token}"));
    let resp = send(t, &req)?;
    let env = &vault.environment;
    let token_rejected = resp.status == 401
        || (resp.status == 403
            && serde_json::from_slice::<serde_json::Value>(&resp.body)
                .is_ok_and(|j| j["error"] == "TokenError"));
    if resp.status != 200 {
        let status = resp.status;
        let said = service_message(&resp.body);
        let advice = match status {
            401 | 403 if token_rejected && matches!(vault.login, Login::AccessToken(_)) => {
                "the access token was refused (expired or revoked): with INFISICAL_AUTH_METHOD=token issue a new INFISICAL_TOKEN; after a login, check the machine identity's Access Token TTL"
                    .to_string()
            }
            404 => format!("create the folder {path} in environment '{env}', or fix INFISICAL_PATH_PREFIX / INFISICAL_ENVIRONMENT / the bot name"),
            401 | 403 => format!("give the machine identity read access to {path} in project {} ({env})", vault.project_id),
            400 | 422 => "check INFISICAL_PROJECT_ID and INFISICAL_ENVIRONMENT".to_string(),
            429 => "rate limited; wait a minute and try again".to_string(),
            _ if status >= 500 => "Infisical failed; try again later".to_string(),
            _ => "unexpected answer; check INFISICAL_API_URL".to_string(),
        };
        let mut failure = fail(
            kind_for_status(status),
            Some(status),
            format!("Infisical refused to list {path} ({status} {said}); {advice}"),
        );
        failure.token_expired = token_rejected;
        return Err(failure);
    }
    let mut resp = resp;
    let secrets = parse_secrets(&resp.body, &path);
    resp.body.zeroize();
    secrets
}

/// Picks the three secrets out of a `GET /v4/secrets` answer.
pub fn parse_secrets(body: &[u8], path: &str) -> Result<AppSecrets, ServiceFailure> {
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| {
        fail(
            FailureKind::Protocol,
            Some(200),
            format!("Infisical's answer for {path} was not JSON; check INFISICAL_API_URL"),
        )
    })?;
    let Some(secrets) = json["secrets"].as_array() else {
        return Err(fail(
            FailureKind::Protocol,
            Some(200),
            format!("Infisical's answer for {path} has no secrets list; check INFISICAL_API_URL"),
        ));
    };
    let find = |name: &str| {
        secrets
            .iter()
            .find(|s| s["secretKey"].as_str() == Some(name))
            .and_then(|s| s["secretValue"].as_str())
            .filter(|v| !v.trim().is_empty() && *v != "<hidden-by-infisical>")
            .map(str::to_string)
    };
    let (app_id, installation_id, pem) =
        (find(APP_ID), find(INSTALLATION_ID), find(PRIVATE_KEY_PEM));
    let missing: Vec<&str> = [(APP_ID, app_id.is_none()), (PRIVATE_KEY_PEM, pem.is_none())]
        .iter()
        .filter(|(_, absent)| *absent)
        .map(|(name, _)| *name)
        .collect();
    match (app_id, pem) {
        (Some(app_id), Some(private_key_pem)) => Ok(AppSecrets {
            app_id,
            installation_id,
            private_key_pem,
        }),
        _ => Err(fail(
            FailureKind::BadSecret,
            Some(200),
            format!(
                "Infisical folder {path} lacks {} (or it is empty or hidden); add it there",
                missing.join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_path_joins_prefix_and_bot_with_one_slash() {
        assert_eq!(
            secret_path("/MooseQuest/", "raxx-dev-bot"),
            "/MooseQuest/raxx-dev-bot"
        );
        assert_eq!(
            secret_path("MooseQuest", "raxx-dev-bot"),
            "/MooseQuest/raxx-dev-bot"
        );
        assert_eq!(secret_path("/a/b//", "x"), "/a/b/x");
        assert_eq!(secret_path("/", "x"), "/x");
    }

    #[test]
    fn parse_names_missing_secrets_without_values() {
        let body = br#"{"secrets":[{"secretKey":"APP_ID","secretValue":"canary-app-id"},{"secretKey":"INSTALLATION_ID","secretValue":"2"}],"imports":[]}"#;
        let err = parse_secrets(body, "/p/bot").err().unwrap();
        assert_eq!(err.kind, FailureKind::BadSecret);
        assert!(
            err.message.contains("lacks PRIVATE_KEY_PEM"),
            "{}",
            err.message
        );
        assert!(!err.message.contains("canary"), "{}", err.message);
        let body = br#"{"secrets":[{"secretKey":"APP_ID","secretValue":"1"},{"secretKey":"PRIVATE_KEY_PEM","secretValue":"k"}]}"#;
        assert!(
            parse_secrets(body, "/p/bot")
                .ok()
                .unwrap()
                .installation_id
                .is_none(),
            "INSTALLATION_ID is optional here"
        );
    }

    #[test]
    fn parse_picks_the_three_values() {
        let body = br#"{"secrets":[{"secretKey":"APP_ID","secretValue":"1"},{"secretKey":"INSTALLATION_ID","secretValue":"2"},{"secretKey":"PRIVATE_KEY_PEM","secretValue":"k"},{"secretKey":"OTHER","secretValue":"x"}]}"#;
        let s = parse_secrets(body, "/p/bot").ok().unwrap();
        assert_eq!(
            (
                s.app_id.as_str(),
                s.installation_id.as_deref(),
                s.private_key_pem.as_str()
            ),
            ("1", Some("2"), "k")
        );
    }

    #[test]
    fn parse_rejects_non_json() {
        assert_eq!(
            parse_secrets(b"<html>", "/p").err().unwrap().kind,
            FailureKind::Protocol
        );
    }
}
