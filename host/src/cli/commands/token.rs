//! `raxx-host token [--json]`: the current token of the session this process
//! runs in (inside an agent of spawn or a command of exec). Needs no vault,
//! policy or component: it asks the session's endpoint (`RAXX_SESSION_SOCKET`).

use crate::cli::output::print;
use crate::error::Error;
use crate::session::endpoint;

#[derive(clap::Args)]
pub struct Args {
    /// Print JSON: token, expires_at, bot.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: Args) -> Result<u8, Error> {
    let answer = endpoint::ask_from_env()?;
    if args.json {
        let json = serde_json::json!({ "token": answer.token, "expires_at": answer.expires_at, "bot": answer.about.bot });
        return print(&format!("{json}\n"));
    }
    print(&format!("{}\n", answer.token))
}
