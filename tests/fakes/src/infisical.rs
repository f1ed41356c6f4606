//! A fake Infisical: the machine-identity logins (Universal Auth, and
//! Kubernetes, OIDC and JWT Auth, which verify the JWT they are given) and
//! `GET /api/v4/secrets`, with the real service's status codes and error
//! bodies (`reqId`, `statusCode`, `message`, `error`). Access tokens live
//! `expiresIn` seconds (7200 unless set; 0: they do not expire). It counts
//! logins per method and secret reads. Unknown routes answer 501.

use crate::server::{HttpRequest, HttpResponse, Reply};
use rsa::PublicKey;
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

/// How long access tokens live unless [`FakeInfisical::set_expires_in`] says.
pub const DEFAULT_EXPIRES_IN: u64 = 7200;

/// An identity that logs in with a JWT: its method (`kubernetes`, `oidc` or
/// `jwt`), the key its issuer signs with, the audience its tokens must carry
/// and, when set, their subject.
#[derive(Clone)]
pub struct JwtIdentity {
    pub method: &'static str,
    pub key: PublicKey,
    pub audience: String,
    pub subject: Option<String>,
}

/// One secret as stored: key and value.
pub type Secret = (String, String);

#[derive(Default)]
struct State {
    /// clientId → clientSecret
    identities: HashMap<String, String>,
    /// identityId → how it logs in with a JWT
    jwt_identities: HashMap<String, JwtIdentity>,
    /// access tokens issued
    tokens: Vec<String>,
    /// access token → when it expires (unix seconds; none: never)
    expiry: HashMap<String, Option<u64>>,
    /// access tokens revoked (refused with 401)
    revoked: Vec<String>,
    /// `expiresIn` of the tokens issued from now on
    expires_in: u64,
    /// login requests received, per method (`universal`, `kubernetes`, …)
    logins: BTreeMap<&'static str, usize>,
    /// `GET /v4/secrets` requests received
    secret_reads: usize,
    project_id: String,
    /// (environment, folder path) → secrets
    folders: HashMap<(String, String), Vec<Secret>>,
    /// Replies to use instead of the normal ones, per route ("login", "secrets"), in order.
    faults: HashMap<&'static str, Vec<Reply>>,
    outage: bool,
    requests: Vec<HttpRequest>,
    next_id: u64,
}

pub struct FakeInfisical {
    state: Mutex<State>,
}

/// An Infisical error body.
pub fn error(status: u16, name: &str, message: &str) -> Reply {
    Reply::Respond(HttpResponse::json(
        status,
        serde_json::json!({ "reqId": "req-fake", "statusCode": status, "message": message, "error": name }),
    ))
}

