//! GitHub client: exchange the App JWT for an installation access token.

use crate::error::{kind_for_status, service_message, FailureKind, ServiceFailure};
use crate::transport::{Method, Request, Transport};
use crate::url::{encode, join};

/// Where the GitHub REST API is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubSettings {
    pub api_url: String,
    pub user_agent: String,
}

/// One App permission (`contents` = `read`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Permission {
    pub name: String,
    pub level: String,
}

/// What to ask GitHub to scope the token to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    pub repositories: Vec<String>,
    pub permissions: Vec<Permission>,
}

/// The installation token as GitHub issued it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedToken {
    pub token: String,
    pub expires_at: String,
    pub permissions: Vec<Permission>,
    pub repository_selection: Option<String>,
    pub repositories: Vec<String>,
}

pub const API_VERSION: &str = "2022-11-28";

/// Headers every GitHub request carries.
pub fn request(method: Method, gh: &GithubSettings, path: &str, bearer: &str) -> Request {
    Request::new(method, join(&gh.api_url, path))
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", API_VERSION)
        .header("user-agent", &gh.user_agent)
        .header("authorization", &format!("Bearer {bearer}"))
}

/// The JSON body of `POST /app/installations/{id}/access_tokens`.
pub fn scope_body(scope: &Scope) -> serde_json::Value {
    let mut body = serde_json::Map::new();
    if !scope.repositories.is_empty() {
        body.insert("repositories".into(), scope.repositories.clone().into());
    }
    if !scope.permissions.is_empty() {
        let perms: serde_json::Map<String, serde_json::Value> =
            scope.permissions.iter().map(|p| (p.name.clone(), p.level.clone().into())).collect();
        body.insert("permissions".into(), perms.into());
    }
    body.into()
}

/// `POST /app/installations/{installation_id}/access_tokens`. `vault_path`
/// names where INSTALLATION_ID and the key live, for the advice in errors.
pub fn create_installation_token(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    installation_id: u64,
    scope: &Scope,
    vault_path: &str,
) -> Result<IssuedToken, ServiceFailure> {
    let req = request(Method::Post, gh, &format!("/app/installations/{installation_id}/access_tokens"), jwt)
        .json_body(scope_body(scope).to_string().into_bytes());
    let resp = t.send(&req).map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    if resp.status != 201 {
        let status = resp.status;
        let said = service_message(&resp.body);
        let rate_limited = resp.header("x-ratelimit-remaining") == Some("0") || said.to_ascii_lowercase().contains("rate limit");
        let kind = if rate_limited { FailureKind::RateLimited } else { kind_for_status(status) };
        let advice = match status {
            _ if rate_limited => "rate limited; wait for the limit to reset and try again".to_string(),
            401 => format!("GitHub rejected the App JWT: check that APP_ID and PRIVATE_KEY_PEM at {vault_path} belong to the same App, and this machine's clock"),
            403 => "the App lacks a permission for this request, or the installation is suspended; check the App's permissions and installation".to_string(),
            404 => format!("installation {installation_id} does not exist for this App (org renamed or App reinstalled?): update INSTALLATION_ID in Infisical at {vault_path}/"),
            422 => format!("the requested permissions or repositories exceed what installation {installation_id} was granted; narrow the request or grant them to the App"),
            _ if status >= 500 => "GitHub failed; try again later".to_string(),
            _ => "unexpected answer; check GITHUB_API_URL".to_string(),
        };
        let mut failure = ServiceFailure::new(kind, Some(status), format!("GitHub refused the token mint ({status} {said}); {advice}"));
        failure.server_time = crate::retry::server_time(&resp);
        return Err(failure);
    }
    parse_token(&resp.body)
}

/// What `GET /app` says about the App the JWT speaks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppInfo {
    pub id: u64,
    pub slug: String,
}

/// One installation of the App: where it is installed, and its id.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationInfo {
    pub id: u64,
    pub account: String,
}

