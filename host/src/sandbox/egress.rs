//! The egress hook: the single enforcement point of the allowlist.
//!
//! Every `wasi:http` request passes through [`EgressHooks::send_request`],
//! which judges it by the host core's reach (`reach.rs`) first: the origin (scheme, host, port) of a
//! configured Infisical or GitHub base URL (`https` required, except plain
//! `http` to loopback addresses: local fakes, tests), then its method and path
//! against the requests the minter makes for the call under way, and a token
//! exchange's body against the resolution's scope. Never a header the guest
//! controls (guests cannot set `Host`). Then it sends what was allowed, over
//! the call's client (`net/`): judging and sending are separate steps.

use crate::net;
use std::sync::{Arc, Mutex};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One allowed destination, read by the URL code the component uses too
/// (`crates/url`), so the allowlist and the component agree on every URL.
pub use raxx_url::Origin;

/// What one call may reach, and the judgement of each request (`reach.rs`).
pub use crate::sandbox::reach::Allowlist;

/// A refused request: recorded, and `HttpRequestDenied` for the guest.
fn refuse(log: &Mutex<Vec<String>>, denied: crate::sandbox::reach::Denied) -> HttpError {
    if let Ok(mut log) = log.lock() {
        log.push(denied.0);
    }
    HttpError::HttpRequestDenied
}

/// How long one allowed request took, until its response headers arrived.
#[derive(Clone, Debug)]
pub struct RequestTiming {
    /// `METHOD path` (no query: it can name a folder, never a secret, but stays short).
    pub request: String,
    pub elapsed: std::time::Duration,
}

/// The `wasi:http` hooks of one store: the allowlist, a record of what was
/// denied, and how long each allowed request took.
pub struct EgressHooks {
    allowlist: Arc<Allowlist>,
    denied: Arc<Mutex<Vec<String>>>,
    timings: Arc<Mutex<Vec<RequestTiming>>>,
    client: net::Client,
}

impl EgressHooks {
    /// Hooks for one call; allowed requests go out over the call's `client`.
    pub fn new(allowlist: Arc<Allowlist>, client: net::Client) -> Self {
        EgressHooks {
            allowlist,
            denied: Arc::default(),
            timings: Arc::default(),
            client,
        }
    }

    /// Connections this call opened (each kept for the call's next request to its origin).
    pub fn connections(&self) -> usize {
        self.client.opened()
    }

    /// Why connections failed, in the host's words (a refused certificate, a proxy's answer).
    pub fn causes(&self) -> Vec<net::Cause> {
        self.client.causes()
    }

    /// For calls that use every allowed origin (a mint: Infisical, then GitHub):
    /// the first request starts connecting to the others in the background.
    pub fn preconnect_all(&self) {
        self.client.preconnect(self.allowlist.origins().to_vec());
    }

    /// Destinations refused so far (for the host's own messages and tests).
    pub fn denied(&self) -> Vec<String> {
        self.denied.lock().map(|d| d.clone()).unwrap_or_default()
    }

    /// Allowed requests so far, with their durations.
    pub fn timings(&self) -> Vec<RequestTiming> {
        self.timings.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

/// Sends one request the allowlist passed, timing it (the sending half of the hook).
struct Sender {
    client: net::Client,
    timings: Arc<Mutex<Vec<RequestTiming>>>,
    label: String,
}

impl Sender {
    async fn send(
        self,
        origin: Origin,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let start = std::time::Instant::now();
        let sent = self.client.send(origin, request, options).await;
        if let Ok(mut t) = self.timings.lock() {
            t.push(RequestTiming {
                request: self.label,
                elapsed: start.elapsed(),
            });
        }
        sent
    }
}

impl EgressHooks {
    fn sender(&self, request: &http::Request<WasiBody>) -> Sender {
        Sender {
            client: self.client.clone(),
            timings: self.timings.clone(),
            label: format!("{} {}", request.method(), request.uri().path()),
        }
    }
}

impl WasiHttpHooks for EgressHooks {
    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        net::classify_hyper_error(err)
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        // The judgement (reach.rs): origin, method and path now; a token exchange's body below, before anything is sent.
        let admitted = match crate::sandbox::reach::admit(&self.allowlist, &request) {
            Ok(admitted) => admitted,
            Err(denied) => {
                let refused = refuse(&self.denied, denied);
                return Box::new(async { Err(refused) });
            }
        };
        let origin = admitted.origin().clone();
        let (sender, denied) = (self.sender(&request), self.denied.clone());
        Box::new(async move {
            let request = admitted
                .request(request)
                .await
                .map_err(|d| refuse(&denied, d))?;
            let response = sender.send(origin, request, options).await?;
            // The connection is driven by its own task (it outlives this request, not the call).
            Ok((
                response,
                Box::new(async { Ok(()) })
                    as Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_need_https_except_on_loopback() {
        assert!(Origin::from_base_url("https://api.github.com").is_ok());
        assert!(Origin::from_base_url("http://127.0.0.1:8080/api").is_ok());
        assert!(Origin::from_base_url("http://localhost:1").is_ok());
        assert!(Origin::from_base_url("http://[::1]:9/api").is_ok());
        assert!(Origin::from_base_url("http://example.com/api")
            .unwrap_err()
            .contains("use https"));
        assert!(Origin::from_base_url("ftp://example.com").is_err());
        assert!(Origin::from_base_url("https://user:pw@example.com").is_err());
        assert!(Origin::from_base_url("not a url").is_err());
    }

    #[test]
    fn base_urls_are_read_strictly() {
        for url in [
            "http://127.0.0.1:+18082",
            "https://api.github.com:",
            "https://api.github.com.",
            "http://[fe80::1%25lo]:9",
            "https://api.github.com?x=1",
        ] {
            assert!(Origin::from_base_url(url).is_err(), "{url}");
        }
    }

    #[test]
    fn origins_name_what_to_connect_to() {
        let origin = |u: &str| Origin::from_base_url(u).unwrap();
        assert_eq!(
            origin("https://API.GitHub.com/app").authority(),
            "api.github.com:443"
        );
        assert_eq!(
            origin("http://127.0.0.1:8080/x").authority(),
            "127.0.0.1:8080"
        );
        assert_eq!(origin("http://[::1]:9/x").authority(), "[::1]:9");
        assert_eq!(origin("http://[::1]:9/x").to_string(), "http://[::1]:9");
    }
}
