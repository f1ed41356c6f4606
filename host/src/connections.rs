//! Outbound HTTP/1.1 for the component, with keep-alive: one mint logs in to
//! Infisical and lists the bot's folder over the same connection (and TLS
//! session), then opens one connection to GitHub.
//!
//! `wasmtime-wasi-http`'s default sender opens a connection per request. This
//! one keeps each connection after its response and hands it to the next
//! request for the same origin, if it is idle by then; a busy or closed one is
//! never waited for (a new connection is opened instead). The pool belongs to
//! a `Runtime` and serves all its calls; an idle connection is dropped after
//! 30 s. TLS is as in `wasmtime-wasi-http`: rustls with the webpki roots.
//!
//! A mint always talks to Infisical first and GitHub last, so a call can ask
//! to *pre-connect*: when its first request starts, the other allowed origins
//! without an idle connection are connected to in the background, and the TCP
//! and TLS handshakes with GitHub overlap Infisical's round trips instead of
//! following them. A request that finds its origin still connecting waits for
//! that connection rather than opening a second one; a call that ends first
//! leaves it in the pool.

use bytes::Bytes;
use http::uri::Scheme;
use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use std::collections::HashMap;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// Without an explicit option, as `wasmtime-wasi-http` does.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

type Sender = SendRequest<WasiBody>;
type Connecting = tokio::sync::oneshot::Receiver<Result<Sender, HttpError>>;

/// Where to connect: `host:port` (IPv6 bracketed) and whether with TLS.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub host_port: String,
    pub tls: bool,
}

impl Target {
    pub fn new(host: &str, port: u16, tls: bool) -> Target {
        let host = host.to_ascii_lowercase();
        let host_port = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
        Target { host_port, tls }
    }

    fn from_uri(uri: &http::Uri) -> Option<Target> {
        let tls = uri.scheme() == Some(&Scheme::HTTPS);
        let host = uri.host()?.trim_start_matches('[').trim_end_matches(']');
        Some(Target::new(host, uri.port_u16().unwrap_or(if tls { 443 } else { 80 }), tls))
    }

    /// The pool's key: `scheme://host:port`.
    fn origin(&self) -> String {
        format!("{}://{}", if self.tls { "https" } else { "http" }, self.host_port)
    }
}

/// An idle connection older than this is closed rather than reused: servers and
/// middleboxes drop quiet connections, sometimes without telling.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Idle connections kept per origin.
const MAX_IDLE_PER_ORIGIN: usize = 4;

/// The idle keep-alive connections of one `Runtime`, by origin
/// (`scheme://host:port`), shared by its calls: an embedding that mints
/// repeatedly pays the TCP and TLS handshakes once, not per mint. Only the
/// egress hooks use it, after the allowlist has judged the request.
#[derive(Clone, Default)]
pub struct Pool {
    idle: Arc<Mutex<HashMap<String, Vec<(Sender, Instant)>>>>,
}

impl Pool {
    /// An idle connection to `origin`, if there is one; closed and stale ones are dropped.
    fn take_idle(&self, origin: &str) -> Option<Sender> {
        let mut idle = self.idle.lock().ok()?;
        let senders = idle.get_mut(origin)?;
        senders.retain(|(s, since)| !s.is_closed() && since.elapsed() < MAX_IDLE);
        let ready = senders.iter().position(|(s, _)| s.is_ready())?;
        Some(senders.swap_remove(ready).0)
    }

    fn has_idle(&self, origin: &str) -> bool {
        self.idle.lock().is_ok_and(|idle| idle.get(origin).is_some_and(|s| s.iter().any(|(s, _)| !s.is_closed())))
    }

    fn give_back(&self, origin: String, sender: Sender) {
        if let Ok(mut idle) = self.idle.lock() {
            let senders = idle.entry(origin).or_default();
            senders.retain(|(s, since)| !s.is_closed() && since.elapsed() < MAX_IDLE);
            if senders.len() < MAX_IDLE_PER_ORIGIN {
                senders.push((sender, Instant::now()));
            }
        }
    }
}

/// One call's use of the pool: what it pre-connects, what is still connecting,
/// and how many connections it opened.
#[derive(Clone, Default)]
pub struct Connections {
    pool: Pool,
    connecting: Arc<Mutex<HashMap<String, Connecting>>>,
    preconnect: Arc<Mutex<Vec<Target>>>,
    opened: Arc<AtomicUsize>,
}

impl Connections {
    pub fn new(pool: Pool) -> Connections {
        Connections { pool, ..Connections::default() }
    }

    /// Connects to `targets` in the background when the first request starts
    /// (skipping that request's own origin and origins with an idle connection).
    pub fn preconnect(&self, targets: Vec<Target>) {
        if let Ok(mut pending) = self.preconnect.lock() {
            *pending = targets;
        }
    }

    fn start_preconnects(&self, first: &Target, connect_timeout: Duration) {
        let targets = self.preconnect.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default();
        for target in targets.into_iter().filter(|t| t != first && !self.pool.has_idle(&t.origin())) {
            let (done, connecting) = tokio::sync::oneshot::channel();
            if let Ok(mut map) = self.connecting.lock() {
                map.insert(target.origin(), connecting);
            }
            let (opened, pool) = (self.opened.clone(), self.pool.clone());
            tokio::spawn(async move {
                let result = connect(&target.host_port, target.tls, connect_timeout).await;
                if result.is_ok() {
                    opened.fetch_add(1, Ordering::Relaxed);
                }
                // Nobody asked for it (the call ended first): keep it for the next call.
                if let Err(Ok(sender)) = done.send(result) {
                    pool.give_back(target.origin(), sender);
                }
            });
        }
    }