/// GET with the usual headers; the JSON body of a 200, or a failure naming `what`.
fn get_json(t: &dyn Transport, gh: &GithubSettings, path: &str, bearer: &str, what: &str) -> Result<serde_json::Value, ServiceFailure> {
    let req = request(Method::Get, gh, path, bearer);
    let resp = t.send(&req).map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    if resp.status != 200 {
        let status = resp.status;
        return Err(ServiceFailure::new(kind_for_status(status), Some(status), format!("GitHub refused {what} ({status} {})", service_message(&resp.body))));
    }
    serde_json::from_slice(&resp.body)
        .map_err(|_| ServiceFailure::new(FailureKind::Protocol, Some(200), format!("GitHub's answer to {what} was not JSON; check GITHUB_API_URL")))
}

/// `GET /app` with the App JWT.
pub fn get_app(t: &dyn Transport, gh: &GithubSettings, jwt: &str) -> Result<AppInfo, ServiceFailure> {
    let json = get_json(t, gh, "/app", jwt, "GET /app")?;
    match (json["id"].as_u64(), json["slug"].as_str()) {
        (Some(id), Some(slug)) => Ok(AppInfo { id, slug: slug.to_string() }),
        _ => Err(ServiceFailure::new(FailureKind::Protocol, Some(200), "GitHub's GET /app answer lacks id or slug")),
    }
}

/// `GET /app/installations` with the App JWT (first 100).
pub fn list_installations(t: &dyn Transport, gh: &GithubSettings, jwt: &str) -> Result<Vec<InstallationInfo>, ServiceFailure> {
    let json = get_json(t, gh, "/app/installations?per_page=100", jwt, "GET /app/installations")?;
    Ok(json
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(|i| Some(InstallationInfo { id: i["id"].as_u64()?, account: i["account"]["login"].as_str().unwrap_or("?").to_string() }))
                .collect()
        })
        .unwrap_or_default())
}

/// Finds the App's installation on an owner (`/orgs/{o}`, then `/users/{o}`), or on one repository.
pub fn find_installation(t: &dyn Transport, gh: &GithubSettings, jwt: &str, owner: &str, repo: Option<&str>) -> Result<u64, ServiceFailure> {
    let paths: Vec<String> = match repo {
        Some(repo) => vec![format!("/repos/{}/{}/installation", encode(owner), encode(repo))],
        None => vec![format!("/orgs/{}/installation", encode(owner)), format!("/users/{}/installation", encode(owner))],
    };
    let mut last = None;
    for path in &paths {
        match get_json(t, gh, path, jwt, &format!("GET {path}")) {
            Ok(json) => {
                return json["id"].as_u64().ok_or_else(|| ServiceFailure::new(FailureKind::Protocol, Some(200), format!("GitHub's GET {path} answer has no id")))
            }
            Err(f) if f.status == Some(404) => last = Some(f),
            Err(f) => return Err(f),
        }
    }
    let target = repo.map(|r| format!("{owner}/{r}")).unwrap_or_else(|| owner.to_string());
    let status = last.and_then(|f| f.status);
    Err(ServiceFailure::new(FailureKind::NotFound, status, format!("the App is not installed on {target} (404); install it there, or check --owner/--repo")))
}

/// `GET /installation/repositories` with an installation token: (total count, first 100 names).
pub fn installation_repositories(t: &dyn Transport, gh: &GithubSettings, token: &str) -> Result<(u64, Vec<String>), ServiceFailure> {
    let json = get_json(t, gh, "/installation/repositories?per_page=100", token, "GET /installation/repositories")?;
    let names = json["repositories"]
        .as_array()
        .map(|l| l.iter().filter_map(|r| r["name"].as_str().map(str::to_string)).collect::<Vec<_>>())
        .unwrap_or_default();
    Ok((json["total_count"].as_u64().unwrap_or(names.len() as u64), names))
}

/// `GET /users/{bot}[bot]`: the bot user's id (for commit attribution).
pub fn bot_user_id(t: &dyn Transport, gh: &GithubSettings, token: &str, bot: &str) -> Result<u64, ServiceFailure> {
    let login = format!("{bot}[bot]");
    let path = format!("/users/{}", encode(&login));
    let json = get_json(t, gh, &path, token, &format!("GET /users/{login}"))?;
    json["id"].as_u64().ok_or_else(|| ServiceFailure::new(FailureKind::Protocol, Some(200), format!("GitHub's user {login} has no id")))
}

