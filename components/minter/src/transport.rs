//! The one seam between the mint logic and the network.
//!
//! In the component, [`Transport`] is implemented over `wasi:http` (see
//! `wasi_transport.rs`); in unit tests, by scripted fakes. Everything above it
//! compiles natively.

/// HTTP methods the minter uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Put,
    Delete,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// An outgoing request. `url` is absolute (`scheme://authority/path?query`).
#[derive(Clone, Debug)]
pub struct Request {
    pub method: Method,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

impl Request {
    pub fn new(method: Method, url: String) -> Self {
        Request {
            method,
            url,
            headers: Vec::new(),
            body: None,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A JSON body, with its `content-type` and `content-length`.
    pub fn json_body(mut self, body: Vec<u8>) -> Self {
        self.headers
            .push(("content-type".into(), "application/json".into()));
        self.headers
            .push(("content-length".into(), body.len().to_string()));
        self.body = Some(body);
        self
    }
}

/// A response with its whole body read.
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Why no response arrived.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TransportErrorKind {
    /// The host refused the request (egress allowlist).
    Denied,
    Timeout,
    Unreachable,
    /// Malformed URL, broken framing, oversized body.
    Protocol,
}

#[derive(Clone, Debug)]
pub struct TransportError {
    pub kind: TransportErrorKind,
    /// What happened, without secrets (URLs carry none).
    pub detail: String,
}

impl TransportError {
    pub fn new(kind: TransportErrorKind, detail: impl Into<String>) -> Self {
        TransportError {
            kind,
            detail: detail.into(),
        }
    }
}

/// Sends one request and reads the whole response.
pub trait Transport {
    fn send(&self, request: &Request) -> Result<Response, TransportError>;
}

/// Largest response body the minter reads; both APIs answer in a few KiB.
pub const MAX_RESPONSE_BYTES: usize = 1 << 20;
