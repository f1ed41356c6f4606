//! Outbound HTTP/1.1 for the component, with keep-alive: one mint logs in to
//! Infisical and lists the bot's folder over the same connection (and TLS
//! session), then opens one connection to GitHub.
//!
//! `wasmtime-wasi-http`'s default sender opens a connection per request. This
//! one keeps each connection after its response and hands it to the next
//! request for the same origin, if it is idle by then; a busy or closed one is
//! never waited for (a new connection is opened instead). The pool belongs to
//! an I/O lane (`lanes.rs`) and serves the calls that run on it; an idle
//! connection is dropped after 30 s. TLS is as in `wasmtime-wasi-http`: rustls
//! with the webpki roots.
//!
//! A lane drives its connections only while a call runs on it, so between
//! calls nobody reads what a server sends to an idle connection. Before one is
//! handed out, a non-blocking peek at its socket checks that the server has
//! neither closed it nor written to it (an HTTP/1.1 server only writes to an
//! idle connection to say it is closing it); one that fails the check is
//! dropped, and the request does not find out by failing.
//!
//! A mint always talks to Infisical first and GitHub last, so a call can ask
//! to *pre-connect*: when its first request starts, the other allowed origins
//! without an idle connection are connected to in the background, and the TCP
//! and TLS handshakes with GitHub overlap Infisical's round trips instead of
//! following them. A request that finds its origin still connecting waits for
//! that connection rather than opening a second one; a call that ends first
//! leaves it in the pool.

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::client::conn::http1::SendRequest;
use std::collections::HashMap;
use std::future::Future as _;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use crate::egress::Origin;
use tokio::net::TcpStream;
use wasmtime_wasi_http::io::TokioIo;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions, WasiBody};

/// Without an explicit option, as `wasmtime-wasi-http` does.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);

type Sender = SendRequest<WasiBody>;
type Connecting = tokio::sync::oneshot::Receiver<Result<Conn, HttpError>>;

/// An idle connection older than this is closed rather than reused: servers and
/// middleboxes drop quiet connections, sometimes without telling.
const MAX_IDLE: Duration = Duration::from_secs(30);
/// Idle connections kept per origin.
const MAX_IDLE_PER_ORIGIN: usize = 4;

/// The idle keep-alive connections of one `Runtime`, by origin, shared by its calls: an embedding that mints
/// repeatedly pays the TCP and TLS handshakes once, not per mint. Only the
/// egress hooks use it, after the allowlist has judged the request.
#[derive(Clone, Default)]
pub struct Pool {
    idle: Arc<Mutex<HashMap<Origin, Vec<Idle>>>>,
}

/// A connection: its request side, and its socket for the liveness check.
struct Conn {
    sender: Sender,
    socket: Socket,
}

/// A kept connection and since when it has been idle.
struct Idle {
    conn: Conn,
    since: Instant,
}

/// What a kept connection is good for now.
#[derive(PartialEq)]
enum Kept {
    /// Closed, stale, or its server closed it or wrote to it while it was idle.
    Gone,
    /// Still reading its last response.
    Busy,
    Ready,
}

impl Idle {
    /// Still worth keeping: open, and not idle for too long.
    fn live(&self) -> bool {
        !self.conn.sender.is_closed() && self.since.elapsed() < MAX_IDLE
    }

    /// `live` is checked before the peek: while `is_closed` is false the
    /// connection's task, which owns the socket, has not dropped it, so the
    /// peek is at our socket.
    fn state(&self) -> Kept {
        if !self.live() {
            Kept::Gone
        } else if !self.conn.sender.is_ready() {
            Kept::Busy
        } else if self.conn.socket.quiet() {
            Kept::Ready
        } else {
            Kept::Gone
        }
    }
}

/// The raw socket under a connection, kept to look at, never to read or close.
#[cfg(unix)]
struct Socket(std::os::fd::RawFd);

#[cfg(unix)]
impl Socket {
    fn of(tcp: &TcpStream) -> Socket {
        use std::os::fd::AsRawFd;
        Socket(tcp.as_raw_fd())
    }

