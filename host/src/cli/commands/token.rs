//! What a session's child runs: `raxx-host token`, git's credential helper
//! (`git credential-raxx`, or `raxx-host git-credential OPERATION`) and the
//! `gh` shim. None of them needs the vault, the policy or the component: they
//! ask the session's endpoint (`RAXX_SESSION_SOCKET`) for its current token.

use super::{print, Failure};
use crate::TokenArgs;
use raxx_host::exit;
use raxx_host::session::endpoint::{self, Answer};
use raxx_host::session::SessionError;
use std::io::BufRead;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

fn failure(e: SessionError) -> Failure {
    Failure {
        code: e.code,
        message: e.message,
    }
}

/// `raxx-host token [--json]`.
pub fn token(args: TokenArgs) -> Result<i32, Failure> {
    let answer = endpoint::ask_from_env().map_err(failure)?;
    if args.json {
        let json = serde_json::json!({ "token": answer.token, "expires_at": answer.expires_at, "bot": answer.about.bot });
        return print(&format!("{json}\n"));
    }
    print(&format!("{}\n", answer.token))
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

/// git's credential protocol in a session: for `get` on the session's GitHub
/// host, `username=x-access-token` and the current token; silence for any
/// other host; `store` and `erase` do nothing (the token is never kept).
pub fn git_helper(words: Vec<String>) -> Result<i32, Failure> {
    let operation = match words.as_slice() {
        [op] if ["get", "store", "erase"].contains(&op.as_str()) => op.clone(),
        _ => {
            return Err(Failure {
                code: exit::USAGE,
                message: "git-credential in a session takes one operation: get, store or erase"
                    .into(),
            })
        }
    };
    let attrs = read_credential_request();
    if operation != "get" {
        return Ok(exit::OK);
    }
    let Answer { token, about, .. } = endpoint::ask_from_env().map_err(failure)?;
    if !asks_for(&attrs, &about.git_protocol, &about.git_host) {
        return Ok(exit::OK);
    }
    print(&format!("username=x-access-token\npassword={token}\n"))
}

/// `gh` inside a session: the real gh, with the session's current token.
pub fn gh_shim() -> ExitCode {
    let answer = match endpoint::ask_from_env() {
        Ok(a) => a,
        Err(e) => return crate::fail(e.code, &format!("gh: {}", e.message)),
    };
    let Some(real) = real_gh() else {
        return crate::fail(
            127,
            "gh: the real gh is not installed (raxx-host only lends it the session's token)",
        );
    };
    let vars = raxx_host::session::gh_token_vars(&answer.about.git_host, &answer.token);
    let err = std::process::Command::new(&real)
        .args(std::env::args_os().skip(1))
        .envs(vars)
        .exec();
    crate::fail(126, &format!("gh: cannot run {}: {err}", real.display()))
}

/// `RAXX_REAL_GH` (set by spawn and exec), else gh on PATH but not this shim's folder.
fn real_gh() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("RAXX_REAL_GH")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_file())
    {
        return Some(path);
    }
    let me = std::env::args_os().next().map(PathBuf::from)?;
    let own = me
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    raxx_host::process::find_skipping("gh", &std::env::var_os("PATH")?, &own)
}
