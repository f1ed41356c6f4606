//! How one call's client opens a connection to an origin the allowlist
//! passed: TCP (hyper-util's `HttpConnector`), through a CONNECT tunnel when a
//! proxy applies (hyper-util's `Tunnel`), then TLS for https (rustls); all of
//! it within the host's connect cap. It also holds what a pooled client
//! cannot: connections opened ahead of their first request (GitHub's, while
//! Infisical answers), a count of connections opened, and the causes of
//! failures (`cause.rs`).

use super::cause::Cause;
use super::{tls, Network};
use hyper_util::client::legacy::connect::proxy::Tunnel;
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use hyper_util::rt::TokioIo;
use raxx_url::Origin;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tower_service::Service;
use wasmtime_wasi_http::p2::bindings::http::types::{DnsErrorPayload, ErrorCode};

/// A connection's byte stream: plain TCP (loopback http) or TLS, either one
/// possibly tunnelled through a proxy.
pub enum Stream {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

/// Why a connection could not be opened, as the guest will see it.
#[derive(Debug)]
pub struct ConnectFailed(pub ErrorCode);

impl std::fmt::Display for ConnectFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "connect: {:?}", self.0)
    }
}

impl std::error::Error for ConnectFailed {}

type Opened = Result<Stream, ConnectFailed>;

/// One call's connector (cloned into its client's pool; the clones share this state).
#[derive(Clone)]
pub struct Connector {
    shared: Arc<Shared>,
}

struct Shared {
    network: Network,
    tcp: HttpConnector,
    /// Connections being opened ahead of their first request.
    early: Mutex<HashMap<Origin, oneshot::Receiver<Opened>>>,
    opened: AtomicUsize,
    causes: Mutex<Vec<Cause>>,
}

impl Connector {
    pub fn new(network: &Network) -> Connector {
        let mut tcp = HttpConnector::new();
        tcp.enforce_http(false);
        tcp.set_nodelay(true);
        tcp.set_connect_timeout(Some(network.limits.connect));
        Connector {
            shared: Arc::new(Shared {
                network: network.clone(),
                tcp,
                early: Mutex::default(),
                opened: AtomicUsize::new(0),
                causes: Mutex::default(),
            }),
        }
    }

    /// Starts opening a connection to each of `origins` in the background; the
    /// first request to one takes its connection (or its error) instead of
    /// opening another.
    pub fn open_early(&self, origins: impl IntoIterator<Item = Origin>) {
        for origin in origins {
            let (done, opening) = oneshot::channel();
            if let Ok(mut early) = self.shared.early.lock() {
                early.insert(origin.clone(), opening);
            }
            let this = self.clone();
            tokio::spawn(async move {
                let _ = done.send(this.open(&origin).await);
            });
        }
    }

    pub fn opened(&self) -> usize {
        self.shared.opened.load(Ordering::Relaxed)
    }

    pub fn causes(&self) -> Vec<Cause> {
        self.shared
            .causes
            .lock()
            .map(|c| c.clone())
            .unwrap_or_default()
    }

    async fn connect(self, dst: http::Uri) -> Opened {
        let origin =
            Origin::from_uri(&dst).map_err(|_| ConnectFailed(ErrorCode::HttpRequestUriInvalid))?;
        let early = self
            .shared
            .early
            .lock()
            .ok()
            .and_then(|mut e| e.remove(&origin));
        if let Some(Ok(opened)) = match early {
            Some(opening) => Some(opening.await),
            None => None,
        } {
            return opened;
        }
        self.open(&origin).await
    }

    /// Opens a connection to `origin` within the connect cap; a failure the
    /// guest's error code cannot tell is recorded as a cause.
    async fn open(&self, origin: &Origin) -> Opened {
        let cap = self.shared.network.limits.connect;
        let opened = match tokio::time::timeout(cap, self.open_uncapped(origin)).await {
            Ok(opened) => opened,
            Err(_) => {
                let through = self
                    .shared
                    .network
                    .proxy
                    .route(origin)
                    .map(|_| format!(" through {}", self.shared.network.proxy.describe()));
                Err((
                    ErrorCode::ConnectionTimeout,
                    through.map(|via| {
                        format!(
                            "no connection to {} within {} ms{via} (RAXX_CONNECT_TIMEOUT_MS)",
                            origin.authority(),
                            cap.as_millis()
                        )
                    }),
                ))
            }
        };
        match opened {
            Ok(stream) => {
                self.shared.opened.fetch_add(1, Ordering::Relaxed);
                Ok(stream)
            }
            Err((code, cause)) => {
                if let (Some(text), Ok(mut causes)) = (cause, self.shared.causes.lock()) {
                    causes.push(Cause {
                        origin: origin.clone(),
                        text,
                    });
                }
                Err(ConnectFailed(code))
            }
        }
    }

