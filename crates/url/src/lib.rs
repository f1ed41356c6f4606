//! One URL reader for both sides of the sandbox. The minter component checks
//! its base URLs with [`parse_base`] and splits every URL it requests with
//! [`parse`]; the host reads the same base URLs with [`Origin::from_base_url`]
//! and judges every request the component sends with [`Origin::from_uri`].
//! Both sides run this code, so they cannot disagree about where a request goes.
//!
//! Parsing is `http::Uri`'s. On top of it, what `http` lets through and a
//! credential minter should not: user info (`user@host`), a port that is not
//! plain digits (`http` reads `:+443` as 443 and an unreadable port as none),
//! port 0, an empty port, a `%` escape (an IPv6 zone) in the host, a trailing
//! dot (another spelling of the same host), and plain `http` to anything but
//! loopback. Hosts are compared in lower case, IPv6 literals without brackets.

#![forbid(unsafe_code)]

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use std::net::IpAddr;

pub use http::Uri;

/// Where a request goes: scheme, host and port.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub https: bool,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl Origin {
    /// The origin of a request URI: the allowlist's judgement and the
    /// component's split both rest on this.
    pub fn from_uri(uri: &Uri) -> Result<Origin, UrlError> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err(UrlError::Scheme),
        };
        let authority = uri.authority().ok_or(UrlError::NoHost)?.as_str();
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        // Without user info the authority is host[:port]; an IPv6 host keeps its brackets.
        let (host, port) = match authority.strip_prefix('[') {
            Some(rest) => rest.split_once(']').ok_or(UrlError::NotUrl)?,
            None => authority.split_at(authority.find(':').unwrap_or(authority.len())),
        };
        if host.is_empty() {
            return Err(UrlError::NoHost);
        }
        if host.contains('%') {
            return Err(UrlError::HostEscape);
        }
        if host.ends_with('.') {
            return Err(UrlError::TrailingDot);
        }
        if !https && !is_loopback(host) {
            return Err(UrlError::PlainHttp);
        }
        let port = match port.strip_prefix(':') {
            None if port.is_empty() => {
                if https {
                    443
                } else {
                    80
                }
            }
            Some(digits)
                if (1..=5).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit()) =>
            {
                digits
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0)
                    .ok_or(UrlError::Port)?
            }
            _ => return Err(UrlError::Port),
        };
        Ok(Origin {
            https,
            host: host.to_ascii_lowercase(),
            port,
        })
    }

    /// Reads a configured base URL, with a message naming it and how to fix it.
    pub fn from_base_url(url: &str) -> Result<Origin, String> {
        parse_base(url)
            .map(|t| t.origin)
            .map_err(|why| format!("{url:?} {why}"))
    }

    /// `host:port`, an IPv6 host in brackets: what a socket connects to.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.authority())
    }
}

/// An absolute URL split into what a `wasi:http` request takes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub origin: Origin,
    /// The authority as written (checked), for the request line.
    pub authority: String,
    /// `/path?query`; `/` when the URL has no path.
    pub path_and_query: String,
}

/// Why a URL is refused. `Display` completes "URL … {error}".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlError {
    NotUrl,
    Scheme,
    NoHost,
    UserInfo,
    Port,
    HostEscape,
    TrailingDot,
    /// Plain `http` to a host that is not loopback.
    PlainHttp,
    /// A base URL with `?query` or `#fragment`: paths are appended to it.
    QueryInBase,
}

impl std::fmt::Display for UrlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UrlError::NotUrl => "is not a URL; expected https://host[:port][/path]",
            UrlError::Scheme => "must start with https://",
            UrlError::NoHost => "has no host",
            UrlError::UserInfo => "must not carry user info (user@host)",
            UrlError::Port => "has a port that is not a plain number from 1 to 65535",
            UrlError::HostEscape => "has a '%' escape in its host; write the host name plainly",
            UrlError::TrailingDot => "has a host ending in '.'; drop the trailing dot",
            UrlError::PlainHttp => "uses plain http to a non-loopback host; use https",
            UrlError::QueryInBase => "must not have a query or fragment; give the API's base URL, e.g. https://api.github.com",
        })
    }
}

/// Whether `host` is a loopback name or address (`localhost`, 127.0.0.0/8, ::1).
pub fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// An absolute `http(s)` URL to request.
pub fn parse(url: &str) -> Result<Target, UrlError> {
    let uri: Uri = url.parse().map_err(|_| UrlError::NotUrl)?;
    let origin = Origin::from_uri(&uri)?;
    let authority = uri
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    let path_and_query = uri
        .path_and_query()
        .map(|p| p.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or("/")
        .to_string();
    Ok(Target {
        origin,
        authority,
        path_and_query,
    })
}

/// A configured base URL (`https://api.github.com`, `https://HOST/api/v3`):
/// as [`parse`], and without a query or fragment, since paths are appended.
pub fn parse_base(url: &str) -> Result<Target, UrlError> {
    if url.contains(['?', '#']) {
        return Err(UrlError::QueryInBase);
    }
    parse(url)
}

/// `base` (no trailing slash needed) + `path` (starting with `/`).
pub fn join(base: &str, path: &str) -> String {
    format!("{}{}", base.trim_end_matches('/'), path)
}

/// RFC 3986's unreserved characters stay; everything else is escaped.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a query value or path segment.
pub fn encode(value: &str) -> String {
    percent_encoding::utf8_percent_encode(value, QUERY_VALUE).to_string()
}

#[cfg(test)]
mod tests;
