//! What a token from the component must look like before the host prints it,
//! exports it or hands it to a child: a GitHub installation token. A hostile
//! build could otherwise carry terminal control sequences (ESC, OSC, CR) to
//! the operator's terminal through a plain `mint`.
//!
//! Hand-written: two character classes and a length bound (GitHub's own
//! recommended pattern `ghs_[A-Za-z0-9._]{36,}`, which covers the 40-character
//! opaque token and the ~520-character `ghs_APPID_JWT` form, and the legacy
//! 40-hex token of GitHub Enterprise Server before 2021) do not need a regex engine.

/// Longest token accepted: the stateless form is ~520 characters and varies
/// with what it carries; 4 KiB leaves room for that and stays a sane header.
pub const MAX_TOKEN_CHARS: usize = 4096;

/// The one line a token of any other shape fails with (exit 1).
pub const NOT_A_TOKEN: &str = "the component returned something that is not a token";

/// Whether `token` has one of the shapes GitHub issues installation tokens in.
pub fn is_github_token(token: &str) -> bool {
    let modern = token.strip_prefix("ghs_").is_some_and(|rest| {
        rest.len() >= 36
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_')
    });
    let legacy = token.len() == 40
        && token
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    token.len() <= MAX_TOKEN_CHARS && (modern || legacy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_shapes_pass() {
        let jwt = format!(
            "ghs_123456_{}.{}.{}",
            "a".repeat(200),
            "b_c".repeat(60),
            "d".repeat(100)
        );
        for token in [
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "0123456789abcdef0123456789abcdef01234567",
            jwt.as_str(),
        ] {
            assert!(is_github_token(token), "{token}");
        }
    }

    #[test]
    fn anything_else_is_refused() {
        let long = format!("ghs_{}", "a".repeat(MAX_TOKEN_CHARS));
        let refused = [
            "",
            "ghs_",
            "ghs_short",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a\x1b]0;owned\x07",
            "\x1b[2Jghs_16C7e42F292c6912E7710c838347Ae178B4a",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a\rexport X=1",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a\n",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a'; rm -rf ~; '",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4a-",
            "ghs_16C7e42F292c6912E7710c838347Ae178B4é",
            "0123456789ABCDEF0123456789ABCDEF01234567",
            "0123456789abcdef0123456789abcdef0123456",
            long.as_str(),
        ];
        for token in refused {
            assert!(!is_github_token(token), "{token:?}");
        }
    }
}
