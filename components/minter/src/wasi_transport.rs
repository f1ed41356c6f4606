//! [`Transport`] over `wasi:http/outgoing-handler` — the component's only way out.
//! The host decides which requests leave; a denial arrives as
//! `error-code::http-request-denied`.

use crate::transport::{
    Method, Request, Response, Transport, TransportError, TransportErrorKind, MAX_RESPONSE_BYTES,
};
use wasip2::http::outgoing_handler;
use wasip2::http::types::{
    ErrorCode, Fields, IncomingBody, Method as WasiMethod, OutgoingBody, OutgoingRequest,
    RequestOptions, Scheme,
};
use wasip2::io::streams::StreamError;

/// Per-request limits, passed to the host as `request-options`.
pub struct WasiTransport {
    pub connect_timeout_ns: u64,
    pub first_byte_timeout_ns: u64,
}

fn protocol(detail: impl Into<String>) -> TransportError {
    TransportError::new(TransportErrorKind::Protocol, detail)
}

fn from_error_code(code: &ErrorCode) -> TransportError {
    let kind = match code {
        ErrorCode::HttpRequestDenied | ErrorCode::DestinationIpProhibited => {
            TransportErrorKind::Denied
        }
        ErrorCode::DnsTimeout
        | ErrorCode::ConnectionTimeout
        | ErrorCode::ConnectionReadTimeout
        | ErrorCode::ConnectionWriteTimeout
        | ErrorCode::HttpResponseTimeout => TransportErrorKind::Timeout,
        ErrorCode::DnsError(_)
        | ErrorCode::DestinationNotFound
        | ErrorCode::DestinationUnavailable
        | ErrorCode::DestinationIpUnroutable
        | ErrorCode::ConnectionRefused
        | ErrorCode::ConnectionTerminated
        | ErrorCode::ConnectionLimitReached
        | ErrorCode::TlsProtocolError
        | ErrorCode::TlsCertificateError
        | ErrorCode::TlsAlertReceived(_) => TransportErrorKind::Unreachable,
        _ => TransportErrorKind::Protocol,
    };
    // The Debug form names the wasi:http error code (e.g. ConnectionRefused); it holds no secrets.
    let name = format!("{code:?}");
    let name = name.trim_start_matches("ErrorCode::");
    TransportError::new(
        kind,
        name.split(['(', ' ', '{'])
            .next()
            .unwrap_or("error")
            .to_string(),
    )
}

impl WasiTransport {
    fn build(&self, request: &Request) -> Result<OutgoingRequest, TransportError> {
        let parts = crate::url::split(&request.url)?;
        let entries: Vec<(String, Vec<u8>)> = request
            .headers
            .iter()
            .map(|(n, v)| (n.to_ascii_lowercase(), v.as_bytes().to_vec()))
            .collect();
        let headers = Fields::from_list(&entries)
            .map_err(|e| protocol(format!("header rejected by the host: {e:?}")))?;
        let out = OutgoingRequest::new(headers);
        let method = match request.method {
            Method::Get => WasiMethod::Get,
            Method::Post => WasiMethod::Post,
            Method::Put => WasiMethod::Put,
            Method::Delete => WasiMethod::Delete,
        };
        let scheme = if parts.origin.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        out.set_method(&method)
            .map_err(|_| protocol("method rejected"))?;
        out.set_scheme(Some(&scheme))
            .map_err(|_| protocol("scheme rejected"))?;
        out.set_authority(Some(&parts.authority))
            .map_err(|_| protocol("authority rejected"))?;
        out.set_path_with_query(Some(&parts.path_and_query))
            .map_err(|_| protocol("path rejected"))?;
        Ok(out)
    }

    fn options(&self) -> RequestOptions {
        let options = RequestOptions::new();
        // An Err here only means the host does not support that knob.
        let _ = options.set_connect_timeout(Some(self.connect_timeout_ns));
        let _ = options.set_first_byte_timeout(Some(self.first_byte_timeout_ns));
        let _ = options.set_between_bytes_timeout(Some(self.first_byte_timeout_ns));
        options
    }
}

fn write_body(body: OutgoingBody, bytes: Option<&[u8]>) -> Result<(), TransportError> {
    if let Some(bytes) = bytes {
        let stream = body
            .write()
            .map_err(|_| protocol("request body unavailable"))?;
        for chunk in bytes.chunks(4096) {
            stream
                .blocking_write_and_flush(chunk)
                .map_err(|_| protocol("request body write failed"))?;
        }
        drop(stream);
    }
    OutgoingBody::finish(body, None).map_err(|e| from_error_code(&e))
}

fn read_body(body: IncomingBody) -> Result<Vec<u8>, TransportError> {
    let stream = body
        .stream()
        .map_err(|_| protocol("response body unavailable"))?;
    let mut buf = Vec::new();
    loop {
        match stream.blocking_read(64 * 1024) {
            Ok(chunk) => {
                buf.extend_from_slice(&chunk);
                if buf.len() > MAX_RESPONSE_BYTES {
                    return Err(protocol(format!(
                        "response body larger than {MAX_RESPONSE_BYTES} bytes"
                    )));
                }
            }
            Err(StreamError::Closed) => break,
            Err(StreamError::LastOperationFailed(_)) => {
                return Err(TransportError::new(
                    TransportErrorKind::Unreachable,
                    "connection lost while reading the response",
                ))
            }
        }
    }
    drop(stream);
    let _trailers = IncomingBody::finish(body);
    Ok(buf)
}

impl Transport for WasiTransport {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let out = self.build(request)?;
        let body = out
            .body()
            .map_err(|_| protocol("request body unavailable"))?;
        let pending =
            outgoing_handler::handle(out, Some(self.options())).map_err(|e| from_error_code(&e))?;
        // When the host refuses or fails the request, writing the body fails
        // too; the response future carries the real reason, so it wins.
        let written = write_body(body, request.body.as_deref());
        pending.subscribe().block();
        let response = match pending.get() {
            Some(Ok(Ok(response))) => response,
            Some(Ok(Err(code))) => return Err(from_error_code(&code)),
            Some(Err(())) | None => return Err(protocol("response future polled twice")),
        };
        written?;
        let status = response.status();
        let headers = response
            .headers()
            .entries()
            .into_iter()
            .map(|(n, v)| (n, String::from_utf8_lossy(&v).into_owned()))
            .collect();
        let body = response
            .consume()
            .map_err(|_| protocol("response body unavailable"))?;
        let body = read_body(body)?;
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}
