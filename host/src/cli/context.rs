//! The subcommands. Each returns the process exit code or a one-line failure.

use crate::{fail, Cli, Command, MintArgs, Narrow, ResolveArgs, Target};
use raxx_host::audit::{self, Event, InForce};
use raxx_host::cache::Cache;
use raxx_host::exit;
use raxx_host::policy::PolicyFiles;
use raxx_host::runtime::{default_component_path, CallError, Resolved, Runtime};
use raxx_host::settings::{Settings, Side};
use raxx_host::{
    FailureKind, InstallationToken, MintError, MintRequest, PolicyDocuments, ServiceFailure,
};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

mod identity;
mod incident;
mod pr_check;
mod preamble;
mod run;
pub mod session;
mod smoke;

/// What every command that runs the component needs: the component, the
/// policy in force, the audit log.
pub struct Context {
    pub runtime: Arc<Runtime>,
    pub policy: PolicyDocuments,
    /// The files the policy came from and the component's path (a child's
    /// raxx-host uses the same ones).
    pub files: (PolicyFiles, PathBuf),
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
            eprintln!(
                "raxx-host: timing: {}; in main {total:.2}ms",
                t.phases.borrow().join(", ")
            );
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
        Failure {
            code: exit::for_mint_error(e),
            message: exit::message(e).to_string(),
        }
    }
}

impl From<CallError> for Failure {
    fn from(e: CallError) -> Failure {
        Failure {
            code: e.code(),
            message: e.to_string(),
        }
    }
}

/// A mint that did not happen: what to report and, for the fallback rule,
/// why (`None`: raxx itself failed, which never falls back).
pub struct MintFailed {
    pub failure: Failure,
    pub cause: Option<MintError>,
}

impl From<Failure> for MintFailed {
    fn from(failure: Failure) -> MintFailed {
        MintFailed {
            failure,
            cause: None,
        }
    }
}

impl MintFailed {
    /// Records a failed mint there is nothing to decide about (best effort:
    /// the mint's own failure is what gets reported), and returns it.
    pub fn recorded(self, context: &Context, command: &str, resolved: &Resolved) -> Failure {
        let f = self.failure;
        let _ = context.audit(Event {
            outcome: Err((f.code, &f.message)),
            ..event(command, resolved, None)
        });
        f
    }
}

/// A token minted and recorded, with the settings it was minted with (a
/// session re-mints with them).
pub struct Minted {
    pub token: InstallationToken,
    pub settings: Settings,
}

pub fn run(cli: Cli) -> ExitCode {
    // Commands a session's child runs: no policy, no component, no vault.
    let result = match cli.command {
        Command::Token(args) => session::token(args),
        Command::GitCredential(args) if args.words.len() == 1 => session::git_helper(args.words),
        command => with_context(
            cli.component,
            cli.agent_map,
            cli.policy,
            cli.audit_log,
            command,
        ),
    };
    finish(result)
}

/// The process's exit: the code, or the failure reported on one line.
pub fn finish(result: Result<i32, Failure>) -> ExitCode {
    match result {
        Ok(code) => ExitCode::from(code as u8),
        Err(f) => f.report(),
    }
}

fn with_context(
    component: Option<PathBuf>,
    agent_map: Option<PathBuf>,
    policy: Option<PathBuf>,
    audit_log: Option<PathBuf>,
    command: Command,
) -> Result<i32, Failure> {
    let context = Context::load(component, agent_map, policy, audit_log)?;
    match command {
        Command::Mint(args) => mint(&context, args),
        Command::Resolve(args) => resolve(&context, args),
        Command::Exec(args) => run::exec(&context, args),
        Command::Spawn(args) => run::spawn(&context, args),
        Command::PrHeader(args) => identity::pr_header(&context, args),
        Command::Verify(args) => identity::verify(&context, args),
        Command::GitIdentity(args) => identity::git_identity(&context, args),
        Command::GitCredential(args) => identity::git_credential(&context, args),
        Command::Compile(args) => compile(&context, args),
        Command::Smoke(args) => smoke::smoke(&context, args),
        Command::Token(_) => unreachable!("handled without a context"),
        Command::Suspend(args) => incident::set_suspended(&context, args, true),
        Command::Unsuspend(args) => incident::set_suspended(&context, args, false),
        Command::Preamble(args) => preamble::preamble(&context, args),
        Command::PrCheck(args) => pr_check::pr_check(&context, args),
    }
}

