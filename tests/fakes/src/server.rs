//! A small HTTP/1.1 server on 127.0.0.1 for the fakes, over plain TCP or TLS
//! (`tls.rs`): one thread per
//! connection, `Content-Length` or chunked request bodies, and keep-alive as
//! the real services have (a connection serves requests until the client
//! closes it, asks `Connection: close`, or stays idle for 5 s or as set). It
//! counts the connections it accepted and the time it spent on its own side of
//! requests. Small enough to also misbehave on purpose (delay, reset, hang)
//! for fault tests.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// A request as the fake saw it. Header names are lower-case.
#[derive(Clone, Debug)]
pub struct HttpRequest {
    pub method: String,
    /// Path without the query.
    pub path: String,
    /// Decoded query parameters.
    pub query: BTreeMap<String, String>,
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
}

impl HttpRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.body).ok()
    }
}

/// A response to send.
#[derive(Clone, Debug)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn json(status: u16, body: serde_json::Value) -> Self {
        HttpResponse {
            status,
            headers: vec![(
                "content-type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string().into_bytes(),
        }
    }

    pub fn text(status: u16, body: &str) -> Self {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Says `connection: close`: the server closes the connection after it.
    fn closes(&self) -> bool {
        self.headers
            .iter()
            .any(|(n, v)| n.eq_ignore_ascii_case("connection") && v.eq_ignore_ascii_case("close"))
    }
}

/// What the fake does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    Respond(HttpResponse),
    /// Wait, then reply.
    Delay(Duration, Box<Reply>),
    /// Close the connection with a TCP reset, no answer.
    Reset,
}

pub type Handler = Arc<dyn Fn(&HttpRequest) -> Reply + Send + Sync>;

/// A running server; stops when dropped.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    latency_ms: Arc<AtomicU64>,
    connect_latency_ms: Arc<AtomicU64>,
    keep_alive_ms: Arc<AtomicU64>,
    connections: Arc<AtomicUsize>,
    own_time: Arc<OwnTime>,
    https: bool,
}

/// Time a server spent on its own side of requests, in nanoseconds: the part
/// of a client's wall time that is neither the injected latency nor the client.
#[derive(Default)]
struct OwnTime {
    /// Answering: the handler, then writing the response.
    answering: AtomicU64,
    /// Sleeping past the injected latency (waking up).
    oversleeping: AtomicU64,
}

/// What `Server::own_time` reports.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ServerTime {
    pub answering: Duration,
    pub oversleeping: Duration,
}

impl std::ops::Add for ServerTime {
    type Output = ServerTime;
    fn add(self, other: ServerTime) -> ServerTime {
        ServerTime {
            answering: self.answering + other.answering,
            oversleeping: self.oversleeping + other.oversleeping,
        }
    }
}

/// A loopback port where nothing listens, held for as long as this lives: a
/// socket bound to it but not listening, so connections are refused and no
/// other server of the test run can take the port meanwhile.
pub struct ClosedPort(socket2::Socket);

impl ClosedPort {
    pub fn new() -> std::io::Result<ClosedPort> {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)?;
        socket.bind(&SocketAddr::from(([127, 0, 0, 1], 0)).into())?;
        Ok(ClosedPort(socket))
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        let addr = self
            .0
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.to_string())
            .unwrap_or_default();
        format!("http://{addr}")
    }
}

/// How long a kept-alive connection may stay idle, unless set otherwise.
const KEEP_ALIVE: Duration = Duration::from_secs(5);

/// A loopback port that accepts connections and never answers: a service
/// that hangs. Nobody calls `accept`; the kernel completes the handshakes.
pub struct Silent(TcpListener);

impl Silent {
    pub fn start() -> std::io::Result<Silent> {
        TcpListener::bind("127.0.0.1:0").map(Silent)
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!(
            "http://{}",
            self.0
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        )
    }
}

/// What a connection is read from and written to: TCP, or TLS over it.
trait Stream: Read + Write + Send {}
impl<S: Read + Write + Send> Stream for S {}

impl Server {
    pub fn start(handler: Handler) -> std::io::Result<Server> {
        Server::start_with(handler, None)
    }

    /// A server speaking HTTPS with `tls` (a certificate from `tls::Ca`).
    pub fn start_tls(handler: Handler, tls: Arc<rustls::ServerConfig>) -> std::io::Result<Server> {
        Server::start_with(handler, Some(tls))
    }

