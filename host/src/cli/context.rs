//! What a command that runs the component works with ([`Context`]: the
//! component, the policy in force, the audit log), and the one way it mints.

use crate::audit::Event;
use crate::cli::args::bot_request;
use crate::cli::audit::event;
use crate::cli::timing;
use crate::config::policy::PolicyFiles;
use crate::config::settings::Settings;
use crate::error::{self, Error};
use crate::exit::Exit;
use crate::sandbox::cache::Cache;
use crate::sandbox::runtime::{default_component_path, CallError, Resolved, Runtime};
use crate::session::{keeper_for, mint_with_keeper, VaultKeeper};
use crate::support::display::one_line;
use crate::{InstallationToken, MintError, MintRequest, PolicyDocuments};
use std::path::PathBuf;
use std::sync::Arc;

/// What every command that runs the component needs: the component, the
/// policy in force, the audit log.
pub struct Context {
    pub runtime: Arc<Runtime>,
    pub policy: PolicyDocuments,
    /// The files the policy came from and the component's path (a child's
    /// raxx-host uses the same ones).
    pub files: (PolicyFiles, PathBuf),
    pub(super) audit_log: Option<PathBuf>,
    /// The command's `main` span: under `RAXX_TIMING=1` the timing line is
    /// printed when it closes, with the context (`cli/timing.rs`).
    _main: tracing::Span,
}

/// A mint that did not happen: what to report and, for the fallback rule,
/// why (`None`: raxx itself failed, which never falls back).
pub struct MintFailed {
    pub failure: Error,
    pub cause: Option<MintError>,
}

impl From<Error> for MintFailed {
    fn from(failure: Error) -> MintFailed {
        MintFailed {
            failure,
            cause: None,
        }
    }
}

impl MintFailed {
    /// Records a failed mint there is nothing to decide about (best effort:
    /// the mint's own failure is what gets reported), and returns it.
    pub fn recorded(self, context: &Context, command: &str, resolved: &Resolved) -> Error {
        let f = self.failure;
        let _ = context.audit(Event {
            outcome: Err((i32::from(f.exit.code()), &f.message)),
            ..event(command, resolved, None)
        });
        f
    }
}

/// A token minted and recorded, with the settings it was minted with (a
/// session re-mints with them) and, for a session, the vault access token
/// its first mint logged in for.
pub struct Minted {
    pub token: InstallationToken,
    pub settings: Settings,
    pub keeper: Option<Arc<VaultKeeper>>,
}

impl Context {
    pub(super) fn load(
        component: Option<PathBuf>,
        agent_map: Option<PathBuf>,
        policy: Option<PathBuf>,
        audit_log: Option<PathBuf>,
    ) -> Result<Context, Error> {
        let main = tracing::info_span!(timing::MAIN);
        let policy_span = tracing::info_span!("policy").entered();
        let files = PolicyFiles::locate(agent_map, policy)
            .map_err(|message| Error::new(Exit::Policy, message))?;
        let policy = files
            .read()
            .map_err(|e| Error::new(Exit::Policy, format!("{e:#}")))?;
        let Some(path) = component.or_else(default_component_path) else {
            return Err(Error::new(Exit::Host, "no minter component next to this binary; build it with scripts/build, or pass --component PATH (or set RAXX_COMPONENT)"));
        };
        drop(policy_span);
        let load_span = tracing::info_span!("load", phase = tracing::field::Empty).entered();
        let runtime = Runtime::load(&path, &Cache::from_env(&path)).map_err(Error::host)?;
        for warning in runtime.warnings() {
            eprintln!("raxx-host: warning: {}", one_line(warning));
        }
        if !load_span.is_disabled() {
            let phase = format!("load ({:?})", runtime.source()).to_lowercase();
            load_span.record("phase", phase.as_str());
        }
        drop(load_span);
        Ok(Context {
            runtime: Arc::new(runtime),
            policy,
            files: (files, path),
            audit_log: audit_log.filter(|p| !p.as_os_str().is_empty()),
            _main: main,
        })
    }

