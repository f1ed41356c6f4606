//! Traceability commands: the PR audit header, the per-bot smoke test, commit
//! attribution, and the git credential helper.

use super::{bot_request, host_failure, print, settings, Context, Failure};
use crate::{GitCredentialArgs, GitIdentityArgs, PrHeaderArgs, VerifyArgs};
use raxx_host::audit::Event;
use raxx_host::display::clean;
use raxx_host::exit;
use raxx_host::session::dir::GitIdentity;
use raxx_host::settings::github_git_host;
use raxx_host::{MintRequest, Verification};

/// The design's PR body block. The bot comes from the policy, never typed by hand.
pub fn pr_header(context: &Context, args: PrHeaderArgs) -> Result<i32, Failure> {
    let resolution = context.resolve(&MintRequest { bot: None, agent: Some(args.agent.clone()), owner: None, repositories: vec![], permissions: vec![] })?;
    let workflow = args.workflow_uuid.unwrap_or_else(|| "n/a".into());
    let session = args.session.unwrap_or_else(|| raxx_host::time::iso8601(raxx_host::time::now()));
    let mut out = format!(
        "Agent: {}\nBot identity: {}\nWorkflow UUID: {workflow}\nOrchestrator session: {session}\n",
        args.agent, resolution.bot
    );
    if let Some(n) = args.refs {
        out.push_str(&format!("Refs #{n}\n"));
    }
    print(&out)
}

fn verify_row(v: &Verification) -> [String; 7] {
    let mut repos = v.repository_count.to_string();
    if !v.repositories.is_empty() {
        let shown: Vec<&str> = v.repositories.iter().take(3).map(String::as_str).collect();
        let more = if v.repositories.len() > 3 { ", …" } else { "" };
        repos = format!("{repos} ({}{more})", shown.join(", "));
    }
    let status = if v.problems.is_empty() { "ok".to_string() } else { format!("MISMATCH: {}", v.problems.join("; ")) };
    // Everything but the bot's name came from GitHub: no control characters reach the terminal.
    [v.bot.clone(), v.app_slug.clone(), v.app_id.clone(), v.installation_id.clone(), repos, v.expires_at.clone(), status].map(|cell| clean(&cell))
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
    let settings = settings().map_err(|f| f.failure)?;
    let mut rows = Vec::new();
    let mut code = exit::OK;
    for bot in &bots {
        let result = context.runtime.verify(&settings, &context.policy, bot).map_err(host_failure)?;
        let event = Event { command: "verify", agent: None, bot: Some(bot), workflow_uuid: None, token: None, fallback: None, operator_command: None, outcome: Ok(()) };
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

/// `user.name "<bot>[bot]"`, `user.email "<id>+<bot>[bot]@users.noreply.github.com"`:
/// the id is looked up with a short-lived token of the bot, revoked afterwards.
pub fn git_identity(context: &Context, args: GitIdentityArgs) -> Result<i32, Failure> {
    let request = bot_request(&args.bot);
    let resolution = context.resolve(&request)?;
    let token = context.mint_and_record("git-identity", &request, &resolution)?;
    let settings = settings().map_err(|f| f.failure)?;
    let id = context.runtime.bot_user_id(&settings, &token.token, &args.bot).map_err(host_failure);
    context.revoke(&token);
    let id = id?.map_err(|f| Failure { code: exit::GITHUB, message: f.message })?;
    let GitIdentity { name, email } = GitIdentity::of_bot(&args.bot, Some(id));
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

/// git's credential protocol for `BOT OPERATION`: for `get` on the configured
/// GitHub host, answer `username=x-access-token` and a fresh bot token; stay
/// silent for any other host (git then asks its next helper). `store` and
/// `erase` are no-ops: the token is never kept.
pub fn git_credential(context: &Context, args: GitCredentialArgs) -> Result<i32, Failure> {
    let [bot, operation] = args.words.as_slice() else {
        return Err(Failure { code: exit::USAGE, message: "git-credential takes BOT and an operation (get, store or erase)".into() });
    };
    if !["get", "store", "erase"].contains(&operation.as_str()) {
        return Err(Failure { code: exit::USAGE, message: format!("git-credential: '{}' is not get, store or erase", crate::one_line(operation)) });
    }
    let attrs = super::session::read_credential_request();
    if operation != "get" {
        return Ok(exit::OK);
    }
    let settings = settings().map_err(|f| f.failure)?;
    let Some((scheme, host)) = github_git_host(&settings.wit.github.api_url) else { return Ok(exit::OK) };
    if !super::session::asks_for(&attrs, &scheme, &host) {
        return Ok(exit::OK);
    }
    let request = bot_request(bot);
    let resolution = context.resolve(&request)?;
    let token = context.mint_and_record("git-credential", &request, &resolution)?;
    print(&format!("username=x-access-token\npassword={}\n", token.token))
}
