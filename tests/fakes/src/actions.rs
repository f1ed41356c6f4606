//! A fake GitHub Actions runner token endpoint: what a job with
//! `permissions: id-token: write` finds at `ACTIONS_ID_TOKEN_REQUEST_URL`.
//! `GET {url}&audience=AUD` with `Authorization: Bearer
//! $ACTIONS_ID_TOKEN_REQUEST_TOKEN` answers `{"count": 1, "value": "<jwt>"}`,
//! an ID token signed by its own issuer for `aud` = AUD (the repository
//! owner's URL when no audience is asked, as GitHub's default); a wrong or
//! missing bearer answers 401. Served over HTTPS with the run's CA
//! (`tls::Ca::run()`), like the other fakes.

use crate::jwt::FakeIssuer;
use crate::server::{Handler, HttpRequest, HttpResponse, Reply, Server};
use std::sync::{Arc, Mutex};

/// The ID tokens' issuer, as GitHub's.
pub const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The `sub` of the ID tokens: a workflow on the main branch of a repository.
pub const SUBJECT: &str = "repo:raxx-app/TradeMasterAPI:ref:refs/heads/main";
/// The `aud` when the request names none: the owner's URL, as GitHub's default.
pub const DEFAULT_AUDIENCE: &str = "https://github.com/raxx-app";
/// The path of the endpoint (the real one is a long per-job path ending in `idtoken`).
const PATH: &str = "/_apis/distributedtask/hubs/Actions/plans/fake-plan/jobs/fake-job/idtoken";

pub struct FakeActions {
    endpoint: Arc<Endpoint>,
    server: Server,
}

/// What the endpoint answers with.
struct Endpoint {
    issuer: Arc<FakeIssuer>,
    request_token: String,
    requests: Mutex<Vec<HttpRequest>>,
}

impl FakeActions {
    /// Starts the endpoint over HTTPS with the run's CA; its ID tokens live 5 minutes.
    pub fn start() -> FakeActions {
        use rand::RngExt;
        let endpoint = Arc::new(Endpoint {
            issuer: Arc::new(FakeIssuer::new(ISSUER)),
            request_token: format!("actions-request-{:016x}", rand::rng().random::<u64>()),
            requests: Mutex::new(Vec::new()),
        });
        let serving = endpoint.clone();
        let handler: Handler = Arc::new(move |req: &HttpRequest| serving.handle(req));
        let server = Server::start_tls(handler, crate::tls::Ca::run().server_config())
            .expect("start the fake Actions token endpoint");
        FakeActions { endpoint, server }
    }

    /// The ID tokens' issuer: register its key with the fake Infisical.
    pub fn issuer(&self) -> &FakeIssuer {
        &self.endpoint.issuer
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_URL`: the endpoint with its `api-version`
    /// (a client appends `&audience=AUD`).
    pub fn request_url(&self) -> String {
        format!("{}{PATH}?api-version=2.0", self.server.url())
    }

    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`: the bearer the endpoint accepts.
    pub fn request_token(&self) -> &str {
        &self.endpoint.request_token
    }

    /// The two variables a runner sets, with their values.
    pub fn env(&self) -> [(&'static str, String); 2] {
        [
            ("ACTIONS_ID_TOKEN_REQUEST_URL", self.request_url()),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                self.endpoint.request_token.clone(),
            ),
        ]
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<HttpRequest> {
        self.endpoint
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Answers one request as the server does (and records it).
    pub fn handle(&self, req: &HttpRequest) -> Reply {
        self.endpoint.handle(req)
    }
}

impl Endpoint {
    fn handle(&self, req: &HttpRequest) -> Reply {
        self.requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(req.clone());
        let message = |status: u16, text: &str| {
            Reply::Respond(HttpResponse::json(
                status,
                serde_json::json!({ "message": text }),
            ))
        };
        if req.method != "GET" || req.path != PATH {
            return message(404, "Not Found");
        }
        let bearer = req
            .header("authorization")
            .and_then(|a| a.strip_prefix("Bearer "));
        if bearer != Some(self.request_token.as_str()) {
            return message(401, "Unauthorized: the request token is missing or wrong");
        }
        if !req.query.contains_key("api-version") {
            return message(400, "No api-version was supplied for the GET request");
        }
        let audience = req
            .query
            .get("audience")
            .map_or(DEFAULT_AUDIENCE, String::as_str);
        let jwt = self.issuer.issue(audience, SUBJECT, 300);
        Reply::Respond(HttpResponse::json(
            200,
            serde_json::json!({ "count": 1, "value": jwt }),
        ))
    }
}
