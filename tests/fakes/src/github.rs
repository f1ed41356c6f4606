//! A fake GitHub REST API for Apps. Strict like the real one: User-Agent
//! required, the App JWT's RS256 signature verified with the App's public key
//! and its claims checked, installations and grants enforced, GitHub's error
//! bodies (`message`, `documentation_url`). Unknown routes answer 501.

use crate::server::{HttpRequest, HttpResponse, Reply};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use rsa::PublicKey;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Mutex;

const DOCS: &str = "https://docs.github.com/rest";

/// A registered GitHub App.
#[derive(Clone)]
pub struct App {
    pub id: u64,
    pub slug: String,
    pub client_id: String,
    pub public_key: PublicKey,
}

/// A user (bots are users named `<slug>[bot]`).
#[derive(Clone, Debug)]
pub struct User {
    pub login: String,
    pub id: u64,
    pub kind: &'static str,
}

/// An installation of an App on an account.
#[derive(Clone, Debug)]
pub struct Installation {
    pub id: u64,
    pub app_id: u64,
    pub account: String,
    /// Granted permissions: name → read|write|admin.
    pub permissions: BTreeMap<String, String>,
    /// Repositories the installation can reach.
    pub repositories: Vec<String>,
}

/// A token the fake issued.
#[derive(Clone, Debug)]
pub struct IssuedToken {
    pub token: String,
    pub installation_id: u64,
    pub permissions: BTreeMap<String, String>,
    pub repositories: Vec<String>,
    pub expires_at: u64,
    pub revoked: bool,
}

/// An issue (or pull request) created through the API, with who created it.
#[derive(Clone, Debug)]
pub struct Issue {
    /// `OWNER/REPO`
    pub repository: String,
    pub number: u64,
    /// The login of the token's bot, `<slug>[bot]`.
    pub author: String,
    pub title: String,
    pub body: String,
    pub pull_request: bool,
    pub open: bool,
}

impl Issue {
    fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "number": self.number,
            "title": self.title,
            "body": self.body,
            "state": if self.open { "open" } else { "closed" },
            "user": {"login": self.author, "type": "Bot"},
            "html_url": format!("https://github.com/{}/{}/{}", self.repository, if self.pull_request { "pull" } else { "issues" }, self.number),
        })
    }
}

/// A `git push` the fake accepted: which bot's token, to which repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Push {
    pub author: String,
    pub repository: String,
}

#[derive(Default)]
struct State {
    apps: HashMap<u64, App>,
    installations: HashMap<u64, Installation>,
    users: Vec<User>,
    tokens: Vec<IssuedToken>,
    /// Bodies of access_tokens requests, in order: (installation id, JSON body).
    token_requests: Vec<(u64, serde_json::Value)>,
    /// Claims of every JWT accepted.
    accepted_claims: Vec<serde_json::Value>,
    faults: HashMap<&'static str, Vec<Reply>>,
    requests: Vec<HttpRequest>,
    /// Seconds added to the fake's clock (to simulate skew).
    clock_offset: i64,
    legacy_token_format: bool,
    /// Path the API is served under (`/api/v3` on GitHub Enterprise Server).
    path_prefix: String,
    /// Lifetime of the installation tokens issued (GitHub's: one hour).
    token_lifetime_secs: Option<u64>,
    /// Where bare repositories are served over git's smart HTTP (`/OWNER/REPO.git`).
    git_root: Option<PathBuf>,
    issues: Vec<Issue>,
    pushes: Vec<Push>,
    /// Suspended installations: id → (since, login of who suspended it).
    suspended: HashMap<u64, (u64, String)>,
}

pub struct FakeGithub {
    state: Mutex<State>,
}

/// A GitHub error body.
pub fn error(status: u16, message: &str) -> Reply {
    Reply::Respond(HttpResponse::json(
        status,
        serde_json::json!({ "message": message, "documentation_url": DOCS, "status": status.to_string() }),
    ))
}

fn rank(level: &str) -> u8 {
    match level {
        "read" => 1,
        "write" => 2,
        "admin" => 3,
        _ => 0,
    }
}

