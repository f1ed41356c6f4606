//! `exec` and `spawn`: a child with a bot's identity for as long as it runs.
//!
//! Both serve the child a session (`crate::session`): its first token in
//! `GH_TOKEN`, and through a private socket always a valid one (`raxx-host
//! token`, the `gh` shim, git's credential helper), re-minted before expiry;
//! every token is revoked when the child ends. The child's environment comes
//! from an allowlist, with a private gh and git configuration. `spawn` can
//! sandbox the agent (`--isolate`, or the policy's `isolate`) and never falls
//! back; `exec` may fall back to the operator for operator-safe commands only.

use crate::audit::Event;
use crate::cli::audit::event;
use crate::cli::context::{answered, who, Context, MintFailed, Minted};
use crate::cli::output::ran;
use crate::config::settings::github_git_host;
use crate::error::{self, Error};
use crate::exit::Exit;
use crate::fallback_floor;
use crate::process::agent_clone::{self, AgentClone, Project};
use crate::process::child_env;
use crate::process::git_guard;
use crate::process::isolate::{self, Sandbox};
use crate::process::{self, Child};
use crate::sandbox::runtime::Resolved;
use crate::session::dir::{GitConfig, GitIdentity, SessionDir};
use crate::session::endpoint::{About, Endpoint, SOCKET_VAR};
use crate::session::{AuditTo, RuntimeMint, TokenSource};
use crate::{FallbackRequest, InstallationToken, MintRequest, RunMode};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Resolves a child's request; a policy that would pass the child an
/// operator credential is refused here, before anything is minted.
pub fn resolve_child(context: &Context, request: &MintRequest) -> Result<Resolved, Error> {
    let resolved = context.resolve(request)?;
    let credentials = child_env::credentials_in(&resolved.pass_env);
    if !credentials.is_empty() {
        let message = format!("the policy's children.pass_env names {}, which would hand the child an operator credential; remove it", credentials.join(", "));
        return Err(Error::new(Exit::Policy, message));
    }
    Ok(resolved)
}

/// An isolated agent's sandbox before the session: bwrap, the plan (its
/// clone not made yet), and the operator's repository it is cloned from.
pub struct Isolation {
    bwrap: PathBuf,
    plan: Sandbox,
    project: Project,
}

/// The sandbox's parts that do not depend on the session, checked now:
/// bwrap present, the working directory acceptable and in a git work tree
/// (the agent works in a clone of it), namespaces available.
pub fn sandbox_plan() -> Result<Isolation, Error> {
    let unavailable = |why: String| Error::new(Exit::Isolation, format!("spawn --isolate: {why}"));
    let usage = |message: String| Error::new(Exit::Usage, message);
    let bwrap = isolate::bwrap().map_err(|u| unavailable(u.0))?;
    let cwd = std::env::current_dir()
        .map_err(|e| usage(format!("spawn --isolate: no working directory ({e})")))?;
    // Session folders (sockets, shims, the agent's clone) lie where no agent can write.
    let session = crate::session::dir::location()
        .map_err(|e| Error::new(Exit::Host, format!("cannot create the session folder: {e}")))?;
    let mut plan = Sandbox {
        cwd: cwd.clone(),
        tree: (cwd.clone(), cwd.clone()),
        homes: isolate::homes(),
        session,
        files: vec![],
        hidden: vec![],
    };
    // The vault identity's token file, where the sandbox's system folders would show it.
    // Settings that cannot be read fail the mint below, with their own line.
    let var = |name: &str| std::env::var(name).ok();
    if let Ok((vault, _)) = raxx_core::settings::infisical(&var) {
        if let Some(file) = vault.login.credential_file() {
            plan.hidden = isolate::credential_folders(Path::new(file)).map_err(unavailable)?;
            // The CAs raxx trusts are bound into the sandbox for the agent's git, over that cover.
            if let Ok(network) = crate::config::settings::network(var) {
                let trust = &network.trust;
                let binds: Vec<(&str, PathBuf)> =
                    (trust.ca_file().map(|f| ("SSL_CERT_FILE", f.to_path_buf())))
                        .into_iter()
                        .chain(trust.ca_dirs().iter().map(|d| ("SSL_CERT_DIR", d.clone())))
                        .collect();
                isolate::credential_not_bound(Path::new(file), &binds).map_err(unavailable)?;
            }
        }
    }
    plan.check().map_err(usage)?;
    let project = Project::find(&cwd).map_err(usage)?;
    (plan.cwd, plan.tree) = (
        project.agent_cwd(),
        (project.top.clone(), project.top.clone()),
    );
    plan.check().map_err(usage)?;
    if plan.session.starts_with(&project.top) || project.top.starts_with(&plan.session) {
        let message = format!("spawn --isolate: session folders would lie in {}, inside the agent's project {}; set XDG_RUNTIME_DIR to a private folder outside it", plan.session.display(), project.top.display());
        return Err(usage(message));
    }
    plan.probe(&bwrap).map_err(|u| unavailable(u.0))?;
    Ok(Isolation {
        bwrap,
        plan,
        project,
    })
}

