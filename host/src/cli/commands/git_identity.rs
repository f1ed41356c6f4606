//! `raxx-host git-identity BOT [--apply]`: the git user.name/user.email that
//! attribute commits to a bot.

use crate::cli::args::bot_request;
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::session::dir::GitIdentity;

#[derive(clap::Args)]
pub struct Args {
    /// Bot whose commit identity to print.
    #[arg(value_name = "BOT")]
    pub bot: String,

    /// Write user.name and user.email into the current repository's git config.
    #[arg(long)]
    pub apply: bool,
}

/// `user.name "<bot>[bot]"`, `user.email "<id>+<bot>[bot]@users.noreply.github.com"`:
/// the id is looked up with a short-lived token of the bot, revoked afterwards.
pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let resolved = context.resolve(&bot_request(&args.bot))?;
    let minted = context
        .mint("git-identity", &resolved, None)
        .map_err(|f| f.recorded(context, "git-identity", &resolved))?;
    let id = context
        .runtime
        .bot_user_id(&minted.settings, &minted.token.token, &args.bot);
    context.revoke(&minted.settings, &minted.token);
    let id = id?;
    let GitIdentity { name, email } = GitIdentity::of_bot(&args.bot, Some(id));
    if args.apply {
        for (key, value) in [("user.name", &name), ("user.email", &email)] {
            let out = std::process::Command::new("git")
                .args(["config", key, value])
                .output()
                .map_err(|e| Error::new(Exit::Host, format!("cannot run git: {e}")))?;
            if !out.status.success() {
                let why = String::from_utf8_lossy(&out.stderr);
                return Err(Error::new(
                    Exit::Usage,
                    format!(
                        "git config {key} failed: {} (run --apply inside the repository)",
                        crate::support::display::one_line(&why)
                    ),
                ));
            }
        }
    }
    print(&format!("user.name \"{name}\"\nuser.email \"{email}\"\n"))
}