impl Context {
    fn load(
        component: Option<PathBuf>,
        agent_map: Option<PathBuf>,
        policy: Option<PathBuf>,
        audit_log: Option<PathBuf>,
    ) -> Result<Context, Failure> {
        let now = std::time::Instant::now();
        let timing = std::env::var_os("RAXX_TIMING")
            .filter(|v| v == "1")
            .map(|_| Timing {
                start: now,
                phases: Default::default(),
                last: std::cell::Cell::new(now),
            });
        let files = PolicyFiles::locate(agent_map, policy).map_err(|message| Failure {
            code: exit::POLICY,
            message,
        })?;
        let policy = files.read().map_err(|e| Failure {
            code: exit::POLICY,
            message: format!("{e:#}"),
        })?;
        let Some(path) = component.or_else(default_component_path) else {
            return Err(Failure {
                code: exit::HOST,
                message: "no minter component next to this binary; build it with scripts/build, or pass --component PATH (or set RAXX_COMPONENT)".into(),
            });
        };
        if let Some(t) = &timing {
            t.mark("policy");
        }
        let runtime = Runtime::load(&path, &Cache::from_env(&path)).map_err(host_failure)?;
        for warning in runtime.warnings() {
            eprintln!("raxx-host: warning: {}", crate::one_line(warning));
        }
        if let Some(t) = &timing {
            t.mark(&format!("load ({:?})", runtime.source()).to_lowercase());
        }
        Ok(Context {
            runtime: Arc::new(runtime),
            policy,
            files: (files, path),
            audit_log: audit_log.filter(|p| !p.as_os_str().is_empty()),
            timing,
        })
    }

    fn mark(&self, phase: &str) {
        if let Some(t) = &self.timing {
            t.mark(phase);
        }
    }

    /// The bot named, or every bot of the policy (`--all`), resolved.
    pub fn bots_or(&self, bot: Option<String>) -> Result<Vec<Resolved>, Failure> {
        match bot {
            Some(bot) => Ok(vec![self.resolve(&bot_request(&bot))?]),
            None => Ok(self.runtime.bots(&self.policy)?),
        }
    }

    /// Checks the policy and resolves the request, before any network call.
    pub fn resolve(&self, request: &MintRequest) -> Result<Resolved, Failure> {
        let resolved = self
            .runtime
            .resolve(&self.policy, request)
            .map_err(Failure::from);
        self.mark("resolve");
        resolved
    }

    /// The one way a command mints: settings from the environment, the mint
    /// for `resolved`, and its audit record. A token comes back recorded (when
    /// the record cannot be written the token is revoked unused, and that is
    /// the failure). A failed mint comes back unrecorded, with its cause, for
    /// the caller to record with what it decided (`exec`'s fallback rule), or
    /// through [`MintFailed::recorded`] when there is nothing to decide.
    pub fn mint(
        &self,
        command: &str,
        resolved: &Resolved,
        workflow_uuid: Option<&str>,
    ) -> Result<Minted, MintFailed> {
        let settings = settings()?;
        let outcome = self.runtime.mint(&settings, resolved);
        if self.timing.is_some() {
            let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
            let network: std::time::Duration = outcome.requests.iter().map(|r| r.elapsed).sum();
            let requests: Vec<String> = outcome
                .requests
                .iter()
                .map(|r| format!("{} {:.2}ms", r.request, ms(r.elapsed)))
                .collect();
            let summary = format!(
                "requests {:.2}ms over {} connections",
                ms(network),
                outcome.connections
            );
            self.mark(&format!("mint [{summary}: {}] total", requests.join(", ")));
        }
        let token = outcome.result.map_err(|e| match e {
            CallError::Failed(e) => {
                let message = format!("mint {}: {}", who(resolved), exit::message(&e));
                MintFailed {
                    failure: Failure {
                        code: exit::for_mint_error(&e),
                        message,
                    },
                    cause: Some(e),
                }
            }
            CallError::Host(e) => MintFailed::from(host_failure(e)),
        })?;
        self.audit(Event {
            token: Some(&token),
            ..event(command, resolved, workflow_uuid)
        })
        .inspect_err(|_| self.revoke(&settings, &token))?;
        Ok(Minted { token, settings })
    }

    /// Retires a token it minted; a failure is a warning line (the token expires within the hour).
    pub fn revoke(&self, settings: &Settings, token: &InstallationToken) {
        let warning = match self.runtime.retire(settings, &token.token) {
            Ok(()) => return,
            Err(CallError::Failed(e)) => exit::message(&e).to_string(),
            Err(CallError::Host(e)) => {
                format!("could not revoke the token (it expires within the hour): {e:#}")
            }
        };
        eprintln!("raxx-host: warning: {}", crate::one_line(&warning));
    }

    /// What was in force, for audit records.
    pub fn in_force(&self) -> InForce<'_> {
        InForce {
            component_sha256: self.runtime.component_sha256(),
            compiled_sha256: self.runtime.compiled_sha256(),
            policy: &self.policy,
        }
    }

    /// Appends the event to the audit log, when one is configured. A log that
    /// cannot be written stops the command: nothing happens unrecorded.
    pub fn audit(&self, event: Event<'_>) -> Result<(), Failure> {
        let Some(path) = &self.audit_log else {
            return Ok(());
        };
        let record = audit::record(&event, &self.in_force());
        audit::append(path, &record).map_err(|e| Failure {
            code: exit::HOST,
            message: format!("cannot write the audit log {}: {e}", path.display()),
        })
    }
}

impl From<raxx_host::process::StartError> for Failure {
    fn from(e: raxx_host::process::StartError) -> Failure {
        Failure {
            code: e.code,
            message: e.message,
        }
    }
}

