//! Infisical: a machine identity logs in (Universal Auth), then one list
//! call reads the bot's folder `{path-prefix}/{bot}`.

use super::{AppSecrets, Vault, APP_ID, INSTALLATION_ID, PRIVATE_KEY_PEM};
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

    /// Logs in, lists the folder; an access token that expired (or was
    /// revoked) between the two calls gets one fresh login and a second list.
    fn fetch_app_secrets(
        &self,
        t: &dyn Transport,
        user_agent: &str,
        bot: &str,
    ) -> Result<AppSecrets, ServiceFailure> {
        let access_token = login(t, self, user_agent)?;
        match fetch_app_secrets(t, self, user_agent, &access_token, bot) {
            Err(f) if f.token_expired => {
                let fresh = login(t, self, user_agent)?;
                fetch_app_secrets(t, self, user_agent, &fresh, bot)
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

/// Logs the machine identity in; returns the access token.
pub fn login(
    t: &dyn Transport,
    vault: &InfisicalSettings,
    user_agent: &str,
) -> Result<String, ServiceFailure> {
    let Login::UniversalAuth(identity) = &vault.login;
    let body = serde_json::json!({ "clientId": identity.client_id, "clientSecret": identity.client_secret })
        .to_string()
        .into_bytes();
    let mut req = Request::new(
        Method::Post,
        join(&vault.api_url, "/v1/auth/universal-auth/login"),
    )
    .header("accept", "application/json")
    .header("user-agent", user_agent)
    .json_body(body);
    let resp = send(t, &req);
    if let Some(body) = req.body.as_mut() {
        body.zeroize();
    }
    let mut resp = resp?;
    if resp.status != 200 {
        let status = resp.status;
        let said = service_message(&resp.body);
        let kind = kind_for_status(status);
        let advice = match status {
            401 => "check INFISICAL_CLIENT_ID and INFISICAL_CLIENT_SECRET (the machine identity's Universal Auth credentials)",
            403 => "the client secret's trusted IPs or the identity's access may exclude this machine",
            422 | 400 => "the login request was malformed; check the client ID and secret values",
            429 => "rate limited; wait a minute and try again",
            _ if status >= 500 => "Infisical failed; try again later",
            _ => "unexpected answer; check INFISICAL_API_URL",
        };
        return Err(fail(
            kind,
            Some(status),
            format!("Infisical refused the machine identity login ({status} {said}); {advice}"),
        ));
    }
    let json: serde_json::Value = serde_json::from_slice(&resp.body).map_err(|_| {
        fail(FailureKind::Protocol, Some(200), "Infisical's login answer was not JSON; check INFISICAL_API_URL points at Infisical's API".into())
    })?;
    resp.body.zeroize();
    match json["accessToken"].as_str() {
        Some(token) if !token.is_empty() => Ok(token.to_string()),
        _ => Err(fail(
            FailureKind::Protocol,
            Some(200),
            "Infisical's login answer has no accessToken; check INFISICAL_API_URL".into(),
        )),
    }
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