    fn start_with(
        handler: Handler,
        tls: Option<Arc<rustls::ServerConfig>>,
    ) -> std::io::Result<Server> {
        let https = tls.is_some();
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stop_flag = stop.clone();
        let latency_ms = Arc::new(AtomicU64::new(0));
        let connect_latency_ms = Arc::new(AtomicU64::new(0));
        let keep_alive_ms = Arc::new(AtomicU64::new(KEEP_ALIVE.as_millis() as u64));
        let connections = Arc::new(AtomicUsize::new(0));
        let own_time = Arc::new(OwnTime::default());
        let (latency, setup, idle, accepted, own) = (
            latency_ms.clone(),
            connect_latency_ms.clone(),
            keep_alive_ms.clone(),
            connections.clone(),
            own_time.clone(),
        );
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop_flag.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let accepted_at = std::time::Instant::now();
                accepted.fetch_add(1, Ordering::SeqCst);
                let (handler, latency, own, tls) =
                    (handler.clone(), latency.clone(), own.clone(), tls.clone());
                let usable_at = accepted_at + Duration::from_millis(setup.load(Ordering::SeqCst));
                let keep_alive = Duration::from_millis(idle.load(Ordering::SeqCst));
                std::thread::spawn(move || {
                    serve(conn, tls, &handler, &latency, usable_at, keep_alive, &own)
                });
            }
        });
        Ok(Server {
            addr,
            stop,
            latency_ms,
            connect_latency_ms,
            keep_alive_ms,
            connections,
            own_time,
            https,
        })
    }

    /// Adds this much delay before every answer (a network round trip, for benchmarks).
    pub fn set_latency(&self, latency: Duration) {
        self.latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Makes a new connection usable only this long after it was accepted, as the
    /// TCP (and TLS) handshakes of a real network would: its first request waits
    /// out what is left. A connection opened early has nothing left to wait.
    pub fn set_connect_latency(&self, latency: Duration) {
        self.connect_latency_ms
            .store(latency.as_millis() as u64, Ordering::SeqCst);
    }

    /// Closes a connection that has been idle this long (for connections
    /// accepted from now on), as real servers do with their keep-alive timeout.
    pub fn set_keep_alive(&self, idle: Duration) {
        self.keep_alive_ms
            .store(idle.as_millis() as u64, Ordering::SeqCst);
    }

    /// Time spent on the server's side of all requests so far.
    pub fn own_time(&self) -> ServerTime {
        let ns = |a: &AtomicU64| Duration::from_nanos(a.load(Ordering::SeqCst));
        ServerTime {
            answering: ns(&self.own_time.answering),
            oversleeping: ns(&self.own_time.oversleeping),
        }
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// `http://127.0.0.1:PORT`, or `https://` for a TLS server.
    pub fn url(&self) -> String {
        format!(
            "{}://{}",
            if self.https { "https" } else { "http" },
            self.addr
        )
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
    }
}

fn serve(
    conn: TcpStream,
    tls: Option<Arc<rustls::ServerConfig>>,
    handler: &Handler,
    latency_ms: &AtomicU64,
    usable_at: std::time::Instant,
    keep_alive: Duration,
    own: &OwnTime,
) {
    exact_timers();
    let _ = conn.set_read_timeout(Some(keep_alive));
    let _ = conn.set_nodelay(true);
    // The socket itself, to reset it under TLS too.
    let Ok(socket) = conn.try_clone() else { return };
    let stream: Box<dyn Stream> = match tls.map(rustls::ServerConnection::new) {
        None => Box::new(conn),
        Some(Ok(tls)) => Box::new(rustls::StreamOwned::new(tls, conn)),
        Some(Err(_)) => return,
    };
    let mut reader = BufReader::new(stream);
    while let Some(request) = read_request(&mut reader) {
        std::thread::sleep(usable_at.saturating_duration_since(std::time::Instant::now()));
        let latency = Duration::from_millis(latency_ms.load(Ordering::SeqCst));
        if !latency.is_zero() {
            own.oversleeping.fetch_add(
                sleep(latency).saturating_sub(latency).as_nanos() as u64,
                Ordering::SeqCst,
            );
        }
        let answering = std::time::Instant::now();
        let close = request
            .header("connection")
            .is_some_and(|c| c.eq_ignore_ascii_case("close"));
        let mut reply = handler(&request);
        let mut delayed = Duration::ZERO;
        loop {
            match reply {
                Reply::Delay(d, next) => {
                    delayed += sleep(d);
                    reply = *next;
                }
                Reply::Reset => {
                    reset(&socket);
                    return;
                }
                Reply::Respond(response) => {
                    let close = close || response.closes();
                    let written = write_response(reader.get_mut(), &response, close);
                    own.answering.fetch_add(
                        answering.elapsed().saturating_sub(delayed).as_nanos() as u64,
                        Ordering::SeqCst,
                    );
                    if written.is_err() || close {
                        return;
                    }
                    break;
                }
            }
        }
    }
}

/// Asks the kernel to end this thread's sleeps on time. By default Linux may
/// end a sleep up to 50 µs late (timer slack, to batch wake-ups), so every
/// injected latency came out that much longer than asked, and a client's
/// measured overhead with it. Linux only; elsewhere sleeps keep their default.
fn exact_timers() {
    #[cfg(target_os = "linux")]
    let _ = rustix::thread::set_current_timer_slack(std::num::NonZeroU64::new(1));
}

/// Sleeps for `d`; how long it really slept.
fn sleep(d: Duration) -> Duration {
    let asleep = std::time::Instant::now();
    std::thread::sleep(d);
    asleep.elapsed()
}

/// Closes with RST: SO_LINGER 0 then drop.
fn reset(conn: &TcpStream) {
    let _ = socket2::SockRef::from(conn).set_linger(Some(Duration::ZERO));
    let _ = conn.shutdown(std::net::Shutdown::Both);
}

fn read_request(reader: &mut BufReader<impl Read + Write>) -> Option<HttpRequest> {
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (name, value) = h.split_once(':')?;
        headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
    }
    // curl (under git) waits a second for this before sending a large body.
    if headers
        .get("expect")
        .is_some_and(|e| e.eq_ignore_ascii_case("100-continue"))
    {
        let conn = reader.get_mut();
        conn.write_all(b"HTTP/1.1 100 Continue\r\n\r\n").ok()?;
        conn.flush().ok()?;
    }
    let body = if headers
        .get("transfer-encoding")
        .is_some_and(|te| te.eq_ignore_ascii_case("chunked"))
    {
        read_chunked(reader)?
    } else {
        let len: usize = headers
            .get("content-length")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        let mut body = vec![0; len.min(1 << 20)];
        reader.read_exact(&mut body).ok()?;
        body
    };
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), parse_query(q)),
        None => (target, BTreeMap::new()),
    };
    Some(HttpRequest {
        method,
        path,
        query,
        headers,
        body,
    })
}