impl Default for FakeGithub {
    fn default() -> Self {
        Self::new()
    }
}

impl FakeGithub {
    pub fn new() -> Self {
        FakeGithub {
            state: Mutex::new(State::default()),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add_app(&self, app: App) {
        self.state().apps.insert(app.id, app);
    }

    /// Renames an App (its slug, as `GET /app` reports it).
    pub fn set_app_slug(&self, app_id: u64, slug: &str) {
        if let Some(app) = self.state().apps.get_mut(&app_id) {
            app.slug = slug.to_string();
        }
    }

    /// Replaces an App's public key (key rotation).
    pub fn set_public_key(&self, app_id: u64, key: PublicKey) {
        if let Some(app) = self.state().apps.get_mut(&app_id) {
            app.public_key = key;
        }
    }

    pub fn add_installation(&self, installation: Installation) {
        self.state()
            .installations
            .insert(installation.id, installation);
    }

    pub fn add_user(&self, user: User) {
        self.state().users.push(user);
    }

    pub fn remove_installation(&self, id: u64) {
        self.state().installations.remove(&id);
    }

    /// Installs the App on one account per id (`org-{id}`, metadata only): an
    /// App with many installations, for pagination.
    pub fn add_installations(&self, app_id: u64, ids: std::ops::Range<u64>) {
        for id in ids {
            let permissions = [("metadata".to_string(), "read".to_string())]
                .into_iter()
                .collect();
            self.add_installation(Installation {
                id,
                app_id,
                account: format!("org-{id}"),
                permissions,
                repositories: vec![],
            });
        }
    }

    /// Whether an installation is suspended now.
    pub fn is_suspended(&self, id: u64) -> bool {
        self.state().suspended.contains_key(&id)
    }

    /// The next requests to `route` ("access_tokens", "revoke") get these replies instead.
    pub fn inject(&self, route: &'static str, replies: Vec<Reply>) {
        self.state()
            .faults
            .entry(route)
            .or_default()
            .extend(replies);
    }

    pub fn set_clock_offset(&self, secs: i64) {
        self.state().clock_offset = secs;
    }

    /// Issue 40-character `ghs_` tokens instead of the new ~520-character ones.
    pub fn use_legacy_token_format(&self, legacy: bool) {
        self.state().legacy_token_format = legacy;
    }

    /// Serve the API under a path, as GitHub Enterprise Server does (`/api/v3`).
    pub fn set_path_prefix(&self, prefix: &str) {
        self.state().path_prefix = prefix.trim_end_matches('/').to_string();
    }

    pub fn requests(&self) -> Vec<HttpRequest> {
        self.state().requests.clone()
    }

    /// Issue installation tokens that live this long (GitHub's live an hour).
    pub fn set_token_lifetime(&self, lifetime: std::time::Duration) {
        self.state().token_lifetime_secs = Some(lifetime.as_secs().max(1));
    }

    /// Serves the bare repositories under `root` (`root/OWNER/REPO.git`) over git's smart HTTP.
    pub fn serve_git(&self, root: PathBuf) {
        self.state().git_root = Some(root);
    }

    /// Issues created through the API, in order.
    pub fn issues(&self) -> Vec<Issue> {
        self.state().issues.clone()
    }

    /// Pushes accepted over git's smart HTTP, in order.
    pub fn pushes(&self) -> Vec<Push> {
        self.state().pushes.clone()
    }

    pub fn token_requests(&self) -> Vec<(u64, serde_json::Value)> {
        self.state().token_requests.clone()
    }

    pub fn accepted_claims(&self) -> Vec<serde_json::Value> {
        self.state().accepted_claims.clone()
    }

    pub fn issued_tokens(&self) -> Vec<IssuedToken> {
        self.state().tokens.clone()
    }

    /// The issued tokens that still authenticate: neither revoked nor expired
    /// (by GitHub's clock). A session that ended leaves none.
    pub fn live_tokens(&self) -> Vec<IssuedToken> {
        let st = self.state();
        st.tokens.iter().filter(|t| st.live(t)).cloned().collect()
    }

    pub fn handle(&self, req: &HttpRequest) -> Reply {
        let reply = self.route(req);
        // GitHub's own clock, which may be skewed against ours.
        let date = crate::time::http_date(self.state().now().max(0) as u64);
        match reply {
            Reply::Respond(r) => Reply::Respond(r.with_header("date", &date)),
            other => other,
        }
    }

    fn route(&self, req: &HttpRequest) -> Reply {
        let mut st = self.state();
        st.requests.push(req.clone());
        if req.header("user-agent").is_none_or(str::is_empty) {
            return Reply::Respond(HttpResponse::text(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).",
            ));
        }
        // git's smart HTTP lives beside the API (github.com/OWNER/REPO.git), not under it.
        // git runs without the lock, so API calls do not queue behind it.
        if let Some((owner, repo)) = crate::git::repository(&req.path) {
            return match git_request(&mut st, req, &owner, &repo) {
                Ok(root) => {
                    drop(st);
                    crate::git::serve(&root, req)
                }
                Err(reply) => reply,
            };
        }
        let Some(path) = req.path.strip_prefix(st.path_prefix.as_str()) else {
            return Reply::Respond(HttpResponse::text(
                501,
                &format!("{} {} not implemented", req.method, req.path),
            ));
        };
        let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
        match (req.method.as_str(), segments.as_slice()) {
            ("POST", ["app", "installations", id, "access_tokens"]) => {
                if let Some(reply) = st
                    .faults
                    .get_mut("access_tokens")
                    .filter(|q| !q.is_empty())
                    .map(|q| q.remove(0))
                {
                    return reply;
                }
                access_tokens(&mut st, req, id)
            }
            ("GET", ["app"]) => match st.authenticate_app(req) {
                Ok(app) => Reply::Respond(HttpResponse::json(
                    200,
                    serde_json::json!({
                        "id": app.id, "slug": app.slug, "client_id": app.client_id, "name": app.slug,
                        "owner": {"login": crate::world::ACCOUNT}, "permissions": {}, "events": [], "installations_count": st.installations.values().filter(|i| i.app_id == app.id).count(),
                    }),
                )),
                Err(reply) => reply,
            },
            ("GET", ["app", "installations"]) => match st.authenticate_app(req) {
                Ok(app) => list_installations(&st, req, &app),
                Err(reply) => reply,
            },
            ("GET", ["app", "installations", id]) => match st.authenticate_app(req) {
                Ok(app) => match st.installation_of(&app, id) {
                    Some(i) => Reply::Respond(HttpResponse::json(200, st.installation_json(i))),
                    None => error(404, "Not Found"),
                },
                Err(reply) => reply,
            },
            (method @ ("PUT" | "DELETE"), ["app", "installations", id, "suspended"]) => {
                match st.authenticate_app(req) {
                    Ok(app) => match st.installation_of(&app, id).map(|i| i.id) {
                        Some(id) if method == "PUT" => {
                            let since = st.now().max(0) as u64;
                            st.suspended
                                .entry(id)
                                .or_insert((since, format!("{}[bot]", app.slug)));
                            Reply::Respond(HttpResponse {
                                status: 204,
                                headers: vec![],
                                body: vec![],
                            })
                        }
                        Some(id) => {
                            st.suspended.remove(&id);
                            Reply::Respond(HttpResponse {
                                status: 204,
                                headers: vec![],
                                body: vec![],
                            })
                        }
                        None => error(404, "Not Found"),
                    },
                    Err(reply) => reply,
                }
            }
            ("GET", ["repos", owner, repo, "installation"]) => {
                lookup_installation(&mut st, req, |i| {
                    i.account.eq_ignore_ascii_case(owner)
                        && i.repositories.iter().any(|r| r == repo)
                })
            }
            ("GET", ["orgs", owner, "installation"])
            | ("GET", ["users", owner, "installation"]) => {
                let owner = owner.to_string();
                lookup_installation(&mut st, req, move |i| {
                    i.account.eq_ignore_ascii_case(&owner)
                })
            }
            ("GET", ["installation", "repositories"]) => match st.authenticate_token(req) {
                Ok(i) => {
                    let t = &st.tokens[i];
                    let account = st
                        .installations
                        .get(&t.installation_id)
                        .map(|i| i.account.clone())
                        .unwrap_or_default();
                    let repos: Vec<serde_json::Value> =
                        t.repositories.iter().map(|r| serde_json::json!({"name": r, "full_name": format!("{account}/{r}"), "private": true})).collect();
                    Reply::Respond(HttpResponse::json(
                        200,
                        serde_json::json!({"total_count": repos.len(), "repositories": repos, "repository_selection": "selected"}),
                    ))
                }
                Err(reply) => reply,
            },
            ("GET", ["repos", owner, repo]) => match st.token_on_repository(req, owner, repo) {
                Ok(_) => Reply::Respond(HttpResponse::json(
                    200,
                    serde_json::json!({"name": repo, "full_name": format!("{owner}/{repo}"), "private": true}),
                )),
                Err(reply) => reply,
            },
            ("POST", ["repos", owner, repo, kind @ ("issues" | "pulls")]) => match st
                .token_on_repository(req, owner, repo)
            {
                Ok(i) => {
                    let needs = if *kind == "issues" {
                        "issues"
                    } else {
                        "pull_requests"
                    };
                    if st.tokens[i].permissions.get(needs).map(String::as_str) != Some("write") {
                        return error(403, "Resource not accessible by integration");
                    }
                    let body = req.json().unwrap_or_default();
                    let Some(title) = body["title"].as_str().filter(|t| !t.is_empty()) else {
                        return error(422, "Validation Failed");
                    };
                    let author = st.bot_login(i);
                    let number = st.issues.len() as u64 + 1;
                    let issue = Issue {
                        repository: format!("{owner}/{repo}"),
                        number,
                        author: author.clone(),
                        title: title.to_string(),
                        body: body["body"].as_str().unwrap_or("").to_string(),
                        pull_request: *kind == "pulls",
                        open: true,
                    };
                    let json = issue.json();
                    st.issues.push(issue);
                    Reply::Respond(HttpResponse::json(201, json))
                }
                Err(reply) => reply,
            },
            ("GET" | "PATCH", ["repos", owner, repo, "issues" | "pulls", number]) => {
                match st.token_on_repository(req, owner, repo) {
                    Ok(i) => {
                        let full = format!("{owner}/{repo}");
                        let patching = req.method == "PATCH";
                        if patching
                            && st.tokens[i].permissions.get("issues").map(String::as_str)
                                != Some("write")
                        {
                            return error(403, "Resource not accessible by integration");
                        }
                        let Some(issue) = st.issues.iter_mut().find(|x| {
                            x.repository == full && Some(x.number) == number.parse().ok()
                        }) else {
                            return error(404, "Not Found");
                        };
                        if patching {
                            if let Some(state) = req
                                .json()
                                .and_then(|b| b["state"].as_str().map(str::to_string))
                            {
                                issue.open = state != "closed";
                            }
                        }
                        Reply::Respond(HttpResponse::json(200, issue.json()))
                    }
                    Err(reply) => reply,
                }
            }
            ("GET", ["users", login]) => {
                let login = crate::server::percent_decode(login);
                match st
                    .users
                    .iter()
                    .find(|u| u.login.eq_ignore_ascii_case(&login))
                {
                    Some(u) => Reply::Respond(HttpResponse::json(
                        200,
                        serde_json::json!({"login": u.login, "id": u.id, "type": u.kind, "node_id": format!("BOT_{}", u.id)}),
                    )),
                    None => error(404, "Not Found"),
                }
            }
            ("DELETE", ["installation", "token"]) => {
                if let Some(reply) = st
                    .faults
                    .get_mut("revoke")
                    .filter(|q| !q.is_empty())
                    .map(|q| q.remove(0))
                {
                    return reply;
                }
                match st.authenticate_token(req) {
                    Ok(i) => {
                        st.tokens[i].revoked = true;
                        Reply::Respond(HttpResponse {
                            status: 204,
                            headers: vec![],
                            body: vec![],
                        })
                    }
                    Err(reply) => reply,
                }
            }
            _ => Reply::Respond(HttpResponse::text(
                501,
                &format!("{} {} not implemented", req.method, req.path),
            )),
        }
    }
}

impl State {
    fn now(&self) -> i64 {
        crate::time::now() as i64 + self.clock_offset
    }

