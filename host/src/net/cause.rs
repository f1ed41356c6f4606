//! Why a connection failed, in the host's words. The component sees only a
//! `wasi:http` error code (`TlsCertificateError`, `ConnectionRefused`) and
//! says "Infisical at … could not be reached"; the host knows which
//! certificate it refused and why, or what the proxy answered. A call's
//! result is explained with those causes: a service failure about an origin
//! the host has a cause for gets the cause as its message (same side, so the
//! same exit code).

use crate::{FailureKind, MintError, ServiceFailure};
use raxx_url::Origin;

/// What went wrong connecting to `origin`, one line, no secret (a proxy is
/// shown without its credentials).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cause {
    pub origin: Origin,
    pub text: String,
}

/// A call's result, which the host's causes may explain better than the component did.
pub trait Explain {
    fn explain(&mut self, causes: &[Cause]);
}

impl<T> Explain for Result<T, MintError> {
    fn explain(&mut self, causes: &[Cause]) {
        match self {
            Err(MintError::Vault(f)) => explain(f, "Infisical", causes),
            Err(MintError::Github(f)) => explain(f, "GitHub", causes),
            _ => {}
        }
    }
}

fn explain(failure: &mut ServiceFailure, service: &str, causes: &[Cause]) {
    if !matches!(
        failure.kind,
        FailureKind::Unreachable | FailureKind::Timeout | FailureKind::Protocol
    ) {
        return;
    }
    if let Some(cause) = causes
        .iter()
        .rev()
        .find(|c| mentions(&failure.message, &c.origin))
    {
        failure.message = format!("{service} at {}: {}", cause.origin, cause.text);
    }
}

/// Whether `message` names `origin` (`https://host:443` or, with the default port, `https://host`).
fn mentions(message: &str, origin: &Origin) -> bool {
    let message = message.to_ascii_lowercase();
    if message.contains(&origin.to_string()) {
        return true;
    }
    let (scheme, default_port) = if origin.https {
        ("https", 443)
    } else {
        ("http", 80)
    };
    let host = if origin.host.contains(':') {
        format!("[{}]", origin.host)
    } else {
        origin.host.clone()
    };
    let bare = format!("{scheme}://{host}");
    origin.port == default_port
        && message.match_indices(&bare).any(|(at, _)| {
            !message[at + bare.len()..]
                .starts_with(|c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(kind: FailureKind, message: &str) -> ServiceFailure {
        ServiceFailure {
            kind,
            status: None,
            message: message.into(),
        }
    }

    fn cause(url: &str) -> Cause {
        Cause {
            origin: Origin::from_base_url(url).unwrap(),
            text: "the TLS certificate of x was refused".into(),
        }
    }

    #[test]
    fn a_failure_about_an_origin_gets_the_hosts_cause() {
        let causes = [cause("https://api.github.com")];
        let mut r: Result<(), MintError> = Err(MintError::Github(failure(FailureKind::Unreachable, "GitHub at https://api.github.com could not be reached (TlsCertificateError); check the URL")));
        r.explain(&causes);
        let Err(MintError::Github(f)) = r else {
            unreachable!()
        };
        assert_eq!(
            f.message,
            "GitHub at https://api.github.com:443: the TLS certificate of x was refused"
        );
    }

    #[test]
    fn other_failures_and_other_origins_keep_the_components_words() {
        let causes = [cause("https://api.github.com")];
        for (kind, message) in [
            (
                FailureKind::Refused,
                "GitHub at https://api.github.com refused (401)",
            ),
            (
                FailureKind::Unreachable,
                "GitHub at https://api.github.com.evil could not be reached",
            ),
            (
                FailureKind::Unreachable,
                "GitHub at https://api.github.com:8443 could not be reached",
            ),
            (
                FailureKind::Unreachable,
                "Infisical at https://app.infisical.com could not be reached",
            ),
        ] {
            let mut r: Result<(), MintError> = Err(MintError::Github(failure(kind, message)));
            r.explain(&causes);
            let Err(MintError::Github(f)) = r else {
                unreachable!()
            };
            assert_eq!(f.message, message);
        }
        let mut ok: Result<u8, MintError> = Ok(1);
        ok.explain(&causes);
        assert!(matches!(ok, Ok(1)));
    }

    #[test]
    fn ports_and_ip_literals_are_matched_as_written() {
        assert!(mentions(
            "Infisical at http://127.0.0.1:8080 could not be reached",
            &Origin::from_base_url("http://127.0.0.1:8080").unwrap()
        ));
        assert!(mentions(
            "at https://[::1]:9/x",
            &Origin::from_base_url("https://[::1]:9").unwrap()
        ));
        assert!(mentions(
            "at https://vault.example (x)",
            &Origin::from_base_url("https://VAULT.example").unwrap()
        ));
    }
}
