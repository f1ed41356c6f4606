//! Bounded retries with jittered exponential backoff, for connection errors,
//! timeouts, 5xx and 429 (and GitHub's 403 with an exhausted rate limit).
//! `Retry-After` and `x-ratelimit-reset` are honoured when the wait is short
//! enough; a longer wait is not slept through: the answer goes back to the
//! caller, whose message says when to try again. Other 4xx are never retried.

use crate::transport::{Request, Response, Transport, TransportError, TransportErrorKind};

/// Time, as the retry loop needs it (the component uses WASI clocks; tests a fake).
pub trait Clock {
    /// Sleeps `ms` milliseconds.
    fn sleep_ms(&self, ms: u64);
    /// Seconds since the Unix epoch.
    fn now_secs(&self) -> u64;
    /// A value in `0..bound` that differs between calls (for jitter).
    fn jitter(&self, bound: u64) -> u64;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    pub base_delay_ms: u64,
    pub max_delay_ms: u64,
    /// Longest server-requested wait (Retry-After, rate-limit reset) worth sleeping through.
    pub max_server_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            base_delay_ms: 200,
            max_delay_ms: 2_000,
            max_server_wait_ms: 10_000,
        }
    }
}

pub struct Retrying<'a> {
    pub inner: &'a dyn Transport,
    pub clock: &'a dyn Clock,
    pub policy: RetryPolicy,
}

/// Parses an HTTP date (`Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete
/// RFC 850 and asctime forms) into Unix seconds.
pub fn parse_http_date(value: &str) -> Option<u64> {
    let time = httpdate::parse_http_date(value.trim()).ok()?;
    time.duration_since(std::time::UNIX_EPOCH)
        .ok()
        .map(|d| d.as_secs())
}

/// The server's clock from a response's `Date` header.
pub fn server_time(resp: &Response) -> Option<u64> {
    resp.header("date").and_then(parse_http_date)
}

impl Retrying<'_> {
    fn backoff_ms(&self, attempt: u32) -> u64 {
        let exp = self
            .policy
            .base_delay_ms
            .saturating_mul(1 << attempt.min(10))
            .min(self.policy.max_delay_ms);
        // Full jitter in the upper half: between exp/2 and exp.
        exp / 2 + self.clock.jitter(exp / 2 + 1)
    }

    /// How long the server asked us to wait, if it said.
    fn server_wait_ms(&self, resp: &Response) -> Option<u64> {
        if let Some(secs) = resp
            .header("retry-after")
            .and_then(|v| v.trim().parse::<u64>().ok())
        {
            return Some(secs * 1000);
        }
        if resp.header("x-ratelimit-remaining") == Some("0") {
            let reset = resp
                .header("x-ratelimit-reset")
                .and_then(|v| v.trim().parse::<u64>().ok())?;
            let now = server_time(resp).unwrap_or_else(|| self.clock.now_secs());
            return Some(reset.saturating_sub(now) * 1000 + 1000);
        }
        None
    }
}

fn retryable_status(resp: &Response) -> bool {
    matches!(resp.status, 429 | 500 | 502 | 503 | 504)
        || (resp.status == 403 && resp.header("x-ratelimit-remaining") == Some("0"))
}

fn retryable_error(err: &TransportError) -> bool {
    matches!(
        err.kind,
        TransportErrorKind::Unreachable | TransportErrorKind::Timeout
    )
}

