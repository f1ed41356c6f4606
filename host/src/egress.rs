//! The egress allowlist and its single enforcement point.
//!
//! The component may only reach the origins (scheme, host, port) of the
//! configured Infisical and GitHub base URLs. Every `wasi:http` request passes
//! through [`EgressHooks::send_request`], which judges the request URI itself
//! (never a header the guest controls; guests cannot set `Host`). `https` is
//! required, except plain `http` to loopback addresses (local fakes, tests).

use crate::connections::{Connections, Pool};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use wasmtime_wasi_http::p2::bindings::http::types::ErrorCode;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody, WasiHttpHooks};

/// One allowed destination.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    pub https: bool,
    /// Lower-case host name or IP literal (IPv6 without brackets).
    pub host: String,
    pub port: u16,
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let scheme = if self.https { "https" } else { "http" };
        write!(f, "{scheme}://{}", self.authority())
    }
}

/// Whether `host` is a loopback name or address (`localhost`, 127.0.0.0/8, ::1).
pub fn is_loopback(host: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().map(|ip| ip.is_loopback()).unwrap_or(false)
}

impl Origin {
    /// `host:port`, an IPv6 host in brackets: what a socket connects to.
    pub fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    /// Reads a configured base URL. Refuses anything but `https`, and plain
    /// `http` anywhere but loopback, with a message saying how to fix it.
    pub fn from_base_url(url: &str) -> Result<Origin, String> {
        let uri: http::Uri = url.parse().map_err(|_| format!("{url:?} is not a URL; expected https://host[:port][/path]"))?;
        Origin::from_uri(&uri).map_err(|why| format!("{url:?} {why}"))
    }

    fn from_uri(uri: &http::Uri) -> Result<Origin, String> {
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            _ => return Err("must start with https://".into()),
        };
        let authority = uri.authority().ok_or("has no host")?;
        if authority.as_str().contains('@') {
            return Err("must not carry user info (user@host)".into());
        }
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_ascii_lowercase();
        if host.is_empty() {
            return Err("has no host".into());
        }
        if !https && !is_loopback(&host) {
            return Err("uses plain http to a non-loopback host; use https".into());
        }
        let port = authority.port_u16().unwrap_or(if https { 443 } else { 80 });
        Ok(Origin { https, host, port })
    }
}

/// The origins the component may reach.
#[derive(Clone, Debug, Default)]
pub struct Allowlist {
    origins: Vec<Origin>,
}

impl Allowlist {
    pub fn new(origins: Vec<Origin>) -> Self {
        Allowlist { origins }
    }

    pub fn origins(&self) -> &[Origin] {
        &self.origins
    }

    /// Judges a request URI: its scheme, host and port must match an allowed origin
    /// exactly. The allowed origin is what the request then connects to.
    pub fn allows(&self, uri: &http::Uri) -> Result<Origin, String> {
        let origin = Origin::from_uri(uri).map_err(|why| format!("{uri} {why}"))?;
        if self.origins.contains(&origin) {
            Ok(origin)
        } else {
            Err(origin.to_string())
        }
    }
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
    connections: Connections,
}

impl EgressHooks {
    /// Hooks for one call; allowed requests go out over `pool`'s connections.
    pub fn new(allowlist: Arc<Allowlist>, pool: Pool) -> Self {
        EgressHooks { allowlist, denied: Arc::default(), timings: Arc::default(), connections: Connections::new(pool) }
    }

    /// Connections this call opened (each kept for the next request to its origin).
    pub fn connections(&self) -> usize {
        self.connections.opened()
    }