    /// Nothing to read and not closed: a non-blocking peek would block.
    fn quiet(&self) -> bool {
        let mut byte = 0u8;
        // SAFETY: a one-byte buffer we own; MSG_PEEK leaves the byte for its reader.
        let read = unsafe { libc::recv(self.0, (&raw mut byte).cast(), 1, libc::MSG_PEEK | libc::MSG_DONTWAIT) };
        read < 0 && matches!(std::io::Error::last_os_error().kind(), std::io::ErrorKind::WouldBlock)
    }
}

/// Elsewhere, only the connection task's own view (`is_closed`) is checked.
#[cfg(not(unix))]
struct Socket;

#[cfg(not(unix))]
impl Socket {
    fn of(_: &TcpStream) -> Socket {
        Socket
    }

    fn quiet(&self) -> bool {
        true
    }
}

impl Pool {
    /// An idle connection to `origin`, if there is one; `Kept::Gone` ones are dropped.
    fn take_idle(&self, origin: &Origin) -> Option<Conn> {
        let mut idle = self.idle.lock().ok()?;
        let kept = idle.get_mut(origin)?;
        kept.retain(|k| k.state() != Kept::Gone);
        let ready = kept.iter().position(|k| k.conn.sender.is_ready())?;
        Some(kept.swap_remove(ready).conn)
    }

    fn has_idle(&self, origin: &Origin) -> bool {
        self.idle.lock().is_ok_and(|idle| idle.get(origin).is_some_and(|kept| kept.iter().any(|k| k.state() == Kept::Ready)))
    }

    fn give_back(&self, origin: Origin, conn: Conn) {
        if let Ok(mut idle) = self.idle.lock() {
            let kept = idle.entry(origin).or_default();
            kept.retain(Idle::live);
            if kept.len() < MAX_IDLE_PER_ORIGIN {
                kept.push(Idle { conn, since: Instant::now() });
            }
        }
    }
}

/// One call's use of the pool: what it pre-connects, what is still connecting,
/// and how many connections it opened.
#[derive(Clone, Default)]
pub struct Connections {
    pool: Pool,
    connecting: Arc<Mutex<HashMap<Origin, Connecting>>>,
    preconnect: Arc<Mutex<Vec<Origin>>>,
    opened: Arc<AtomicUsize>,
}

impl Connections {
    pub fn new(pool: Pool) -> Connections {
        Connections { pool, ..Connections::default() }
    }

    /// Connects to `targets` in the background when the first request starts
    /// (skipping that request's own origin and origins with an idle connection).
    pub fn preconnect(&self, targets: Vec<Origin>) {
        if let Ok(mut pending) = self.preconnect.lock() {
            *pending = targets;
        }
    }

    fn start_preconnects(&self, first: &Origin, connect_timeout: Duration) {
        let targets = self.preconnect.lock().map(|mut t| std::mem::take(&mut *t)).unwrap_or_default();
        for target in targets.into_iter().filter(|t| t != first && !self.pool.has_idle(t)) {
            let (done, connecting) = tokio::sync::oneshot::channel();
            if let Ok(mut map) = self.connecting.lock() {
                map.insert(target.clone(), connecting);
            }
            let (opened, pool) = (self.opened.clone(), self.pool.clone());
            tokio::spawn(async move {
                let result = connect(&target, connect_timeout).await;
                if result.is_ok() {
                    opened.fetch_add(1, Ordering::Relaxed);
                }
                // Nobody asked for it (the call ended first): keep it for the next call.
                if let Err(Ok(conn)) = done.send(result) {
                    pool.give_back(target, conn);
                }
            });
        }
    }

    /// The connection being opened in the background to `origin`, once it is up
    /// or has failed (its error is this request's: trying again at once would
    /// only double the wait on a host that does not answer).
    async fn await_connecting(&self, origin: &Origin) -> Option<Result<Conn, HttpError>> {
        let connecting = self.connecting.lock().ok()?.remove(origin)?;
        connecting.await.ok()
    }

