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
    let connector = Connector::new(network);
    let client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
        .build::<_, Full<Bytes>>(connector.clone());
    let cap = network.limits.first_byte;
    let answer = super::block_on(async move {
        let response = tokio::time::timeout(cap, client.request(request))
            .await
            .map_err(|_| {
                format!(
                    "GitHub at {origin} did not answer within {} ms (RAXX_TIMEOUT_MS)",
                    cap.as_millis()
                )
            })?;
        let response = response.map_err(|e| {
            let cause = connector
                .causes()
                .into_iter()
                .rev()
                .find(|c| c.origin == origin)
                .map(|c| c.text);
            format!(
                "GitHub at {origin} could not be reached ({})",
                cause.unwrap_or_else(|| e.to_string())
            )
        })?;
        let status = response.status().as_u16();
        let bytes =
            tokio::time::timeout(cap, Limited::new(response.into_body(), MAX_BODY).collect())
                .await
                .map_err(|_| format!("GitHub at {origin} stopped answering (RAXX_TIMEOUT_MS)"))?
                .map_err(|_| format!("GitHub at {origin} sent an answer that could not be read"))?
                .to_bytes();
        let json = if bytes.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|_| format!("GitHub at {origin} answered something other than JSON"))?
        };
        Ok::<_, String>(Answer { status, json })
    })
    .map_err(|e| format!("{e:#}"))??;
    Ok(answer)
}