    /// The connection being opened in the background to `origin`, once it is up
    /// or has failed (its error is this request's: trying again at once would
    /// only double the wait on a host that does not answer).
    async fn await_connecting(&self, origin: &str) -> Option<Result<Sender, HttpError>> {
        let connecting = self.connecting.lock().ok()?.remove(origin)?;
        connecting.await.ok()
    }

    /// Hands connections opened in the background but never asked for (the call
    /// failed before it needed them) to the pool, for the next call.
    pub fn release_pending(&self) {
        let pending: Vec<(String, Connecting)> = self.connecting.lock().map(|mut m| m.drain().collect()).unwrap_or_default();
        for (origin, mut connecting) in pending {
            if let Ok(Ok(sender)) = connecting.try_recv() {
                self.pool.give_back(origin, sender);
            }
        }
    }

    /// How many connections this call opened.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// Sends `request` (absolute URI) over an idle or a new connection; the
    /// response body streams with the between-bytes timeout applied.
    pub async fn send(
        &self,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT);
        let (connect_timeout, first_byte, between_bytes) =
            (timeout(|o| o.connect_timeout), timeout(|o| o.first_byte_timeout), timeout(|o| o.between_bytes_timeout));
        let target = Target::from_uri(request.uri()).ok_or(HttpError::HttpRequestUriInvalid)?;
        let origin = target.origin();
        self.start_preconnects(&target, connect_timeout);
        let mut sender = match self.pool.take_idle(&origin) {
            Some(sender) => sender,
            None => match self.await_connecting(&origin).await {
                Some(connected) => connected?,
                None => {
                    let sender = connect(&target.host_port, target.tls, connect_timeout).await?;
                    self.opened.fetch_add(1, Ordering::Relaxed);
                    sender
                }
            },
        };
        // On the wire the request line carries only the path (no proxy).
        let path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        *request.uri_mut() = http::Uri::builder().path_and_query(path).build().map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let response = tokio::time::timeout(first_byte, sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::from)?;
        self.pool.give_back(origin, sender);
        Ok(response.map(|incoming| TimedBody::new(incoming, between_bytes).boxed_unsync()))
    }
}

/// Opens a connection (TCP, then TLS for https) and starts driving it.
async fn connect(host_port: &str, tls: bool, timeout: Duration) -> Result<Sender, HttpError> {
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(host_port)).await {
        Ok(stream) => stream.map_err(HttpError::Connect)?,
        Err(_) => return Err(HttpError::ConnectionTimeout),
    };
    let _ = tcp.set_nodelay(true);
    let handshake = async {
        if tls {
            let name = server_name(host_port).map_err(|_| HttpError::HttpRequestUriInvalid)?;
            let stream = tls_connector().connect(name, tcp).await.map_err(HttpError::Tls)?;
            handshake(stream).await
        } else {
            handshake(tcp).await
        }
    };
    tokio::time::timeout(timeout, handshake).await.map_err(|_| HttpError::ConnectionTimeout)?
}

async fn handshake<S>(stream: S) -> Result<Sender, HttpError>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    // The connection runs until its last sender is dropped (the pool's, with the store).
    tokio::spawn(connection);
    Ok(sender)
}

fn tls_connector() -> tokio_rustls::TlsConnector {
    static CONFIG: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| {
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.into() };
        Arc::new(rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth())
    });
    tokio_rustls::TlsConnector::from(config.clone())
}

/// The TLS server name of `host:port` (an IP literal, bracketed for IPv6, or a DNS name).
fn server_name(host_port: &str) -> Result<rustls::pki_types::ServerName<'static>, rustls::pki_types::InvalidDnsNameError> {
    use rustls::pki_types::ServerName;
    if let Ok(addr) = host_port.parse::<std::net::SocketAddr>() {
        return Ok(ServerName::from(addr.ip()));
    }
    let host = host_port.rsplit_once(':').map(|(host, _)| host).unwrap_or(host_port);
    Ok(ServerName::try_from(host)?.to_owned())
}

/// A response body that fails when no byte arrived for `between_bytes`.
struct TimedBody {
    incoming: hyper::body::Incoming,
    timer: Pin<Box<tokio::time::Sleep>>,
    between_bytes: Duration,
}

impl TimedBody {
    fn new(incoming: hyper::body::Incoming, between_bytes: Duration) -> Self {
        TimedBody { incoming, timer: Box::pin(tokio::time::sleep(between_bytes)), between_bytes }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + self.between_bytes;
                self.timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(if err.is_timeout() { HttpError::HttpResponseTimeout } else { err.into() }))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => match self.timer.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout))),
                Poll::Pending => Poll::Pending,
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        self.incoming.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.incoming.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::server_name;

    #[test]
    fn server_names_of_hosts_and_ip_literals() {
        use rustls::pki_types::ServerName;
        assert_eq!(server_name("api.github.com:443").unwrap(), ServerName::try_from("api.github.com").unwrap());
        assert_eq!(server_name("127.0.0.1:8443").unwrap(), ServerName::from(std::net::Ipv4Addr::LOCALHOST));
        assert_eq!(server_name("[::1]:443").unwrap(), ServerName::from(std::net::Ipv6Addr::LOCALHOST));
        assert!(server_name("bad host:443").is_err());
    }

    #[test]
    fn targets_normalise_to_one_origin_key() {
        use super::Target;
        let uri = |u: &str| Target::from_uri(&u.parse().unwrap()).unwrap();
        assert_eq!(uri("https://API.GitHub.com/app").origin(), "https://api.github.com:443");
        assert_eq!(uri("http://127.0.0.1:8080/x").origin(), "http://127.0.0.1:8080");
        assert_eq!(uri("http://[::1]:9/x").host_port, "[::1]:9");
        assert_eq!(Target::new("::1", 9, false), uri("http://[::1]:9/y"));
    }
}
