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

use crate::server::{HttpRequest, HttpResponse, Reply};
use crate::{PemVariant, World};

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
        _ => refuse(404, &format!("{} {}: no such control request or bot", req.method, req.path)),
    }
}
