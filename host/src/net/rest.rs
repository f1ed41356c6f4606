//! The host's own GitHub requests: work that is not minting (the smoke
//! test's issues), done by the host with a token the component minted, never
//! by the component, whose reach stays the minter's own requests
//! (`reach.rs`). They go out over the same connector as the component's
//! (TLS trust, proxies, the connect cap), one client per request, dropped with
//! it.

use super::connector::Connector;
use super::Network;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::rt::TokioExecutor;

/// Largest answer read.
const MAX_BODY: usize = 1 << 20;

/// A GitHub answer: its status and JSON body (`Null` when it had none).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub json: serde_json::Value,
}

/// `method` on `url` (under the configured GitHub API) with an installation
/// token; the error is one line naming the origin and what went wrong.
pub fn github(
    network: &Network,
    method: http::Method,
    url: &str,
    token: &str,
    user_agent: &str,
    body: Option<&serde_json::Value>,
) -> Result<Answer, String> {
    let uri: http::Uri = url.parse().map_err(|_| format!("{url} is not a URL"))?;
    let origin = raxx_url::Origin::from_uri(&uri).map_err(|why| format!("{url}: {why}"))?;
    let payload = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let mut request = http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::ACCEPT, "application/vnd.github+json")
        .header("x-github-api-version", "2022-11-28")
        .header(http::header::USER_AGENT, user_agent)
        .header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    if body.is_some() {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let request = request
        .body(Full::new(payload))
        .map_err(|_| format!("cannot build a request to {origin}"))?;
    let cap = network.limits.first_byte;
    let (status, bytes) = send(network, request, &origin).map_err(|e| match e {
        Failure::Silent => format!(
            "GitHub at {origin} did not answer within {} ms (RAXX_TIMEOUT_MS)",
            cap.as_millis()
        ),
        Failure::Unreachable(cause) => format!("GitHub at {origin} could not be reached ({cause})"),
        Failure::Stopped => format!("GitHub at {origin} stopped answering (RAXX_TIMEOUT_MS)"),
        Failure::Unreadable => format!("GitHub at {origin} sent an answer that could not be read"),
        Failure::Host(e) => e,
    })?;
    let json = if bytes.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .map_err(|_| format!("GitHub at {origin} answered something other than JSON"))?
    };
    Ok(Answer { status, json })
}

/// Why a request sent with [`send`] got no answer.
#[derive(Debug)]
pub enum Failure {
    /// No response within the first-byte cap (`RAXX_TIMEOUT_MS`).
    Silent,
    /// The connection failed: the cause (refused, TLS, proxy, DNS).
    Unreachable(String),
    /// The body did not arrive within the cap.
    Stopped,
    /// The body could not be read, or is larger than 1 MiB.
    Unreadable,
    /// The host could not run the request (called from async code).
    Host(String),
}

/// Sends `request` to `origin` over a client of its own (the host's TLS
/// trust, proxies and caps), dropped with it; returns the status and body.
pub fn send(
    network: &Network,
    request: http::Request<Full<Bytes>>,
    origin: &raxx_url::Origin,
) -> Result<(u16, Bytes), Failure> {
    let connector = Connector::new(network);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build::<_, Full<Bytes>>(connector.clone());
    let cap = network.limits.first_byte;
    super::block_on(async move {
        let response = tokio::time::timeout(cap, client.request(request))
            .await
            .map_err(|_| Failure::Silent)?;
        let response = response.map_err(|e| {
            let cause = connector
                .causes()
                .into_iter()
                .rev()
                .find(|c| &c.origin == origin)
                .map(|c| c.text);
            Failure::Unreachable(cause.unwrap_or_else(|| e.to_string()))
        })?;
        let status = response.status().as_u16();
        let bytes =
            tokio::time::timeout(cap, Limited::new(response.into_body(), MAX_BODY).collect())
                .await
                .map_err(|_| Failure::Stopped)?
                .map_err(|_| Failure::Unreadable)?
                .to_bytes();
        Ok((status, bytes))
    })
    .map_err(|e| Failure::Host(format!("{e:#}")))?
}
