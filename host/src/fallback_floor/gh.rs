//! gh's grammar, as far as the fallback floor needs it: which gh command an
//! argv runs and whether every one of its arguments may run with the
//! operator's credentials.
//!
//! Hand-written because no crate parses argv the way gh does: gh is Go, its
//! grammar is cobra's command lookup plus pflag's flag parsing, and the floor
//! must read argv as they do:
//! - cobra's command lookup: the floor takes the command only from the first
//!   two words (`issue view`), never past a flag, since cobras before v1.7.0
//!   (the gh of Debian 12) and after it read `gh issue -t create -b -F create`
//!   differently (`command`, below).
//! - pflag `FlagSet.parseArgs` (spf13/pflag flag.go: `parseLongArg`,
//!   `parseShortArg`, `parseSingleShortArg`): the remaining arguments with the
//!   final command's flags: `--` ends flags; `--name=value`, `--name value`
//!   (a bool takes no value unless `=`); combined short flags `-cR x`, letter
//!   by letter, a value flag taking the rest of its word (`-Rvalue`,
//!   `-R=value`) or else the next argument; no abbreviations.
//!
//! The flag sets come from gh's source (cli/cli): `pkg/cmd/root/root.go`
//! (`--version` local, `--help` persistent), `pkg/cmdutil/repo_override.go`
//! (`-R, --repo` persistent on `issue`), `pkg/cmdutil/json_flags.go`
//! (`--json`, `-q, --jq`, `-t, --template`), and `pkg/cmd/issue/{view,list,
//! create,comment,status}/*.go` (aliases: `list` → `ls`, `create` → `new`).
//! A flag the table does not know is refused, so a gh that grew a flag (e.g.
//! `comment`'s attachments) is refused until the table learns it.

/// What a flag takes, and whether the floor lets it through.
#[derive(Clone, Copy)]
enum Takes {
    /// No value (pflag `NoOptDefVal`), or `=true|false`.
    Bool,
    /// A value, checked.
    Value(Check),
    /// Never as the operator: why (its arity no longer matters: the command is refused).
    Refused(&'static str),
}

#[derive(Clone, Copy)]
enum Check {
    /// `OWNER/REPO` on the default host: no host, no URL.
    Repo,
    /// Free text sent to the same host (a title, a body, a label, a query); no leading `@`.
    Text,
    /// A login, or `@me`.
    Login,
    /// A decimal number.
    Number,
    /// `--json` field names.
    Fields,
}

#[derive(Clone, Copy)]
struct Flag {
    long: &'static str,
    short: Option<char>,
    takes: Takes,
}

const fn flag(long: &'static str, short: Option<char>, takes: Takes) -> Flag {
    Flag { long, short, takes }
}

const BROWSER: Takes = Takes::Refused("opens a browser");
const EDITOR: Takes = Takes::Refused("opens an editor");
const READS_FILE: Takes = Takes::Refused("reads a local file");
const JQ: Takes = Takes::Refused(
    "runs a jq program, which can read the operator's environment ($ENV) and jq modules from files",
);
const TEMPLATE: Takes = Takes::Refused("formats through a template the host does not judge");
const EARLIER_COMMENT: Takes = Takes::Refused("changes or deletes the operator's earlier comment");

/// `gh` itself: `--version` (local) and `--help` (persistent, no shorthand).
const ROOT: &[Flag] = &[
    flag("version", None, Takes::Bool),
    flag(
        "help",
        None,
        Takes::Refused("asks for help; run gh yourself"),
    ),
];
/// `gh issue`: `-R, --repo` (persistent, cmdutil.EnableRepoOverride).
const ISSUE: &[Flag] = &[flag("repo", Some('R'), Takes::Value(Check::Repo))];
/// cmdutil.AddJSONFlags.
const JSON: [Flag; 3] = [
    flag("json", None, Takes::Value(Check::Fields)),
    flag("jq", Some('q'), JQ),
    flag("template", Some('t'), TEMPLATE),
];

const VIEW: &[Flag] = &[
    flag("comments", Some('c'), Takes::Bool),
    flag("web", Some('w'), BROWSER),
    JSON[0],
    JSON[1],
    JSON[2],
];
const LIST: &[Flag] = &[
    flag("web", Some('w'), BROWSER),
    flag("assignee", Some('a'), Takes::Value(Check::Login)),
    flag("author", Some('A'), Takes::Value(Check::Login)),
    flag("mention", None, Takes::Value(Check::Login)),
    flag("app", None, Takes::Value(Check::Text)),
    flag("label", Some('l'), Takes::Value(Check::Text)),
    flag("state", Some('s'), Takes::Value(Check::Text)),
    flag("limit", Some('L'), Takes::Value(Check::Number)),
    flag("milestone", Some('m'), Takes::Value(Check::Text)),
    flag("search", Some('S'), Takes::Value(Check::Text)),
    JSON[0],
    JSON[1],
    JSON[2],
];
const CREATE: &[Flag] = &[
    flag("title", Some('t'), Takes::Value(Check::Text)),
    flag("body", Some('b'), Takes::Value(Check::Text)),
    flag("body-file", Some('F'), READS_FILE),
    flag("editor", Some('e'), EDITOR),
    flag("web", Some('w'), BROWSER),
    flag("assignee", Some('a'), Takes::Value(Check::Login)),
    flag("label", Some('l'), Takes::Value(Check::Text)),
    flag("project", Some('p'), Takes::Value(Check::Text)),
    flag("milestone", Some('m'), Takes::Value(Check::Text)),
    flag(
        "template",
        Some('T'),
        Takes::Refused("reads a local issue template"),
    ),
    flag("recover", None, READS_FILE),
];
const COMMENT: &[Flag] = &[
    flag("body", Some('b'), Takes::Value(Check::Text)),
    flag("body-file", Some('F'), READS_FILE),
    flag("editor", Some('e'), EDITOR),
    flag("web", Some('w'), BROWSER),
    flag("edit-last", None, EARLIER_COMMENT),
    flag("delete-last", None, EARLIER_COMMENT),
    flag("create-if-none", None, EARLIER_COMMENT),
    flag("yes", None, EARLIER_COMMENT),
];
const STATUS: &[Flag] = &[JSON[0], JSON[1], JSON[2]];

/// How many positional arguments a command takes: none, or one issue (`123` or `#123`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Positional {
    None,
    OneIssue,
}