    async fn open_uncapped(&self, origin: &Origin) -> Result<Stream, (ErrorCode, Option<String>)> {
        let network = &self.shared.network;
        let dst: http::Uri = format!(
            "{}://{}",
            if origin.https { "https" } else { "http" },
            origin.authority()
        )
        .parse()
        .map_err(|_| (ErrorCode::HttpRequestUriInvalid, None))?;
        let tcp = match network.proxy.route(origin) {
            Some(route) => {
                let mut tunnel = Tunnel::new(route.proxy, self.shared.tcp.clone());
                if let Some(authorization) = route.authorization {
                    tunnel = tunnel.with_auth(authorization);
                }
                tunnel
                    .call(dst)
                    .await
                    .map_err(|e| self.tunnel_failed(origin, &e))?
            }
            None => self
                .shared
                .tcp
                .clone()
                .call(dst)
                .await
                .map_err(|e| (tcp_failed(&e), None))?,
        }
        .into_inner();
        if !origin.https {
            return Ok(Stream::Plain(tcp));
        }
        let tls = network
            .trust
            .connector()
            .map_err(|why| (ErrorCode::TlsCertificateError, Some(why)))?;
        let name =
            tls::server_name(&origin.host).ok_or((ErrorCode::HttpRequestUriInvalid, None))?;
        match tls.connect(name, tcp).await {
            Ok(stream) => Ok(Stream::Tls(Box::new(stream))),
            Err(err) => {
                let (code, cause) =
                    tls::explain_handshake(&err, &origin.authority(), &network.trust);
                Err((code, Some(cause)))
            }
        }
    }

    /// hyper-util does not export its `TunnelError`, so its kind is read from its message.
    fn tunnel_failed(
        &self,
        origin: &Origin,
        err: &(dyn std::error::Error + Send + Sync),
    ) -> (ErrorCode, Option<String>) {
        let proxy = self.shared.network.proxy.describe();
        let to = origin.authority();
        let what = err.to_string();
        let cause = if what.ends_with("proxy authorization required") {
            if self.shared.network.proxy.has_credentials() {
                format!("{proxy} refused its credentials (407): check the user and password in the proxy URL")
            } else {
                format!("{proxy} asks for credentials (407): give them in the proxy URL, http://USER:PASSWORD@HOST:PORT")
            }
        } else if what.ends_with("unsuccessful") {
            format!("{proxy} refused a tunnel to {to}")
        } else if what.ends_with("failed to create underlying connection") {
            let io = err
                .source()
                .and_then(|s| s.source())
                .map_or_else(|| "no answer".to_string(), ToString::to_string);
            format!("{proxy} could not be reached ({io})")
        } else {
            format!("{proxy} failed to open a tunnel to {to}")
        };
        (ErrorCode::ConnectionRefused, Some(cause))
    }
}

/// The guest's error code for a TCP connection that failed.
fn tcp_failed(err: &(dyn std::error::Error + Send + Sync)) -> ErrorCode {
    let io = err
        .source()
        .and_then(|s| s.downcast_ref::<std::io::Error>());
    if err.to_string().starts_with("dns error") {
        ErrorCode::DnsError(DnsErrorPayload {
            rcode: Some("address not available".into()),
            info_code: None,
        })
    } else if io.is_some_and(|e| e.kind() == std::io::ErrorKind::TimedOut) {
        ErrorCode::ConnectionTimeout
    } else {
        ErrorCode::ConnectionRefused
    }
}

impl Service<http::Uri> for Connector {
    type Response = TokioIo<Stream>;
    type Error = ConnectFailed;
    type Future = Pin<Box<dyn Future<Output = Result<TokioIo<Stream>, ConnectFailed>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ConnectFailed>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, dst: http::Uri) -> Self::Future {
        let this = self.clone();
        Box::pin(async move { this.connect(dst).await.map(TokioIo::new) })
    }
}

impl Connection for Stream {
    /// A tunnel through a proxy is still a direct connection to the origin (origin-form requests).
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Stream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_flush(cx),
            Stream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Stream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
