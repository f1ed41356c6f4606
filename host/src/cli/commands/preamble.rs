//! `raxx-host preamble`: the GitHub identity preamble of agent definitions,
//! printed for one class, or written into / checked in a folder of them.
//! Reads the policy through the component's `resolve` only: no network.

use crate::agents::definitions::{self as agent_definitions, MAX_BYTES};
use crate::agents::preamble::{self, Identity, Placement};
use crate::cli::args::agent_request;
use crate::cli::context::Context;
use crate::cli::output::print;
use crate::error::Error;
use crate::exit::Exit;
use crate::sandbox::runtime::Resolved;
use crate::support::display::{quoted, quoted_path};
use crate::support::files::Folder;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(clap::Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["agent", "write", "check"])))]
pub struct Args {
    /// Print the preamble for this agent class.
    #[arg(long, value_name = "CLASS")]
    pub agent: Option<String>,

    /// Insert or refresh the preamble in every agent definition (*.md) under DIR.
    #[arg(long, value_name = "DIR")]
    pub write: Option<PathBuf>,

    /// Change nothing; list every definition under DIR whose preamble is missing or
    /// stale or whose class is not in the map, and exit 6 if there is one.
    #[arg(long, value_name = "DIR")]
    pub check: Option<PathBuf>,
}

/// The bot the map gives `class`: `Ok(None)` when the map does not hold it;
/// any other failure (an invalid policy) is the command's.
pub fn mapped(context: &Context, class: &str) -> Result<Option<Resolved>, Error> {
    match context.resolve(&agent_request(class)) {
        Ok(r) => Ok(Some(r)),
        Err(f) if f.exit == Exit::UnknownAgent => Ok(None),
        Err(f) => Err(f),
    }
}

fn identity<'a>(class: &'a str, r: &'a Resolved) -> Identity<'a> {
    Identity {
        class,
        bot: &r.bot,
        permissions: r
            .permissions
            .iter()
            .map(|p| (p.name.as_str(), crate::sandbox::wit_text::level(p.level)))
            .collect(),
        repositories: &r.repositories,
        fallback_allowed: r.fallback_allowed,
    }
}

pub fn run(context: &Context, args: Args) -> Result<u8, Error> {
    let (dir, write) = match (args.agent, args.write, args.check) {
        (Some(class), _, _) => {
            let r = context.resolve(&agent_request(&class))?;
            return print(&preamble::text(&identity(&class, &r)));
        }
        (None, Some(dir), _) => (dir, true),
        (None, None, Some(dir)) => (dir, false),
        (None, None, None) => {
            return Err(Error::new(
                Exit::Usage,
                "name --agent CLASS, --write DIR or --check DIR",
            ))
        }
    };
    let verb = if write { "--write" } else { "--check" };
    let unreadable = |e: std::io::Error| {
        Error::new(
            Exit::Usage,
            format!(
                "preamble {verb}: cannot read the folder {}: {e}",
                quoted_path(&dir)
            ),
        )
    };
    let folder = Folder::open(&dir).map_err(unreadable)?;
    let files = agent_definitions::find(&dir).map_err(unreadable)?;
    if files.is_empty() {
        return Err(Error::new(Exit::Mismatch, format!("preamble {verb}: no agent definitions (*.md) under {}: nothing to check (wrong folder?)", quoted_path(&dir))));
    }
    let mut classes = BTreeMap::new();
    let (mut out, mut problems, mut written) = (String::new(), 0, 0);
    for path in &files {
        let relative = path.strip_prefix(&dir).unwrap_or(path);
        let (line, problem) = match review(context, &folder, relative, path, &mut classes)? {
            Review::Current => continue,
            Review::Problem(why) => (why, true),
            Review::Outdated { what, .. } if !write => (
                format!(
                    "{what}; run raxx-host preamble --write {}",
                    quoted_path(&dir)
                ),
                true,
            ),
            Review::Outdated { what, text, done } => {
                match folder.replace(relative, text.as_bytes(), MAX_BYTES) {
                    Ok(()) => (done, false),
                    Err(e) => (format!("{what}, and it could not be written: {e}"), true),
                }
            }
        };
        problems += usize::from(problem);
        written += usize::from(!problem);
        out.push_str(&format!("{}: {line}\n", quoted_path(path)));
    }
    print(&out)?;
    let under = format!(
        "{} agent definition(s) under {}",
        files.len(),
        quoted_path(&dir)
    );
    match (problems, write) {
        (0, true) => print(&format!(
            "preamble --write: {under}, {written} updated, every preamble current\n"
        )),
        (0, false) => print(&format!(
            "preamble --check: {under}, every preamble current\n"
        )),
        (n, _) => Err(Error::new(
            Exit::Mismatch,
            format!("preamble {verb}: {n} problem(s) in {under}, listed on stdout"),
        )),
    }
}

/// What one definition needs.
enum Review {
    Current,
    /// Missing or stale: `what` says which, `text` is the file as it should
    /// be, `done` what writing it did.
    Outdated {
        what: String,
        text: String,
        done: String,
    },
    Problem(String),
}

/// Reviews the definition at `relative` below `folder` (`path` is how the user sees it).
fn review(
    context: &Context,
    folder: &Folder,
    relative: &Path,
    path: &Path,
    classes: &mut BTreeMap<String, PathBuf>,
) -> Result<Review, Error> {
    let text = match folder.read_text(relative, MAX_BYTES) {
        Ok(text) => text,
        Err(why) => return Ok(Review::Problem(why)),
    };
    let definition = match agent_definitions::read(path, &text) {
        Ok(d) => d,
        Err(why) => return Ok(Review::Problem(why)),
    };
    let class = definition.class;
    if let Some(first) = classes.insert(class.clone(), path.to_path_buf()) {
        return Ok(Review::Problem(format!(
            "defines agent class {class} again ({} defines it too); keep one definition per class",
            quoted_path(&first)
        )));
    }
    let Some(resolution) = mapped(context, &class)? else {
        return Ok(Review::Problem(format!(
            "agent class {} is not in the agent map; map it (a new class must be mapped before its first PR) or move this file out of the folder",
            quoted(&class)
        )));
    };
    let placement = match preamble::locate(&text, definition.body_start) {
        Ok(p) => p,
        Err(why) => return Ok(Review::Problem(why)),
    };
    let newline = preamble::newline_of(&text);
    let block = preamble::block(&identity(&class, &resolution), newline);
    let updated = preamble::splice(&text, &placement, &block, newline);
    let bot = &resolution.bot;
    Ok(match placement {
        _ if updated == text => Review::Current,
        Placement::Missing(_) => Review::Outdated { what: "no identity preamble".into(), text: updated, done: format!("inserted the preamble ({class} → {bot})") },
        Placement::Present(_) => Review::Outdated {
            what: "its identity preamble is stale (the map or policy changed, or the block was edited)".into(),
            text: updated,
            done: format!("refreshed the preamble ({class} → {bot})"),
        },
    })
}