struct Leaf {
    name: &'static str,
    aliases: &'static [&'static str],
    flags: &'static [Flag],
    positional: Positional,
}

/// The `gh issue` commands the host knows: nothing that authors a pull
/// request, runs a program or changes more than the issue it names.
const LEAVES: &[Leaf] = &[
    Leaf {
        name: "view",
        aliases: &[],
        flags: VIEW,
        positional: Positional::OneIssue,
    },
    Leaf {
        name: "list",
        aliases: &["ls"],
        flags: LIST,
        positional: Positional::None,
    },
    Leaf {
        name: "status",
        aliases: &[],
        flags: STATUS,
        positional: Positional::None,
    },
    Leaf {
        name: "create",
        aliases: &["new"],
        flags: CREATE,
        positional: Positional::None,
    },
    Leaf {
        name: "comment",
        aliases: &[],
        flags: COMMENT,
        positional: Positional::OneIssue,
    },
];

/// The gh commands the floor knows, as `issue view`, … (for messages and docs).
pub fn known_commands() -> Vec<String> {
    LEAVES.iter().map(|l| format!("issue {}", l.name)).collect()
}

/// The canonical command path of policy entry words after `gh` (`issue ls` → `issue list`), if the host knows it.
pub fn canonical(words: &[&str]) -> Option<String> {
    match words {
        ["issue", name] => LEAVES
            .iter()
            .find(|l| l.name == *name || l.aliases.contains(name))
            .map(|l| format!("issue {}", l.name)),
        _ => None,
    }
}

/// The flags of a command, as cobra's `c.Flags()` holds them after
/// `mergePersistentFlags`: its own, `gh issue`'s `-R`, and root's `--help`.
fn flags_of(leaf: &'static Leaf) -> Vec<&'static Flag> {
    leaf.flags.iter().chain(ISSUE).chain(&ROOT[1..]).collect()
}

/// The command an argv (after `gh`) names, when it names it first: `issue
/// <leaf>` as its first two words, nothing before them. cobra's `Find` would
/// also look past flags (`gh -R o/r issue view`), but how it then removes the
/// command's words from the arguments changed between cobra releases (v1.7.0,
/// spf13/cobra#1781, "don't remove flag value that matches subcommand name"):
/// the gh of Debian 12 (2.23, cobra 1.6.1) removes the first word equal to the
/// command's name even where it is a flag's value, so `gh issue -t create -b
/// -F create` runs `--body-file create`. With the command first, every cobra
/// removes exactly those two words, and the floor reads what gh reads.
fn command(args: &[&str]) -> Result<&'static Leaf, String> {
    let leaf = match args {
        ["issue", name, ..] => LEAVES
            .iter()
            .find(|l| l.name == *name || l.aliases.contains(name)),
        _ => None,
    };
    leaf.ok_or_else(|| {
        format!(
            "the command must begin with one the host knows ({}), flags after it",
            known_commands().join(", ")
        )
    })
}

/// Why a flag's value may not run as the operator, if it may not.
fn check_value(check: Check, value: &str) -> Result<(), String> {
    let plain = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    match check {
        Check::Repo => match value.split_once('/') {
            Some((owner, repo)) if plain(owner) && plain(repo) && !owner.starts_with(['.', '-']) => Ok(()),
            _ => Err(format!("'{}' is not OWNER/REPO (a host, a URL or another form would send the operator's token elsewhere)", shown(value))),
        },
        Check::Text if value.starts_with('@') => Err(format!("'{}' begins with '@' (gh reads @file in some commands)", shown(value))),
        // pflag reads a list flag (`--assignee` of create) as CSV: each login is judged.
        Check::Login if value.split(',').any(|login| login.trim_matches([' ', '"']).starts_with('@') && login.trim_matches([' ', '"']) != "@me") => {
            Err(format!("'{}' names a login beginning with '@' that is not @me (a bot such as @copilot would act on the operator's behalf)", shown(value)))
        }
        Check::Text | Check::Login => Ok(()),
        Check::Number if !value.is_empty() && value.len() <= 9 && value.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
        Check::Number => Err(format!("'{}' is not a number", shown(value))),
        Check::Fields if value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b',') => Ok(()),
        Check::Fields => Err(format!("'{}' is not a list of --json field names", shown(value))),
    }
}

