//! Just enough URL handling for base URLs from configuration: split into
//! scheme, authority and path, join paths, and encode query values.

use crate::transport::{TransportError, TransportErrorKind};

/// An absolute URL split into the parts `wasi:http` takes.
#[derive(Debug, PartialEq, Eq)]
pub struct UrlParts<'a> {
    pub scheme: &'a str,
    pub authority: &'a str,
    pub path_with_query: &'a str,
}

/// Splits `scheme://authority/path?query`. Userinfo (`user@host`) is refused:
/// credentials never travel in URLs here.
pub fn split(url: &str) -> Result<UrlParts<'_>, TransportError> {
    let bad = |why: &str| TransportError::new(TransportErrorKind::Protocol, format!("invalid URL {url:?}: {why}"));
    let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("expected scheme://host"))?;
    if scheme != "http" && scheme != "https" {
        return Err(bad("scheme must be http or https"));
    }
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.is_empty() {
        return Err(bad("missing host"));
    }
    if authority.contains('@') {
        return Err(bad("user info is not allowed in URLs"));
    }
    let path_with_query = if path.is_empty() { "/" } else { path };
    Ok(UrlParts { scheme, authority, path_with_query })
}

/// `base` (no trailing slash needed) + `path` (starting with `/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// Percent-encodes a query value or path segment (RFC 3986 unreserved kept).
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// `scheme://authority` of a URL, for messages that name a host.
pub fn origin(url: &str) -> String {
    match split(url) {
        Ok(p) => format!("{}://{}", p.scheme, p.authority),
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_url_with_port_path_and_query() {
        let p = split("http://127.0.0.1:8080/api/v4/secrets?x=1").unwrap();
        assert_eq!(p, UrlParts { scheme: "http", authority: "127.0.0.1:8080", path_with_query: "/api/v4/secrets?x=1" });
    }

    #[test]
    fn bare_host_gets_root_path() {
        assert_eq!(split("https://api.github.com").unwrap().path_with_query, "/");
    }

    #[test]
    fn refuses_userinfo_and_other_schemes() {
        assert!(split("https://user:pw@example.com/").is_err());
        assert!(split("ftp://example.com/").is_err());
        assert!(split("example.com/x").is_err());
    }

    #[test]
    fn encodes_reserved_characters() {
        assert_eq!(encode("/MooseQuest/raxx-dev-bot"), "%2FMooseQuest%2Fraxx-dev-bot");
        assert_eq!(encode("a b&c"), "a%20b%26c");
    }

    #[test]
    fn joins_without_double_slashes() {
        assert_eq!(join("https://h/api/", "/v1/x"), "https://h/api/v1/x");
    }
}