    /// Hands connections opened in the background but never asked for (the call
    /// failed before it needed them) to the pool, for the next call.
    pub fn release_pending(&self) {
        let pending: Vec<(Origin, Connecting)> = self.connecting.lock().map(|mut m| m.drain().collect()).unwrap_or_default();
        for (origin, mut connecting) in pending {
            if let Ok(Ok(conn)) = connecting.try_recv() {
                self.pool.give_back(origin, conn);
            }
        }
    }

    /// How many connections this call opened.
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::Relaxed)
    }

    /// Sends `request` to `origin` (what the allowlist matched its URI to) over an
    /// idle or a new connection; the response body streams with the
    /// between-bytes timeout applied.
    pub async fn send(
        &self,
        origin: &Origin,
        mut request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
    ) -> Result<http::Response<WasiBody>, HttpError> {
        let timeout = |pick: fn(&RequestOptions) -> Option<Duration>| options.as_ref().and_then(pick).unwrap_or(DEFAULT_TIMEOUT);
        let (connect_timeout, first_byte, between_bytes) =
            (timeout(|o| o.connect_timeout), timeout(|o| o.first_byte_timeout), timeout(|o| o.between_bytes_timeout));
        self.start_preconnects(origin, connect_timeout);
        let mut conn = match self.pool.take_idle(origin) {
            Some(conn) => conn,
            None => match self.await_connecting(origin).await {
                Some(connected) => connected?,
                None => {
                    let conn = connect(origin, connect_timeout).await?;
                    self.opened.fetch_add(1, Ordering::Relaxed);
                    conn
                }
            },
        };
        // On the wire the request line carries only the path (no proxy).
        let path = request.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
        *request.uri_mut() = http::Uri::builder().path_and_query(path).build().map_err(|_| HttpError::HttpRequestUriInvalid)?;
        let response = tokio::time::timeout(first_byte, conn.sender.send_request(request))
            .await
            .map_err(|_| HttpError::ConnectionReadTimeout)?
            .map_err(HttpError::from)?;
        self.pool.give_back(origin.clone(), conn);
        Ok(response.map(|incoming| TimedBody::new(incoming, between_bytes).boxed_unsync()))
    }
}

/// Opens a connection (TCP, then TLS for https) and starts driving it.
async fn connect(origin: &Origin, timeout: Duration) -> Result<Conn, HttpError> {
    let authority = origin.authority();
    let tcp = match tokio::time::timeout(timeout, TcpStream::connect(&authority)).await {
        Ok(stream) => stream.map_err(HttpError::Connect)?,
        Err(_) => return Err(HttpError::ConnectionTimeout),
    };
    let _ = tcp.set_nodelay(true);
    let socket = Socket::of(&tcp);
    let handshake = async {
        if origin.https {
            let name = server_name(&origin.host).map_err(|_| HttpError::HttpRequestUriInvalid)?;
            let stream = tls_connector().connect(name, tcp).await.map_err(HttpError::Tls)?;
            handshake(stream).await
        } else {
            handshake(tcp).await
        }
    };
    let sender = tokio::time::timeout(timeout, handshake).await.map_err(|_| HttpError::ConnectionTimeout)??;
    Ok(Conn { sender, socket })
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

/// The TLS server name of an origin's host (an IP literal, IPv6 without brackets, or a DNS name).
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, rustls::pki_types::InvalidDnsNameError> {
    use rustls::pki_types::ServerName;
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) => Ok(ServerName::from(ip)),
        Err(_) => Ok(ServerName::try_from(host)?.to_owned()),
    }
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
        assert_eq!(server_name("api.github.com").unwrap(), ServerName::try_from("api.github.com").unwrap());
        assert_eq!(server_name("127.0.0.1").unwrap(), ServerName::from(std::net::Ipv4Addr::LOCALHOST));
        assert_eq!(server_name("::1").unwrap(), ServerName::from(std::net::Ipv6Addr::LOCALHOST));
        assert!(server_name("bad host").is_err());
    }
}
