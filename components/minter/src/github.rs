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
    request_to(method, gh, join(&gh.api_url, path), bearer)
}

/// `request` for an absolute URL under the API (a page GitHub linked to).
fn request_to(method: Method, gh: &GithubSettings, url: String, bearer: &str) -> Request {
    Request::new(method, url)
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
        let perms: serde_json::Map<String, serde_json::Value> = scope
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.level.clone().into()))
            .collect();
        body.insert("permissions".into(), perms.into());
    }
    body.into()
}

/// Where a bot's App lives, for the advice in errors: the bot, and the vault
/// folder holding its INSTALLATION_ID and key.
#[derive(Clone, Copy, Debug)]
pub struct Origin<'a> {
    pub bot: &'a str,
    pub vault_path: &'a str,
}

/// Whether GitHub's message says the installation is suspended ("This
/// installation has been suspended", its 403 to access_tokens).
pub fn says_suspended(message: &str) -> bool {
    message
        .to_ascii_lowercase()
        .contains("installation has been suspended")
}

/// `POST /app/installations/{installation_id}/access_tokens`.
pub fn create_installation_token(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    installation_id: u64,
    scope: &Scope,
    origin: Origin<'_>,
) -> Result<IssuedToken, ServiceFailure> {
    let Origin { bot, vault_path } = origin;
    let req = request(
        Method::Post,
        gh,
        &format!("/app/installations/{installation_id}/access_tokens"),
        jwt,
    )
    .json_body(scope_body(scope).to_string().into_bytes());
    let resp = t
        .send(&req)
        .map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    if resp.status != 201 {
        let status = resp.status;
        let said = service_message(&resp.body);
        let rate_limited = resp.header("x-ratelimit-remaining") == Some("0")
            || said.to_ascii_lowercase().contains("rate limit");
        let kind = if rate_limited {
            FailureKind::RateLimited
        } else {
            kind_for_status(status)
        };
        let advice = match status {
            _ if rate_limited => "rate limited; wait for the limit to reset and try again".to_string(),
            401 => jwt_rejected(vault_path),
            403 if says_suspended(&said) => format!(
                "installation {installation_id} of {bot} is suspended (kill switch): lift it with `raxx-host unsuspend {bot}`, or in the App's installation settings on GitHub if the account's owner suspended it"
            ),
            403 => "the App lacks a permission for this request, or the installation is suspended; check the App's permissions and installation".to_string(),
            404 => format!("installation {installation_id} does not exist for this App (org renamed or App reinstalled?): update INSTALLATION_ID in Infisical at {vault_path}/"),
            422 => format!("the requested permissions or repositories exceed what installation {installation_id} was granted; narrow the request or grant them to the App"),
            _ if status >= 500 => "GitHub failed; try again later".to_string(),
            _ => "unexpected answer; check GITHUB_API_URL".to_string(),
        };
        let mut failure = ServiceFailure::new(
            kind,
            Some(status),
            format!("GitHub refused the token mint ({status} {said}); {advice}"),
        );
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
fn get_json(
    t: &dyn Transport,
    gh: &GithubSettings,
    path: &str,
    bearer: &str,
    what: &str,
) -> Result<serde_json::Value, ServiceFailure> {
    get_page(t, gh, join(&gh.api_url, path), bearer, what).map(|(json, _)| json)
}

/// GET `url`: the JSON body of a 200 and the `Link` header's `rel="next"` target.
fn get_page(
    t: &dyn Transport,
    gh: &GithubSettings,
    url: String,
    bearer: &str,
    what: &str,
) -> Result<(serde_json::Value, Option<String>), ServiceFailure> {
    let req = request_to(Method::Get, gh, url, bearer);
    let resp = t
        .send(&req)
        .map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    if resp.status != 200 {
        let status = resp.status;
        return Err(ServiceFailure::new(
            kind_for_status(status),
            Some(status),
            format!(
                "GitHub refused {what} ({status} {})",
                service_message(&resp.body)
            ),
        ));
    }
    let json = serde_json::from_slice(&resp.body).map_err(|_| {
        ServiceFailure::new(
            FailureKind::Protocol,
            Some(200),
            format!("GitHub's answer to {what} was not JSON; check GITHUB_API_URL"),
        )
    })?;
    Ok((
        json,
        resp.header("link")
            .and_then(crate::link::next)
            .map(str::to_string),
    ))
}

/// Most pages of a list read (100 items each): a server that keeps answering
/// `rel="next"` cannot keep the component asking.
pub const MAX_PAGES: usize = 50;

/// Every item of a paginated list: `path` with `per_page=100`, then each
/// `rel="next"` page while it stays under GITHUB_API_URL, at most `MAX_PAGES`.
fn get_all_pages(
    t: &dyn Transport,
    gh: &GithubSettings,
    path: &str,
    bearer: &str,
    what: &str,
) -> Result<Vec<serde_json::Value>, ServiceFailure> {
    let base = format!("{}/", gh.api_url.trim_end_matches('/'));
    let mut url = join(&gh.api_url, path);
    let mut items = Vec::new();
    for _ in 0..MAX_PAGES {
        let (json, next) = get_page(t, gh, url, bearer, what)?;
        let page = match json {
            serde_json::Value::Array(page) => page,
            _ => {
                return Err(ServiceFailure::new(
                    FailureKind::Protocol,
                    Some(200),
                    format!("GitHub's answer to {what} was not a list; check GITHUB_API_URL"),
                ))
            }
        };
        let empty = page.is_empty();
        items.extend(page);
        match next {
            None => return Ok(items),
            _ if empty => return Ok(items),
            Some(next) if next.starts_with(&base) => url = next,
            Some(next) => {
                let said = crate::names::one_line(&crate::url::origin(&next), 80);
                return Err(ServiceFailure::new(FailureKind::Protocol, Some(200), format!("GitHub's next page of {what} is not under GITHUB_API_URL ({said}); not followed")));
            }
        }
    }
    Err(ServiceFailure::new(
        FailureKind::Protocol,
        Some(200),
        format!("GitHub's {what} went on past {MAX_PAGES} pages; stopped there"),
    ))
}

/// `GET /app` with the App JWT.
pub fn get_app(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
) -> Result<AppInfo, ServiceFailure> {
    let json = get_json(t, gh, "/app", jwt, "GET /app")?;
    match (json["id"].as_u64(), json["slug"].as_str()) {
        (Some(id), Some(slug)) => Ok(AppInfo {
            id,
            slug: slug.to_string(),
        }),
        _ => Err(ServiceFailure::new(
            FailureKind::Protocol,
            Some(200),
            "GitHub's GET /app answer lacks id or slug",
        )),
    }
}

/// `GET /app/installations` with the App JWT: every page (see `get_all_pages`).
pub fn list_installations(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
) -> Result<Vec<InstallationInfo>, ServiceFailure> {
    let list = get_all_pages(
        t,
        gh,
        "/app/installations?per_page=100",
        jwt,
        "GET /app/installations",
    )?;
    Ok(list
        .iter()
        .filter_map(|i| {
            Some(InstallationInfo {
                id: i["id"].as_u64()?,
                account: crate::names::one_line(i["account"]["login"].as_str().unwrap_or("?"), 100),
            })
        })
        .collect())
}

/// The advice for a 401 to a request made with the App JWT.
fn jwt_rejected(vault_path: &str) -> String {
    format!("GitHub rejected the App JWT: check that APP_ID and PRIVATE_KEY_PEM at {vault_path} belong to the same App, and this machine's clock")
}

/// What `GET /app/installations/{id}` says about one installation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallationState {
    /// The permissions the installation was granted.
    pub permissions: Vec<Permission>,
    /// Set while suspended (ISO-8601), and who suspended it (a login).
    pub suspended_at: Option<String>,
    pub suspended_by: Option<String>,
}

/// Reads a permissions object (`{"contents": "write", …}`). A level that is
/// not `read`, `write` or `admin` (GitHub documents no other, and a non-string
/// is none) is skipped, not a protocol failure: it grants nothing a policy can
/// ask for, so it cannot satisfy a request, and refusing the whole answer over
/// it would stop mints GitHub is willing to make. Drift reports such a
/// permission as not granted.
fn permissions_of(json: &serde_json::Value) -> Vec<Permission> {
    json.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(name, level)| {
                    let level = crate::permissions::Level::parse(level.as_str()?)?;
                    Some(Permission {
                        name: name.clone(),
                        level: level.as_str().to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `GET /app/installations/{installation_id}` with the App JWT.
pub fn get_installation(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    installation_id: u64,
) -> Result<InstallationState, ServiceFailure> {
    let path = format!("/app/installations/{installation_id}");
    let json = get_json(t, gh, &path, jwt, &format!("GET {path}"))?;
    Ok(InstallationState {
        permissions: permissions_of(&json["permissions"]),
        suspended_at: json["suspended_at"].as_str().map(str::to_string),
        // `suspended_by` is nullable: a suspension that names no one is by "unknown".
        suspended_by: json["suspended_at"].as_str().map(|_| {
            json["suspended_by"]["login"]
                .as_str()
                .unwrap_or("unknown")
                .to_string()
        }),
    })
}

/// `PUT` (suspend) or `DELETE` (unsuspend) `/app/installations/{id}/suspended` with the App JWT; 204 either way.
pub fn set_suspended(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    installation_id: u64,
    suspended: bool,
    origin: Origin<'_>,
) -> Result<(), ServiceFailure> {
    let path = format!("/app/installations/{installation_id}/suspended");
    let method = if suspended {
        Method::Put
    } else {
        Method::Delete
    };
    // GitHub asks for `Content-Length: 0` on a PUT without a body.
    let req = request(method, gh, &path, jwt).header("content-length", "0");
    let resp = t
        .send(&req)
        .map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    if resp.status == 204 {
        return Ok(());
    }
    let (status, said) = (resp.status, service_message(&resp.body));
    let vault_path = origin.vault_path;
    let advice = match status {
        401 => jwt_rejected(vault_path),
        403 if !suspended => "if an owner of the account suspended the installation, only they can lift it, in its installation settings on GitHub".to_string(),
        403 => "only the App's owner can suspend its installations through the API; suspend it in the installation settings on GitHub instead".to_string(),
        404 => format!("installation {installation_id} does not exist for this App: check INSTALLATION_ID at {vault_path}/ (raxx-host verify {})", origin.bot),
        _ if status >= 500 => "GitHub failed; try again".to_string(),
        _ => "unexpected answer; check GITHUB_API_URL".to_string(),
    };
    let verb = if suspended { "suspend" } else { "unsuspend" };
    Err(ServiceFailure::new(
        kind_for_status(status),
        Some(status),
        format!("GitHub did not {verb} installation {installation_id} ({status} {said}); {advice}"),
    ))
}

/// Finds the App's installation on an owner (`/orgs/{o}`, then `/users/{o}`), or on one repository.
pub fn find_installation(
    t: &dyn Transport,
    gh: &GithubSettings,
    jwt: &str,
    owner: &str,
    repo: Option<&str>,
) -> Result<u64, ServiceFailure> {
    let paths: Vec<String> = match repo {
        Some(repo) => vec![format!(
            "/repos/{}/{}/installation",
            encode(owner),
            encode(repo)
        )],
        None => vec![
            format!("/orgs/{}/installation", encode(owner)),
            format!("/users/{}/installation", encode(owner)),
        ],
    };
    let mut last = None;
    for path in &paths {
        match get_json(t, gh, path, jwt, &format!("GET {path}")) {
            Ok(json) => {
                return json["id"].as_u64().ok_or_else(|| {
                    ServiceFailure::new(
                        FailureKind::Protocol,
                        Some(200),
                        format!("GitHub's GET {path} answer has no id"),
                    )
                })
            }
            Err(f) if f.status == Some(404) => last = Some(f),
            Err(f) => return Err(f),
        }
    }
    let target = repo
        .map(|r| format!("{owner}/{r}"))
        .unwrap_or_else(|| owner.to_string());
    let status = last.and_then(|f| f.status);
    Err(ServiceFailure::new(
        FailureKind::NotFound,
        status,
        format!(
            "the App is not installed on {target} (404); install it there, or check --owner/--repo"
        ),
    ))
}

/// `GET /installation/repositories` with an installation token: (total count, first 100 names).
pub fn installation_repositories(
    t: &dyn Transport,
    gh: &GithubSettings,
    token: &str,
) -> Result<(u64, Vec<String>), ServiceFailure> {
    let json = get_json(
        t,
        gh,
        "/installation/repositories?per_page=100",
        token,
        "GET /installation/repositories",
    )?;
    let names = json["repositories"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    Ok((
        json["total_count"].as_u64().unwrap_or(names.len() as u64),
        names,
    ))
}

/// `GET /users/{bot}[bot]`: the bot user's id (for commit attribution).
pub fn bot_user_id(
    t: &dyn Transport,
    gh: &GithubSettings,
    token: &str,
    bot: &str,
) -> Result<u64, ServiceFailure> {
    let login = format!("{bot}[bot]");
    let path = format!("/users/{}", encode(&login));
    let json = get_json(t, gh, &path, token, &format!("GET /users/{login}"))?;
    json["id"].as_u64().ok_or_else(|| {
        ServiceFailure::new(
            FailureKind::Protocol,
            Some(200),
            format!("GitHub's user {login} has no id"),
        )
    })
}

/// `DELETE /installation/token`: revokes the token it is called with.
pub fn revoke_installation_token(
    t: &dyn Transport,
    gh: &GithubSettings,
    token: &str,
) -> Result<(), ServiceFailure> {
    let req = request(Method::Delete, gh, "/installation/token", token);
    let resp = t
        .send(&req)
        .map_err(|e| ServiceFailure::from_transport("GitHub", &req.url, &e))?;
    match resp.status {
        204 => Ok(()),
        401 => Err(ServiceFailure::new(
            kind_for_status(401),
            Some(401),
            format!("GitHub does not accept the token (401 {}): it has expired or was revoked already, or GitHub never issued it", service_message(&resp.body)),
        )),
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
    let token = json["token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| bad("has no token"))?;
    if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("holds a malformed token"));
    }
    let expires_at = json["expires_at"]
        .as_str()
        .ok_or_else(|| bad("has no expires_at"))?;
    let permissions = permissions_of(&json["permissions"]);
    let repositories = json["repositories"]
        .as_array()
        .map(|repos| {
            repos
                .iter()
                .filter_map(|r| r["name"].as_str().map(str::to_string))
                .collect()
        })
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
    use crate::transport::{Response, TransportError};
    use std::cell::RefCell;

    /// Answers every request with `answer(n, request)` and records the URLs asked.
    struct Server<F: Fn(usize, &Request) -> Response> {
        answer: F,
        asked: RefCell<Vec<String>>,
    }

    impl<F: Fn(usize, &Request) -> Response> Transport for Server<F> {
        fn send(&self, request: &Request) -> Result<Response, TransportError> {
            let n = self.asked.borrow().len();
            self.asked
                .borrow_mut()
                .push(format!("{} {}", request.method.as_str(), request.url));
            Ok((self.answer)(n, request))
        }
    }

    fn server<F: Fn(usize, &Request) -> Response>(answer: F) -> Server<F> {
        Server {
            answer,
            asked: RefCell::new(Vec::new()),
        }
    }

    fn gh() -> GithubSettings {
        GithubSettings {
            api_url: "https://ghe.example/api/v3".into(),
            user_agent: "raxx-test".into(),
        }
    }

    fn page(ids: std::ops::Range<u64>, next: Option<&str>) -> Response {
        let body: Vec<serde_json::Value> = ids
            .map(|id| serde_json::json!({"id": id, "account": {"login": format!("org-{id}")}}))
            .collect();
        let headers = next
            .map(|n| {
                vec![(
                    "Link".to_string(),
                    format!("<{n}>; rel=\"next\", <{n}>; rel=\"last\""),
                )]
            })
            .unwrap_or_default();
        Response {
            status: 200,
            headers,
            body: serde_json::Value::from(body).to_string().into_bytes(),
        }
    }

    const ORIGIN: Origin<'static> = Origin {
        bot: "raxx-dev-bot",
        vault_path: "/MooseQuest/raxx-dev-bot",
    };

    #[test]
    fn a_level_github_does_not_document_is_skipped_not_fatal() {
        let json = serde_json::json!({"contents": "write", "pages": "owner", "issues": 3, "metadata": "read"});
        let read: Vec<(String, String)> = permissions_of(&json)
            .into_iter()
            .map(|p| (p.name, p.level))
            .collect();
        assert_eq!(
            read,
            [("contents", "write"), ("metadata", "read")]
                .map(|(n, l)| (n.to_string(), l.to_string()))
        );
    }

    #[test]
    fn revoking_a_token_github_no_longer_accepts_says_so() {
        let answer = |status: u16| {
            server(move |_, _| Response {
                status,
                headers: vec![],
                body: br#"{"message":"Bad credentials"}"#.to_vec(),
            })
        };
        let e = revoke_installation_token(&answer(401), &gh(), "ghs_x").unwrap_err();
        assert_eq!(e.status, Some(401));
        assert_eq!(e.message, "GitHub does not accept the token (401 Bad credentials): it has expired or was revoked already, or GitHub never issued it");
        let e = revoke_installation_token(&answer(500), &gh(), "ghs_x").unwrap_err();
        assert!(
            e.message
                .starts_with("GitHub did not revoke the token (500"),
            "{}",
            e.message
        );
        let t = answer(204);
        revoke_installation_token(&t, &gh(), "ghs_x").unwrap();
        assert_eq!(
            t.asked.borrow().as_slice(),
            ["DELETE https://ghe.example/api/v3/installation/token"]
        );
    }

    #[test]
    fn installations_are_read_past_the_first_page() {
        let t = server(|n, _| match n {
            0 => page(
                0..100,
                Some("https://ghe.example/api/v3/app/installations?per_page=100&page=2"),
            ),
            _ => page(100..150, None),
        });
        let list = list_installations(&t, &gh(), "jwt").unwrap();
        assert_eq!(
            (list.len(), list[149].id, list[149].account.as_str()),
            (150, 149, "org-149")
        );
        assert_eq!(
            *t.asked.borrow(),
            [
                "GET https://ghe.example/api/v3/app/installations?per_page=100",
                "GET https://ghe.example/api/v3/app/installations?per_page=100&page=2"
            ]
        );
    }

    #[test]
    fn a_server_that_always_has_a_next_page_is_stopped() {
        let t = server(|n, _| {
            page(
                n as u64..n as u64 + 1,
                Some(&format!(
                    "https://ghe.example/api/v3/app/installations?page={}",
                    n + 2
                )),
            )
        });
        let f = list_installations(&t, &gh(), "jwt").unwrap_err();
        assert_eq!(t.asked.borrow().len(), MAX_PAGES);
        assert!(f.message.contains("went on past 50 pages"), "{}", f.message);
    }

    #[test]
    fn a_next_page_outside_the_api_is_not_followed() {
        for elsewhere in [
            "https://evil.example/app/installations?page=2",
            "https://ghe.example/other/app/installations?page=2",
            "https://ghe.example/api/v3.evil/x",
        ] {
            let t = server(|_, _| page(0..1, Some(elsewhere)));
            let f = list_installations(&t, &gh(), "jwt").unwrap_err();
            assert_eq!(t.asked.borrow().len(), 1, "{elsewhere}");
            assert!(
                f.message.contains("not under GITHUB_API_URL"),
                "{}",
                f.message
            );
        }
    }

    #[test]
    fn a_suspended_installation_is_named_with_how_to_lift_it() {
        let t = server(|_, _| {
            Response { status: 403, headers: vec![], body: br#"{"message":"This installation has been suspended","documentation_url":"https://docs.github.com/rest"}"#.to_vec() }
        });
        let f =
            create_installation_token(&t, &gh(), "jwt", 7, &Scope::default(), ORIGIN).unwrap_err();
        assert_eq!((f.kind, f.status), (FailureKind::Refused, Some(403)));
        assert!(f.message.starts_with("GitHub refused the token mint (403 This installation has been suspended); installation 7 of raxx-dev-bot is suspended"), "{}", f.message);
        assert!(
            f.message.contains("`raxx-host unsuspend raxx-dev-bot`")
                && f.message.contains("installation settings"),
            "{}",
            f.message
        );
        let t = server(|_, _| Response {
            status: 403,
            headers: vec![],
            body: br#"{"message":"Resource not accessible by integration"}"#.to_vec(),
        });
        let f =
            create_installation_token(&t, &gh(), "jwt", 7, &Scope::default(), ORIGIN).unwrap_err();
        assert!(!f.message.contains("unsuspend"), "{}", f.message);
    }

    #[test]
    fn suspend_puts_and_unsuspend_deletes_with_the_jwt() {
        let t = server(|_, r| {
            assert!(r
                .headers
                .contains(&("authorization".into(), "Bearer jwt".into())));
            assert!(r.headers.contains(&("content-length".into(), "0".into())));
            Response {
                status: 204,
                headers: vec![],
                body: vec![],
            }
        });
        set_suspended(&t, &gh(), "jwt", 7, true, ORIGIN).unwrap();
        set_suspended(&t, &gh(), "jwt", 7, false, ORIGIN).unwrap();
        assert_eq!(
            *t.asked.borrow(),
            [
                "PUT https://ghe.example/api/v3/app/installations/7/suspended",
                "DELETE https://ghe.example/api/v3/app/installations/7/suspended"
            ]
        );
        let t = server(|_, _| Response {
            status: 404,
            headers: vec![],
            body: br#"{"message":"Not Found"}"#.to_vec(),
        });
        let f = set_suspended(&t, &gh(), "jwt", 7, true, ORIGIN).unwrap_err();
        assert_eq!(f.message, "GitHub did not suspend installation 7 (404 Not Found); installation 7 does not exist for this App: check INSTALLATION_ID at /MooseQuest/raxx-dev-bot/ (raxx-host verify raxx-dev-bot)");
    }

    #[test]
    fn an_installation_reads_its_grants_and_suspension() {
        let body = serde_json::json!({"id": 7, "permissions": {"issues": "write", "odd": 3}, "suspended_at": "2026-11-30T10:00:00Z", "suspended_by": {"login": "octo-admin"}});
        let t = server(move |_, _| Response {
            status: 200,
            headers: vec![],
            body: body.to_string().into_bytes(),
        });
        let state = get_installation(&t, &gh(), "jwt", 7).unwrap();
        assert_eq!(
            state.permissions,
            vec![Permission {
                name: "issues".into(),
                level: "write".into()
            }]
        );
        assert_eq!(
            (state.suspended_at.as_deref(), state.suspended_by.as_deref()),
            (Some("2026-11-30T10:00:00Z"), Some("octo-admin"))
        );
        let t = server(|_, _| Response {
            status: 200,
            headers: vec![],
            body: br#"{"id": 7, "permissions": {}, "suspended_at": null, "suspended_by": null}"#
                .to_vec(),
        });
        assert_eq!(
            get_installation(&t, &gh(), "jwt", 7).unwrap().suspended_by,
            None
        );
    }

    #[test]
    fn accepts_long_new_format_tokens() {
        let long = format!(
            "ghs_123456_{}.{}.{}",
            "a".repeat(300),
            "b_c".repeat(40),
            "d".repeat(100)
        );
        let body = serde_json::json!({"token": long, "expires_at": "2026-11-22T23:00:00Z", "permissions": {"contents": "read"}, "repository_selection": "selected", "repositories": [{"name": "app"}]});
        let t = parse_token(body.to_string().as_bytes()).unwrap();
        assert_eq!(t.token, long);
        assert_eq!(
            t.permissions,
            vec![Permission {
                name: "contents".into(),
                level: "read".into()
            }]
        );
        assert_eq!(t.repositories, vec!["app".to_string()]);
    }

    #[test]
    fn tells_installation_tokens_from_pats() {
        assert!(is_installation_token(
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
        ));
        for token in [
            "ghp_abcdefghijklmnop",
            "github_pat_11AAA_x",
            "gho_x",
            "ghs_",
        ] {
            assert!(!is_installation_token(token), "{token}");
        }
        let body = serde_json::json!({"token": "", "expires_at": "x"});
        assert_eq!(
            parse_token(body.to_string().as_bytes()).unwrap_err().kind,
            FailureKind::Protocol
        );
        assert!(parse_token(b"not json").is_err());
    }

    #[test]
    fn scope_body_is_empty_without_scope_and_exact_with_it() {
        assert_eq!(scope_body(&Scope::default()).to_string(), "{}");
        let scope = Scope {
            repositories: vec!["app".into()],
            permissions: vec![Permission {
                name: "issues".into(),
                level: "write".into(),
            }],
        };
        assert_eq!(
            scope_body(&scope),
            serde_json::json!({"repositories": ["app"], "permissions": {"issues": "write"}})
        );
    }
}
