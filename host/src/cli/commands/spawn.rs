//! `raxx-host spawn --agent CLASS -- CMD`: an agent with its class's bot token
//! and no operator credentials, optionally in a bubblewrap sandbox
//! (`--isolate`); never falls back.

use crate::audit::Event;
use crate::cli::args::{parse_workflow_uuid, request, Narrow};
use crate::cli::audit::event;
use crate::cli::bot_child::{resolve_child, sandbox_plan, BotChild};
use crate::cli::context::answered;
use crate::cli::context::Context;
use crate::error::Error;
use crate::{FallbackRequest, RunMode};

#[derive(clap::Args)]
pub struct Args {
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

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let resolved = resolve_child(context, &request(None, Some(args.agent), args.narrow)?)?;
    // The sandbox is checked before anything is minted.
    let sandbox = if args.isolate || resolved.isolate {
        Some(sandbox_plan()?)
    } else {
        None
    };
    let workflow = args.workflow_uuid.as_deref();
    let minted = match context.mint_session("spawn", &resolved, workflow) {
        Ok(minted) => minted,
        Err(failed) => {
            let reason = match &failed.cause {
                Some(cause) => {
                    let ask = FallbackRequest {
                        mode: RunMode::Spawn,
                        command: args.command.clone(),
                        failure: cause.clone(),
                    };
                    match answered(context.runtime.decide_fallback(&resolved, &ask))? {
                        Ok(d) => d.reason,
                        Err(e) => crate::error::message(&e).to_string(),
                    }
                }
                None => "spawn never falls back".to_string(),
            };
            let f = &failed.failure;
            context.audit(Event {
                fallback: Some((false, &reason)),
                outcome: Err((i32::from(f.exit.code()), &f.message)),
                ..event("spawn", &resolved, workflow)
            })?;
            return Err(Error::new(f.exit, format!("{}; {reason}", f.message)));
        }
    };
    let child = BotChild {
        command: "spawn",
        resolved,
        workflow: args.workflow_uuid.clone(),
        refs: args.refs,
        sandbox,
        keep_git_config: args.keep_git_config,
    };
    child.run(context, minted, &args.command)
}
