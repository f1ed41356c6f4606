//! Showing text we did not write (a PR body's fields, a login, a file name)
//! inside a one-line message that may end up in a terminal, a CI log or a
//! rendered Markdown summary.

/// `text` as a Markdown code span that is safe to print: control characters
/// are dropped (no escape sequences, no line breaks), every non-ASCII
/// character becomes `?` (no bidi overrides or look-alikes), a backtick
/// becomes `'` (the span cannot be closed early, so no Markdown inside it
/// renders), and the value is cut after 40 characters.
pub fn quoted(text: &str) -> String {
    quote(text, 40)
}

/// A file's path, quoted as [`quoted`] does but cut only after 200 characters.
pub fn quoted_path(path: &std::path::Path) -> String {
    quote(&path.to_string_lossy(), 200)
}

fn quote(text: &str, max_chars: usize) -> String {
    let mut out = String::from("`");
    let mut shown = 0;
    for c in text.chars().filter(|c| !c.is_control()) {
        if shown == max_chars {
            out.push('…');
            break;
        }
        out.push(match c {
            '`' => '\'',
            c if c.is_ascii() => c,
            _ => '?',
        });
        shown += 1;
    }
    out.push('`');
    out
}

#[cfg(test)]
mod tests {
    use super::quoted;

    #[test]
    fn drops_controls_and_neutralises_markdown_and_unicode_tricks() {
        assert_eq!(quoted("feature-developer"), "`feature-developer`");
        assert_eq!(quoted("a\x1b[2Kb\r\nc\0d\x7f\u{85}e"), "`a[2Kbcde`");
        assert_eq!(quoted("**x** `y` [z](http://e)"), "`**x** 'y' [z](http://e)`");
        assert_eq!(quoted("ab\u{202e}cd\u{200b}é"), "`ab?cd??`");
        assert_eq!(quoted(&"x".repeat(50)), format!("`{}…`", "x".repeat(40)));
        assert_eq!(quoted(""), "``");
    }
}
