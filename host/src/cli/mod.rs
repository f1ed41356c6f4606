//! `raxx-host`: the CLI over the raxx-host library. Parsing, printing, and
//! running the wrapped command; every decision about identity, scope and
//! fallback is the component's.

mod commands;

use clap::{Args, Parser, Subcommand};
use raxx_host::exit;
use raxx_host::Permission;
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
    Mint(MintArgs),
    /// Print the bot an agent class uses.
    #[command(after_help = after_help())]
    Resolve(ResolveArgs),
    /// Run one command with GH_TOKEN and GITHUB_TOKEN set to a fresh bot token; revoke it after.
    #[command(after_help = after_help())]
    Exec(ExecArgs),
    /// Start an agent with its class's bot token and no operator credentials; never falls back.
    #[command(after_help = after_help())]
    Spawn(SpawnArgs),
    /// Print the audit header block for an agent-authored PR body (no network).
    #[command(after_help = after_help())]
    PrHeader(PrHeaderArgs),
    /// Smoke-test bots: mint, check the token kind, the App's slug, and what the token reaches.
    #[command(after_help = after_help())]
    Verify(VerifyArgs),
    /// Print (or --apply) the git user.name/user.email that attribute commits to a bot.
    #[command(after_help = after_help())]
    GitIdentity(GitIdentityArgs),
    /// Git credential helper: answers `get` for the GitHub host with a bot token.
    #[command(after_help = after_help())]
    GitCredential(GitCredentialArgs),
    /// Print the current token of the session this process runs in (inside an agent of spawn or a command of exec).
    #[command(after_help = after_help())]
    Token(TokenArgs),
    /// Rollout smoke test: as each agent class's bot, create an issue, read its author back, close it.
    #[command(after_help = after_help())]
    Smoke(SmokeArgs),
    /// Write the component's compiled code for an installation (scripts/install).
    #[command(after_help = after_help())]
    Compile(CompileArgs),
    /// Kill switch: suspend a bot's App installation; no token is minted and issued ones stop working.
    #[command(after_help = after_help())]
    Suspend(SuspendArgs),
    /// Lift a suspension made with `suspend`.
    #[command(after_help = after_help())]
    Unsuspend(SuspendArgs),
    /// Print, write or check the GitHub identity preamble of agent definitions (no network).
    #[command(after_help = after_help())]
    Preamble(PreambleArgs),
    /// The PR gate: exit 0 only when the PR's author fits the audit header in its body (no network).
    #[command(after_help = after_help())]
    PrCheck(PrCheckArgs),
}

/// Who to mint for, and how to narrow the policy's scope.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("who").args(["bot", "agent"]).required(true).multiple(false)))]
pub struct Target {
    /// Bot whose App credentials live at {INFISICAL_PATH_PREFIX}/{BOT} in Infisical.
    #[arg(value_name = "BOT")]
    pub bot: Option<String>,

    /// Agent class (resolved to its bot by the agent map; its policy scope applies).
    #[arg(long, value_name = "CLASS")]
    pub agent: Option<String>,

    #[command(flatten)]
    pub narrow: Narrow,
}

/// Narrowing beyond the policy (never widening).
#[derive(Args)]
pub struct Narrow {
    /// Restrict the token to this repository; repeatable. OWNER/NAME also finds
    /// the installation when the vault has no INSTALLATION_ID.
    #[arg(long = "repo", value_name = "[OWNER/]NAME")]
    pub repos: Vec<String>,

    /// Find the installation on this organization or user when the vault has no INSTALLATION_ID.
    #[arg(long, value_name = "ORG")]
    pub owner: Option<String>,

    /// Ask for this permission only, e.g. contents=read; repeatable.
    #[arg(long = "permission", value_name = "NAME=LEVEL", value_parser = parse_permission)]
    pub permissions: Vec<Permission>,
}

#[derive(Args)]
pub struct MintArgs {
    #[command(flatten)]
    pub target: Target,