/// A bot's child and its session.
pub struct BotChild {
    pub command: &'static str,
    pub resolved: Resolved,
    pub workflow: Option<String>,
    pub refs: Option<u64>,
    pub sandbox: Option<Isolation>,
    /// Keep (still report) what the child left in the repository's git that runs programs.
    pub keep_git_config: bool,
}

impl BotChild {
    /// Serves the session, runs the child, ends the session (every token revoked).
    pub fn run(self, context: &Context, minted: Minted, argv: &[String]) -> Result<u8, Error> {
        let Minted {
            token,
            settings,
            keeper,
        } = minted;
        let bot = self.resolved.bot.clone();
        // From here the session holds the token: every way out, a failure
        // below included, ends it and so revokes the token.
        let audit = context.audit_log.clone().map(|log| AuditTo {
            log,
            agent: self.resolved.agent.clone(),
            bot: bot.clone(),
            workflow_uuid: self.workflow.clone(),
        });
        // The session refreshes with the vault access token its first mint logged in for.
        let minter = Arc::new(
            RuntimeMint::new(
                context.runtime.clone(),
                settings,
                self.resolved.clone(),
                context.policy.clone(),
                audit,
            )
            .sharing(keeper),
        );
        let source = Arc::new(TokenSource::start(minter.clone(), token.clone()));
        let settings = &minter.settings;
        let host_failure =
            |what: &str, e: std::io::Error| Error::new(Exit::Host, format!("cannot {what}: {e}"));
        let (protocol, host) = github_git_host(&settings.wit.github.api_url)
            .unwrap_or_else(|| ("https".into(), "github.com".into()));
        let dir = SessionDir::create().map_err(|e| host_failure("create the session folder", e))?;
        let user_id = match answered(context.runtime.bot_user_id(settings, &token.token, &bot))? {
            Ok(id) => Some(id),
            Err(e) => {
                eprintln!(
                    "raxx-host: warning: commits will lack the bot's user id: {}",
                    crate::support::display::one_line(error::message(&e))
                );
                None
            }
        };
        let exe = std::env::current_exe()
            .and_then(|p| p.canonicalize())
            .map_err(|e| host_failure("find this program", e))?;
        let operator_path = std::env::var_os("PATH")
            .unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
        let real_gh = process::find_skipping("gh", &operator_path, &dir.bin());
        let identity = GitIdentity::of_bot(&bot, user_id);
        // The CAs raxx trusts (SSL_CERT_FILE, SSL_CERT_DIR), for the child's git and sandbox.
        let trust = context
            .runtime
            .network()
            .map(|n| n.trust.clone())
            .unwrap_or_default();
        let git = GitConfig {
            identity: &identity,
            protocol: &protocol,
            host: &host,
            ca_file: trust.ca_file(),
            ca_dir: trust.ca_dirs().first().map(PathBuf::as_path),
        };
        dir.prepare(&exe, &git, real_gh.is_some())
            .map_err(|e| host_failure("prepare the session folder", e))?;
        let about = About {
            bot: bot.clone(),
            git_protocol: protocol,
            git_host: host,
        };
        let env = self.env(
            context,
            &dir,
            &token,
            &operator_path,
            real_gh.as_deref(),
            &about.git_host,
        );
        let endpoint = Endpoint::serve(&dir.socket(), source.clone(), about)
            .map_err(|e| host_failure("open the session endpoint", e))?;
        let clone = match &self.sandbox {
            Some(isolation) => Some(
                AgentClone::make(&isolation.project, &dir.agent_clone())
                    .map_err(|message| Error::new(Exit::Host, message))?,
            ),
            None => None,
        };
        let sandbox = self.sandbox.as_ref().zip(clone.as_ref()).map(
            |(
                Isolation {
                    bwrap,
                    plan,
                    project,
                },
                clone,
            )| {
                let mut files: Vec<PathBuf> = [
                    &exe,
                    &context.files.1,
                    &context.files.0.policy,
                    &context.files.0.agent_map,
                ]
                .into_iter()
                .chain(real_gh.as_ref())
                .filter_map(|f| f.canonicalize().ok())
                .collect();
                // The agent's own program, at the path its PATH finds it (it may live in a hidden home),
                // and the CAs it is told to trust.
                files.extend(
                    argv.first()
                        .and_then(|program| process::find(program, &env)),
                );
                files.extend(
                    trust
                        .ca_file()
                        .into_iter()
                        .chain(trust.ca_dirs().iter().map(PathBuf::as_path))
                        .map(Path::to_path_buf),
                );
                let sandbox = Sandbox {
                    session: dir.path().to_path_buf(),
                    files,
                    tree: (clone.path.clone(), project.top.clone()),
                    ..plan.clone()
                };
                (bwrap.clone(), sandbox.args())
            },
        );
        // Unsandboxed, the child is the operator's uid: what it leaves in
        // the repository's git that runs programs is reported and undone.
        let git = if self.sandbox.is_none() {
            std::env::current_dir()
                .ok()
                .and_then(|cwd| git_guard::Snapshot::take(&cwd))
        } else {
            None
        };
        let status = process::run(Child { argv, env, sandbox });
        drop(endpoint);
        for warning in source.end() {
            eprintln!(
                "raxx-host: warning: {}",
                crate::support::display::one_line(&warning)
            );
        }
        // Every token is revoked: from here a signal ends raxx, whatever is left to do.
        process::restore_default_signals();
        if let (Some(isolation), Some(clone)) = (&self.sandbox, clone) {
            let label = self.resolved.agent.as_deref().unwrap_or(&bot);
            let top = isolation.project.top.display();
            match clone.bring_back(&isolation.project, &isolation.bwrap, label, agent_clone::deadline()) {
                Ok(brought) => {
                    if brought.skipped > 0 {
                        eprintln!("raxx-host: warning: {} branches skipped: only names of letters, digits, '.', '_', '/' and '-' are brought back", brought.skipped);
                    }
                    let moved = brought.branches;
                    if moved.is_empty() {
                        eprintln!("raxx-host: the agent moved no branch raxx brings back; its clone is removed, with anything it did not commit");
                    } else {
                        let shown = moved.iter().take(10).map(String::as_str).collect::<Vec<_>>().join(", ");
                        let more = if moved.len() > 10 { format!(" and {} more", moved.len() - 10) } else { String::new() };
                        eprintln!("raxx-host: the agent's branches are in {top} as {}{more}; its clone is removed, with anything it did not commit", crate::support::display::one_line(&shown));
                    }
                }
                Err(e) => eprintln!("raxx-host: warning: the agent's branches could not be brought back into {top} ({}); its clone is removed", crate::support::display::one_line(&e)),
            }
        }
        let path = dir.path().display().to_string();
        if let Err(e) = dir.remove() {
            eprintln!("raxx-host: warning: cannot remove the session folder {path}: {e}");
        }
        if let Some(git) = git {
            self.report_git(context, &git)?;
        }
        ran(status)
    }