impl Transport for Retrying<'_> {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        let mut attempt = 0;
        loop {
            let result = self.inner.send(request);
            let last = attempt >= self.policy.max_retries;
            let wait = match &result {
                Ok(resp) if retryable_status(resp) && !last => match self.server_wait_ms(resp) {
                    Some(ms) if ms > self.policy.max_server_wait_ms => return result,
                    Some(ms) => ms,
                    None => self.backoff_ms(attempt),
                },
                Err(e) if retryable_error(e) && !last => self.backoff_ms(attempt),
                _ => return result,
            };
            self.clock.sleep_ms(wait);
            attempt += 1;
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::cell::RefCell;

    /// A clock that records sleeps instead of sleeping.
    #[derive(Default)]
    pub(crate) struct FakeClock {
        pub slept: RefCell<Vec<u64>>,
    }

    impl Clock for FakeClock {
        fn sleep_ms(&self, ms: u64) {
            self.slept.borrow_mut().push(ms);
        }
        fn now_secs(&self) -> u64 {
            1_000_000
        }
        fn jitter(&self, bound: u64) -> u64 {
            bound / 2
        }
    }

    struct Answers(
        RefCell<Vec<Result<Response, TransportError>>>,
        RefCell<usize>,
    );

    impl Transport for Answers {
        fn send(&self, _: &Request) -> Result<Response, TransportError> {
            *self.1.borrow_mut() += 1;
            self.0.borrow_mut().remove(0)
        }
    }

    fn resp(status: u16, headers: &[(&str, &str)]) -> Result<Response, TransportError> {
        Ok(Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            body: vec![],
        })
    }

    fn run(
        answers: Vec<Result<Response, TransportError>>,
    ) -> (Result<Response, TransportError>, usize, Vec<u64>) {
        let t = Answers(RefCell::new(answers), RefCell::new(0));
        let clock = FakeClock::default();
        let r = Retrying {
            inner: &t,
            clock: &clock,
            policy: RetryPolicy::default(),
        }
        .send(&Request::new(
            crate::transport::Method::Get,
            "http://x/".into(),
        ));
        let sends = *t.1.borrow();
        (r, sends, clock.slept.into_inner())
    }

    #[test]
    fn retries_5xx_429_and_connection_errors_then_succeeds() {
        let reset = || {
            Err(TransportError::new(
                TransportErrorKind::Unreachable,
                "reset",
            ))
        };
        let (r, sends, slept) = run(vec![resp(503, &[]), reset(), resp(200, &[])]);
        assert_eq!((r.unwrap().status, sends), (200, 3));
        assert_eq!(slept.len(), 2);
        assert!(
            slept[0] >= 100 && slept[0] <= 200 && slept[1] >= 200 && slept[1] <= 400,
            "{slept:?}"
        );
    }

    #[test]
    fn gives_up_after_the_budget_with_the_last_answer() {
        let (r, sends, _) = run(vec![resp(500, &[]), resp(500, &[]), resp(502, &[])]);
        assert_eq!((r.unwrap().status, sends), (502, 3));
    }

    #[test]
    fn never_retries_other_4xx_or_denials() {
        for status in [400, 401, 403, 404, 422] {
            let (r, sends, _) = run(vec![resp(status, &[])]);
            assert_eq!((r.unwrap().status, sends), (status, 1));
        }
        let (r, sends, _) = run(vec![Err(TransportError::new(
            TransportErrorKind::Denied,
            "denied",
        ))]);
        assert!(r.is_err() && sends == 1);
    }

    #[test]
    fn honours_retry_after_and_rate_limit_reset_within_bounds() {
        let (r, _, slept) = run(vec![resp(429, &[("retry-after", "2")]), resp(200, &[])]);
        assert_eq!((r.unwrap().status, slept), (200, vec![2000]));
        let date = "Sun, 22 Nov 2026 23:00:00 GMT";
        let reset = (parse_http_date(date).unwrap() + 3).to_string();
        let (r, _, slept) = run(vec![
            resp(
                403,
                &[
                    ("x-ratelimit-remaining", "0"),
                    ("x-ratelimit-reset", &reset),
                    ("date", date),
                ],
            ),
            resp(201, &[]),
        ]);
        assert_eq!((r.unwrap().status, slept), (201, vec![4000]));
        let (r, sends, slept) = run(vec![resp(429, &[("retry-after", "3600")])]);
        assert_eq!(
            (r.unwrap().status, sends, slept),
            (429, 1, vec![]),
            "an hour is not slept through"
        );
    }

    #[test]
    fn parses_http_dates() {
        assert_eq!(
            parse_http_date("Sun, 22 Nov 2026 23:00:00 GMT"),
            Some(1_795_388_400)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(
            parse_http_date("Sunday, 22-Nov-26 23:00:00 GMT"),
            Some(1_795_388_400),
            "RFC 850"
        );
        assert_eq!(
            parse_http_date("Sun Nov 22 23:00:00 2026"),
            Some(1_795_388_400),
            "asctime"
        );
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(
            parse_http_date("Sun, 31 Nov 2026 23:00:00 GMT"),
            None,
            "no 31 November"
        );
        assert_eq!(
            parse_http_date("Sun, 22 Nov 2026 25:00:00 GMT"),
            None,
            "no hour 25"
        );
    }
}