    /// Print `export GH_TOKEN='…'` for `eval "$(raxx-host mint BOT --export)"`.
    #[arg(long, conflicts_with = "json")]
    pub export: bool,

    /// Print JSON: token, expires_at, bot, agent, permissions, repository_selection, repositories.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ResolveArgs {
    /// Agent class, e.g. feature-developer.
    #[arg(value_name = "AGENT_CLASS")]
    pub agent: String,

    /// Print the resolved bot, permissions, repositories and fallback rule as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub target: Target,

    /// Keep changes the command made to the working directory's git configuration or hooks
    /// that make git run a program (they are still reported; by default they are undone).
    #[arg(long)]
    pub keep_git_config: bool,

    /// The command to run, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args)]
pub struct SpawnArgs {
    /// Agent class to start (resolved to its bot by the agent map).
    #[arg(long, value_name = "CLASS")]
    pub agent: String,

    /// Workflow UUID for the audit trail (wfl_…); exported as RAXX_WORKFLOW_UUID.
    #[arg(long, value_name = "wfl_…", value_parser = parse_workflow_uuid)]
    pub workflow_uuid: Option<String>,

    /// Parent issue number; exported as RAXX_REFS.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub refs: Option<u64>,

    /// Run the agent in a bubblewrap sandbox: its own PID namespace, the system read-only, its
    /// own clone of the working directory's git repository (its branches come back as
    /// refs/remotes/raxx/<CLASS>/…), a private home and /tmp (also set by the policy's isolate).
    #[arg(long)]
    pub isolate: bool,

    /// Keep changes the command made to the working directory's git configuration or hooks
    /// that make git run a program (they are still reported; by default they are undone).
    #[arg(long)]
    pub keep_git_config: bool,

    #[command(flatten)]
    pub narrow: Narrow,

    /// The agent command to start, after `--`.
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

#[derive(Args)]
pub struct PrHeaderArgs {
    /// Agent class that authored the PR (its bot comes from the policy).
    #[arg(long, env = "RAXX_AGENT", value_name = "CLASS")]
    pub agent: String,

    /// Workflow UUID (wfl_…); "n/a" or absent prints n/a.
    #[arg(long, env = "RAXX_WORKFLOW_UUID", value_name = "wfl_…", value_parser = parse_workflow_uuid_or_na)]
    pub workflow_uuid: Option<String>,

    /// Parent issue number.
    #[arg(long, env = "RAXX_REFS", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub refs: Option<u64>,

    /// Orchestrator session start, UTC (YYYY-MM-DDTHH:MM:SSZ); default: now.
    #[arg(long, env = "RAXX_SESSION", value_name = "TIMESTAMP", value_parser = parse_session)]
    pub session: Option<String>,
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Bot to check.
    #[arg(
        value_name = "BOT",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub bot: Option<String>,

    /// Check every bot of the policy.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args)]
pub struct SuspendArgs {
    /// Bot whose installation to (un)suspend.
    #[arg(
        value_name = "BOT",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub bot: Option<String>,

    /// Every bot of the policy.
    #[arg(long)]
    pub all: bool,
}

#[derive(Args)]
pub struct GitIdentityArgs {
    /// Bot whose commit identity to print.
    #[arg(value_name = "BOT")]
    pub bot: String,

    /// Write user.name and user.email into the current repository's git config.
    #[arg(long)]
    pub apply: bool,
}

#[derive(Args)]
pub struct GitCredentialArgs {
    /// `BOT OPERATION` mints a fresh token for BOT; inside a session (spawn, exec)
    /// `OPERATION` alone answers with the session's current token.
    /// OPERATION is what git asks: get, store or erase.
    #[arg(value_name = "[BOT] OPERATION", num_args = 1..=2, required = true)]
    pub words: Vec<String>,
}

#[derive(Args)]
pub struct SmokeArgs {
    /// The repository to open (and close) one issue per agent class in; every class's bot must reach it.
    #[arg(long, value_name = "OWNER/REPO")]
    pub repo: String,
}

#[derive(Args)]
pub struct TokenArgs {
    /// Print JSON: token, expires_at, bot.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct CompileArgs {
    /// Folder to write raxx_minter.<sha>.cwasm into (beside the installed component).
    #[arg(long, value_name = "DIR")]
    pub out_dir: PathBuf,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["agent", "write", "check"])))]