    /// For calls that use every allowed origin (a mint: Infisical, then GitHub):
    /// the first request starts connecting to the others in the background.
    pub fn preconnect_all(&self) {
        self.connections.preconnect(self.allowlist.origins().to_vec());
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

impl Drop for EgressHooks {
    /// The call is over: what it pre-connected but did not use stays for the next.
    fn drop(&mut self) {
        self.connections.release_pending();
    }
}

type SendFuture = Box<
    dyn std::future::Future<
            Output = Result<(http::Response<WasiBody>, Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>), HttpError>,
        > + Send,
>;

/// Classifies a hyper failure for the guest: a connection that died (reset,
/// closed mid-answer) is `connection-terminated`, which callers may retry;
/// wasmtime's default reports every hyper error as a protocol error.
pub fn classify_hyper_error(err: &hyper::Error) -> ErrorCode {
    use std::error::Error as _;
    let io_kind = err.source().and_then(|s| s.downcast_ref::<std::io::Error>()).map(|e| e.kind());
    let dropped = matches!(
        io_kind,
        Some(std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::ConnectionAborted | std::io::ErrorKind::BrokenPipe | std::io::ErrorKind::UnexpectedEof)
    );
    if err.is_timeout() {
        ErrorCode::ConnectionReadTimeout
    } else if dropped || err.is_incomplete_message() || err.is_closed() || err.is_canceled() {
        ErrorCode::ConnectionTerminated
    } else {
        ErrorCode::HttpProtocolError
    }
}

impl WasiHttpHooks for EgressHooks {
    fn p2_error_from_hyper(&mut self, err: &hyper::Error) -> ErrorCode {
        classify_hyper_error(err)
    }

    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        let origin = match self.allowlist.allows(request.uri()) {
            Ok(origin) => origin,
            Err(destination) => {
                if let Ok(mut denied) = self.denied.lock() {
                    denied.push(destination);
                }
                return Box::new(async { Err(HttpError::HttpRequestDenied) });
            }
        };
        let label = format!("{} {}", request.method(), request.uri().path());
        let (timings, connections) = (self.timings.clone(), self.connections.clone());
        Box::new(async move {
            let start = std::time::Instant::now();
            let sent = connections.send(&origin, request, options).await;
            if let Ok(mut t) = timings.lock() {
                t.push(RequestTiming { request: label, elapsed: start.elapsed() });
            }
            // The connection is driven by its own task (it outlives this request).
            Ok((sent?, Box::new(async { Ok(()) }) as Box<dyn std::future::Future<Output = Result<(), HttpError>> + Send>))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(urls: &[&str]) -> Allowlist {
        Allowlist::new(urls.iter().map(|u| Origin::from_base_url(u).unwrap()).collect())
    }

    #[test]
    fn base_urls_need_https_except_on_loopback() {
        assert!(Origin::from_base_url("https://api.github.com").is_ok());
        assert!(Origin::from_base_url("http://127.0.0.1:8080/api").is_ok());
        assert!(Origin::from_base_url("http://localhost:1").is_ok());
        assert!(Origin::from_base_url("http://[::1]:9/api").is_ok());
        assert!(Origin::from_base_url("http://example.com/api").unwrap_err().contains("use https"));
        assert!(Origin::from_base_url("ftp://example.com").is_err());
        assert!(Origin::from_base_url("https://user:pw@example.com").is_err());
        assert!(Origin::from_base_url("not a url").is_err());
    }

    #[test]
    fn origins_name_what_to_connect_to() {
        let origin = |u: &str| Origin::from_base_url(u).unwrap();
        assert_eq!(origin("https://API.GitHub.com/app").authority(), "api.github.com:443");
        assert_eq!(origin("http://127.0.0.1:8080/x").authority(), "127.0.0.1:8080");
        assert_eq!(origin("http://[::1]:9/x").authority(), "[::1]:9");
        assert_eq!(origin("http://[::1]:9/x").to_string(), "http://[::1]:9");
    }

    #[test]
    fn allows_only_exact_scheme_host_and_port() {
        let allow = list(&["https://api.github.com", "http://127.0.0.1:8080/api"]);
        let ok = |u: &str| allow.allows(&u.parse().unwrap()).is_ok();
        assert!(ok("https://api.github.com/app/installations/1/access_tokens"));
        assert!(ok("https://API.GITHUB.COM:443/x"));
        assert!(ok("http://127.0.0.1:8080/api/v1/auth/universal-auth/login"));
        assert!(!ok("http://api.github.com/x"), "other scheme");
        assert!(!ok("https://api.github.com:8443/x"), "other port");
        assert!(!ok("http://127.0.0.1:8081/x"), "other loopback port");
        assert!(!ok("https://evil.example/x"));
        assert!(!ok("http://169.254.169.254/latest/meta-data"));
        assert!(!ok("/relative"));
    }
}
