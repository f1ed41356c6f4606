//! I/O lanes: where a call's network I/O runs.
//!
//! A lane is a current-thread tokio runtime and the keep-alive connections
//! registered with it. A call runs the component inside its lane (wasmtime's
//! async mode), so the thread that runs the component is also the one waiting
//! on its sockets: a response wakes that one thread, not an I/O thread that
//! then wakes it. On an idle machine each such hop costs ~0.1 ms, and a mint
//! waits for three responses.
//!
//! Every call gets a lane of its own, dropped when the call ends: its
//! connections, their tasks and their read and write buffers (which carried
//! the login body, the bot's secrets and tokens) are freed, and so wiped by
//! the zeroizing allocator (`raxx-host`'s `main.rs`), instead of lingering in
//! a pool for the next call. Within a call, connections are kept alive (a
//! mint's two Infisical requests share one) and GitHub's is opened while
//! Infisical answers (`connections.rs`).

use crate::connections::Pool;
use anyhow::{bail, Context, Result};

/// Runs `call` to completion on a fresh lane, blocking this thread; `call`
/// gets the lane's connection pool. The lane ends with the call.
pub fn run<R>(call: impl AsyncFnOnce(&Pool) -> R) -> Result<R> {
    if tokio::runtime::Handle::try_current().is_ok() {
        bail!("raxx_host::runtime::Runtime blocks the calling thread: call it outside async code (for example through tokio::task::spawn_blocking)");
    }
    let io = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().context("starting an I/O runtime")?;
    let pool = Pool::default();
    let result = io.block_on(call(&pool));
    drop(pool);
    drop(io);
    Ok(result)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_call_gets_a_lane_of_its_own() {
        let id = || super::run(async |_| tokio::runtime::Handle::current().id()).unwrap();
        assert_ne!(id(), id(), "a lane (and its connections) never outlives its call");
    }

    #[test]
    fn a_call_from_async_code_is_an_error() {
        let io = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let err = io.block_on(async { super::run(async |_| ()).unwrap_err() });
        assert!(err.to_string().contains("spawn_blocking"), "{err}");
    }
}
