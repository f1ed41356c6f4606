//! The subcommands. Each returns the process exit code or a one-line failure.

use crate::{fail, one_line, Cli, Command, ExecArgs, MintArgs, Narrow, ResolveArgs, SpawnArgs, Target};
use raxx_host::audit::{self, Event};
use raxx_host::exit;
use raxx_host::policy::PolicyFiles;
use raxx_host::process::{self, ChildEnv};
use raxx_host::runtime::{default_component_path, Runtime};
use raxx_host::settings::{Settings, Side};
use raxx_host::{FallbackRequest, InstallationToken, MintError, MintRequest, PolicyDocuments, Resolution, RunMode};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

mod identity;
mod pr_check;
mod preamble;

/// What every command needs: the component, the policy in force, the audit log.
pub struct Context {
    pub runtime: Runtime,
    pub policy: PolicyDocuments,
    audit_log: Option<PathBuf>,
    timing: Option<Timing>,
}

/// `RAXX_TIMING=1`: one stderr line splitting where a command's time went.
struct Timing {
    start: std::time::Instant,
    phases: std::cell::RefCell<Vec<String>>,
    last: std::cell::Cell<std::time::Instant>,
}

impl Timing {
    fn mark(&self, phase: &str) {
        let now = std::time::Instant::now();
        let ms = (now - self.last.get()).as_secs_f64() * 1000.0;
        self.phases.borrow_mut().push(format!("{phase} {ms:.2}ms"));
        self.last.set(now);
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if let Some(t) = &self.timing {
            let total = t.start.elapsed().as_secs_f64() * 1000.0;
            eprintln!("raxx-host: timing: {}; in main {total:.2}ms", t.phases.borrow().join(", "));
        }
    }
}

/// A failure ready to report: exit code and one-line message.
pub struct Failure {
    pub code: i32,
    pub message: String,
}

impl Failure {
    fn report(&self) -> ExitCode {
        fail(self.code, &self.message)
    }

    fn from_mint_error(e: &MintError) -> Failure {
        Failure { code: exit::for_mint_error(e), message: exit::message(e).to_string() }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let context = match Context::load(cli.component, cli.agent_map, cli.policy, cli.audit_log) {
        Ok(c) => c,
        Err(f) => return f.report(),
    };
    let result = match cli.command {
        Command::Mint(args) => mint(&context, args),
        Command::Resolve(args) => resolve(&context, args),
        Command::Exec(args) => exec(&context, args),
        Command::Spawn(args) => spawn(&context, args),
        Command::PrHeader(args) => identity::pr_header(&context, args),
        Command::Verify(args) => identity::verify(&context, args),
        Command::GitIdentity(args) => identity::git_identity(&context, args),
        Command::GitCredential(args) => identity::git_credential(&context, args),
        Command::Preamble(args) => preamble::preamble(&context, args),
        Command::PrCheck(args) => pr_check::pr_check(&context, args),
    };
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(f) => f.report(),
    }
}

impl Context {
    fn load(component: Option<PathBuf>, agent_map: Option<PathBuf>, policy: Option<PathBuf>, audit_log: Option<PathBuf>) -> Result<Context, Failure> {
        let now = std::time::Instant::now();
        let timing = std::env::var_os("RAXX_TIMING").filter(|v| v == "1").map(|_| Timing { start: now, phases: Default::default(), last: std::cell::Cell::new(now) });
        let files = PolicyFiles::locate(agent_map, policy).map_err(|message| Failure { code: exit::POLICY, message })?;
        let policy = files.read().map_err(|e| Failure { code: exit::POLICY, message: format!("{e:#}") })?;
        let Some(path) = component.or_else(default_component_path) else {
            return Err(Failure {
                code: exit::HOST,
                message: "no minter component next to this binary; build it with scripts/build, or pass --component PATH (or set RAXX_COMPONENT)".into(),
            });
        };
        if let Some(t) = &timing {
            t.mark("policy");
        }
        let runtime = Runtime::load(&path, raxx_host::cache::default_dir().as_deref()).map_err(host_failure)?;
        if let Some(t) = &timing {
            t.mark(&format!("load ({:?})", runtime.source()).to_lowercase());
        }
        Ok(Context { runtime, policy, audit_log: audit_log.filter(|p| !p.as_os_str().is_empty()), timing })
    }

    fn mark(&self, phase: &str) {
        if let Some(t) = &self.timing {
            t.mark(phase);
        }
    }

    /// Checks the policy and resolves the request, before any network call.
    pub fn resolve(&self, request: &MintRequest) -> Result<Resolution, Failure> {
        let resolved = self.runtime.resolve(&self.policy, request).map_err(host_failure)?.map_err(|e| Failure::from_mint_error(&e));
        self.mark("resolve");
        resolved
    }

