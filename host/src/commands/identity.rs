//! Traceability commands: the PR audit header, the per-bot smoke test, commit
//! attribution, and the git credential helper.

use super::{bot_request, host_failure, print, settings, Context, Failure};
use crate::{GitCredentialArgs, GitIdentityArgs, PrHeaderArgs, VerifyArgs};
use raxx_host::audit::Event;
use raxx_host::exit;
use raxx_host::pr_header::{self, Header};
use raxx_host::settings::github_git_host;
use raxx_host::{MintRequest, Verification};
use std::io::BufRead;

/// The design's PR body block. The bot comes from the policy, never typed by hand.
pub fn pr_header(context: &Context, args: PrHeaderArgs) -> Result<i32, Failure> {
    let resolution = context.resolve(&MintRequest { bot: None, agent: Some(args.agent.clone()), owner: None, repositories: vec![], permissions: vec![] })?;
    let header = Header {
        agent: args.agent,
        bot: resolution.bot,
        workflow_uuid: args.workflow_uuid.unwrap_or_else(|| pr_header::NO_WORKFLOW.into()),
        session: args.session.unwrap_or_else(|| raxx_host::time::iso8601(raxx_host::time::now())),
        refs: args.refs,
    };
    print(&header.render())
}

fn verify_row(v: &Verification) -> [String; 7] {
    let mut repos = v.repository_count.to_string();
    if !v.repositories.is_empty() {
        let shown: Vec<&str> = v.repositories.iter().take(3).map(String::as_str).collect();
        let more = if v.repositories.len() > 3 { ", …" } else { "" };
        repos = format!("{repos} ({}{more})", shown.join(", "));
    }
    let status = if v.problems.is_empty() { "ok".to_string() } else { format!("MISMATCH: {}", v.problems.join("; ")) };
    [v.bot.clone(), v.app_slug.clone(), v.app_id.clone(), v.installation_id.clone(), repos, v.expires_at.clone(), status]
}

fn table(rows: &[[String; 7]]) -> String {
    const HEAD: [&str; 7] = ["BOT", "APP SLUG", "APP ID", "INSTALLATION", "REPOSITORIES", "TOKEN EXPIRES", "STATUS"];
    let mut widths = HEAD.map(str::len);
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(widths).enumerate().map(|(i, (c, w))| if i == 6 { c.to_string() } else { format!("{c:<w$}") }).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(HEAD.to_vec());
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// The smoke test: one row per bot; exit 0 only when every bot checks out.
pub fn verify(context: &Context, args: VerifyArgs) -> Result<i32, Failure> {
    let bots = match args.bot {
        Some(bot) => vec![bot],
        None => context.runtime.bots(&context.policy).map_err(host_failure)?.map_err(|e| Failure::from_mint_error(&e))?,
    };
    let settings = settings()?;
    let mut rows = Vec::new();
    let mut code = exit::OK;
    for bot in &bots {
        let result = context.runtime.verify(&settings, &context.policy, bot).map_err(host_failure)?;
        let event = Event { command: "verify", agent: None, bot: Some(bot), workflow_uuid: None, token: None, fallback: None, outcome: Ok(()) };
        match result {
            Ok(v) => {
                if !v.problems.is_empty() && code == exit::OK {
                    code = exit::MISMATCH;
                }
                let problems = v.problems.join("; ");
                let outcome = if v.problems.is_empty() { Ok(()) } else { Err((exit::MISMATCH, problems.as_str())) };
                context.audit(Event { outcome, ..event })?;
                rows.push(verify_row(&v));
            }
            Err(e) => {
                let failure = Failure::from_mint_error(&e);
                if code == exit::OK {
                    code = failure.code;
                }
                context.audit(Event { outcome: Err((failure.code, &failure.message)), ..event })?;
                let dash = || "-".to_string();
                rows.push([bot.clone(), dash(), dash(), dash(), dash(), dash(), format!("ERROR (exit {}): {}", failure.code, crate::one_line(&failure.message))]);
            }
        }
    }
    print(&table(&rows))?;
    Ok(code)
}

/// `user.name "<bot>[bot]"`, `user.email "<id>+<bot>[bot]@users.noreply.github.com"`.
pub fn git_identity(context: &Context, args: GitIdentityArgs) -> Result<i32, Failure> {
    let settings = settings()?;
    let id = context.runtime.bot_user_id(&settings, &context.policy, &args.bot).map_err(host_failure)?.map_err(|e| Failure::from_mint_error(&e))?;
    let name = format!("{}[bot]", args.bot);
    let email = format!("{id}+{name}@users.noreply.github.com");
    if args.apply {
        for (key, value) in [("user.name", &name), ("user.email", &email)] {
            let out = std::process::Command::new("git").args(["config", key, value]).output().map_err(|e| Failure { code: exit::HOST, message: format!("cannot run git: {e}") })?;
            if !out.status.success() {
                let why = String::from_utf8_lossy(&out.stderr);
                return Err(Failure { code: exit::USAGE, message: format!("git config {key} failed: {} (run --apply inside the repository)", crate::one_line(&why)) });
            }
        }
    }
    print(&format!("user.name \"{name}\"\nuser.email \"{email}\"\n"))
}

/// Reads git's `key=value` lines up to the first blank line.
fn read_credential_request() -> Vec<(String, String)> {
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

/// git's credential protocol: for `get` on the configured GitHub host, answer
/// `username=x-access-token` and a fresh bot token; stay silent for any other
/// host (git then asks its next helper). `store` and `erase` are no-ops: the
/// token is never kept.
pub fn git_credential(context: &Context, args: GitCredentialArgs) -> Result<i32, Failure> {
    let attrs = read_credential_request();
    if args.operation != "get" {
        return Ok(exit::OK);
    }
    let get = |k: &str| attrs.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    let settings = settings()?;
    let Some((scheme, host)) = github_git_host(&settings.wit.github.api_url) else { return Ok(exit::OK) };
    if get("protocol") != Some(scheme.as_str()) || !get("host").is_some_and(|h| h.eq_ignore_ascii_case(&host)) {
        return Ok(exit::OK);
    }
    let request = bot_request(&args.bot);
    let resolution = context.resolve(&request)?;
    let token = context.mint_and_record("git-credential", &request, &resolution)?;
    print(&format!("username=x-access-token\npassword={}\n", token.token))
}