    /// Verifies `Authorization: Bearer <App JWT>` like GitHub; returns the App.
    fn authenticate_app(&mut self, req: &HttpRequest) -> Result<App, Reply> {
        // The scheme is case-insensitive (RFC 9110): @octokit/auth-app sends `bearer`.
        let Some(jwt) = req.header("authorization").and_then(|a| {
            a.strip_prefix("Bearer ")
                .or_else(|| a.strip_prefix("bearer "))
        }) else {
            return Err(error(401, "Requires authentication"));
        };
        let undecodable = || error(401, "A JSON web token could not be decoded");
        let Some(decoded) = crate::jwt::decode(jwt) else {
            return Err(undecodable());
        };
        if decoded.header["alg"] != "RS256" {
            return Err(undecodable());
        }
        let claims_json = decoded.claims.clone();
        let app = match &claims_json["iss"] {
            serde_json::Value::Number(n) => n.as_u64().and_then(|id| self.apps.get(&id).cloned()),
            serde_json::Value::String(s) if s.starts_with("Iv") => {
                self.apps.values().find(|a| &a.client_id == s).cloned()
            }
            serde_json::Value::Null => {
                return Err(error(401, "Missing 'issuer' claim ('iss') in assertion"))
            }
            _ => return Err(error(401, "'Issuer' claim ('iss') must be an Integer")),
        };
        let Some(app) = app else {
            return Err(undecodable());
        };
        if !decoded.signed_by(&app.public_key) {
            return Err(undecodable());
        }
        let now = self.now();
        let (Some(iat), Some(exp)) = (claims_json["iat"].as_i64(), claims_json["exp"].as_i64())
        else {
            return Err(error(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"));
        };
        if iat > now + 30 {
            return Err(error(401, "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"));
        }
        if exp <= now {
            return Err(error(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires"));
        }
        if exp > now + 600 || exp - iat > 660 {
            return Err(error(
                401,
                "'Expiration time' claim ('exp') is too far in the future",
            ));
        }
        self.accepted_claims.push(claims_json);
        Ok(app)
    }

    /// The index of `token` if it is an issued token neither revoked nor
    /// expired, of an installation that is not suspended.
    fn valid_token(&self, token: &str) -> Option<usize> {
        self.tokens
            .iter()
            .position(|t| t.token == token && self.live(t))
    }

    /// Whether an issued token still authenticates: not revoked, not expired,
    /// its installation not suspended.
    fn live(&self, t: &IssuedToken) -> bool {
        !t.revoked
            && t.expires_at > self.now().max(0) as u64
            && !self.suspended.contains_key(&t.installation_id)
    }

    /// Verifies `Authorization: Bearer|token <installation token>`; returns its index.
    fn authenticate_token(&self, req: &HttpRequest) -> Result<usize, Reply> {
        let auth = req.header("authorization").unwrap_or("");
        let token = auth
            .strip_prefix("Bearer ")
            .or_else(|| auth.strip_prefix("token "))
            .unwrap_or("");
        self.valid_token(token)
            .ok_or_else(|| error(401, "Bad credentials"))
    }

    /// A valid token whose installation reaches `owner/repo`; its index.
    fn token_on_repository(
        &self,
        req: &HttpRequest,
        owner: &str,
        repo: &str,
    ) -> Result<usize, Reply> {
        let i = self.authenticate_token(req)?;
        self.reaches(i, owner, repo)
            .then_some(i)
            .ok_or_else(|| error(404, "Not Found"))
    }

    fn reaches(&self, token: usize, owner: &str, repo: &str) -> bool {
        let t = &self.tokens[token];
        let account = self
            .installations
            .get(&t.installation_id)
            .map(|i| i.account.as_str())
            .unwrap_or("");
        account.eq_ignore_ascii_case(owner) && t.repositories.iter().any(|r| r == repo)
    }

    /// `<slug>[bot]`: who a token acts as.
    fn bot_login(&self, token: usize) -> String {
        let app = self
            .installations
            .get(&self.tokens[token].installation_id)
            .and_then(|i| self.apps.get(&i.app_id));
        format!("{}[bot]", app.map(|a| a.slug.as_str()).unwrap_or("unknown"))
    }

    /// The App's installation with this id (path segment), if any.
    fn installation_of(&self, app: &App, id: &str) -> Option<&Installation> {
        id.parse::<u64>()
            .ok()
            .and_then(|id| self.installations.get(&id))
            .filter(|i| i.app_id == app.id)
    }

    fn installation_json(&self, i: &Installation) -> serde_json::Value {
        let mut json = installation_json(i);
        let suspension = self.suspended.get(&i.id);
        json["suspended_at"] = suspension.map(|(at, _)| crate::time::iso8601(*at)).into();
        json["suspended_by"] = suspension
            .map(|(_, by)| serde_json::json!({"login": by, "type": "Bot"}))
            .unwrap_or_default();
        json
    }

    fn new_token(&self, app_id: u64) -> String {
        use rand::Rng;
        let mut rng = rand::rng();
        let mut part = |n: usize| {
            let mut b = vec![0u8; n];
            rng.fill_bytes(&mut b);
            URL_SAFE_NO_PAD.encode(b).replace('-', "x")
        };
        if self.legacy_token_format {
            let p: String = part(27)
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .chain(std::iter::repeat('0'))
                .take(36)
                .collect();
            format!("ghs_{p}")
        } else {
            format!("ghs_{app_id}_{}.{}.{}", part(150), part(150), part(80))
        }
    }
}

/// git's smart HTTP: a valid installation token (basic auth) that reaches the
/// repository; pushes need `contents: write` and are recorded with their bot.
/// Returns the repositories' root to serve the request from (without the lock).
fn git_request(
    st: &mut State,
    req: &HttpRequest,
    owner: &str,
    repo: &str,
) -> Result<std::path::PathBuf, Reply> {
    let Some(root) = st.git_root.clone() else {
        return Err(error(404, "Not Found"));
    };
    let Some(i) = crate::git::basic_password(req).and_then(|token| st.valid_token(&token)) else {
        return Err(crate::git::challenge());
    };
    if !st.reaches(i, owner, repo) {
        return Err(Reply::Respond(HttpResponse::text(
            404,
            "Repository not found.",
        )));
    }
    let pushing = req.path.ends_with("/git-receive-pack")
        || req
            .query
            .get("service")
            .is_some_and(|s| s == "git-receive-pack");
    if pushing && st.tokens[i].permissions.get("contents").map(String::as_str) != Some("write") {
        return Err(Reply::Respond(HttpResponse::text(
            403,
            "Permission to push denied.",
        )));
    }
    if req.path.ends_with("/git-receive-pack") {
        let author = st.bot_login(i);
        st.pushes.push(Push {
            author,
            repository: format!("{owner}/{repo}"),
        });
    }
    Ok(root)
}

/// `GET /app/installations`: `per_page` (default 30, at most 100) and `page`,
/// with GitHub's `Link` header (`rel="next"`, `rel="last"`) while more remain.
fn list_installations(st: &State, req: &HttpRequest, app: &App) -> Reply {
    let mut list: Vec<&Installation> = st
        .installations
        .values()
        .filter(|i| i.app_id == app.id)
        .collect();
    list.sort_by_key(|i| i.id);
    let per_page = req
        .query
        .get("per_page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = req
        .query
        .get("page")
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = list.len().div_ceil(per_page).max(1);
    let body: Vec<serde_json::Value> = list
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|i| st.installation_json(i))
        .collect();
    let mut response = HttpResponse::json(200, body.into());
    if page < last {
        let url = |n: usize| {
            format!(
                "<http://{}{}/app/installations?per_page={per_page}&page={n}>",
                req.header("host").unwrap_or("127.0.0.1"),
                st.path_prefix
            )
        };
        response = response.with_header(
            "link",
            &format!(
                "{}; rel=\"next\", {}; rel=\"last\"",
                url(page + 1),
                url(last)
            ),
        );
    }
    Reply::Respond(response)
}

fn installation_json(i: &Installation) -> serde_json::Value {
    serde_json::json!({"id": i.id, "app_id": i.app_id, "account": {"login": i.account, "type": "Organization"}, "permissions": i.permissions, "repository_selection": "selected"})
}

/// `GET /repos/…/installation`, `/orgs/…/installation`, `/users/…/installation` with the App JWT.
fn lookup_installation(
    st: &mut State,
    req: &HttpRequest,
    matches: impl Fn(&Installation) -> bool,
) -> Reply {
    let app = match st.authenticate_app(req) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    match st
        .installations
        .values()
        .find(|i| i.app_id == app.id && matches(i))
    {
        Some(i) => Reply::Respond(HttpResponse::json(200, st.installation_json(i))),
        None => error(404, "Not Found"),
    }
}

fn access_tokens(st: &mut State, req: &HttpRequest, id: &str) -> Reply {
    let app = match st.authenticate_app(req) {
        Ok(app) => app,
        Err(reply) => return reply,
    };
    let Some(inst) = id
        .parse::<u64>()
        .ok()
        .and_then(|id| st.installations.get(&id).cloned())
        .filter(|i| i.app_id == app.id)
    else {
        return error(404, "Not Found");
    };
    if st.suspended.contains_key(&inst.id) {
        return error(403, "This installation has been suspended");
    }
    let body = if req.body.is_empty() {
        serde_json::json!({})
    } else {
        match req.json() {
            Some(b) if b.is_object() => b,
            _ => return error(400, "Problems parsing JSON"),
        }
    };
    st.token_requests.push((inst.id, body.clone()));
    let mut permissions = inst.permissions.clone();
    if let Some(asked) = body.get("permissions") {
        let Some(asked) = asked.as_object() else {
            return error(
                422,
                "Invalid request.\n\nFor 'properties/permissions', is not an object.",
            );
        };
        let mut granted = BTreeMap::new();
        for (name, level) in asked {
            let level = level.as_str().unwrap_or("");
            let have = inst.permissions.get(name).map(|l| rank(l)).unwrap_or(0);
            if rank(level) == 0 || rank(level) > have {
                return error(
                    422,
                    "The permissions requested are not granted to this installation.",
                );
            }
            granted.insert(name.clone(), level.to_string());
        }
        permissions = granted;
    }
    let mut repositories = Vec::new();
    if let Some(asked) = body.get("repositories").and_then(|r| r.as_array()) {
        for r in asked {
            let name = r.as_str().unwrap_or("");
            if !inst.repositories.iter().any(|have| have == name) {
                return error(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
            }
            repositories.push(name.to_string());
        }
    }
    let now = st.now().max(0) as u64;
    let token = IssuedToken {
        token: st.new_token(app.id),
        installation_id: inst.id,
        permissions: permissions.clone(),
        repositories: if repositories.is_empty() {
            inst.repositories.clone()
        } else {
            repositories.clone()
        },
        expires_at: now + st.token_lifetime_secs.unwrap_or(3600),
        revoked: false,
    };
    let mut answer = serde_json::json!({
        "token": token.token,
        "expires_at": crate::time::iso8601(token.expires_at),
        "permissions": permissions,
        "repository_selection": if repositories.is_empty() { "all" } else { "selected" },
    });
    if !repositories.is_empty() {
        answer["repositories"] = repositories
            .iter()
            .map(|n| serde_json::json!({"name": n, "full_name": format!("{}/{n}", inst.account)}))
            .collect();
    }
    st.tokens.push(token);
    Reply::Respond(HttpResponse::json(201, answer))
}
