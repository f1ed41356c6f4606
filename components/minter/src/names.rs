//! Names the minter accepts (bots, agent classes, owners, repositories; the
//! rules live in `crates/names`, shared with the host) and how it quotes
//! untrusted text in a message. At the bottom of the module graph: it depends
//! on nothing else in the crate.

pub use raxx_names::{is_name, is_repository, who};

/// Bot names double as vault folder names: one plain path segment.
pub fn check_bot_name(bot: &str) -> Result<(), String> {
    if raxx_names::is_plain_name(bot) {
        Ok(())
    } else {
        Err(format!(
            "invalid bot name {:?}: use letters, digits, '-', '_' or '.', e.g. raxx-dev-bot",
            one_line(bot, 60)
        ))
    }
}

pub use raxx_names::one_line;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bot_names_are_names_of_at_most_100_characters() {
        assert!(check_bot_name("raxx-dev-bot").is_ok());
        assert!(check_bot_name(&"a".repeat(101)).is_err());
        let e = check_bot_name("../etc\npasswd").unwrap_err();
        assert!(e.contains("\"../etc passwd\"") && !e.contains('\n'), "{e}");
    }

    #[test]
    fn one_line_collapses_and_caps() {
        assert_eq!(one_line("a\n\tb\r\n  c\u{7}d", 40), "a b c d");
        assert_eq!(
            one_line(&"x".repeat(50), 10),
            format!("{}…", "x".repeat(10))
        );
    }
}
