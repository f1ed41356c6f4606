//! gh's grammar, as far as the fallback floor needs it: which gh command an
//! argv runs and whether every one of its arguments may run with the
//! operator's credentials.
//!
//! Hand-written because no crate parses argv the way gh does: gh is Go, its
//! grammar is cobra's command lookup plus pflag's flag parsing, and the floor
//! must agree with both exactly, so both are modelled here step for step:
//! - cobra `Command.Find` (spf13/cobra command.go: `stripFlags`,
//!   `argsMinusFirstX`, `findNext`): the command path is found level by level;
//!   at each level a `--flag` without `=` or a two-letter `-f` that is not a
//!   bool flag *of that level* takes the next argument as its value, so
//!   `gh -R o/r issue view 1` is `issue view`, and `gh --comments issue view`
//!   is not (root does not know `--comments`, so `issue` is its value).
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
const JQ: Takes = Takes::Refused("runs a jq program, which can read the operator's environment ($ENV) and jq modules from files");
const TEMPLATE: Takes = Takes::Refused("formats through a template the host does not judge");
const EARLIER_COMMENT: Takes = Takes::Refused("changes or deletes the operator's earlier comment");

/// `gh` itself: `--version` (local) and `--help` (persistent, no shorthand).
const ROOT: &[Flag] = &[flag("version", None, Takes::Bool), flag("help", None, Takes::Refused("asks for help; run gh yourself"))];
/// `gh issue`: `-R, --repo` (persistent, cmdutil.EnableRepoOverride).
const ISSUE: &[Flag] = &[flag("repo", Some('R'), Takes::Value(Check::Repo))];
/// cmdutil.AddJSONFlags.
const JSON: [Flag; 3] = [flag("json", None, Takes::Value(Check::Fields)), flag("jq", Some('q'), JQ), flag("template", Some('t'), TEMPLATE)];

const VIEW: &[Flag] = &[flag("comments", Some('c'), Takes::Bool), flag("web", Some('w'), BROWSER), JSON[0], JSON[1], JSON[2]];
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
    flag("template", Some('T'), Takes::Refused("reads a local issue template")),
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
    Leaf { name: "view", aliases: &[], flags: VIEW, positional: Positional::OneIssue },
    Leaf { name: "list", aliases: &["ls"], flags: LIST, positional: Positional::None },
    Leaf { name: "status", aliases: &[], flags: STATUS, positional: Positional::None },
    Leaf { name: "create", aliases: &["new"], flags: CREATE, positional: Positional::None },
    Leaf { name: "comment", aliases: &[], flags: COMMENT, positional: Positional::OneIssue },
];

/// The gh commands the floor knows, as `issue view`, … (for messages and docs).
pub fn known_commands() -> Vec<String> {
    LEAVES.iter().map(|l| format!("issue {}", l.name)).collect()
}

/// The canonical command path of policy entry words after `gh` (`issue ls` → `issue list`), if the host knows it.
pub fn canonical(words: &[&str]) -> Option<String> {
    match words {
        ["issue", name] => LEAVES.iter().find(|l| l.name == *name || l.aliases.contains(name)).map(|l| format!("issue {}", l.name)),
        _ => None,
    }
}

/// One level of the command tree during cobra's lookup.
#[derive(Clone, Copy)]
enum Level {
    Root,
    Issue,
    Leaf(&'static Leaf),
}

impl Level {
    /// The flags cobra's `c.Flags()` holds at this level after `mergePersistentFlags`.
    fn flags(self) -> Vec<&'static Flag> {
        match self {
            Level::Root => ROOT.iter().collect(),
            Level::Issue => ISSUE.iter().chain(&ROOT[1..]).collect(),
            Level::Leaf(leaf) => leaf.flags.iter().chain(ISSUE).chain(&ROOT[1..]).collect(),
        }
    }

    fn next(self, word: &str) -> Option<Level> {
        match self {
            Level::Root => (word == "issue").then_some(Level::Issue),
            Level::Issue => LEAVES.iter().find(|l| l.name == word || l.aliases.contains(&word)).map(Level::Leaf),
            Level::Leaf(_) => None,
        }
    }
}

/// pflag's `NoOptDefVal` test, as cobra's `hasNoOptDefVal` / `shortHasNoOptDefVal` use it:
/// only a flag known at this level and taking no value. A refused flag counts
/// by its real arity, which only `Bool` flags of gh lack: the refused ones
/// that gh defines as bool are listed here.
fn is_bool(flag: &Flag) -> bool {
    matches!(flag.takes, Takes::Bool) || matches!(flag.long, "web" | "editor" | "edit-last" | "delete-last" | "create-if-none" | "yes" | "help")
}

