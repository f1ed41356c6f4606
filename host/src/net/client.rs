//! One call's HTTP client: hyper-util's pooled `Client` (HTTP/1.1 with
//! keep-alive: an idle connection to an origin serves its next request) over
//! the call's `Connector`. It sends only what the egress hooks passed, to the
//! origin they matched, with the host's timeouts (`timeouts.rs`).

use super::cause::Cause;
use super::connector::{ConnectFailed, Connector};
use super::timeouts::{Limits, TimedBody};
use super::Network;
use http_body_util::BodyExt;
use hyper_util::rt::TokioExecutor;
use raxx_url::Origin;
use std::error::Error as _;
use std::sync::{Arc, Mutex};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// A call's client; clones share its connections.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: hyper_util::client::legacy::Client<Connector, WasiBody>,
    connector: Connector,
    limits: Limits,
    /// Origins to open early, once the first request starts.
    early: Mutex<Vec<Origin>>,
}

/// Idle connections kept per origin within a call (a mint needs one each).
const MAX_IDLE_PER_ORIGIN: usize = 4;

impl Client {
    pub fn new(network: &Network) -> Client {
        let connector = Connector::new(network);
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(MAX_IDLE_PER_ORIGIN)
            .build(connector.clone());
        Client {
            inner: Arc::new(Inner {
                http,
                connector,
                limits: network.limits,
                early: Mutex::default(),
            }),
        }
    }

    /// For calls that use all of `origins` (a mint: Infisical, then GitHub):
    /// when the first request starts, the others are connected to in the
    /// background, so GitHub's TCP and TLS handshakes overlap Infisical's
    /// round trips instead of following them.
    pub fn preconnect(&self, origins: Vec<Origin>) {
        if let Ok(mut early) = self.inner.early.lock() {
            *early = origins;
        }
    }

    /// Connections this call opened.
    pub fn opened(&self) -> usize {
        self.inner.connector.opened()
    }

    /// What went wrong connecting, in the host's words.
    pub fn causes(&self) -> Vec<Cause> {
        self.inner.connector.causes()
    }

    /// Sends `request` to `origin` (what the allowlist matched its URI to).
    /// A new connection must be up within the connect timeout, and the
    /// response head must arrive within the first-byte timeout of the request
    /// starting (connecting included, as spin and wasmtime's own sender count
    /// it); the body may pause for at most the between-bytes timeout.
    pub async fn send(
        self,
        origin: Origin,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let timeouts = self.inner.limits.apply(options.as_ref());
        let early: Vec<Origin> = self
            .inner
            .early
            .lock()
            .map(|mut e| std::mem::take(&mut *e))
            .unwrap_or_default();
        self.inner
            .connector
            .open_early(early.into_iter().filter(|o| *o != origin));
        // The request goes exactly where the allowlist's judgement points.
        let path = request.uri().path_and_query().map_or("/", |p| p.as_str());
        *request.uri_mut() = format!("{origin}{path}")
            .parse()
            .map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let response = tokio::time::timeout(timeouts.first_byte, self.inner.http.request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(|e| failed(&e))?;
        Ok(
            response
                .map(|incoming| TimedBody::new(incoming, timeouts.between_bytes).boxed_unsync()),
        )
    }
}

/// The guest's error for a request the client could not complete.
fn failed(err: &hyper_util::client::legacy::Error) -> HttpError {
    let source = err.source();
    if let Some(ConnectFailed(code)) = source.and_then(|s| s.downcast_ref::<ConnectFailed>()) {
        return code.clone().into();
    }
    match source.and_then(|s| s.downcast_ref::<hyper::Error>()) {
        Some(hyper) => classify_hyper_error(hyper).into(),
        None => HttpError::HttpProtocolError,
    }
}

/// Classifies a hyper failure for the guest: a connection that died (reset,
/// closed mid-answer) is `connection-terminated`, which callers may retry;
/// wasmtime's default reports every hyper error as a protocol error.
pub fn classify_hyper_error(err: &hyper::Error) -> ErrorCode {
    let io_kind = err
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>())
        .map(|e| e.kind());
    let dropped = matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
                | std::io::ErrorKind::UnexpectedEof
        )
    );
    if err.is_timeout() {
        ErrorCode::ConnectionReadTimeout
    } else if dropped || err.is_incomplete_message() || err.is_closed() || err.is_canceled() {
        ErrorCode::ConnectionTerminated
    } else {
        ErrorCode::HttpProtocolError
    }
}
