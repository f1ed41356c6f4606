//! `raxx-host pr-check`: the PR authorship gate (the rules are in
//! `raxx_host::pr_gate`). Reads the policy through the component's `resolve`
//! only: no network, no vault variables.

use super::preamble::mapped;
use super::{print, Context, Failure};
use crate::PrCheckArgs;
use raxx_host::display::quoted_path;
use raxx_host::exit;
use raxx_host::pr_gate::{self, Author, Verdict};
use std::io::Read;

/// GitHub caps a PR body at 65,536 characters; anything far larger is not one.
const MAX_BODY_BYTES: u64 = 1 << 20;

pub fn pr_check(context: &Context, args: PrCheckArgs) -> Result<i32, Failure> {
    let usage = |message: String| Failure {
        code: exit::USAGE,
        message,
    };
    let author = Author::parse(&args.author).map_err(usage)?;
    let body = read_body(args.body_file.as_deref()).map_err(usage)?;
    let bots: Vec<String> = context
        .runtime
        .bots(&context.policy)?
        .iter()
        .map(|r| r.bot.clone())
        .collect();
    let verdict = pr_gate::judge(&author, &body, &bots, |class| {
        Ok::<_, Failure>(mapped(context, class)?.map(|r| r.bot.clone()))
    })?;
    match verdict {
        Verdict::Pass(why) => print(&format!("pr-check: ok: {why}\n")),
        Verdict::Refuse(why) => Err(Failure {
            code: exit::MISMATCH,
            message: format!("pr-check refused the PR: {why}"),
        }),
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