/// Reads a `transfer-encoding: chunked` body (as hyper sends bodies of unknown length).
fn read_chunked(reader: &mut BufReader<impl Read>) -> Option<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut size_line = String::new();
        reader.read_line(&mut size_line).ok()?;
        let size = usize::from_str_radix(size_line.trim().split(';').next()?, 16).ok()?;
        if size == 0 {
            // Trailers, then the blank line.
            loop {
                let mut t = String::new();
                reader.read_line(&mut t).ok()?;
                if t.trim().is_empty() {
                    return Some(body);
                }
            }
        }
        if body.len() + size > 1 << 20 {
            return None;
        }
        let mut chunk = vec![0; size];
        reader.read_exact(&mut chunk).ok()?;
        body.extend_from_slice(&chunk);
        let mut crlf = [0u8; 2];
        reader.read_exact(&mut crlf).ok()?;
    }
}

fn parse_query(q: &str) -> BTreeMap<String, String> {
    q.split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

/// Decodes `%XX` and `+` in a query component.
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn write_response(conn: &mut impl Write, r: &HttpResponse, close: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason(r.status));
    for (n, v) in &r.headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !r
        .headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("date"))
    {
        head.push_str(&format!(
            "date: {}\r\n",
            crate::time::http_date(crate::time::now())
        ));
    }
    if r.status != 204 && r.status != 304 {
        head.push_str(&format!("content-length: {}\r\n", r.body.len()));
    }
    head.push_str(if close && !r.closes() {
        "connection: close\r\n\r\n"
    } else {
        "\r\n"
    });
    // One write, as servers send a small answer: head and body in one segment.
    let mut answer = head.into_bytes();
    answer.extend_from_slice(&r.body);
    conn.write_all(&answer)?;
    conn.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_time_is_the_answering_not_the_injected_waits() {
        // Waits long against what a loaded machine adds to answering or oversleeping.
        let handler: Handler = Arc::new(|_| {
            Reply::Delay(
                Duration::from_millis(200),
                Box::new(Reply::Respond(HttpResponse::text(200, "ok"))),
            )
        });
        let server = Server::start(handler).unwrap();
        server.set_latency(Duration::from_millis(200));
        let mut conn = TcpStream::connect(server.addr).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(
            answer.starts_with("HTTP/1.1 200") && answer.ends_with("\r\n\r\nok"),
            "{answer:?}"
        );
        let own = server.own_time();
        assert!(
            own.answering > Duration::ZERO && own.answering < Duration::from_millis(200),
            "{own:?}"
        );
        assert!(own.oversleeping < Duration::from_millis(200), "{own:?}");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn requests_are_served_with_exact_timers() {
        let handler: Handler = Arc::new(|_| {
            Reply::Respond(HttpResponse::text(
                200,
                &rustix::thread::current_timer_slack().unwrap().to_string(),
            ))
        });
        let server = Server::start(handler).unwrap();
        let mut conn = TcpStream::connect(server.addr).unwrap();
        conn.write_all(b"GET / HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
            .unwrap();
        let mut answer = String::new();
        conn.read_to_string(&mut answer).unwrap();
        assert!(
            answer.ends_with("\r\n\r\n1"),
            "the serving thread's timer slack, in ns: {answer:?}"
        );
    }

    #[test]
    fn decodes_percent_escapes() {
        assert_eq!(
            percent_decode("%2FMooseQuest%2Fraxx-dev-bot"),
            "/MooseQuest/raxx-dev-bot"
        );
        assert_eq!(percent_decode("a+b%zz%4"), "a b%zz%4");
        assert_eq!(percent_decode("a%2Bb%20c"), "a+b c");
    }
}