/// An issue reference: `123` or `#123`, never a URL (which names its own host).
fn check_issue(arg: &str) -> Result<(), String> {
    let digits = arg.strip_prefix('#').unwrap_or(arg);
    if !digits.is_empty() && digits.len() <= 9 && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!(
            "the argument '{}' is not an issue number (a URL names its own host)",
            shown(arg)
        ))
    }
}

/// An argument as a message may show it: one line, control characters gone, at most 60 characters.
pub(super) fn shown(value: &str) -> String {
    let line = crate::support::display::one_line(value);
    if line.chars().count() > 60 {
        line.chars().take(60).chain("…".chars()).collect()
    } else {
        line
    }
}

/// What an argv (without `gh`) runs, when every argument may run as the operator.
#[derive(Debug, PartialEq, Eq)]
pub struct Judged {
    /// `issue view`, …: the canonical command path.
    pub command: String,
}

/// Finds the gh command `args` (argv after `gh`) runs the way cobra does, then
/// parses its arguments the way pflag does and judges each one.
pub fn judge(args: &[&str]) -> Result<Judged, String> {
    let leaf = command(args)?;
    let rest = &args[2..];
    // pflag's parseArgs with the command's flags.
    let flags = flags_of(leaf);
    let mut positional: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < rest.len() {
        let s = rest[i];
        i += 1;
        if s.len() < 2 || !s.starts_with('-') {
            positional.push(s);
            continue;
        }
        if s == "--" {
            positional.extend(&rest[i..]);
            break;
        }
        if s.starts_with("-test.") {
            // pflag skips these words entirely (Go's test flags); no command of the operator's needs one.
            return Err(format!("'{}' is a Go test flag gh would ignore", shown(s)));
        }
        if let Some(long) = s.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((name, value)) => (name, Some(value)),
                None => (long, None),
            };
            let Some(flag) = flags.iter().find(|f| f.long == name && !name.is_empty()) else {
                return Err(format!(
                    "gh issue {} has no flag '--{}' the host knows",
                    leaf.name,
                    shown(name)
                ));
            };
            match flag.takes {
                Takes::Refused(why) => return Err(format!("'--{}' {why}", flag.long)),
                Takes::Bool => {}
                Takes::Value(check) => {
                    let value = match inline {
                        Some(v) => v,
                        None if i < rest.len() => {
                            i += 1;
                            rest[i - 1]
                        }
                        None => return Err(format!("'--{}' needs a value", flag.long)),
                    };
                    check_value(check, value).map_err(|why| format!("--{}: {why}", flag.long))?;
                }
            }
            continue;
        }
        // Short flags, letter by letter (pflag parseSingleShortArg).
        let mut shorts = &s[1..];
        while let Some(c) = shorts.chars().next() {
            let after = &shorts[c.len_utf8()..];
            let Some(flag) = flags.iter().find(|f| f.short == Some(c)) else {
                return Err(format!(
                    "gh issue {} has no flag '-{}' the host knows (in '{}')",
                    leaf.name,
                    c,
                    shown(s)
                ));
            };
            if let Takes::Refused(why) = flag.takes {
                return Err(format!("'-{c}' (--{}) {why}", flag.long));
            }
            if let Some(value) = after.strip_prefix('=').filter(|v| !v.is_empty()) {
                // '-f=arg': the rest is the value, for a bool too.
                if let Takes::Value(check) = flag.takes {
                    check_value(check, value).map_err(|why| format!("-{c}: {why}"))?;
                }
                shorts = "";
            } else if let Takes::Value(check) = flag.takes {
                let value = if !after.is_empty() {
                    after
                } else if i < rest.len() {
                    i += 1;
                    rest[i - 1]
                } else {
                    return Err(format!("'-{c}' needs a value"));
                };
                check_value(check, value).map_err(|why| format!("-{c}: {why}"))?;
                shorts = "";
            } else {
                shorts = after;
            }
        }
    }
    match (leaf.positional, positional.as_slice()) {
        (Positional::None, []) => {}
        (Positional::None, [first, ..]) => {
            return Err(format!(
                "gh issue {} takes no argument, but got '{}'",
                leaf.name,
                shown(first)
            ))
        }
        (Positional::OneIssue, [one]) => check_issue(one)?,
        (Positional::OneIssue, _) => {
            return Err(format!(
                "gh issue {} takes one issue number, but got {} arguments",
                leaf.name,
                positional.len()
            ))
        }
    }
    Ok(Judged {
        command: format!("issue {}", leaf.name),
    })
}