impl FakeInfisical {
    pub fn new(project_id: &str) -> Self {
        let state = State {
            project_id: project_id.into(),
            expires_in: DEFAULT_EXPIRES_IN,
            ..State::default()
        };
        FakeInfisical {
            state: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn add_identity(&self, client_id: &str, client_secret: &str) {
        self.state()
            .identities
            .insert(client_id.into(), client_secret.into());
    }

    /// Registers an identity that logs in with `method` (`kubernetes`,
    /// `oidc` or `jwt`): its JWTs must be RS256-signed by `key`'s issuer,
    /// carry `audience` in `aud`, be unexpired and, when `subject` is given,
    /// have it as `sub`.
    pub fn add_jwt_identity(
        &self,
        identity_id: &str,
        method: &str,
        key: PublicKey,
        audience: &str,
        subject: Option<&str>,
    ) {
        let method = match method {
            "kubernetes" => "kubernetes",
            "oidc" => "oidc",
            "jwt" => "jwt",
            other => panic!("no JWT login method {other:?}: kubernetes, oidc or jwt"),
        };
        self.state().jwt_identities.insert(
            identity_id.into(),
            JwtIdentity {
                method,
                key,
                audience: audience.into(),
                subject: subject.map(str::to_string),
            },
        );
    }

    /// The `expiresIn` of access tokens issued from now on (seconds; 0: they
    /// do not expire).
    pub fn set_expires_in(&self, seconds: u64) {
        self.state().expires_in = seconds;
    }

    /// Makes every access token issued so far expired: the secrets list
    /// answers 403 `TokenError` for them, as Infisical does.
    pub fn expire_access_tokens(&self) {
        for expiry in self.state().expiry.values_mut() {
            *expiry = Some(0);
        }
    }

    /// Revokes every access token issued so far: the secrets list answers 401
    /// for them, as Infisical does.
    pub fn revoke_access_tokens(&self) {
        let mut st = self.state();
        let tokens = st.tokens.clone();
        st.revoked.extend(tokens);
    }

    /// Login requests received so far, every method together.
    pub fn logins(&self) -> usize {
        self.state().logins.values().sum()
    }

    /// Login requests received so far with `method` (`universal`,
    /// `kubernetes`, `oidc`, `jwt`).
    pub fn logins_by(&self, method: &str) -> usize {
        self.state().logins.get(method).copied().unwrap_or(0)
    }

    /// `GET /v4/secrets` requests received so far.
    pub fn secret_reads(&self) -> usize {
        self.state().secret_reads
    }

    /// Creates or replaces a folder's secrets.
    pub fn put_folder(&self, environment: &str, path: &str, secrets: Vec<Secret>) {
        self.state()
            .folders
            .insert((environment.into(), path.into()), secrets);
    }

    /// Sets (or adds) one secret in a folder.
    pub fn set_secret(&self, environment: &str, path: &str, key: &str, value: &str) {
        let mut st = self.state();
        let folder = st
            .folders
            .entry((environment.into(), path.into()))
            .or_default();
        folder.retain(|(k, _)| k != key);
        folder.push((key.into(), value.into()));
    }

    pub fn remove_secret(&self, environment: &str, path: &str, key: &str) {
        if let Some(folder) = self
            .state()
            .folders
            .get_mut(&(environment.into(), path.into()))
        {
            folder.retain(|(k, _)| k != key);
        }
    }

    pub fn remove_folder(&self, environment: &str, path: &str) {
        self.state()
            .folders
            .remove(&(environment.to_string(), path.to_string()));
    }

    /// The next requests to `route` ("login", any method's, or "secrets") get these replies instead.
    pub fn inject(&self, route: &'static str, replies: Vec<Reply>) {
        self.state()
            .faults
            .entry(route)
            .or_default()
            .extend(replies);
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.state().requests.clone()
    }

    /// Every access token issued by a login so far.
    pub fn access_tokens(&self) -> Vec<String> {
        self.state().tokens.clone()
    }

    /// While on, every request is answered 503 (the vault is down).
    pub fn set_outage(&self, down: bool) {
        self.state().outage = down;
    }

    pub fn handle(&self, req: &HttpRequest) -> Reply {
        let mut st = self.state();
        st.requests.push(req.clone());
        if st.outage {
            return error(503, "ServiceUnavailable", "Infisical is down");
        }
        let (route, method) = match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/v1/auth/universal-auth/login") => ("login", "universal"),
            ("POST", "/api/v1/auth/kubernetes-auth/login") => ("login", "kubernetes"),
            ("POST", "/api/v1/auth/oidc-auth/login") => ("login", "oidc"),
            ("POST", "/api/v1/auth/jwt-auth/login") => ("login", "jwt"),
            ("GET", "/api/v4/secrets") => ("secrets", ""),
            _ => {
                return Reply::Respond(HttpResponse::text(
                    501,
                    &format!("{} {} not implemented", req.method, req.path),
                ))
            }
        };
        match route {
            "login" => *st.logins.entry(method).or_default() += 1,
            _ => st.secret_reads += 1,
        }
        if let Some(queue) = st.faults.get_mut(route) {
            if !queue.is_empty() {
                return queue.remove(0);
            }
        }
        match method {
            "universal" => login(&mut st, req),
            "" => list_secrets(&st, req),
            _ => jwt_login(&mut st, req, method),
        }
    }
}

fn login(st: &mut State, req: &HttpRequest) -> Reply {
    let body = req.json().unwrap_or(serde_json::Value::Null);
    let (Some(id), Some(secret)) = (body["clientId"].as_str(), body["clientSecret"].as_str())
    else {
        return Reply::Respond(HttpResponse::json(
            422,
            serde_json::json!({"reqId": "req-fake", "statusCode": 422, "message": [{"code": "invalid_type", "expected": "string", "received": "undefined", "path": ["clientId"], "message": "Required"}], "error": "ValidationFailure"}),
        ));
    };
    if st.identities.get(id).map(String::as_str) != Some(secret) {
        return error(401, "UnauthorizedError", "Invalid credentials");
    }
    issue(st)
}

/// A new access token, as every login answers it.
fn issue(st: &mut State) -> Reply {
    st.next_id += 1;
    let token = format!("eyJfake.identity-access-token-{}.sig", st.next_id);
    let expires_in = st.expires_in;
    let expires_at = (expires_in > 0).then(|| crate::time::now() + expires_in);
    st.tokens.push(token.clone());
    st.expiry.insert(token.clone(), expires_at);
    Reply::Respond(HttpResponse::json(
        200,
        serde_json::json!({"accessToken": token, "expiresIn": expires_in, "accessTokenMaxTTL": 2_592_000, "tokenType": "Bearer"}),
    ))
}

/// Kubernetes, OIDC or JWT Auth: `{identityId, jwt}`, the JWT verified as
/// the identity is configured (signature, expiry, audience, subject), with
/// Infisical's refusals.
fn jwt_login(st: &mut State, req: &HttpRequest, method: &'static str) -> Reply {
    let body = req.json().unwrap_or(serde_json::Value::Null);
    let (Some(id), Some(jwt)) = (body["identityId"].as_str(), body["jwt"].as_str()) else {
        let missing = if body["identityId"].is_string() {
            "jwt"
        } else {
            "identityId"
        };
        return Reply::Respond(HttpResponse::json(
            422,
            serde_json::json!({"reqId": "req-fake", "statusCode": 422, "message": [{"code": "invalid_type", "expected": "string", "received": "undefined", "path": [missing], "message": "Required"}], "error": "ValidationFailure"}),
        ));
    };
    let Some(identity) = st
        .jwt_identities
        .get(id)
        .filter(|i| i.method == method)
        .cloned()
    else {
        return error(401, "UnauthorizedError", "Invalid credentials");
    };
    let denied = |why: &str| error(401, "UnauthorizedError", &format!("Access denied: {why}"));
    let Some(token) = crate::jwt::decode(jwt) else {
        return denied("jwt malformed");
    };
    if !token.signed_by(&identity.key) {
        return denied("invalid signature");
    }
    if token.claims["exp"]
        .as_u64()
        .is_some_and(|exp| exp <= crate::time::now())
    {
        return denied("jwt expired");
    }
    let what = match method {
        "kubernetes" => "Kubernetes service account token",
        "oidc" => "OIDC",
        _ => "JWT",
    };
    if !token.has_audience(&identity.audience) {
        return denied(&format!("{what} audience not allowed."));
    }
    if let Some(subject) = &identity.subject {
        if token.claims["sub"].as_str() != Some(subject.as_str()) {
            return error(
                403,
                "ForbiddenRequestError",
                &format!("Access denied: {what} subject not allowed."),
            );
        }
    }
    issue(st)
}

fn list_secrets(st: &State, req: &HttpRequest) -> Reply {
    let Some(auth) = req.header("authorization") else {
        return error(401, "UnauthorizedError", "Token missing");
    };
    let token = auth.strip_prefix("Bearer ").unwrap_or("");
    if st.revoked.iter().any(|t| t == token) {
        return error(
            401,
            "UnauthorizedError",
            "Failed to authorize revoked access token, access token is revoked",
        );
    }
    if st
        .expiry
        .get(token)
        .copied()
        .flatten()
        .is_some_and(|at| at <= crate::time::now())
    {
        return error(
            403,
            "TokenError",
            "Your token has expired. Please re-authenticate.",
        );
    }
    if !st.tokens.iter().any(|t| t == token) {
        return error(403, "TokenError", "The provided access token is malformed. Please use a valid token or generate a new one and try again.");
    }
    let (Some(project), Some(env)) = (req.query.get("projectId"), req.query.get("environment"))
    else {
        return error(400, "BadRequestError", "Missing project id or environment");
    };
    for flag in [
        "viewSecretValue",
        "expandSecretReferences",
        "recursive",
        "include_imports",
    ] {
        if let Some(v) = req.query.get(flag) {
            if v != "true" && v != "false" {
                return error(
                    422,
                    "ValidationFailure",
                    &format!("Invalid enum value for {flag}. Expected 'true' | 'false'"),
                );
            }
        }
    }
    if project != &st.project_id {
        return error(
            404,
            "NotFound",
            &format!("Project with ID '{project}' not found during lookup"),
        );
    }
    let path = req
        .query
        .get("secretPath")
        .map(|p| p.trim_end_matches('/').to_string())
        .unwrap_or_else(|| "/".into());
    let path = if path.is_empty() {
        "/".to_string()
    } else {
        path
    };
    let Some(secrets) = st.folders.get(&(env.clone(), path.clone())) else {
        return error(
            404,
            "SecretPathNotFound",
            &format!("Folder with path '{path}' in environment '{env}' was not found. Please ensure the environment slug and secret path is correct."),
        );
    };
    let view = req.query.get("viewSecretValue").map(String::as_str) != Some("false");
    let list: Vec<serde_json::Value> = secrets
        .iter()
        .enumerate()
        .map(|(i, (k, v))| {
            serde_json::json!({
                "id": format!("sec-{i}"), "_id": format!("sec-{i}"), "workspace": st.project_id, "environment": env,
                "version": 1, "type": "shared", "secretKey": k,
                "secretValue": if view { v.as_str() } else { "<hidden-by-infisical>" },
                "secretComment": "", "secretPath": path, "secretValueHidden": !view,
                "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
            })
        })
        .collect();
    Reply::Respond(HttpResponse::json(
        200,
        serde_json::json!({ "secrets": list, "imports": [] }),
    ))
}