    /// One warning per entry the child added to the repository's git that
    /// runs programs, and one audit record naming them all.
    fn report_git(&self, context: &Context, git: &git_guard::Snapshot) -> Result<(), Error> {
        let found = git.check(self.keep_git_config);
        for line in &found {
            eprintln!(
                "raxx-host: warning: git: {}",
                crate::support::display::one_line(line)
            );
        }
        if found.is_empty() {
            return Ok(());
        }
        let subject = found.join("; ");
        let record = Event {
            subject: Some(&subject),
            outcome: Err((
                i32::from(Exit::Mismatch.code()),
                "the command left git configuration that runs programs",
            )),
            ..event("git-config", &self.resolved, self.workflow.as_deref())
        };
        context.audit(record)
    }

    /// The child's whole environment: the allowlist, the session, the bot's
    /// first token, a private gh and git configuration.
    fn env(
        &self,
        context: &Context,
        dir: &SessionDir,
        token: &InstallationToken,
        operator_path: &OsString,
        real_gh: Option<&Path>,
        git_host: &str,
    ) -> Vec<(OsString, OsString)> {
        let mut env = child_env::inherited(&self.resolved.pass_env, std::env::vars_os());
        let mut set = |name: &str, value: OsString| {
            env.retain(|(k, _)| k != name);
            env.push((name.into(), value));
        };
        let path = std::env::join_paths(
            std::iter::once(dir.bin()).chain(std::env::split_paths(operator_path)),
        )
        .unwrap_or_else(|_| dir.bin().into_os_string());
        set("PATH", path);
        for (name, value) in crate::session::gh_token_vars(git_host, &token.token) {
            set(name, value.into());
        }
        set("GH_CONFIG_DIR", dir.gh_config().into());
        set("GIT_CONFIG_GLOBAL", dir.git_config().into());
        set("GIT_TERMINAL_PROMPT", "0".into());
        set(SOCKET_VAR, dir.socket().into());
        set("RAXX_TOKEN_EXPIRES_AT", token.expires_at.clone().into());
        set("RAXX_BOT", self.resolved.bot.clone().into());
        if let Some(agent) = &self.resolved.agent {
            set("RAXX_AGENT", agent.clone().into());
        }
        if self.command == "spawn" {
            set(
                "RAXX_WORKFLOW_UUID",
                self.workflow.clone().unwrap_or_else(|| "n/a".into()).into(),
            );
            set(
                "RAXX_SESSION",
                crate::support::time::iso8601(crate::support::time::now()).into(),
            );
            if let Some(n) = self.refs {
                set("RAXX_REFS", n.to_string().into());
            }
        }
        // The child's raxx-host uses the files in force here.
        let (files, component) = &context.files;
        for (name, file) in [
            ("RAXX_POLICY", &files.policy),
            ("RAXX_AGENT_MAP", &files.agent_map),
            ("RAXX_COMPONENT", component),
        ] {
            set(
                name,
                file.canonicalize().unwrap_or_else(|_| file.clone()).into(),
            );
        }
        if let Some(gh) = real_gh {
            set("RAXX_REAL_GH", gh.into());
        }
        if self.sandbox.is_some() {
            set("HOME", dir.home().into());
            env.retain(|(k, _)| k != "TMPDIR");
        }
        env
    }
}