/// Settings from the environment. A missing machine identity or an invalid
/// value is also a mint failure, so `exec`'s fallback rule can judge it.
pub fn settings() -> Result<Settings, MintFailed> {
    Settings::from_env(|k| std::env::var(k).ok()).map_err(|e| {
        let code = exit::for_side(e.side);
        let kind = if e.absent {
            FailureKind::Absent
        } else {
            FailureKind::Config
        };
        let service = ServiceFailure {
            kind,
            status: None,
            message: e.message.clone(),
        };
        let cause = match e.side {
            Side::Vault => MintError::Vault(service),
            Side::Github => MintError::Github(service),
            Side::Host => MintError::InvalidRequest(e.message.clone()),
        };
        MintFailed {
            failure: Failure {
                code,
                message: e.message,
            },
            cause: Some(cause),
        }
    })
}

pub fn host_failure(e: anyhow::Error) -> Failure {
    Failure {
        code: exit::HOST,
        message: format!("{e:#}"),
    }
}

/// A component call's outcome with raxx's own failure taken out (it stops the
/// command): what is left is the answer, or the failure the call reported.
pub fn answered<T>(outcome: Result<T, CallError>) -> Result<Result<T, MintError>, Failure> {
    match outcome {
        Ok(answer) => Ok(Ok(answer)),
        Err(CallError::Failed(e)) => Ok(Err(e)),
        Err(CallError::Host(e)) => Err(host_failure(e)),
    }
}

fn request(bot: Option<String>, agent: Option<String>, narrow: Narrow) -> MintRequest {
    MintRequest {
        bot,
        agent,
        owner: narrow.owner,
        repositories: narrow.repos,
        permissions: narrow.permissions,
    }
}

fn target_request(target: Target) -> MintRequest {
    request(target.bot, target.agent, target.narrow)
}

pub fn bot_request(bot: &str) -> MintRequest {
    MintRequest {
        bot: Some(bot.to_string()),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    }
}

/// A request naming only an agent class (no narrowing).
pub fn agent_request(class: &str) -> MintRequest {
    MintRequest {
        bot: None,
        agent: Some(class.to_string()),
        owner: None,
        repositories: vec![],
        permissions: vec![],
    }
}

/// "feature-developer (raxx-dev-bot)" or "raxx-dev-bot".
fn who(resolved: &Resolved) -> String {
    raxx_names::who(resolved.agent.as_deref(), &resolved.bot)
}

pub fn print(out: &str) -> Result<i32, Failure> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(out.as_bytes())
        .and_then(|_| stdout.flush())
        .map(|_| exit::OK)
        .map_err(|_| Failure {
            code: exit::HOST,
            message: "could not write to stdout".into(),
        })
}

/// An audit event for `command` about `resolution`.
fn event<'a>(
    command: &'a str,
    resolution: &'a Resolved,
    workflow_uuid: Option<&'a str>,
) -> Event<'a> {
    Event {
        agent: resolution.agent.as_deref(),
        workflow_uuid,
        ..bot_event(command, &resolution.bot)
    }
}

/// An event about a bot itself, no agent class in it (verify, suspend).
fn bot_event<'a>(command: &'a str, bot: &'a str) -> Event<'a> {
    Event {
        command,
        agent: None,
        bot: Some(bot),
        workflow_uuid: None,
        token: None,
        installation: None,
        fallback: None,
        operator_command: None,
        subject: None,
        outcome: Ok(()),
    }
}

fn mint(context: &Context, args: MintArgs) -> Result<i32, Failure> {
    let resolved = context.resolve(&target_request(args.target))?;
    let token = context
        .mint("mint", &resolved, None)
        .map_err(|f| f.recorded(context, "mint", &resolved))?
        .token;
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
    let r = context.resolve(&request(
        None,
        Some(args.agent),
        Narrow {
            repos: vec![],
            owner: None,
            permissions: vec![],
        },
    ))?;
    if !args.json {
        return print(&format!("{}\n", r.bot));
    }
    let json = serde_json::json!({
        "agent": r.agent,
        "bot": r.bot,
        "permissions": permissions_json(&r.permissions),
        "repositories": r.repositories,
        "fallback": if r.fallback_allowed { "allow" } else { "refuse" },
        "isolate": r.isolate,
    });
    print(&format!("{json}\n"))
}

/// `compile --out-dir DIR`: the installed artifact (scripts/install).
fn compile(context: &Context, args: crate::CompileArgs) -> Result<i32, Failure> {
    let path = context
        .runtime
        .write_installed_artifact(&args.out_dir)
        .map_err(host_failure)?;
    print(&format!("{}\n", path.display()))
}

/// Single-quotes a value for POSIX shells (`'` becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn permissions_json(list: &[raxx_host::Permission]) -> serde_json::Value {
    list.iter()
        .map(|p| (p.name.clone(), serde_json::Value::from(p.level.clone())))
        .collect::<serde_json::Map<_, _>>()
        .into()
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
