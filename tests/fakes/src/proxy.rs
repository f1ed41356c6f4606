//! A loopback HTTP proxy for the proxy tests: CONNECT tunnels only (what a
//! client opens for https through a proxy), each one recorded with its
//! target and whether it carried the proxy's credentials. It can require
//! credentials (`Proxy-Authorization: Basic`), answering 407 without them.

use base64::Engine as _;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// The user name of a proxy that requires credentials.
pub const USER: &str = "raxx-proxy-user";

/// The proxy's password: a canary, one per process, that must appear in no
/// output, error or audit record (the integration harness checks).
pub fn password() -> String {
    static PASSWORD: OnceLock<String> = OnceLock::new();
    PASSWORD
        .get_or_init(|| format!("CANARY-proxy-password-{:032x}", rand::random::<u128>()))
        .clone()
}

/// One CONNECT the proxy received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tunnel {
    /// `host:port` as asked.
    pub target: String,
    /// It carried the required credentials (always true when none are required).
    pub authorized: bool,
    /// The proxy connected it to the target.
    pub opened: bool,
}

/// A running proxy; stops accepting when dropped.
pub struct Proxy {
    addr: SocketAddr,
    tunnels: Arc<Mutex<Vec<Tunnel>>>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// A proxy that asks for no credentials.
    pub fn start() -> Proxy {
        Proxy::serve(None)
    }

    /// A proxy that tunnels only for `USER` and `password()`.
    pub fn with_credentials() -> Proxy {
        let expected =
            base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{}", password()));
        Proxy::serve(Some(format!("Basic {expected}")))
    }

    fn serve(authorization: Option<String>) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the fake proxy");
        let addr = listener.local_addr().expect("the fake proxy's address");
        let (tunnels, stop) = (
            Arc::new(Mutex::new(Vec::new())),
            Arc::new(AtomicBool::new(false)),
        );
        let (recorded, stopped) = (tunnels.clone(), stop.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (recorded, authorization) = (recorded.clone(), authorization.clone());
                std::thread::spawn(move || connect(conn, authorization.as_deref(), &recorded));
            }
        });
        Proxy {
            addr,
            tunnels,
            stop,
        }
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `http://USER:PASSWORD@127.0.0.1:PORT`, with the given password.
    pub fn url_with_password(&self, password: &str) -> String {
        format!("http://{USER}:{password}@{}", self.addr)
    }

    /// The tunnels asked for so far.
    pub fn tunnels(&self) -> Vec<Tunnel> {
        self.tunnels.lock().map(|t| t.clone()).unwrap_or_default()
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

/// Serves one client connection: a CONNECT, then the bytes both ways.
fn connect(mut client: TcpStream, authorization: Option<&str>, tunnels: &Mutex<Vec<Tunnel>>) {
    let Some(head) = read_head(&mut client) else {
        return;
    };
    let mut lines = head.split("\r\n");
    let request_line: Vec<&str> = lines.next().unwrap_or_default().split(' ').collect();
    let [method, target, _version] = request_line[..] else {
        return;
    };
    if method != "CONNECT" {
        let _ = client.write_all(
            b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        return;
    }
    let given = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("proxy-authorization"))
        .map(|(_, v)| v.trim());
    let authorized = authorization.is_none_or(|expected| given == Some(expected));
    let record = |opened| {
        if let Ok(mut t) = tunnels.lock() {
            t.push(Tunnel {
                target: target.to_string(),
                authorized,
                opened,
            });
        }
    };
    if !authorized {
        record(false);
        let _ = client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nproxy-authenticate: Basic realm=\"raxx fakes\"\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
        return;
    }
    let Ok(upstream) = TcpStream::connect(target) else {
        record(false);
        let _ = client.write_all(
            b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
        );
        return;
    };
    record(true);
    if client
        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
        .is_err()
    {
        return;
    }
    let (Ok(mut client_in), Ok(mut upstream_out)) = (client.try_clone(), upstream.try_clone())
    else {
        return;
    };
    let upload = std::thread::spawn(move || {
        let _ = std::io::copy(&mut client_in, &mut upstream_out);
        let _ = upstream_out.shutdown(Shutdown::Write);
    });
    let (mut upstream_in, mut client_out) = (upstream, client);
    let _ = std::io::copy(&mut upstream_in, &mut client_out);
    let _ = client_out.shutdown(Shutdown::Write);
    let _ = upload.join();
}

/// The request head, up to its blank line (at most 16 KiB), read byte by byte
/// so that nothing after it is taken from the tunnel.
fn read_head(conn: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 << 10 || conn.read(&mut byte).ok()? == 0 {
            return None;
        }
        head.push(byte[0]);
    }
    String::from_utf8(head).ok()
}
