//! Text from servers (App slugs, account names, error bodies) and from
//! users (a PR body's fields, a login, a file name), made safe to show a
//! person: no control characters (an ESC, CR or LF in an App slug must not
//! drive the terminal or forge a line) and no bidirectional overrides (which
//! reorder what a reader sees). [`one_line`] for messages and tables;
//! [`quoted`] for a value inside a message that may also end up in a rendered
//! Markdown summary.

/// Whether `c` must never reach a terminal: C0/C1 controls, DEL, and the
/// Unicode bidirectional embedding, override and isolate marks.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Unsafe characters dropped, everything else kept as it is.
pub fn strip(text: &str) -> String {
    text.chars().filter(|c| !is_unsafe(*c)).collect()
}

/// One cell of a table: unsafe characters dropped, whitespace runs kept as one space.
pub fn clean(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || is_unsafe(c))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
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

/// `text` as a Markdown code span that is safe to print: control characters
/// are dropped (no escape sequences, no line breaks), every non-ASCII
/// character becomes `?` (no bidi overrides or look-alikes), a backtick
/// becomes `'` (the span cannot be closed early, so no Markdown inside it
/// renders), and the value is cut after 40 characters.
pub fn quoted(text: &str) -> String {
    raxx_core::quote::quoted(text)
}

/// A file's path, quoted as [`quoted`] does but cut only after 200 characters.
pub fn quoted_path(path: &std::path::Path) -> String {
    raxx_core::quote::quote(&path.to_string_lossy(), 200)
}

/// A plain-text table: the header row, then one line per row; columns
/// left-aligned, two spaces apart, no trailing spaces. Cells are shown as
/// given: [`clean`] what came from elsewhere first.
pub fn table<const N: usize>(head: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = head.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; N]| {
        cells
            .iter()
            .zip(widths)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
            + "\n"
    };
    let mut out = line(head);
    for row in rows {
        out.push_str(&line(row.each_ref().map(String::as_str)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_its_columns_without_trailing_spaces() {
        let rows = [
            ["raxx-dev-bot".to_string(), "ok".to_string()],
            ["é".to_string(), String::new()],
        ];
        assert_eq!(
            table(["BOT", "STATUS"], &rows),
            "BOT           STATUS\nraxx-dev-bot  ok\né\n"
        );
    }

    #[test]
    fn escapes_line_breaks_and_bidi_marks_never_survive() {
        assert_eq!(
            clean("raxx-dev-bot\u{1b}[2J\r\nFAKE ROW\u{7}"),
            "raxx-dev-bot [2J FAKE ROW"
        );
        assert_eq!(clean("a\u{202e}b\u{2066}c\u{85}d"), "a b c d");
        assert_eq!(strip("raxx  bot\u{1b}[2J\r\n"), "raxx  bot[2J");
        assert_eq!(clean("  plain   text "), "plain text");
        assert_eq!(one_line(&"x".repeat(700)).chars().count(), 601);
    }

    #[test]
    fn drops_controls_and_neutralises_markdown_and_unicode_tricks() {
        assert_eq!(quoted("feature-developer"), "`feature-developer`");
        assert_eq!(quoted("a\x1b[2Kb\r\nc\0d\x7f\u{85}e"), "`a[2Kbcde`");
        assert_eq!(
            quoted("**x** `y` [z](http://e)"),
            "`**x** 'y' [z](http://e)`"
        );
        assert_eq!(quoted("ab\u{202e}cd\u{200b}é"), "`ab?cd??`");
        assert_eq!(quoted(&"x".repeat(50)), format!("`{}…`", "x".repeat(40)));
        assert_eq!(quoted(""), "``");
    }
}