    /// The bot named, or every bot of the policy (`--all`), resolved.
    pub fn bots_or(&self, bot: Option<String>) -> Result<Vec<Resolved>, Error> {
        match bot {
            Some(bot) => Ok(vec![self.resolve(&bot_request(&bot))?]),
            None => Ok(self.runtime.bots(&self.policy)?),
        }
    }

    /// Checks the policy and resolves the request, before any network call.
    pub fn resolve(&self, request: &MintRequest) -> Result<Resolved, Error> {
        let _span = tracing::info_span!("resolve").entered();
        self.runtime
            .resolve(&self.policy, request)
            .map_err(Error::from)
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
        self.mint_with(command, resolved, workflow_uuid, false)
    }

    /// A session's first mint (`exec`, `spawn`), as [`Context::mint`], but
    /// logged in once with the vault access token kept (`Minted::keeper`)
    /// for the session's refreshes.
    pub fn mint_session(
        &self,
        command: &str,
        resolved: &Resolved,
        workflow_uuid: Option<&str>,
    ) -> Result<Minted, MintFailed> {
        self.mint_with(command, resolved, workflow_uuid, true)
    }

    fn mint_with(
        &self,
        command: &str,
        resolved: &Resolved,
        workflow_uuid: Option<&str>,
        session: bool,
    ) -> Result<Minted, MintFailed> {
        let settings = settings()?;
        let keeper = if session { keeper_for(&settings) } else { None };
        let span = tracing::info_span!("mint", phase = tracing::field::Empty).entered();
        let (outcome, vault_login) =
            mint_with_keeper(&self.runtime, &settings, resolved, keeper.as_deref());
        if !span.is_disabled() {
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
            let phase = format!("mint [{summary}: {}] total", requests.join(", "));
            span.record("phase", phase.as_str());
        }
        drop(span);
        let token = outcome.result.map_err(|e| match e {
            CallError::Failed(e) => {
                let message = format!("mint {}: {}", who(resolved), error::message(&e));
                MintFailed {
                    failure: Error::new(error::exit_for(&e), message),
                    cause: Some(e),
                }
            }
            CallError::Host(e) => MintFailed::from(Error::host(e)),
        })?;
        self.audit(Event {
            token: Some(&token),
            vault_login,
            ..event(command, resolved, workflow_uuid)
        })
        .inspect_err(|_| self.revoke(&settings, &token))?;
        Ok(Minted {
            token,
            settings,
            keeper,
        })
    }

    /// Retires a token it minted; a failure is a warning line (the token expires within the hour).
    pub fn revoke(&self, settings: &Settings, token: &InstallationToken) {
        let warning = match self.runtime.retire(settings, &token.token) {
            Ok(()) => return,
            Err(CallError::Failed(e)) => error::message(&e).to_string(),
            Err(CallError::Host(e)) => {
                format!("could not revoke the token (it expires within the hour): {e:#}")
            }
        };
        eprintln!("raxx-host: warning: {}", one_line(&warning));
    }
}

/// Settings from the environment. A missing machine identity or an invalid
/// value is also a mint failure, so `exec`'s fallback rule can judge it.
pub fn settings() -> Result<Settings, MintFailed> {
    Settings::from_env(|k| std::env::var(k).ok()).map_err(|e| MintFailed {
        cause: Some(crate::config::settings::mint_error(&e)),
        failure: Error::from(e),
    })
}

/// A component call's outcome with raxx's own failure taken out (it stops the
/// command): what is left is the answer, or the failure the call reported.
pub fn answered<T>(outcome: Result<T, CallError>) -> Result<Result<T, MintError>, Error> {
    match outcome {
        Ok(answer) => Ok(Ok(answer)),
        Err(CallError::Failed(e)) => Ok(Err(e)),
        Err(CallError::Host(e)) => Err(Error::host(e)),
    }
}

/// "feature-developer (raxx-dev-bot)" or "raxx-dev-bot".
pub(super) fn who(resolved: &Resolved) -> String {
    raxx_names::who(resolved.agent.as_deref(), &resolved.bot)
}
