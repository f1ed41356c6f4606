//! The `rel="next"` target of an HTTP `Link` header (RFC 8288), as GitHub
//! paginates its lists: `<https://api.github.com/…&page=2>; rel="next", <…>; rel="last"`.
//!
//! Hand-written on purpose: the one Rust crate for it (`parse_link_header`)
//! parses with `regex` (and `lazy_static`), which would bring a regex engine
//! into the sandboxed component for this one question. Whether the target may
//! be followed is not decided here: callers check that it stays under the API
//! base they were configured with.

/// The target of the first link whose `rel` names `next`, if any. `rel` may
/// be quoted or bare and may list several relation types (`rel="next last"`).
pub fn next(header: &str) -> Option<&str> {
    let mut rest = header;
    loop {
        let open = rest.find('<')?;
        let close = open + rest[open..].find('>')?;
        let target = &rest[open + 1..close];
        let after = &rest[close + 1..];
        // The link's parameters run to the next link (`, <`), or the end.
        let params_end = after.find('<').unwrap_or(after.len());
        let is_next = after[..params_end].split([';', ',']).any(|param| {
            let Some((name, value)) = param.split_once('=') else {
                return false;
            };
            name.trim().eq_ignore_ascii_case("rel")
                && value
                    .trim()
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case("next"))
        });
        if is_next {
            return Some(target.trim());
        }
        rest = &after[params_end..];
    }
}

#[cfg(test)]
mod tests {
    use super::next;

    #[test]
    fn finds_githubs_next_link_wherever_it_stands() {
        let github = r#"<https://api.github.com/app/installations?per_page=100&page=2>; rel="next", <https://api.github.com/app/installations?per_page=100&page=3>; rel="last""#;
        assert_eq!(
            next(github),
            Some("https://api.github.com/app/installations?per_page=100&page=2")
        );
        let later = r#"<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first", <https://x/?page=3>; rel=next"#;
        assert_eq!(next(later), Some("https://x/?page=3"));
        assert_eq!(
            next(r#"<https://x/?page=4>; title="a"; REL="last next""#),
            Some("https://x/?page=4")
        );
    }

    #[test]
    fn without_a_next_link_there_is_none() {
        for header in [
            "",
            "garbage",
            r#"<https://x/?page=1>; rel="prev", <https://x/?page=1>; rel="first""#,
            "<https://x/?page=2",
            r#"<a>; rel="nextish""#,
        ] {
            assert_eq!(next(header), None, "{header}");
        }
    }
}
