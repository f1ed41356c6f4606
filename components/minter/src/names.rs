//! Names the minter accepts (bots, agent classes, owners, repositories) and
//! how it quotes untrusted text in a message. At the bottom of the module
//! graph: it depends on nothing else in the crate.

/// Longest bot name (a vault folder name and a GitHub App slug).
const MAX_BOT_NAME: usize = 100;

/// A plain name: letters, digits, `-`, `_` or `.`, starting with a letter or
/// digit. Bot names, agent classes and owners; never a path (no `/`, no `..`).
pub fn is_name(s: &str) -> bool {
    s.as_bytes().first().is_some_and(u8::is_ascii_alphanumeric) && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// A repository name without its owner, as GitHub allows them (`.github`
/// included): letters, digits, `-`, `_` or `.`, but not `.` or `..`.
pub fn is_repository(s: &str) -> bool {
    !s.is_empty() && s != "." && s != ".." && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Bot names double as vault folder names: one plain path segment.
pub fn check_bot_name(bot: &str) -> Result<(), String> {
    if is_name(bot) && bot.len() <= MAX_BOT_NAME {
        Ok(())
    } else {
        Err(format!("invalid bot name {:?}: use letters, digits, '-', '_' or '.', e.g. raxx-dev-bot", one_line(bot, 60)))
    }
}

/// How messages name who asked: `agent (bot)`, or the bot alone.
pub fn who(agent: Option<&str>, bot: &str) -> String {
    match agent {
        Some(agent) => format!("{agent} ({bot})"),
        None => bot.to_string(),
    }
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
    fn repositories_may_start_with_a_dot_but_are_never_dot_segments() {
        for good in ["Hello-World", ".github", "_private", "a.b"] {
            assert!(is_repository(good), "{good}");
        }
        for bad in ["", ".", "..", "a/b", "a b", "%2e%2e"] {
            assert!(!is_repository(bad), "{bad:?}");
        }
    }

    #[test]
    fn bot_names_are_names_of_at_most_100_characters() {
        assert!(check_bot_name("raxx-dev-bot").is_ok());
        assert!(check_bot_name(&"a".repeat(100)).is_ok());
        assert!(check_bot_name(&"a".repeat(101)).is_err());
        let e = check_bot_name("../etc\npasswd").unwrap_err();
        assert!(e.contains("\"../etc passwd\"") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn who_names_the_agent_and_its_bot() {
        assert_eq!(who(Some("sre-agent"), "raxx-ops-bot"), "sre-agent (raxx-ops-bot)");
        assert_eq!(who(None, "raxx-ops-bot"), "raxx-ops-bot");
    }

    #[test]
    fn one_line_collapses_and_caps() {
        assert_eq!(one_line("a\n\tb\r\n  c\u{7}d", 40), "a b c d");
        assert_eq!(one_line(&"x".repeat(50), 10), format!("{}…", "x".repeat(10)));
    }
}
