//! The `raxx-host` command line: the clap root (global options, the
//! subcommands) and the dispatch. Each subcommand is one file in
//! `commands/` that owns its arguments (`Args`) and its `run`; what several
//! share is here: `args` (who to mint for, narrowing), `context` (the
//! component, policy and audit log a command runs with), `audit` (its
//! records), `bot_child` (the session and child of `exec` and `spawn`),
//! `gh_shim` and `output` (printing, exit). Parsing, printing, and running
//! the wrapped command; every decision about identity, scope and fallback is
//! the component's.
//!
//! Not a stable API: the library's [`crate::cli::main`] is what the
//! `raxx-host` binary calls.

mod args;
mod audit;
mod bot_child;
mod commands;
mod context;
mod gh_shim;
mod output;
mod timing;

use crate::error::Error;
use crate::exit::{self, Exit};
use clap::{Parser, Subcommand};
use commands::{
    compile, exec, git_credential, git_identity, mint, pr_check, pr_header, preamble, resolve,
    smoke, spawn, suspend, token, verify,
};
use context::Context;
use output::{finish, report};
use std::path::PathBuf;
use std::process::ExitCode;

/// Mint per-agent GitHub App installation tokens from credentials kept in Infisical.
///
/// The minting, the policy and the fallback rule run in a sandboxed
/// WebAssembly component that may reach only the configured Infisical and
/// GitHub hosts.
#[derive(Parser)]
#[command(name = "raxx-host", version, after_help = after_help())]
pub struct Cli {
    /// Minter component to run instead of the one next to this binary.
    #[arg(long, global = true, env = "RAXX_COMPONENT", value_name = "PATH")]
    pub component: Option<PathBuf>,

    /// Policy file (scopes, fallback rule) instead of policies/policy.yaml.
    #[arg(long, global = true, env = "RAXX_POLICY", value_name = "PATH")]
    pub policy: Option<PathBuf>,

    /// Agent class → bot map instead of policies/agent_bot_map.yaml.
    #[arg(long, global = true, env = "RAXX_AGENT_MAP", value_name = "PATH")]
    pub agent_map: Option<PathBuf>,

    /// Append one JSON audit record per mint, exec, spawn, verify or credential request to PATH.
    #[arg(long, global = true, env = "RAXX_AUDIT_LOG", value_name = "PATH")]
    pub audit_log: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Mint an installation token and print it (stdout: the token alone).
    #[command(after_help = after_help())]
    Mint(mint::Args),
    /// Print the bot an agent class uses.
    #[command(after_help = after_help())]
    Resolve(resolve::Args),
    /// Run one command with GH_TOKEN and GITHUB_TOKEN set to a fresh bot token; revoke it after.
    #[command(after_help = after_help())]
    Exec(exec::Args),
    /// Start an agent with its class's bot token and no operator credentials; never falls back.
    #[command(after_help = after_help())]
    Spawn(spawn::Args),
    /// Print the audit header block for an agent-authored PR body (no network).
    #[command(after_help = after_help())]
    PrHeader(pr_header::Args),
    /// Smoke-test bots: mint, check the token kind, the App's slug, and what the token reaches.
    #[command(after_help = after_help())]
    Verify(verify::Args),
    /// Print (or --apply) the git user.name/user.email that attribute commits to a bot.
    #[command(after_help = after_help())]
    GitIdentity(git_identity::Args),
    /// Git credential helper: answers `get` for the GitHub host with a bot token.
    #[command(after_help = after_help())]
    GitCredential(git_credential::Args),
    /// Print the current token of the session this process runs in (inside an agent of spawn or a command of exec).
    #[command(after_help = after_help())]
    Token(token::Args),
    /// Rollout smoke test: as each agent class's bot, create an issue, read its author back, close it.
    #[command(after_help = after_help())]
    Smoke(smoke::Args),
    /// Write the component's compiled code for an installation (scripts/install).
    #[command(after_help = after_help())]
    Compile(compile::Args),
    /// Kill switch: suspend a bot's App installation; no token is minted and issued ones stop working.
    #[command(after_help = after_help())]
    Suspend(suspend::Args),
    /// Lift a suspension made with `suspend`.
    #[command(after_help = after_help())]
    Unsuspend(suspend::Args),
    /// Print, write or check the GitHub identity preamble of agent definitions (no network).
    #[command(after_help = after_help())]
    Preamble(preamble::Args),
    /// The PR gate: exit 0 only when the PR's author fits the audit header in its body (no network).
    #[command(after_help = after_help())]
    PrCheck(pr_check::Args),
}

