//! Incident response: the kill switch. `suspend` / `unsuspend` a bot's GitHub
//! App installation from the bot's live credentials (docs/runbooks/kill-switch.md).

use crate::audit::Event;
use crate::cli::audit::bot_event;
use crate::cli::context::Context;
use crate::cli::context::{answered, settings};
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::support::display::one_line;

#[derive(clap::Args)]
pub struct Args {
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

/// Suspends (or unsuspends) one bot, or every bot of the policy with `--all`:
/// one line per bot on stdout, each recorded in the audit log. With `--all`
/// every bot is tried and the exit code is the first failure's.
///
/// The switch is never held back by the audit log: an unwritable log is
/// reported (exit 1) after the installation was changed, not before.
pub fn run(context: &Context, args: Args, suspend: bool) -> Result<u8, Error> {
    let command = if suspend { "suspend" } else { "unsuspend" };
    let single = args.bot.is_some();
    let bots = context.bots_or(args.bot)?;
    let settings = settings().map_err(|f| f.failure)?;
    let mut code = Exit::Ok;
    for resolved in &bots {
        let bot = &resolved.bot;
        let result = answered(context.runtime.set_suspended(&settings, resolved, suspend))?;
        let event = bot_event(command, bot);
        let (line, failed) = match result {
            Ok(s) => {
                let done = if suspend {
                    format!("suspended: GitHub mints no token for it and refuses those issued; lift with raxx-host unsuspend {bot}")
                } else {
                    "unsuspended: mints work again".to_string()
                };
                let (app, installation) = (
                    crate::sandbox::wit_text::app(&s.app),
                    s.installation_id.to_string(),
                );
                // The App's Client ID is the component's text: shown as one clean line.
                let line = format!(
                    "{bot}: installation {installation} (App {}) {done}",
                    one_line(&app)
                );
                match context.audit(Event {
                    installation: Some((&app, &installation)),
                    ..event
                }) {
                    Ok(()) => (line, None),
                    Err(f) => (format!("{line}; NOT RECORDED: {}", f.message), Some(f)),
                }
            }
            Err(e) => {
                let f = Error::from_mint_error(&e);
                let _ = context.audit(Event {
                    outcome: Err((i32::from(f.exit.code()), &f.message)),
                    ..event
                });
                if single {
                    return Err(Error::new(
                        f.exit,
                        format!("{command} {bot}: {}", f.message),
                    ));
                }
                (
                    format!(
                        "{bot}: FAILED (exit {}): {}",
                        f.exit.code(),
                        one_line(&f.message)
                    ),
                    Some(f),
                )
            }
        };
        print(&format!("{line}\n"))?;
        if let Some(f) = failed.filter(|_| code == Exit::Ok) {
            code = f.exit;
        }
    }
    Ok(code.code())
}
