//! A fake Infisical: Universal Auth login and `GET /api/v4/secrets`, with the
//! real service's status codes and error bodies (`reqId`, `statusCode`,
//! `message`, `error`). Unknown routes answer 501.

use crate::server::{HttpRequest, HttpResponse, Reply};
use std::collections::HashMap;
use std::sync::Mutex;

/// One secret as stored: key and value.
pub type Secret = (String, String);

#[derive(Default)]
struct State {
    /// clientId → clientSecret
    identities: HashMap<String, String>,
    /// access tokens issued
    tokens: Vec<String>,
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

    /// The next requests to `route` ("login" or "secrets") get these replies instead.
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
        let route = match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/api/v1/auth/universal-auth/login") => "login",
            ("GET", "/api/v4/secrets") => "secrets",
            _ => {
                return Reply::Respond(HttpResponse::text(
                    501,
                    &format!("{} {} not implemented", req.method, req.path),
                ))
            }
        };
        if let Some(queue) = st.faults.get_mut(route) {
            if !queue.is_empty() {
                return queue.remove(0);
            }
        }
        match route {
            "login" => login(&mut st, req),
            _ => list_secrets(&st, req),
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
    st.next_id += 1;
    let token = format!("eyJfake.identity-access-token-{}.sig", st.next_id);
    st.tokens.push(token.clone());
    Reply::Respond(HttpResponse::json(
        200,
        serde_json::json!({"accessToken": token, "expiresIn": 7200, "accessTokenMaxTTL": 2_592_000, "tokenType": "Bearer"}),
    ))
}

fn list_secrets(st: &State, req: &HttpRequest) -> Reply {
    let Some(auth) = req.header("authorization") else {
        return error(401, "UnauthorizedError", "Token missing");
    };
    let token = auth.strip_prefix("Bearer ").unwrap_or("");
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
