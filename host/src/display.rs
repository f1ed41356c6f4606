//! Text from servers (App slugs, account names, error bodies) and from
//! users, made safe to show a person: no control characters (an ESC, CR or LF
//! in an App slug must not drive the terminal or forge a line) and no
//! bidirectional overrides (which reorder what a reader sees).

/// Whether `c` must never reach a terminal: C0/C1 controls, DEL, and the
/// Unicode bidirectional embedding, override and isolate marks.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Unsafe characters dropped, everything else kept as it is.
pub fn strip(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe(*c)).collect()
}

/// One cell of a table: unsafe characters dropped, whitespace runs kept as one space.
pub fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || is_unsafe(c)).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// One line of a message: `clean`, capped at 600 characters.
pub fn one_line(text: &str) -> String {
    let line = clean(text);
    if line.chars().count() > 600 {
        line.chars().take(600).chain("…".chars()).collect()
    } else {
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_line_breaks_and_bidi_marks_never_survive() {
        assert_eq!(clean("raxx-dev-bot\u{1b}[2J\r\nFAKE ROW\u{7}"), "raxx-dev-bot [2J FAKE ROW");
        assert_eq!(clean("a\u{202e}b\u{2066}c\u{85}d"), "a b c d");
        assert_eq!(strip("raxx  bot\u{1b}[2J\r\n"), "raxx  bot[2J");
        assert_eq!(clean("  plain   text "), "plain text");
        assert_eq!(one_line(&"x".repeat(700)).chars().count(), 601);
    }
}
