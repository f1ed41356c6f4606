//! `raxx-host resolve`: the bot an agent class uses, and with `--json` its
//! scope and fallback rule. No network.

use crate::cli::args::{request, Narrow};
use crate::cli::context::Context;
use crate::cli::output::permissions_json;
use crate::cli::output::print;
use crate::error::Error;

#[derive(clap::Args)]
pub struct Args {
    /// Agent class, e.g. feature-developer.
    #[arg(value_name = "AGENT_CLASS")]
    pub agent: String,

    /// Print the resolved bot, permissions, repositories and fallback rule as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let r = context.resolve(&request(
        None,
        Some(args.agent),
        Narrow {
            repos: vec![],
            owner: None,
            permissions: vec![],
        },
    )?)?;
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
