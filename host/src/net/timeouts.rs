//! Time is the host's: the guest may ask for shorter first-byte and
//! between-bytes timeouts in its `request-options`, never longer ones, and a
//! guest that sends none gets the host's caps, not wasmtime-wasi-http's
//! 600 s. Connecting is bounded by the host's `RAXX_CONNECT_TIMEOUT_MS`
//! (connections are shared within a call, so one request's option cannot
//! bound another's connection), and by the request's first-byte timeout,
//! which counts from the request starting. A call's total time, waits
//! included, is bounded apart from these, by its deadline (`runtime.rs`).
//!
//! `TimedBody` is ours: hyper-util bounds no body, and wasmtime-wasi-http's
//! own timer lives in its default sender, which the host does not use.

use bytes::Bytes;
use std::future::Future as _;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use wasmtime_wasi_http::{Error as HttpError, RequestOptions};

/// The host's caps on one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// TCP, the proxy's tunnel and the TLS handshake, together.
    pub connect: Duration,
    /// From the request starting to its response head (connecting included),
    /// and between two chunks of its body.
    pub first_byte: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        use crate::config::settings::{DEFAULT_CONNECT_TIMEOUT_MS, DEFAULT_FIRST_BYTE_TIMEOUT_MS};
        Limits {
            connect: Duration::from_millis(DEFAULT_CONNECT_TIMEOUT_MS.into()),
            first_byte: Duration::from_millis(DEFAULT_FIRST_BYTE_TIMEOUT_MS.into()),
        }
    }
}

/// What one request gets: the guest's options where they are shorter, the caps otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub first_byte: Duration,
    pub between_bytes: Duration,
}

impl Limits {
    pub fn apply(&self, options: Option<&RequestOptions>) -> Timeouts {
        let capped = |asked: Option<Duration>, cap: Duration| asked.map_or(cap, |a| a.min(cap));
        Timeouts {
            first_byte: capped(options.and_then(|o| o.first_byte_timeout), self.first_byte),
            between_bytes: capped(
                options.and_then(|o| o.between_bytes_timeout),
                self.first_byte,
            ),
        }
    }
}

/// A response body that fails when no byte arrived for `between_bytes`.
pub struct TimedBody {
    incoming: hyper::body::Incoming,
    timer: Pin<Box<tokio::time::Sleep>>,
    between_bytes: Duration,
}

impl TimedBody {
    pub fn new(incoming: hyper::body::Incoming, between_bytes: Duration) -> Self {
        TimedBody {
            incoming,
            timer: Box::pin(tokio::time::sleep(between_bytes)),
            between_bytes,
        }
    }
}

impl http_body::Body for TimedBody {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, HttpError>>> {
        match Pin::new(&mut self.incoming).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let deadline = tokio::time::Instant::now() + self.between_bytes;
                self.timer.as_mut().reset(deadline);
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(err))) => Poll::Ready(Some(Err(if err.is_timeout() {
                HttpError::HttpResponseTimeout
            } else {
                err.into()
            }))),
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
    use super::*;

    #[test]
    fn the_guest_may_shorten_a_timeout_never_lengthen_or_drop_it() {
        let limits = Limits {
            connect: Duration::from_secs(5),
            first_byte: Duration::from_secs(20),
        };
        let none = limits.apply(None);
        assert_eq!(
            (none.first_byte, none.between_bytes),
            (limits.first_byte, limits.first_byte)
        );
        let hour = Some(Duration::from_secs(3600));
        let long = RequestOptions {
            connect_timeout: hour,
            first_byte_timeout: hour,
            between_bytes_timeout: hour,
        };
        assert_eq!(
            limits.apply(Some(&long)),
            none,
            "an hour asked is the cap given"
        );
        let short = RequestOptions {
            connect_timeout: None,
            first_byte_timeout: Some(Duration::from_millis(100)),
            between_bytes_timeout: Some(Duration::from_secs(1)),
        };
        let t = limits.apply(Some(&short));
        assert_eq!(
            (t.first_byte, t.between_bytes),
            (Duration::from_millis(100), Duration::from_secs(1))
        );
    }
}
