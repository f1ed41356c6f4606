//! `raxx-host git-credential`: git's credential helper. `BOT OPERATION` mints
//! a fresh token for BOT; inside a session (spawn, exec; also as
//! `git credential-raxx`) `OPERATION` alone answers with the session's
//! current token, asking the session's endpoint (no vault, policy or component).

use crate::cli::args::bot_request;
use crate::cli::context::settings;
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::config::settings::github_git_host;
use crate::error::Error;
use crate::exit::Exit;
use crate::session::endpoint::{self, Answer};
use std::io::BufRead;

#[derive(clap::Args)]
pub struct Args {
    /// `BOT OPERATION` mints a fresh token for BOT; inside a session (spawn, exec)
    /// `OPERATION` alone answers with the session's current token.
    /// OPERATION is what git asks: get, store or erase.
    #[arg(value_name = "[BOT] OPERATION", num_args = 1..=2, required = true)]
    pub words: Vec<String>,
}

/// git's credential protocol for `BOT OPERATION`: for `get` on the configured
/// GitHub host, answer `username=x-access-token` and a fresh bot token; stay
/// silent for any other host (git then asks its next helper). `store` and
/// `erase` are no-ops: the token is never kept.
pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let [bot, operation] = args.words.as_slice() else {
        return Err(Error::new(
            Exit::Usage,
            "git-credential takes BOT and an operation (get, store or erase)",
        ));
    };
    if !["get", "store", "erase"].contains(&operation.as_str()) {
        return Err(Error::new(
            Exit::Usage,
            format!(
                "git-credential: '{}' is not get, store or erase",
                crate::support::display::one_line(operation)
            ),
        ));
    }
    let attrs = read_credential_request();
    if operation != "get" {
        return Ok(Exit::Ok.code());
    }
    let settings = settings().map_err(|f| f.failure)?;
    let Some((scheme, host)) = github_git_host(&settings.wit.github.api_url) else {
        return Ok(Exit::Ok.code());
    };
    if !asks_for(&attrs, &scheme, &host) {
        return Ok(Exit::Ok.code());
    }
    let resolved = context.resolve(&bot_request(bot))?;
    let token = context
        .mint("git-credential", &resolved, None)
        .map_err(|f| f.recorded(context, "git-credential", &resolved))?
        .token;
    print(&format!(
        "username=x-access-token\npassword={}\n",
        token.token
    ))
}

/// git's credential protocol in a session: for `get` on the session's GitHub
/// host, `username=x-access-token` and the current token; silence for any
/// other host; `store` and `erase` do nothing (the token is never kept).
pub fn in_session(words: Vec<String>) -> Result<u8, Error> {
    let operation = match words.as_slice() {
        [op] if ["get", "store", "erase"].contains(&op.as_str()) => op.clone(),
        _ => {
            return Err(Error::new(
                Exit::Usage,
                "git-credential in a session takes one operation: get, store or erase",
            ))
        }
    };
    let attrs = read_credential_request();
    if operation != "get" {
        return Ok(Exit::Ok.code());
    }
    let Answer { token, about, .. } = endpoint::ask_from_env()?;
    if !asks_for(&attrs, &about.git_protocol, &about.git_host) {
        return Ok(Exit::Ok.code());
    }
    print(&format!("username=x-access-token\npassword={token}\n"))
}

/// Reads git's `key=value` lines up to the first blank line.
pub fn read_credential_request() -> Vec<(String, String)> {
    let stdin = std::io::stdin();
    let mut attrs = Vec::new();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        if line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once('=') {
            attrs.push((k.to_string(), v.to_string()));
        }
    }
    attrs
}

/// Whether git asks for the host the bot's tokens are for.
pub fn asks_for(attrs: &[(String, String)], protocol: &str, host: &str) -> bool {
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
    };
    get("protocol") == Some(protocol) && get("host").is_some_and(|h| h.eq_ignore_ascii_case(host))
}
