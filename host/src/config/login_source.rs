//! A JWT login's token (Kubernetes, OIDC, JWT Auth), got where the settings
//! say at each login, never once at start: a projected service-account token
//! or an ID token rotates while a session runs. The core decides the source,
//! the Actions request's URL, the runner's answer and every failure's line
//! (`raxx_core::settings`); this module does the I/O.
//!
//! A file is opened non-blocking and without becoming a controlling terminal,
//! and read only when it is a regular file, at most `MAX_SOURCE_BYTES`: a
//! FIFO or a device named by mistake (or by someone else) cannot hang or feed
//! raxx. The runner is asked over the host's own client (`net::rest::send`:
//! its TLS roots, `SSL_CERT_FILE`, proxies and timeout caps).

use crate::net::rest::{send, Failure};
use crate::net::Network;
use bytes::Bytes;
use http_body_util::Full;
use raxx_core::settings::{
    actions_answer, actions_token_url, source_error, ActionsIdToken, ConfigError, CredentialSource,
    LoginMethod, Secret, SourceFailure, MAX_SOURCE_BYTES,
};
use std::io::Read;

/// Where a JWT login's token comes from, with what the host needs to get it.
#[derive(Clone)]
pub struct JwtSource {
    pub method: LoginMethod,
    pub source: CredentialSource,
    /// The host's networking, for the runner's endpoint.
    pub network: Network,
    pub user_agent: String,
}

impl JwtSource {
    /// The token, read or fetched now; a failure is the core's one line (exit 2).
    pub fn token(&self) -> Result<Secret, ConfigError> {
        let fail = |failure: SourceFailure| source_error(self.method, &self.source, &failure);
        match &self.source {
            CredentialSource::Value(token) => Ok(token.clone()),
            CredentialSource::File(path) => read_file(path).map_err(fail),
            CredentialSource::ActionsIdToken(request) => {
                ask_runner(request, &self.network, &self.user_agent, fail)
            }
        }
    }
}

/// The system's reason without Rust's " (os error N)".
fn reason(e: &std::io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(at) => text[..at].to_string(),
        None => text,
    }
}

/// The trimmed content of a regular file of at most `MAX_SOURCE_BYTES`.
fn read_file(path: &str) -> Result<Secret, SourceFailure> {
    use std::os::unix::fs::OpenOptionsExt;
    let unreadable = |e: std::io::Error| SourceFailure::FileUnreadable(reason(&e));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(unreadable)?;
    if !file.metadata().map_err(unreadable)?.is_file() {
        return Err(SourceFailure::FileNotRegular);
    }
    let mut bytes = zeroize::Zeroizing::new(Vec::new());
    file.take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(SourceFailure::FileTooLarge);
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| SourceFailure::FileUnreadable("not UTF-8 text".to_string()))?
        .trim();
    if text.is_empty() {
        return Err(SourceFailure::FileEmpty);
    }
    Ok(Secret::new(text.to_string()))
}

/// Asks the GitHub Actions runner for an ID token.
fn ask_runner(
    request: &ActionsIdToken,
    network: &Network,
    user_agent: &str,
    fail: impl Fn(SourceFailure) -> ConfigError,
) -> Result<Secret, ConfigError> {
    let url = actions_token_url(request)?;
    let unreachable = |cause: String| fail(SourceFailure::EndpointUnreachable(cause));
    let uri: http::Uri = url.parse().map_err(|_| unreachable("not a URL".into()))?;
    let origin = raxx_url::Origin::from_uri(&uri).map_err(|e| unreachable(e.to_string()))?;
    let built = http::Request::get(uri)
        .header(http::header::ACCEPT, "application/json; api-version=2.0")
        .header(http::header::USER_AGENT, user_agent)
        .header(
            http::header::AUTHORIZATION,
            format!("Bearer {}", request.request_token.expose()),
        )
        .body(Full::new(Bytes::new()))
        .map_err(|_| unreachable("the request could not be built".into()))?;
    let cap = network.limits.first_byte.as_millis();
    let (status, body) = send(network, built, &origin).map_err(|e| {
        unreachable(match e {
            Failure::Silent => format!("no answer within {cap} ms (RAXX_TIMEOUT_MS)"),
            Failure::Unreachable(cause) => cause,
            Failure::Stopped => format!("the answer stopped within {cap} ms (RAXX_TIMEOUT_MS)"),
            Failure::Unreadable => "the answer could not be read".to_string(),
            Failure::Host(e) => e,
        })
    })?;
    if !(200..300).contains(&status) {
        return Err(fail(SourceFailure::EndpointRefused(status)));
    }
    if body.len() > MAX_SOURCE_BYTES {
        return Err(fail(SourceFailure::EndpointNoToken));
    }
    actions_answer(&body).ok_or_else(|| fail(SourceFailure::EndpointNoToken))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(path: &std::path::Path) -> JwtSource {
        JwtSource {
            method: LoginMethod::Kubernetes,
            source: CredentialSource::File(path.display().to_string()),
            network: Network::default(),
            user_agent: "raxx-test".into(),
        }
    }

    fn message(s: &JwtSource) -> String {
        s.token().map(|_| ()).unwrap_err().message
    }

    #[test]
    fn a_file_is_read_trimmed_and_again_at_each_call() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        std::fs::write(&path, " first.jwt.x\n").unwrap();
        let s = source(&path);
        assert_eq!(s.token().unwrap().expose(), "first.jwt.x");
        std::fs::write(&path, "second.jwt.x").unwrap();
        assert_eq!(s.token().unwrap().expose(), "second.jwt.x");
    }

    #[test]
    fn missing_empty_large_and_odd_files_are_one_line_each() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("token");
        let at = path.display();
        assert_eq!(
            message(&source(&path)),
            format!("INFISICAL_AUTH_METHOD=kubernetes: cannot read the service-account token {at} (No such file or directory): mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH")
        );
        std::fs::write(&path, " \n").unwrap();
        assert!(message(&source(&path)).contains(&format!("token {at} is empty")));
        std::fs::write(&path, vec![b'a'; MAX_SOURCE_BYTES + 1]).unwrap();
        assert!(message(&source(&path)).contains("is larger than 64 KiB"));
        assert!(message(&source(dir.path())).contains("is not a regular file"));
    }

    #[test]
    fn a_fifo_does_not_hang_the_login() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fifo");
        mkfifo(&path);
        assert!(message(&source(&path)).contains("is not a regular file"));
    }

    fn mkfifo(path: &std::path::Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success());
    }
}