pub struct PreambleArgs {
    /// Print the preamble for this agent class.
    #[arg(long, value_name = "CLASS")]
    pub agent: Option<String>,

    /// Insert or refresh the preamble in every agent definition (*.md) under DIR.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,

    /// Change nothing; list every definition under DIR whose preamble is missing or
    /// stale or whose class is not in the map, and exit 6 if there is one.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
}

#[derive(Args)]
pub struct PrCheckArgs {
    /// The PR author's login (github.event.pull_request.user.login), e.g. raxx-dev-bot[bot].
    #[arg(long, value_name = "LOGIN")]
    pub author: String,

    /// File holding the PR body; without it the body is read from stdin.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

// The header's field rules live with its parser (raxx_host::pr_header), so
// what pr-header and spawn accept is what pr-check accepts.
fn parse_workflow_uuid_or_na(s: &str) -> Result<String, String> {
    raxx_host::pr_header::check_workflow_uuid_or_none(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

fn parse_session(s: &str) -> Result<String, String> {
    raxx_host::pr_header::check_session(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

fn parse_permission(s: &str) -> Result<Permission, String> {
    let (name, level) = s
        .split_once('=')
        .ok_or("expected NAME=LEVEL, e.g. contents=read")?;
    Ok(Permission {
        name: name.trim().to_string(),
        level: level.trim().to_string(),
    })
}

fn parse_workflow_uuid(s: &str) -> Result<String, String> {
    raxx_host::pr_header::check_workflow_uuid(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

const ENVIRONMENT_HELP: &str = concat!(
    "Environment:\n",
    "  INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET   Universal Auth machine identity (also\n",
    "                       INFISICAL_UNIVERSAL_AUTH_CLIENT_ID / _SECRET)\n",
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

/// Prints one line on stderr, whatever the message holds, and returns `code`.
pub fn fail(code: i32, message: &str) -> ExitCode {
    eprintln!("raxx-host: {}", one_line(message));
    ExitCode::from(code as u8)
}

pub use raxx_host::display::one_line;

fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                print!("{}", err.render());
                ExitCode::SUCCESS
            }
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                eprint!("{}", err.render());
                ExitCode::from(exit::USAGE as u8)
            }
            _ => {
                // clap's first paragraph, on one line: "the following required arguments were not provided: <BOT>".
                let rendered = err.render().to_string();
                let first = rendered.split("\n\n").next().unwrap_or("invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                fail(exit::USAGE, &format!("{first} (see 'raxx-host --help')"))
            }
        }
    })
}

// Every freed heap block is wiped: buffers that held a secret do not keep it.
#[global_allocator]
static ALLOCATOR: zeroizing_alloc::ZeroAlloc<std::alloc::System> =
    zeroizing_alloc::ZeroAlloc(std::alloc::System);

fn main() -> ExitCode {
    // Before anything is read: no /proc/PID/{environ,mem}, ptrace or core file for same-user processes.
    if let Err(e) = raxx_host::harden::process() {
        return fail(
            exit::HOST,
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
        Some("gh") => return commands::session::gh_shim(),
        Some(helper)
            if helper == format!("git-credential-{}", raxx_host::session::dir::GIT_HELPER) =>
        {
            return commands::finish(commands::session::git_helper(
                std::env::args().skip(1).collect(),
            ));
        }
        _ => {}
    }
    match parse() {
        Ok(cli) => commands::run(cli),
        Err(code) => code,
    }
}
