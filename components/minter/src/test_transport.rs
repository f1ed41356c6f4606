//! A scripted [`Transport`] for unit tests: it answers requests in order from
//! a script and records them.

use crate::transport::{Request, Response, Transport, TransportError};
use std::cell::RefCell;

/// Answers requests in order from a script and records them. A request past
/// the end of the script fails the test.
pub(crate) struct Script {
    answers: RefCell<Vec<Result<Response, TransportError>>>,
    pub seen: RefCell<Vec<Request>>,
}

impl Script {
    pub fn new(answers: Vec<Result<Response, TransportError>>) -> Self {
        Script {
            answers: RefCell::new(answers),
            seen: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for Script {
    fn send(&self, request: &Request) -> Result<Response, TransportError> {
        self.seen.borrow_mut().push(request.clone());
        let mut answers = self.answers.borrow_mut();
        assert!(!answers.is_empty(), "unscripted request {}", request.url);
        answers.remove(0)
    }
}

/// A JSON answer.
pub(crate) fn ok(status: u16, body: serde_json::Value) -> Result<Response, TransportError> {
    raw(status, &body.to_string())
}

/// An answer with this body as it is (not necessarily JSON).
pub(crate) fn raw(status: u16, body: &str) -> Result<Response, TransportError> {
    Ok(Response {
        status,
        headers: vec![],
        body: body.as_bytes().to_vec(),
    })
}
