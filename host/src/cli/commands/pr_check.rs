//! `raxx-host pr-check`: the PR authorship gate (the rules are in
//! `crate::pr::gate`). Reads the policy through the component's `resolve`
//! only: no network, no vault variables.

use super::preamble::mapped;
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::pr::gate::{self as pr_gate, Author, Verdict};
use crate::support::display::quoted_path;
use std::io::Read;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The PR author's login (github.event.pull_request.user.login), e.g. raxx-dev-bot[bot].
    #[arg(long, value_name = "LOGIN")]
    pub author: String,

    /// File holding the PR body; without it the body is read from stdin.
    #[arg(long, value_name = "FILE")]
    pub body_file: Option<PathBuf>,
}

/// GitHub caps a PR body at 65,536 characters; anything far larger is not one.
const MAX_BODY_BYTES: u64 = 1 << 20;

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let usage = |message: String| Error::new(Exit::Usage, message);
    let author = Author::parse(&args.author).map_err(usage)?;
    let body = read_body(args.body_file.as_deref()).map_err(usage)?;
    let bots: Vec<String> = context
        .runtime
        .bots(&context.policy)?
        .iter()
        .map(|r| r.bot.clone())
        .collect();
    let verdict = pr_gate::judge(&author, &body, &bots, |class| {
        Ok::<_, Error>(mapped(context, class)?.map(|r| r.bot.clone()))
    })?;
    match verdict {
        Verdict::Pass(why) => print(&format!("pr-check: ok: {why}\n")),
        Verdict::Refuse(why) => Err(Error::new(
            Exit::Mismatch,
            format!("pr-check refused the PR: {why}"),
        )),
    }
}

/// The body from `file`, or from stdin: UTF-8, at most 1 MiB.
fn read_body(file: Option<&std::path::Path>) -> Result<String, String> {
    let (source, reader): (String, Box<dyn Read>) = match file {
        Some(path) => (
            quoted_path(path),
            Box::new(
                std::fs::File::open(path)
                    .map_err(|e| format!("cannot read the body file {}: {e}", quoted_path(path)))?,
            ),
        ),
        None => ("stdin".into(), Box::new(std::io::stdin())),
    };
    let mut bytes = Vec::new();
    reader
        .take(MAX_BODY_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read the body from {source}: {e}"))?;
    if bytes.len() as u64 > MAX_BODY_BYTES {
        return Err(format!(
            "the body from {source} is over 1 MiB: not a PR body"
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("the body from {source} is not UTF-8 text"))
}
