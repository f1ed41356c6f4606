//! How messages quote text a guest or a user chose: in backticks, control
//! characters dropped, non-ASCII as `?`, cut after 40 characters.

/// `text` quoted for a one-line message.
pub fn quoted(text: &str) -> String {
    quote(text, 40)
}

/// As [`quoted`], cut only after `max_chars` characters.
pub fn quote(text: &str, max_chars: usize) -> String {
    let mut out = String::from("`");
    for (shown, c) in text.chars().filter(|c| !c.is_control()).enumerate() {
        if shown == max_chars {
            out.push('…');
            break;
        }
        out.push(match c {
            '`' => '\'',
            c if c.is_ascii() => c,
            _ => '?',
        });
    }
    out.push('`');
    out
}