/// cobra's `stripFlags`: the words of `args` that are not flags or flag values at `level`.
fn strip_flags(args: &[&str], level: Level) -> Vec<usize> {
    let flags = level.flags();
    let bool_long = |name: &str| flags.iter().any(|f| f.long == name && is_bool(f));
    let bool_short = |name: &str| name.chars().count() == 1 && flags.iter().any(|f| f.short.is_some_and(|s| name.starts_with(s)) && is_bool(f));
    let mut words = Vec::new();
    let mut i = 0;
    while i < args.len() {
        let s = args[i];
        i += 1;
        let takes_next = (s.starts_with("--") && !s.contains('=') && !bool_long(&s[2..]))
            || (s.starts_with('-') && !s.contains('=') && s.len() == 2 && !bool_short(&s[1..]));
        if s == "--" {
            break;
        } else if takes_next {
            // cobra: '-f arg' deletes 'arg', or ends the loop when it is the last one.
            if args.len() - i <= 1 {
                break;
            }
            i += 1;
        } else if !s.is_empty() && !s.starts_with('-') {
            words.push(i - 1);
        }
    }
    words
}

/// cobra's `argsMinusFirstX`: `args` without the first `x` that is not a flag value at `level`.
fn minus_first<'a>(args: &[&'a str], x: &str, level: Level) -> Vec<&'a str> {
    let flags = level.flags();
    let bool_long = |name: &str| flags.iter().any(|f| f.long == name && is_bool(f));
    let bool_short = |name: &str| name.chars().count() == 1 && flags.iter().any(|f| f.short.is_some_and(|s| name.starts_with(s)) && is_bool(f));
    let mut pos = 0;
    while pos < args.len() {
        let s = args[pos];
        if s == "--" {
            break;
        } else if (s.starts_with("--") && !s.contains('=') && !bool_long(&s[2..])) || (s.starts_with('-') && !s.contains('=') && s.len() == 2 && !bool_short(&s[1..])) {
            pos += 1;
        } else if !s.starts_with('-') && s == x {
            let mut out = args.to_vec();
            out.remove(pos);
            return out;
        }
        pos += 1;
    }
    args.to_vec()
}

/// Why a flag's value may not run as the operator, if it may not.
fn check_value(check: Check, value: &str) -> Result<(), String> {
    let plain = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    match check {
        Check::Repo => match value.split_once('/') {
            Some((owner, repo)) if plain(owner) && plain(repo) && !owner.starts_with(['.', '-']) => Ok(()),
            _ => Err(format!("'{}' is not OWNER/REPO (a host, a URL or another form would send the operator's token elsewhere)", shown(value))),
        },
        Check::Text if value.starts_with('@') => Err(format!("'{}' begins with '@' (gh reads @file in some commands)", shown(value))),
        Check::Login if value.starts_with('@') && value != "@me" => Err(format!("'{}' begins with '@' and is not @me", shown(value))),
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
        Err(format!("the argument '{}' is not an issue number (a URL names its own host)", shown(arg)))
    }
}

/// An argument as a message may show it: one line, control characters gone, at most 60 characters.
pub(super) fn shown(value: &str) -> String {
    let line = crate::display::one_line(value);
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
    // cobra's Find, level by level.
    let mut level = Level::Root;
    let mut rest: Vec<&str> = args.to_vec();
    loop {
        let words = strip_flags(&rest, level);
        let Some(&first) = words.first() else { break };
        let word = rest[first];
        let Some(next) = level.next(word) else { break };
        rest = minus_first(&rest, word, level);
        level = next;
    }
    let Level::Leaf(leaf) = level else {
        let path = match level {
            Level::Root => "gh",
            _ => "gh issue",
        };
        return Err(format!("gh would not run one of the commands the host knows ({}) but '{path}' with the rest as arguments", known_commands().join(", ")));
    };
    // pflag's parseArgs with the command's flags.
    let flags = Level::Leaf(leaf).flags();
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
                return Err(format!("gh issue {} has no flag '--{}' the host knows", leaf.name, shown(name)));
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
                return Err(format!("gh issue {} has no flag '-{}' the host knows (in '{}')", leaf.name, c, shown(s)));
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
        (Positional::None, [first, ..]) => return Err(format!("gh issue {} takes no argument, but got '{}'", leaf.name, shown(first))),
        (Positional::OneIssue, [one]) => check_issue(one)?,
        (Positional::OneIssue, _) => return Err(format!("gh issue {} takes one issue number, but got {} arguments", leaf.name, positional.len())),
    }
    Ok(Judged { command: format!("issue {}", leaf.name) })
}