/// `exec` after a failed mint: the command runs as the operator only when
/// the component's fallback rule allows it *and* the host's own floor does
/// (`crate::fallback_floor`: the failure, the policy as the host reads
/// it, gh's grammar), so no component can make the fallback wider.
pub fn fall_back(
    context: &Context,
    request: &MintRequest,
    resolved: &Resolved,
    failed: MintFailed,
    argv: &[String],
) -> Result<u8, Error> {
    let Some(cause) = failed.cause else {
        return Err(failed.failure);
    };
    let failed = failed.failure;
    let floor = fallback_floor::judge(&context.policy, request, argv, &cause);
    let ask = FallbackRequest {
        mode: RunMode::Exec,
        command: argv.to_vec(),
        failure: cause,
    };
    let decision = context.runtime.decide_fallback(resolved, &ask)?;
    let (allowed, reason) = match floor {
        _ if !decision.allowed => (false, decision.reason),
        Err(why) => (
            false,
            format!("the host refuses what the component allowed: {why}"),
        ),
        Ok(_) => (true, decision.reason),
    };
    let record = Event {
        fallback: Some((allowed, &reason)),
        operator_command: Some(argv),
        outcome: Err((i32::from(failed.exit.code()), &failed.message)),
        ..event("exec", resolved, None)
    };
    context.audit(record)?;
    if !allowed {
        return Err(Error::new(
            failed.exit,
            format!("{}; not running as the operator: {reason}", failed.message),
        ));
    }
    eprintln!(
        "raxx-host: WARNING: no token for {} ({}); running as the operator: {} ({reason})",
        who(resolved),
        crate::support::display::one_line(&failed.message),
        crate::support::display::one_line(&argv.join(" ")),
    );
    let env = child_env::operator(&resolved.pass_env, std::env::vars_os());
    ran(process::run(Child {
        argv,
        env,
        sandbox: None,
    }))
}