const ENVIRONMENT_HELP: &str = concat!(
    "Environment:\n",
    "  INFISICAL_AUTH_METHOD universal, kubernetes, oidc, jwt or token (default: inferred from\n",
    "                       what is set; two methods at once is an error)\n",
    "  INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET   Universal Auth machine identity (also\n",
    "                       INFISICAL_UNIVERSAL_AUTH_CLIENT_ID / _SECRET)\n",
    "  INFISICAL_MACHINE_IDENTITY_ID   the identity's ID (kubernetes, oidc, jwt)\n",
    "  INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN or _PATH   kubernetes: the token or its file\n",
    "                       (default: /var/run/secrets/kubernetes.io/serviceaccount/token)\n",
    "  INFISICAL_AUTH_JWT or INFISICAL_AUTH_JWT_PATH   oidc, jwt: the token or its file (oidc on\n",
    "                       GitHub Actions: asked from ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN,\n",
    "                       audience INFISICAL_OIDC_AUDIENCE)\n",
    "  INFISICAL_TOKEN       token: an access token already issued (no login)\n",
    "  INFISICAL_PROJECT_ID  project holding the bots' folders\n",
    "  INFISICAL_ENVIRONMENT environment slug (default: prod)\n",
    "  INFISICAL_PATH_PREFIX folder prefix (default: /MooseQuest/)\n",
    "  INFISICAL_DOMAIN      or INFISICAL_API_URL (default: https://app.infisical.com; /api appended)\n",
    "  GITHUB_API_URL        default: https://api.github.com (GitHub Enterprise: https://HOST/api/v3)\n",
    "  RAXX_COMPONENT, RAXX_POLICY, RAXX_AGENT_MAP, RAXX_AUDIT_LOG   as the options above\n",
    "  RAXX_CACHE_DIR        compiled-component cache (default: ~/.cache/raxx)\n",
    "  RAXX_SESSION_SOCKET   set by spawn and exec for their child: where `raxx-host token` asks\n",
    "  RAXX_FETCH_BACK_TIMEOUT  seconds an isolated agent's fetch-back may take (default: 120)\n",
    "  XDG_RUNTIME_DIR       session folders in $XDG_RUNTIME_DIR/raxx (else /tmp/raxx-<uid>)\n",
);

fn after_help() -> String {
    format!("{ENVIRONMENT_HELP}\n{}", exit::HELP)
}

fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp => {
                print!("{}", err.render());
                ExitCode::SUCCESS
            }
            ErrorKind::DisplayVersion => {
                // The version, then the SHA-256 of the component raxx-host runs and of
                // the portable build of the same source (the Node host's).
                let component = std::env::var_os("RAXX_COMPONENT")
                    .filter(|v| !v.is_empty())
                    .map(PathBuf::from)
                    .or_else(crate::sandbox::runtime::default_component_path);
                print!(
                    "{}{}",
                    err.render(),
                    crate::sandbox::runtime::version_lines(component.as_deref())
                );
                ExitCode::SUCCESS
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                eprint!("{}", err.render());
                ExitCode::from(Exit::Usage.code())
            }
            _ => {
                // clap's first paragraph, on one line: "the following required arguments were not provided: <BOT>".
                let rendered = err.render().to_string();
                let first = rendered.split("\n\n").next().unwrap_or("invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                report(
                    Exit::Usage.code(),
                    &format!("{first} (see 'raxx-host --help')"),
                )
            }
        }
    })
}

/// The `raxx-host` process: hardening first, then the `gh` shim, git's
/// credential helper or the command line, by the name it was invoked as.
pub fn main() -> ExitCode {
    // Before anything is read: no /proc/PID/{environ,mem}, ptrace or core file for same-user processes.
    if let Err(e) = crate::process::harden::process() {
        return report(
            Exit::Host.code(),
            &format!("cannot make this process non-dumpable: {e}"),
        );
    }
    // Inside a session raxx-host is also the `gh` shim and git's credential helper.
    let invoked = std::env::args_os().next().map(PathBuf::from);
    match invoked
        .as_deref()
        .and_then(|p| p.file_name())
        .and_then(|n| n.to_str())
    {
        Some("gh") => return gh_shim::gh_shim(),
        Some(helper) if helper == format!("git-credential-{}", crate::session::dir::GIT_HELPER) => {
            return finish(git_credential::in_session(
                std::env::args().skip(1).collect(),
            ));
        }
        _ => {}
    }
    match parse() {
        Ok(cli) => run(cli),
        Err(code) => code,
    }
}

fn run(cli: Cli) -> ExitCode {
    // Commands a session's child runs: no policy, no component, no vault.
    let result = match cli.command {
        Command::Token(args) => token::run(args),
        Command::GitCredential(args) if args.words.len() == 1 => {
            git_credential::in_session(args.words)
        }
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

fn with_context(
    component: Option<PathBuf>,
    agent_map: Option<PathBuf>,
    policy: Option<PathBuf>,
    audit_log: Option<PathBuf>,
    command: Command,
) -> Result<u8, Error> {
    timing::install_from_env();
    let context = Context::load(component, agent_map, policy, audit_log)?;
    match command {
        Command::Mint(args) => mint::run(&context, args),
        Command::Resolve(args) => resolve::run(&context, args),
        Command::Exec(args) => exec::run(&context, args),
        Command::Spawn(args) => spawn::run(&context, args),
        Command::PrHeader(args) => pr_header::run(&context, args),
        Command::Verify(args) => verify::run(&context, args),
        Command::GitIdentity(args) => git_identity::run(&context, args),
        Command::GitCredential(args) => git_credential::run(&context, args),
        Command::Compile(args) => compile::run(&context, args),
        Command::Smoke(args) => smoke::run(&context, args),
        Command::Token(_) => unreachable!("handled without a context"),
        Command::Suspend(args) => suspend::run(&context, args, true),
        Command::Unsuspend(args) => suspend::run(&context, args, false),
        Command::Preamble(args) => preamble::run(&context, args),
        Command::PrCheck(args) => pr_check::run(&context, args),
    }
}