    /// Settings from the environment, then the mint.
    pub fn mint(&self, request: &MintRequest, who: &str) -> Result<InstallationToken, Failure> {
        let settings = settings()?;
        let outcome = self.runtime.mint(&settings, &self.policy, request).map_err(host_failure)?;
        if self.timing.is_some() {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            let network: std::time::Duration = outcome.requests.iter().map(|r| r.elapsed).sum();
            let requests: Vec<String> = outcome.requests.iter().map(|r| format!("{} {:.2}ms", r.request, ms(r.elapsed))).collect();
            let summary = format!("requests {:.2}ms over {} connections", ms(network), outcome.connections);
            self.mark(&format!("mint [{summary}: {}] total", requests.join(", ")));
        }
        outcome.result.map_err(|e| Failure { code: exit::for_mint_error(&e), message: format!("mint {who}: {}", exit::message(&e)) })
    }

    pub fn revoke(&self, token: &InstallationToken) {
        let result = settings().ok().map(|s| self.runtime.revoke(&s, &token.token));
        match result {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(f))) => eprintln!("raxx-host: warning: {}", one_line(&f.message)),
            Some(Err(e)) => eprintln!("raxx-host: warning: could not revoke the token: {}", one_line(&format!("{e:#}"))),
            None => eprintln!("raxx-host: warning: could not revoke the token (settings unavailable); it expires within the hour"),
        }
    }

    /// Appends the event to the audit log, when one is configured. A log that
    /// cannot be written stops the command: nothing happens unrecorded.
    pub fn audit(&self, event: Event<'_>) -> Result<(), Failure> {
        let Some(path) = &self.audit_log else { return Ok(()) };
        let record = audit::record(&event, self.runtime.component_sha256(), &self.policy);
        audit::append(path, &record).map_err(|e| Failure { code: exit::HOST, message: format!("cannot write the audit log {}: {e}", path.display()) })
    }

    /// Mints for a resolved request and records the minted token; when the
    /// record cannot be written the token is revoked unused and that failure is
    /// the outer `Err`. A failed mint comes back unrecorded as the inner `Err`:
    /// callers record it with what they decided about it (the fallback rule).
    pub fn mint_recorded(&self, command: &str, request: &MintRequest, resolution: &Resolution, workflow_uuid: Option<&str>) -> Result<Result<InstallationToken, Failure>, Failure> {
        let token = match self.mint(request, &who(resolution)) {
            Ok(token) => token,
            Err(failed) => return Ok(Err(failed)),
        };
        self.audit(Event { token: Some(&token), ..event(command, resolution, workflow_uuid) }).inspect_err(|_| self.revoke(&token))?;
        Ok(Ok(token))
    }

    /// `mint_recorded` where a failed mint has nothing to decide: it is recorded
    /// too, best effort (the mint's own failure is what gets reported).
    pub fn mint_and_record(&self, command: &str, request: &MintRequest, resolution: &Resolution) -> Result<InstallationToken, Failure> {
        self.mint_recorded(command, request, resolution, None)?.inspect_err(|f| {
            let _ = self.audit(Event { outcome: Err((f.code, &f.message)), ..event(command, resolution, None) });
        })
    }
}

impl From<process::StartError> for Failure {
    fn from(e: process::StartError) -> Failure {
        Failure { code: e.code, message: e.message }
    }
}

pub fn settings() -> Result<Settings, Failure> {
    Settings::from_env(|k| std::env::var(k).ok()).map_err(|e| Failure {
        code: match e.side {
            Side::Vault => exit::VAULT,
            Side::Github => exit::GITHUB,
            Side::Host => exit::USAGE,
        },
        message: e.message,
    })
}

pub fn host_failure(e: anyhow::Error) -> Failure {
    Failure { code: exit::HOST, message: format!("{e:#}") }
}

fn request(bot: Option<String>, agent: Option<String>, narrow: Narrow) -> MintRequest {
    MintRequest { bot, agent, owner: narrow.owner, repositories: narrow.repos, permissions: narrow.permissions }
}

fn target_request(target: Target) -> MintRequest {
    request(target.bot, target.agent, target.narrow)
}

pub fn bot_request(bot: &str) -> MintRequest {
    MintRequest { bot: Some(bot.to_string()), agent: None, owner: None, repositories: vec![], permissions: vec![] }
}

/// "feature-developer (raxx-dev-bot)" or "raxx-dev-bot".
fn who(resolution: &Resolution) -> String {
    match &resolution.agent {
        Some(agent) => format!("{agent} ({})", resolution.bot),
        None => resolution.bot.clone(),
    }
}

pub fn print(out: &str) -> Result<i32, Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map(|_| exit::OK)
        .map_err(|_| Failure { code: exit::HOST, message: "could not write to stdout".into() })
}

/// An audit event for `command` about `resolution`.
fn event<'a>(command: &'a str, resolution: &'a Resolution, workflow_uuid: Option<&'a str>) -> Event<'a> {
    Event {
        command,
        agent: resolution.agent.as_deref(),
        bot: Some(&resolution.bot),
        workflow_uuid,
        token: None,
        fallback: None,
        outcome: Ok(()),
    }
}

