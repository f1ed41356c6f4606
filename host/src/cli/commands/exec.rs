//! `raxx-host exec BOT|--agent CLASS -- CMD`: one command with a bot's token
//! for as long as it runs (the session and child are `cli::bot_child`); may
//! fall back to the operator for operator-safe commands only.

use crate::cli::args::{target_request, Target};
use crate::cli::bot_child::{fall_back, resolve_child, BotChild};
use crate::cli::context::Context;
use crate::error::Error;

#[derive(clap::Args)]
pub struct Args {
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

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let request = target_request(args.target)?;
    let resolved = resolve_child(context, &request)?;
    match context.mint_session("exec", &resolved, None) {
        Ok(minted) => BotChild {
            command: "exec",
            resolved,
            workflow: None,
            refs: None,
            sandbox: None,
            keep_git_config: args.keep_git_config,
        }
        .run(context, minted, &args.command),
        Err(failed) => fall_back(context, &request, &resolved, failed, &args.command),
    }
}
