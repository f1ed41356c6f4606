//! `gh` inside a session (the session's bin folder links it to raxx-host):
//! the real gh, with the session's current token. Needs no vault, policy or
//! component: it asks the session's endpoint (`RAXX_SESSION_SOCKET`).

use crate::cli::output::report;
use crate::session::endpoint;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `gh` inside a session: the real gh, with the session's current token.
pub fn gh_shim() -> ExitCode {
    let answer = match endpoint::ask_from_env() {
        Ok(a) => a,
        Err(e) => return report(e.exit.code(), &format!("gh: {}", e.message)),
    };
    let Some(real) = real_gh() else {
        return report(
            127,
            "gh: the real gh is not installed (raxx-host only lends it the session's token)",
        );
    };
    let vars = crate::session::gh_token_vars(&answer.about.git_host, &answer.token);
    let err = std::process::Command::new(&real)
        .args(std::env::args_os().skip(1))
        .envs(vars)
        .exec();
    report(126, &format!("gh: cannot run {}: {err}", real.display()))
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
    crate::process::find_skipping("gh", &std::env::var_os("PATH")?, &own)
}
