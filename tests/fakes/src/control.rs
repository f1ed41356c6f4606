//! A loopback control endpoint for a world that runs in its own process
//! (`raxx-world`), for tests written in another language (the Node host's):
//! they cannot call the world's methods, so they ask over HTTP. Test-only.
//! Every answer closes its connection: a client that blocks its event loop
//! between calls (the Node tests run raxx-host synchronously) would otherwise
//! send its next call on a kept connection the server has since closed.
//!
//! | request | effect |
//! |---|---|
//! | `POST /pem/{bot}/{pkcs1,pkcs8,crlf,escaped}` | stores the bot's key in that form |
//! | `POST /remove-installation/{bot}` | removes the bot's installation on GitHub (mints then get 404) |
//! | `GET /issued` | the tokens GitHub issued: `[{token, installation_id, revoked}]` |
//! | `GET /requests` | how many requests each service received: `{infisical, github}` |
//! | `GET /keys` | every bot's key as PKCS#1 and PKCS#8 PEM (to check none leaks) |
//! | `POST /jwt-identity/{kubernetes,oidc,jwt}?audience=AUD` | registers a new identity of that method whose JWTs must carry `aud` AUD: `{identity_id, jwt}`, a valid JWT for it |
//! | `POST /jwt/{kubernetes,oidc,jwt}?audience=AUD` | another JWT from that method's issuer: `{jwt}` |
//! | `GET /actions` | starts the fake Actions runner endpoint (once): `{env, ca_file, audiences}`, the runner's two variables, the CA its TLS is signed by, and the `audience` each request asked (null: none) |
//! | `GET /logins` | logins received per method, and secret reads: `{universal, kubernetes, oidc, jwt, secret_reads}` |
//!
//! kubernetes and jwt identities trust one issuer of this process's; oidc
//! identities trust the Actions endpoint's issuer, so its ID tokens log in.

use crate::actions::FakeActions;
use crate::jwt::FakeIssuer;
use crate::server::{HttpRequest, HttpResponse, Reply};
use crate::{PemVariant, World};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// The Actions runner endpoint, started at the first `GET /actions` or oidc identity.
fn actions() -> &'static FakeActions {
    static ACTIONS: OnceLock<FakeActions> = OnceLock::new();
    ACTIONS.get_or_init(FakeActions::start)
}

/// The issuer a JWT login method's identities trust.
fn issuer(method: &str) -> Option<&'static FakeIssuer> {
    static ISSUER: OnceLock<FakeIssuer> = OnceLock::new();
    match method {
        "kubernetes" | "jwt" => {
            Some(ISSUER.get_or_init(|| FakeIssuer::new("https://issuer.raxx-world.test")))
        }
        "oidc" => Some(actions().issuer()),
        _ => None,
    }
}

/// A JWT from `issuer` for `aud`, as the method's platform makes it (10 minutes).
fn jwt(issuer: &FakeIssuer, method: &str, audience: &str) -> String {
    let subject = match method {
        "kubernetes" => crate::jwt::service_account_subject("agents", "raxx"),
        "oidc" => crate::actions::SUBJECT.to_string(),
        _ => "raxx-world".to_string(),
    };
    issuer.issue(audience, &subject, 600)
}

fn variant(name: &str) -> Option<PemVariant> {
    match name {
        "pkcs1" => Some(PemVariant::Pkcs1),
        "pkcs8" => Some(PemVariant::Pkcs8),
        "crlf" => Some(PemVariant::Crlf),
        "escaped" => Some(PemVariant::EscapedNewlines),
        _ => None,
    }
}

fn ok(body: serde_json::Value) -> Reply {
    Reply::Respond(HttpResponse::json(200, body).with_header("connection", "close"))
}

fn refuse(status: u16, why: &str) -> Reply {
    Reply::Respond(HttpResponse::text(status, why).with_header("connection", "close"))
}

/// Answers one control request about `world`.
pub fn handle(world: &World, req: &HttpRequest) -> Reply {
    let segments: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    let known = |bot: &str| world.bots.iter().any(|b| b.name == bot);
    match (req.method.as_str(), segments.as_slice()) {
        ("POST", ["pem", bot, form]) if known(bot) => match variant(form) {
            Some(v) => {
                world.store_pem(bot, v);
                ok(serde_json::json!({}))
            }
            None => refuse(400, "PEM form: pkcs1, pkcs8, crlf or escaped"),
        },
        ("POST", ["remove-installation", bot]) if known(bot) => {
            world.github.remove_installation(world.bot(bot).installation_id);
            ok(serde_json::json!({}))
        }
        ("GET", ["issued"]) => ok(world
            .github
            .issued_tokens()
            .iter()
            .map(|t| serde_json::json!({"token": t.token, "installation_id": t.installation_id, "revoked": t.revoked}))
            .collect()),
        ("GET", ["requests"]) => ok(serde_json::json!({"infisical": world.infisical.requests().len(), "github": world.github.requests().len()})),
        ("GET", ["keys"]) => ok(world.bots.iter().flat_map(|b| [b.key.pkcs1_pem(), b.key.pkcs8_pem()]).collect()),
        ("POST", ["jwt-identity", method]) | ("POST", ["jwt", method]) => {
            let (Some(issuer), Some(audience)) = (issuer(method), req.query.get("audience")) else {
                return refuse(400, "method: kubernetes, oidc or jwt; and ?audience=AUD");
            };
            let token = jwt(issuer, method, audience);
            if segments[0] == "jwt" {
                return ok(serde_json::json!({ "jwt": token }));
            }
            static NEXT: AtomicUsize = AtomicUsize::new(1);
            let id = format!("{method}-identity-{}", NEXT.fetch_add(1, Ordering::Relaxed));
            world.infisical.add_jwt_identity(&id, method, issuer.public(), audience, None);
            ok(serde_json::json!({ "identity_id": id, "jwt": token }))
        }
        ("GET", ["actions"]) => {
            let endpoint = actions();
            let env: serde_json::Map<String, serde_json::Value> =
                endpoint.env().into_iter().map(|(k, v)| (k.to_string(), v.into())).collect();
            let audiences: Vec<Option<String>> =
                endpoint.requests().iter().map(|r| r.query.get("audience").cloned()).collect();
            let ca_file = crate::tls::Ca::run().file();
            ok(serde_json::json!({ "env": env, "ca_file": ca_file, "audiences": audiences }))
        }
        ("GET", ["logins"]) => {
            let v = &world.infisical;
            let mut counts = serde_json::json!({ "secret_reads": v.secret_reads() });
            for method in ["universal", "kubernetes", "oidc", "jwt"] {
                counts[method] = v.logins_by(method).into();
            }
            ok(counts)
        }
        _ => refuse(404, &format!("{} {}: no such control request or bot", req.method, req.path)),
    }
}
