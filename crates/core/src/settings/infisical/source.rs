//! Where a JWT login's token comes from, which the core cannot read itself
//! (it has no I/O): a value, a file, or GitHub Actions' ID-token endpoint.
//! The hosts read or fetch it at each login (a projected token rotates); the
//! core owns what both must agree on: the Actions request's URL, reading the
//! runner's answer, and the one line each failure gives (exit 2, naming the
//! method and what to fix, never a token).

use super::login::LoginMethod;
use crate::settings::{ConfigError, Secret, Side};

/// Longest token file or Actions answer a host reads (bytes): a JWT is a few KiB.
pub const MAX_SOURCE_BYTES: usize = 64 * 1024;

/// The Kubernetes service-account token's standard path in a pod.
pub const DEFAULT_KUBERNETES_TOKEN_PATH: &str =
    "/var/run/secrets/kubernetes.io/serviceaccount/token";

/// Where the token a JWT login presents comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CredentialSource {
    /// Given in a variable (`INFISICAL_AUTH_JWT`, `…_SERVICE_ACCOUNT_TOKEN`).
    Value(Secret),
    /// A file to read at each login (trimmed, at most [`MAX_SOURCE_BYTES`]).
    File(String),
    /// GitHub Actions' runner endpoint, asked at each login.
    ActionsIdToken(ActionsIdToken),
}

/// The GitHub Actions ID-token request (`permissions: id-token: write`):
/// `GET` [`actions_token_url`] with `Authorization: Bearer request_token`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ActionsIdToken {
    /// `ACTIONS_ID_TOKEN_REQUEST_URL`, https (checked when read).
    pub request_url: String,
    /// `ACTIONS_ID_TOKEN_REQUEST_TOKEN`. Never print it.
    pub request_token: Secret,
    /// `INFISICAL_OIDC_AUDIENCE`; none: GitHub's default audience.
    pub audience: Option<String>,
}

/// Why a host could not get the token from its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceFailure {
    /// The file could not be opened or read: the system's reason
    /// (`No such file or directory`, `Permission denied`).
    FileUnreadable(String),
    /// Not a regular file (a directory, a FIFO, a device): never read.
    FileNotRegular,
    FileEmpty,
    /// Larger than [`MAX_SOURCE_BYTES`].
    FileTooLarge,
    /// No answer from the Actions endpoint: the cause (connection refused, timeout, TLS).
    EndpointUnreachable(String),
    /// The Actions endpoint answered with this HTTP status (not 2xx).
    EndpointRefused(u16),
    /// The Actions endpoint's answer is not `{"value": "<jwt>"}`.
    EndpointNoToken,
}

/// The request URL with the audience appended (`&audience=…` or
/// `?audience=…`, percent-encoded); the URL as given when no audience is
/// set. The URL must be https, without a fragment.
pub fn actions_token_url(request: &ActionsIdToken) -> Result<String, ConfigError> {
    let url = request.request_url.as_str();
    let why = match raxx_url::parse(url) {
        Err(e) => Some(e.to_string()),
        Ok(t) if !t.origin.https => Some(raxx_url::UrlError::Scheme.to_string()),
        Ok(_) if url.contains('#') => Some("must not have a fragment".to_string()),
        Ok(_) => None,
    };
    if let Some(why) = why {
        return Err(ConfigError::new(
            Side::Vault,
            format!(
                "INFISICAL_AUTH_METHOD=oidc: ACTIONS_ID_TOKEN_REQUEST_URL {url:?} is refused ({why}); \
                 leave it as the GitHub Actions runner sets it"
            ),
        ));
    }
    Ok(match &request.audience {
        None => url.to_string(),
        Some(aud) => {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}audience={}", raxx_url::encode(aud))
        }
    })
}

/// The ID token in the runner's answer `{"count": …, "value": "<jwt>"}`
/// (trimmed); none when the answer is not that.
pub fn actions_answer(body: &[u8]) -> Option<Secret> {
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    let answer: Answer = serde_json::from_slice(body).ok()?;
    let jwt = answer.value.trim();
    (!jwt.is_empty()).then(|| Secret::new(jwt.to_string()))
}

/// What the token is called in `method`'s messages, and how to fix its source.
fn file_words(method: LoginMethod) -> (&'static str, &'static str) {
    match method {
        LoginMethod::Kubernetes => (
            "the service-account token",
            "mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
        ),
        LoginMethod::Oidc => (
            "the ID token file",
            "fix INFISICAL_AUTH_JWT_PATH or set INFISICAL_AUTH_JWT",
        ),
        _ => (
            "the JWT file",
            "fix INFISICAL_AUTH_JWT_PATH or set INFISICAL_AUTH_JWT",
        ),
    }
}

/// The one line (exit 2) for a failure to get `method`'s token from `source`.
pub fn source_error(
    method: LoginMethod,
    source: &CredentialSource,
    failure: &SourceFailure,
) -> ConfigError {
    let m = method.name();
    let message = match source {
        CredentialSource::File(path) => {
            let (what, fix) = file_words(method);
            let path = one_line(path);
            let problem = match failure {
                SourceFailure::FileUnreadable(cause) => {
                    format!("cannot read {what} {path} ({})", one_line(cause))
                }
                SourceFailure::FileNotRegular => format!("{what} {path} is not a regular file"),
                SourceFailure::FileTooLarge => format!(
                    "{what} {path} is larger than {} KiB",
                    MAX_SOURCE_BYTES / 1024
                ),
                _ => format!("{what} {path} is empty"),
            };
            format!("INFISICAL_AUTH_METHOD={m}: {problem}: {fix}")
        }
        CredentialSource::ActionsIdToken(request) => {
            let at = raxx_url::parse(&request.request_url)
                .map(|t| t.origin.to_string())
                .unwrap_or_else(|_| "ACTIONS_ID_TOKEN_REQUEST_URL".to_string());
            let endpoint = format!("the GitHub Actions ID-token endpoint {at}");
            match failure {
                SourceFailure::EndpointRefused(status) => format!(
                    "INFISICAL_AUTH_METHOD=oidc: {endpoint} refused the request (HTTP {status}): \
                     run raxx in the job whose runner set ACTIONS_ID_TOKEN_REQUEST_URL and \
                     ACTIONS_ID_TOKEN_REQUEST_TOKEN (it needs `permissions: id-token: write`)"
                ),
                SourceFailure::EndpointNoToken => format!(
                    "INFISICAL_AUTH_METHOD=oidc: {endpoint} answered without an ID token \
                     (expected JSON {{\"value\": \"<jwt>\"}}): check ACTIONS_ID_TOKEN_REQUEST_URL"
                ),
                SourceFailure::EndpointUnreachable(cause) => format!(
                    "INFISICAL_AUTH_METHOD=oidc: {endpoint} is unreachable ({}): check the \
                     runner's network and proxy settings, or set INFISICAL_AUTH_JWT",
                    one_line(cause)
                ),
                _ => format!("INFISICAL_AUTH_METHOD=oidc: {endpoint} could not be asked"),
            }
        }
        CredentialSource::Value(_) => {
            format!("INFISICAL_AUTH_METHOD={m}: the token given is empty: set it")
        }
    };
    ConfigError::new(Side::Vault, message)
}

/// A path or a system message as part of one line: control characters
/// dropped, non-ASCII as `?`, cut after 200 characters (it could hold anything).
fn one_line(text: &str) -> String {
    let q = crate::quote::quote(text, 200);
    q[1..q.len() - 1].to_string()
}
