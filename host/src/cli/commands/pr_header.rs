//! `raxx-host pr-header`: the audit header block for an agent-authored PR
//! body (no network).

use crate::cli::args::{agent_request, parse_session, parse_workflow_uuid_or_na};
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use crate::pr::header::{self as pr_header, Header};

#[derive(clap::Args)]
pub struct Args {
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

/// The design's PR body block. The bot comes from the policy, never typed by hand.
pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let resolved = context.resolve(&agent_request(&args.agent))?;
    let header = Header {
        agent: args.agent,
        bot: resolved.bot.clone(),
        workflow_uuid: args
            .workflow_uuid
            .unwrap_or_else(|| pr_header::NO_WORKFLOW.into()),
        session: args
            .session
            .unwrap_or_else(|| crate::support::time::iso8601(crate::support::time::now())),
        refs: args.refs,
    };
    print(&header.render())
}
