//! The minter's failures, mirroring `raxx:identity/types` (the WIT glue maps
//! them one to one). Messages are one line, name what to fix, and never carry
//! a secret. Near the bottom of the module graph: the policy, the mint and the
//! clients all report in these types, so this file imports none of them.

use crate::names::one_line;
use crate::transport::{TransportError, TransportErrorKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    Config,
    /// The machine identity is not configured (the host found its variables missing).
    Absent,
    Denied,
    Unreachable,
    Timeout,
    Refused,
    NotFound,
    Rejected,
    RateLimited,
    Server,
    Protocol,
    BadSecret,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceFailure {
    pub kind: FailureKind,
    pub status: Option<u16>,
    pub message: String,
    /// Infisical said the access token expired or is invalid: log in again.
    pub token_expired: bool,
    /// The server's clock from the response's `Date` header (JWT clock-skew recovery).
    pub server_time: Option<u64>,
}

impl ServiceFailure {
    pub fn new(kind: FailureKind, status: Option<u16>, message: impl Into<String>) -> Self {
        ServiceFailure {
            kind,
            status,
            message: message.into(),
            token_expired: false,
            server_time: None,
        }
    }

    /// A failure before any response: the request never got an answer.
    pub fn from_transport(service: &str, url: &str, err: &TransportError) -> Self {
        let origin = crate::url::origin(url);
        let (kind, message) = match err.kind {
            TransportErrorKind::Denied => (
                FailureKind::Denied,
                format!("the host denied the request to {origin} ({service}): it is not on the egress allowlist; check the configured {service} URL"),
            ),
            TransportErrorKind::Timeout => (
                FailureKind::Timeout,
                format!("{service} at {origin} did not answer in time ({}); check the URL and your network", err.detail),
            ),
            TransportErrorKind::Unreachable => (
                FailureKind::Unreachable,
                format!("{service} at {origin} could not be reached ({}); check the URL and your network", err.detail),
            ),
            TransportErrorKind::Protocol => (
                FailureKind::Protocol,
                format!("request to {service} at {origin} failed ({})", err.detail),
            ),
        };
        ServiceFailure::new(kind, None, message)
    }
}

/// Why the policy refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PolicyErrorKind {
    /// A policy or map document is malformed or inconsistent.
    Invalid,
    /// The agent class is not in the map.
    UnknownAgent,
    /// The bot has no entry in the policy.
    UnknownBot,
    /// The request asks for more than the policy grants.
    Widening,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub kind: PolicyErrorKind,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MintError {
    Vault(ServiceFailure),
    Github(ServiceFailure),
    InvalidRequest(String),
    Policy(PolicyError),
}

impl std::fmt::Display for MintError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MintError::Vault(s) | MintError::Github(s) => f.write_str(&s.message),
            MintError::InvalidRequest(m) => f.write_str(m),
            MintError::Policy(p) => f.write_str(&p.message),
        }
    }
}

/// The kind a non-success HTTP status stands for.
pub fn kind_for_status(status: u16) -> FailureKind {
    match status {
        401 | 403 => FailureKind::Refused,
        404 => FailureKind::NotFound,
        429 => FailureKind::RateLimited,
        400..=499 => FailureKind::Rejected,
        500..=599 => FailureKind::Server,
        _ => FailureKind::Protocol,
    }
}

/// The service's own explanation from an error body, made safe to print:
/// `message` (and Infisical's `error` name) from JSON, else a short excerpt.
pub fn service_message(body: &[u8]) -> String {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(body) else {
        return if body.is_empty() {
            "empty body".to_string()
        } else {
            format!(
                "non-JSON body: {}",
                one_line(&String::from_utf8_lossy(body), 60)
            )
        };
    };
    let message = match &json["message"] {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(issues) => issues
            .iter()
            .filter_map(|i| i["message"].as_str().or(i.as_str()))
            .collect::<Vec<_>>()
            .join("; "),
        _ => String::new(),
    };
    let name = json["error"].as_str().unwrap_or("");
    let text = match (name.is_empty(), message.is_empty()) {
        (true, true) => "no message".to_string(),
        (true, false) => message,
        (false, true) => name.to_string(),
        (false, false) => format!("{name}: {message}"),
    };
    one_line(&text, 240)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_infisical_and_github_error_bodies() {
        let infisical = br#"{"reqId":"r","statusCode":401,"message":"Invalid credentials","error":"UnauthorizedError"}"#;
        assert_eq!(
            service_message(infisical),
            "UnauthorizedError: Invalid credentials"
        );
        let github =
            br#"{"message":"Not Found","documentation_url":"https://docs.github.com/rest"}"#;
        assert_eq!(service_message(github), "Not Found");
        let zod = br#"{"statusCode":422,"message":[{"message":"Required"},{"message":"Expected string"}],"error":"ValidationFailure"}"#;
        assert_eq!(
            service_message(zod),
            "ValidationFailure: Required; Expected string"
        );
    }

    #[test]
    fn non_json_bodies_become_a_short_single_line() {
        let html = b"<html>\n<body>Bad Gateway</body>\n</html>";
        assert_eq!(
            service_message(html),
            "non-JSON body: <html> <body>Bad Gateway</body> </html>"
        );
        assert_eq!(service_message(b""), "empty body");
        assert!(service_message(&[b'x'; 500]).chars().count() < 80);
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind_for_status(401), FailureKind::Refused);
        assert_eq!(kind_for_status(404), FailureKind::NotFound);
        assert_eq!(kind_for_status(422), FailureKind::Rejected);
        assert_eq!(kind_for_status(429), FailureKind::RateLimited);
        assert_eq!(kind_for_status(503), FailureKind::Server);
    }
}