fn mint(context: &Context, args: MintArgs) -> Result<i32, Failure> {
    let request = target_request(args.target);
    let resolution = context.resolve(&request)?;
    let token = context.mint_and_record("mint", &request, &resolution)?;
    let out = if args.export {
        format!("export GH_TOKEN={}\n", shell_quote(&token.token))
    } else if args.json {
        format!("{}\n", token_json(&token))
    } else {
        format!("{}\n", token.token)
    };
    print(&out)
}

fn resolve(context: &Context, args: ResolveArgs) -> Result<i32, Failure> {
    let r = context.resolve(&request(None, Some(args.agent), Narrow { repos: vec![], owner: None, permissions: vec![] }))?;
    if !args.json {
        return print(&format!("{}\n", r.bot));
    }
    let json = serde_json::json!({
        "agent": r.agent,
        "bot": r.bot,
        "permissions": permissions_json(&r.permissions),
        "repositories": r.repositories,
        "fallback": if r.fallback_allowed { "allow" } else { "refuse" },
    });
    print(&format!("{json}\n"))
}

/// Runs `command` with the bot token, revoking it afterwards.
fn run_with_token(context: &Context, token: &InstallationToken, command: &[String], mut env: ChildEnv) -> Result<i32, Failure> {
    env.set.push(("GH_TOKEN".into(), token.token.clone()));
    env.set.push(("GITHUB_TOKEN".into(), token.token.clone()));
    let status = process::run(command, &env);
    context.revoke(token);
    Ok(status?)
}

fn exec(context: &Context, args: ExecArgs) -> Result<i32, Failure> {
    let request = target_request(args.target);
    let resolution = context.resolve(&request)?;
    let failed = match context.mint_recorded("exec", &request, &resolution, None)? {
        Ok(token) => return run_with_token(context, &token, &args.command, ChildEnv::default()),
        Err(failed) => failed,
    };
    let ask = FallbackRequest { mode: RunMode::Exec, bot: request.bot.clone(), agent: request.agent.clone(), command: args.command.clone() };
    let decision = context.runtime.decide_fallback(&context.policy, &ask).map_err(host_failure)?.map_err(|e| Failure::from_mint_error(&e))?;
    let failed_event = Event { fallback: Some((decision.allowed, &decision.reason)), outcome: Err((failed.code, &failed.message)), ..event("exec", &resolution, None) };
    context.audit(failed_event)?;
    if !decision.allowed {
        return Err(Failure { code: failed.code, message: format!("{}; not running as the operator: {}", failed.message, decision.reason) });
    }
    eprintln!(
        "raxx-host: WARNING: no token for {} ({}); running as the operator: {} ({})",
        who(&resolution),
        one_line(&failed.message),
        one_line(&args.command.join(" ")),
        decision.reason
    );
    Ok(process::run(&args.command, &ChildEnv::default())?)
}

fn spawn(context: &Context, args: SpawnArgs) -> Result<i32, Failure> {
    let request = request(None, Some(args.agent), args.narrow);
    let resolution = context.resolve(&request)?;
    let workflow = args.workflow_uuid.as_deref();
    let token = match context.mint_recorded("spawn", &request, &resolution, workflow)? {
        Ok(token) => token,
        Err(failed) => {
            let ask = FallbackRequest { mode: RunMode::Spawn, bot: None, agent: request.agent.clone(), command: args.command.clone() };
            let reason = match context.runtime.decide_fallback(&context.policy, &ask).map_err(host_failure)? {
                Ok(d) => d.reason,
                Err(e) => exit::message(&e).to_string(),
            };
            context.audit(Event { fallback: Some((false, &reason)), outcome: Err((failed.code, &failed.message)), ..event("spawn", &resolution, workflow) })?;
            return Err(Failure { code: failed.code, message: format!("{}; {reason}", failed.message) });
        }
    };
    let env = ChildEnv {
        remove: resolution.scrub_env.clone(),
        set: vec![
            ("RAXX_AGENT".into(), resolution.agent.clone().unwrap_or_default()),
            ("RAXX_BOT".into(), resolution.bot.clone()),
            ("RAXX_WORKFLOW_UUID".into(), args.workflow_uuid.clone().unwrap_or_else(|| "n/a".into())),
            ("RAXX_SESSION".into(), raxx_host::time::iso8601(raxx_host::time::now())),
        ]
        .into_iter()
        .chain(args.refs.map(|n| ("RAXX_REFS".to_string(), n.to_string())))
        .collect(),
    };
    run_with_token(context, &token, &args.command, env)
}

/// Single-quotes a value for POSIX shells (`'` becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn permissions_json(list: &[raxx_host::Permission]) -> serde_json::Value {
    list.iter().map(|p| (p.name.clone(), serde_json::Value::from(p.level.clone()))).collect::<serde_json::Map<_, _>>().into()
}

fn token_json(token: &InstallationToken) -> serde_json::Value {
    serde_json::json!({
        "token": token.token,
        "expires_at": token.expires_at,
        "bot": token.bot,
        "agent": token.agent,
        "app_id": token.app_id,
        "installation_id": token.installation_id,
        "permissions": permissions_json(&token.permissions),
        "repository_selection": token.repository_selection,
        "repositories": token.repositories,
    })
}
