//! `raxx-host mint`: a token for a bot or an agent class, printed alone, as
//! `export GH_TOKEN=…` or as JSON.

use crate::cli::args::{target_request, Target};
use crate::cli::context::Context;
use crate::cli::output::permissions_json;
use crate::cli::output::print;
use crate::error::Error;
use crate::InstallationToken;

#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub target: Target,

    /// Print `export GH_TOKEN='…'` for `eval "$(raxx-host mint BOT --export)"`.
    #[arg(long, conflicts_with = "json")]
    pub export: bool,

    /// Print JSON: token, expires_at, bot, agent, permissions, repository_selection, repositories.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let resolved = context.resolve(&target_request(args.target)?)?;
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

/// Single-quotes a value for POSIX shells (`'` becomes `'\''`).
fn shell_quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

fn token_json(token: &InstallationToken) -> serde_json::Value {
    serde_json::json!({
        "token": token.token,
        "expires_at": token.expires_at,
        "bot": token.bot,
        "agent": token.agent,
        // The ids stay strings, as the audit record has them.
        "app_id": crate::sandbox::wit_text::app(&token.app),
        "installation_id": token.installation_id.to_string(),
        "permissions": permissions_json(&token.permissions),
        "repository_selection": token.repository_selection,
        "repositories": token.repositories,
    })
}
