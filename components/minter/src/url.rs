//! URLs, read by the code the host's egress allowlist reads them with
//! (`crates/url`): what the component requests is what the host judges.

use crate::error::{FailureKind, ServiceFailure};
use crate::transport::{TransportError, TransportErrorKind};
pub use raxx_url::{encode, join, Target};

/// Splits an absolute URL into what `wasi:http` takes. User info, lenient
/// ports, `%` in the host, a trailing dot and plain `http` beyond loopback are
/// refused here as the host would refuse them.
pub fn split(url: &str) -> Result<Target, TransportError> {
    raxx_url::parse(url).map_err(|why| {
        TransportError::new(TransportErrorKind::Protocol, format!("URL {url:?} {why}"))
    })
}

/// A service's base URL is usable (it has no query: paths are appended to
/// it); else a `config` failure naming the variable to fix.
pub fn check_base(service: &str, var: &str, url: &str) -> Result<(), ServiceFailure> {
    raxx_url::Origin::from_base_url(url)
        .map(|_| ())
        .map_err(|why| {
            ServiceFailure::new(
                FailureKind::Config,
                None,
                format!("{service} URL {why}; fix {var}"),
            )
        })
}

/// `scheme://authority` of a URL, for messages that name a host.
pub fn origin(url: &str) -> String {
    match raxx_url::parse(url) {
        Ok(t) => format!(
            "{}://{}",
            if t.origin.https { "https" } else { "http" },
            t.authority
        ),
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_url_with_port_path_and_query() {
        let t = split("http://127.0.0.1:8080/api/v4/secrets?x=1").unwrap();
        assert_eq!(
            (
                t.origin.https,
                t.authority.as_str(),
                t.path_and_query.as_str()
            ),
            (false, "127.0.0.1:8080", "/api/v4/secrets?x=1")
        );
    }

    #[test]
    fn refuses_what_the_host_refuses() {
        for url in [
            "https://user:pw@example.com/",
            "ftp://example.com/",
            "example.com/x",
            "http://127.0.0.1:+8080/",
            "https://example.com./",
            "http://example.com/",
        ] {
            let e = split(url).unwrap_err();
            assert_eq!(e.kind, TransportErrorKind::Protocol, "{url}");
        }
        assert!(
            raxx_url::Origin::from_base_url("https://api.github.com?per_page=1")
                .unwrap_err()
                .contains("must not have a query")
        );
    }

    #[test]
    fn origins_name_the_host_as_configured() {
        assert_eq!(origin("http://127.0.0.1:1/api/v1/x"), "http://127.0.0.1:1");
        assert_eq!(
            origin("https://api.github.com/app"),
            "https://api.github.com"
        );
        assert_eq!(origin("not a url"), "not a url");
    }
}
