//! The names raxx accepts (and GitHub's permission levels), and how messages
//! name who asked. One definition
//! for both sides of the sandbox: the minter component reads the policy and
//! the requests with it; the host reads the names in PR headers and agent
//! definitions, and the path segments its egress allowlist lets through.

#![forbid(unsafe_code)]

/// Longest name a bot (a vault folder and a GitHub App slug) may have; the
/// host holds the agent classes of PR headers and agent definitions to it too.
pub const MAX_NAME: usize = 100;

/// A plain name: letters, digits, `-`, `_` or `.`, starting with a letter or
/// digit. Bot names, agent classes and owners; never a path (no `/`, no `..`).
pub fn is_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric)
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A name of at most [`MAX_NAME`] characters: a bot's, or an agent class
/// the host reads from a header or a file name.
pub fn is_plain_name(s: &str) -> bool {
    is_name(s) && s.len() <= MAX_NAME
}

/// A repository name without its owner, as GitHub allows them (`.github`
/// included): letters, digits, `-`, `_` or `.`, but not `.` or `..`.
pub fn is_repository(s: &str) -> bool {
    !s.is_empty()
        && s != "."
        && s != ".."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// GitHub's permission levels, weakest first: 1 for `read`, 2 `write`, 3
/// `admin`; 0 for anything else (none, or not a level).
pub fn level_rank(level: &str) -> u8 {
    match level {
        "read" => 1,
        "write" => 2,
        "admin" => 3,
        _ => 0,
    }
}

/// Why `level` is not a permission level, as both the component (a policy's
/// level) and the hosts (a `--permission` before it reaches the WIT enum) say it.
pub fn unknown_level(level: &str) -> String {
    format!(
        "level '{}' is not one of read, write, admin",
        one_line(level, 20)
    )
}

/// Collapses control characters and caps length so a message stays one line.
pub fn one_line(text: &str, max_chars: usize) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if out.chars().count() > max_chars {
        out = out.chars().take(max_chars).collect::<String>() + "…";
    }
    out
}

/// How messages name who asked: `agent (bot)`, or the bot alone.
pub fn who(agent: Option<&str>, bot: &str) -> String {
    match agent {
        Some(agent) => format!("{agent} ({bot})"),
        None => bot.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_one_plain_segment() {
        for good in ["raxx-dev-bot", "a", "sre_agent.v2", "9lives"] {
            assert!(is_name(good), "{good}");
        }
        for bad in ["", "-x", ".hidden", "a/b", "../etc", "a b", "ä", "a\n"] {
            assert!(!is_name(bad), "{bad:?}");
        }
    }

    #[test]
    fn plain_names_are_names_of_at_most_100_characters() {
        assert!(is_plain_name("raxx-dev-bot") && is_plain_name(&"a".repeat(100)));
        assert!(!is_plain_name(&"a".repeat(101)) && !is_plain_name("../etc"));
    }

    #[test]
    fn repositories_may_start_with_a_dot_but_are_never_dot_segments() {
        for good in ["Hello-World", ".github", "_private", "a.b"] {
            assert!(is_repository(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "%2e%2e"] {
            assert!(!is_repository(bad), "{bad:?}");
        }
    }

    #[test]
    fn levels_rank_read_below_write_below_admin() {
        assert!(
            level_rank("read") < level_rank("write") && level_rank("write") < level_rank("admin")
        );
        assert_eq!((level_rank("owner"), level_rank("")), (0, 0));
    }

    #[test]
    fn who_names_the_agent_and_its_bot() {
        assert_eq!(
            who(Some("sre-agent"), "raxx-ops-bot"),
            "sre-agent (raxx-ops-bot)"
        );
        assert_eq!(who(None, "raxx-ops-bot"), "raxx-ops-bot");
    }
}
