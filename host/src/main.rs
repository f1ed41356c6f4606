//! `raxx-host`: the CLI over the raxx-host library. Parsing and printing only.

use clap::{Args, Parser, Subcommand};
use raxx_host::exit;
use raxx_host::runtime::{default_component_path, Runtime};
use raxx_host::settings::{Settings, Side};
use raxx_host::{InstallationToken, MintRequest};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Mint per-agent GitHub App installation tokens from credentials kept in Infisical.
///
/// The minting runs in a sandboxed WebAssembly component that may reach only
/// the configured Infisical and GitHub hosts.
#[derive(Parser)]
#[command(name = "raxx-host", version, after_help = after_help())]
struct Cli {
    /// Minter component to run instead of the one next to this binary.
    #[arg(long, global = true, env = "RAXX_COMPONENT", value_name = "PATH")]
    component: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mint an installation token for BOT and print it (stdout: the token alone).
    #[command(after_help = after_help())]
    Mint(MintArgs),
}

#[derive(Args)]
struct MintArgs {
    /// Bot whose App credentials live at {INFISICAL_PATH_PREFIX}/{BOT} in Infisical, e.g. raxx-dev-bot.
    #[arg(value_name = "BOT")]
    bot: String,

    /// Print `export GH_TOKEN='…'` for `eval "$(raxx-host mint BOT --export)"`.
    #[arg(long, conflicts_with = "json")]
    export: bool,

    /// Print JSON: token, expires_at, bot, permissions, repository_selection, repositories.
    #[arg(long)]
    json: bool,
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
    "  RAXX_COMPONENT        minter component path; RAXX_CACHE_DIR compiled-component cache\n",
);

fn after_help() -> String {
    format!("{ENVIRONMENT_HELP}\n{}", exit::HELP)
}

/// Prints one line on stderr, whatever the message holds, and returns `code`.
fn fail(code: i32, message: &str) -> ExitCode {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    let line: String = if line.chars().count() > 400 { line.chars().take(400).chain("…".chars()).collect() } else { line };
    eprintln!("raxx-host: {line}");
    ExitCode::from(code as u8)
}

fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|err| {
        use clap::error::ErrorKind;
        match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                print!("{}", err.render());
                ExitCode::SUCCESS
            }
            _ => {
                let rendered = err.render().to_string();
                let first = rendered.lines().next().unwrap_or("invalid arguments");
                let first = first.strip_prefix("error: ").unwrap_or(first);
                fail(exit::USAGE, &format!("{first} (see 'raxx-host --help')"))
            }
        }
    })
}

fn main() -> ExitCode {
    let cli = match parse() {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match cli.command {
        Command::Mint(args) => mint(cli.component, args),
    }
}

fn load_runtime(component: Option<PathBuf>) -> Result<Runtime, ExitCode> {
    let Some(path) = component.or_else(default_component_path) else {
        return Err(fail(exit::HOST, "no minter component next to this binary; build it with scripts/build, or pass --component PATH (or set RAXX_COMPONENT)"));
    };
    Runtime::load(&path, raxx_host::cache::default_dir().as_deref()).map_err(|e| fail(exit::HOST, &format!("{e:#}")))
}

fn mint(component: Option<PathBuf>, args: MintArgs) -> ExitCode {
    let settings = match Settings::from_env(|k| std::env::var(k).ok()) {
        Ok(s) => s,
        Err(e) => return fail(if e.side == Side::Vault { exit::VAULT } else { exit::GITHUB }, &e.message),
    };
    let runtime = match load_runtime(component) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let request = MintRequest { bot: args.bot.clone(), repositories: vec![], permissions: vec![] };
    let outcome = match runtime.mint(&settings, &request) {
        Ok(o) => o,
        Err(e) => return fail(exit::HOST, &format!("{e:#}")),
    };
    let token = match outcome.result {
        Ok(token) => token,
        Err(err) => return fail(exit::for_mint_error(&err), &format!("mint {}: {}", args.bot, exit::message(&err))),
    };
    let out = if args.export {
        format!("export GH_TOKEN={}\n", shell_quote(&token.token))
    } else if args.json {
        format!("{}\n", token_json(&token))
    } else {
        format!("{}\n", token.token)
    };
    let mut stdout = std::io::stdout().lock();
    if stdout.write_all(out.as_bytes()).and_then(|_| stdout.flush()).is_err() {
        return fail(exit::HOST, "could not write the token to stdout");
    }
    ExitCode::SUCCESS
}

/// Single-quotes a value for POSIX shells (`'` becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn token_json(token: &InstallationToken) -> serde_json::Value {
    let permissions: serde_json::Map<String, serde_json::Value> =
        token.permissions.iter().map(|p| (p.name.clone(), p.level.clone().into())).collect();
    serde_json::json!({
        "token": token.token,
        "expires_at": token.expires_at,
        "bot": token.bot,
        "app_id": token.app_id,
        "installation_id": token.installation_id,
        "permissions": permissions,
        "repository_selection": token.repository_selection,
        "repositories": token.repositories,
    })
}
