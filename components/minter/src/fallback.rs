//! The fallback rule: may a command run with the operator's own credentials
//! when its bot's mint failed?
//!
//! Never for `spawn`, never for commands that may author a pull request (the
//! built-in list plus the policy's `fallback.never_for`), and otherwise only
//! where the policy says `fallback: allow` for the agent class or bot.

use crate::policy::{Policies, PR_AUTHORING_COMMANDS};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// One command wrapped by `raxx-host exec`.
    Exec,
    /// An agent started by `raxx-host spawn`.
    Spawn,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// One line: why.
    pub reason: String,
}

fn refuse(reason: String) -> Decision {
    Decision { allowed: false, reason }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == text;
    }
    let mut rest = text;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else { return false };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn basename(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

/// The simple commands a command line runs: itself, minus `VAR=x` and `env`
/// prefixes, plus the commands inside `sh -c '…'` scripts.
fn simple_commands(argv: &[String]) -> Vec<Vec<String>> {
    let mut words: &[String] = argv;
    while let Some(first) = words.first() {
        let is_assignment = first.contains('=') && !first.starts_with('-') && first.split('=').next().is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'));
        if is_assignment || basename(first) == "env" || (first.starts_with('-') && words.len() < argv.len()) {
            words = &words[1..];
        } else {
            break;
        }
    }
    let Some(first) = words.first() else { return Vec::new() };
    let mut out = vec![words.to_vec()];
    if matches!(basename(first), "sh" | "bash" | "zsh" | "dash" | "ksh") {
        if let Some(i) = words.iter().position(|w| w == "-c" || (w.starts_with('-') && !w.starts_with("--") && w.contains('c'))) {
            if let Some(script) = words.get(i + 1) {
                for cmd in script.split(['\n', ';', '|', '&', '(', ')', '`']) {
                    let sub: Vec<String> = cmd.split_whitespace().map(|w| w.trim_matches(|c| c == '"' || c == '\'').to_string()).collect();
                    if !sub.is_empty() {
                        out.extend(simple_commands(&sub));
                    }
                }
            }
        }
    }
    out
}

/// Whether `pattern` ("gh pr create") matches a simple command: the first
/// word is the program (by basename), the rest must appear in order among its
/// arguments (flags in between are fine).
fn matches(pattern: &str, command: &[String]) -> bool {
    let mut pat = pattern.split_whitespace();
    let (Some(program), Some(first)) = (pat.next(), command.first()) else { return false };
    if !glob(program, basename(first)) {
        return false;
    }
    let mut args = command[1..].iter();
    pat.all(|want| args.any(|arg| glob(want, arg)))
}

/// The pattern a command matches among those that may author a pull request.
pub fn pr_authoring_pattern<'p>(policies: &'p Policies, argv: &[String]) -> Option<&'p str> {
    let commands = simple_commands(argv);
    PR_AUTHORING_COMMANDS
        .iter()
        .copied()
        .chain(policies.never_fallback_for.iter().map(String::as_str))
        .find(|pattern| commands.iter().any(|c| matches(pattern, c)))
}

/// Decides whether `argv` may run as the operator after the mint for
/// `bot`/`agent` failed. `fallback_allowed` is the resolved policy rule.
pub fn decide(policies: &Policies, mode: Mode, who: &str, fallback_allowed: bool, argv: &[String]) -> Decision {
    if mode == Mode::Spawn {
        return refuse(format!("spawn never falls back: {who} is not started with the operator's identity"));
    }
    if let Some(pattern) = pr_authoring_pattern(policies, argv) {
        return refuse(format!("the command may author a pull request (matches '{pattern}'), which must never be the operator's"));
    }
    if fallback_allowed {
        Decision { allowed: true, reason: format!("the policy allows fallback for {who}") }
    } else {
        refuse(format!("the policy refuses fallback for {who}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::tests::{load, MAP, POLICY};

    fn argv(words: &[&str]) -> Vec<String> {
        words.iter().map(|w| w.to_string()).collect()
    }

    #[test]
    fn pr_authoring_commands_are_recognised_through_flags_paths_env_and_shells() {
        let p = load(MAP, POLICY).unwrap();
        for cmd in [
            &["gh", "pr", "create", "--title", "x"][..],
            &["/usr/bin/gh", "-R", "o/r", "pr", "create"],
            &["env", "FOO=1", "gh", "pr", "create"],
            &["GH_DEBUG=1", "gh", "pr", "create"],
            &["gh", "api", "-X", "POST", "repos/o/r/pulls", "-f", "title=x"],
            &["gh", "api", "graphql", "-f", "query=mutation { createPullRequest(input: {}) { clientMutationId } }"],
            &["git", "-C", "repo", "push", "origin", "HEAD"],
            &["bash", "-c", "cd repo && git push origin feature"],
            &["sh", "-lc", "make && gh pr create --fill"],
            &["gh", "release", "create", "v1"],
        ] {
            assert!(pr_authoring_pattern(&p, &argv(cmd)).is_some(), "{cmd:?}");
        }
        for cmd in [&["gh", "issue", "create"][..], &["gh", "pr", "view", "1"], &["git", "status"], &["gh", "api", "repos/o/r/issues"], &["echo", "gh pr create"]] {
            assert!(pr_authoring_pattern(&p, &argv(cmd)).is_none(), "{cmd:?}");
        }
    }

    #[test]
    fn decisions_follow_mode_command_and_policy() {
        let p = load(MAP, POLICY).unwrap();
        let issue = argv(&["gh", "issue", "create"]);
        assert!(decide(&p, Mode::Exec, "raxx-dev-bot", true, &issue).allowed);
        assert!(!decide(&p, Mode::Exec, "card-groomer (raxx-ops-bot)", false, &issue).allowed);
        let pr = decide(&p, Mode::Exec, "raxx-dev-bot", true, &argv(&["gh", "pr", "create"]));
        assert!(!pr.allowed && pr.reason.contains("gh pr create"), "{}", pr.reason);
        let spawn = decide(&p, Mode::Spawn, "feature-developer (raxx-dev-bot)", true, &issue);
        assert!(!spawn.allowed && spawn.reason.contains("spawn never falls back"));
    }

    #[test]
    fn glob_matches_stars_only() {
        assert!(glob("*pulls*", "repos/o/r/pulls/1"));
        assert!(glob("gh", "gh"));
        assert!(!glob("gh", "ghx"));
        assert!(glob("a*c", "abbbc"));
        assert!(!glob("a*c", "abbb"));
    }
}