/// `DELETE /installation/token`: revokes the token it is called with.
pub fn revoke_installation_token(t: &dyn Transport, gh: &GithubSettings, token: &str) -> Result<(), ServiceFailure> {
    let req = request(Method::Delete, gh, "/installation/token", token);
    let resp = t.send(&req).map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    match resp.status {
        204 => Ok(()),
        status => Err(ServiceFailure::new(
            kind_for_status(status),
            Some(status),
            format!("GitHub did not revoke the token ({status} {}); it expires on its own within the hour", service_message(&resp.body)),
        )),
    }
}

/// Whether a token is an installation (server-to-server) token: `ghs_`, not a
/// personal access token (`ghp_`, `github_pat_`) or another kind.
pub fn is_installation_token(token: &str) -> bool {
    token.starts_with("ghs_") && token.len() > 8
}

/// Reads a 201 `installation-token` body. The token is opaque: only its `ghs_` prefix is checked.
pub fn parse_token(body: &[u8]) -> Result<IssuedToken, ServiceFailure> {
    let bad = |what: &str| {
        ServiceFailure::new(FailureKind::Protocol, Some(201), format!("GitHub's access_tokens answer {what}; check GITHUB_API_URL points at GitHub's REST API"))
    };
    let json: serde_json::Value = serde_json::from_slice(body).map_err(|_| bad("was not JSON"))?;
    let token = json["token"].as_str().filter(|t| !t.is_empty()).ok_or_else(|| bad("has no token"))?;
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("holds a malformed token"));
    }
    let expires_at = json["expires_at"].as_str().ok_or_else(|| bad("has no expires_at"))?;
    let permissions = json["permissions"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(name, level)| Permission { name: name.clone(), level: level.as_str().unwrap_or_default().to_string() })
                .collect()
        })
        .unwrap_or_default();
    let repositories = json["repositories"]
        .as_array()
        .map(|repos| repos.iter().filter_map(|r| r["name"].as_str().map(str::to_string)).collect())
        .unwrap_or_default();
    Ok(IssuedToken {
        token: token.to_string(),
        expires_at: expires_at.to_string(),
        permissions,
        repository_selection: json["repository_selection"].as_str().map(str::to_string),
        repositories,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_long_new_format_tokens() {
        let long = format!("ghs_123456_{}.{}.{}", "a".repeat(300), "b_c".repeat(40), "d".repeat(100));
        let body = serde_json::json!({"token": long, "expires_at": "2026-11-22T23:00:00Z", "permissions": {"contents": "read"}, "repository_selection": "selected", "repositories": [{"name": "app"}]});
        let t = parse_token(body.to_string().as_bytes()).unwrap();
        assert_eq!(t.token, long);
        assert_eq!(t.permissions, vec![Permission { name: "contents".into(), level: "read".into() }]);
        assert_eq!(t.repositories, vec!["app".to_string()]);
    }

    #[test]
    fn tells_installation_tokens_from_pats() {
        assert!(is_installation_token("ghs_16C7e42F292c6912E7710c838347Ae178B4a"));
        for token in ["ghp_abcdefghijklmnop", "github_pat_11AAA_x", "gho_x", "ghs_"] {
            assert!(!is_installation_token(token), "{token}");
        }
        let body = serde_json::json!({"token": "", "expires_at": "x"});
        assert_eq!(parse_token(body.to_string().as_bytes()).unwrap_err().kind, FailureKind::Protocol);
        assert!(parse_token(b"not json").is_err());
    }

    #[test]
    fn scope_body_is_empty_without_scope_and_exact_with_it() {
        assert_eq!(scope_body(&Scope::default()).to_string(), "{}");
        let scope = Scope {
            repositories: vec!["app".into()],
            permissions: vec![Permission { name: "issues".into(), level: "write".into() }],
        };
        assert_eq!(scope_body(&scope), serde_json::json!({"repositories": ["app"], "permissions": {"issues": "write"}}));
    }
}
