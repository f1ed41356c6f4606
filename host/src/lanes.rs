//! I/O lanes: where a call's network I/O runs.
//!
//! A lane is a current-thread tokio runtime and the keep-alive connections
//! registered with it. A call takes a free lane and runs the component inside
//! it (wasmtime's async mode), so the thread that runs the component is also
//! the one waiting on its sockets: a response wakes that one thread, not an
//! I/O thread that then wakes it. On an idle machine each such hop costs
//! ~0.1 ms, and a mint waits for three responses.
//!
//! Calls made one after another take the same lane, and with it its
//! connections. Concurrent calls each take their own (a new one when all are
//! busy), so they never wait on each other's I/O. A lane's connections are
//! driven only while a call runs on it: one the server closed in between is
//! noticed when it is next taken (`connections::Pool`), not when it closed.

use crate::connections::Pool;
use anyhow::{bail, Context, Result};
use std::sync::Mutex;

/// Free lanes kept for later calls; more are made while more calls run at once.
const MAX_FREE_LANES: usize = 8;

struct Lane {
    io: tokio::runtime::Runtime,
    pool: Pool,
}

impl Lane {
    fn new() -> Result<Lane> {
        let io = tokio::runtime::Builder::new_current_thread().enable_io().enable_time().build().context("starting an I/O runtime")?;
        Ok(Lane { io, pool: Pool::default() })
    }
}

/// The lanes of one `Runtime`.
#[derive(Default)]
pub struct Lanes {
    free: Mutex<Vec<Lane>>,
}

impl Lanes {
    /// Runs `call` to completion on a free lane, blocking this thread; `call`
    /// gets the lane's connection pool.
    pub fn run<R>(&self, call: impl AsyncFnOnce(&Pool) -> R) -> Result<R> {
        if tokio::runtime::Handle::try_current().is_ok() {
            bail!("raxx_host::runtime::Runtime blocks the calling thread: call it outside async code (for example through tokio::task::spawn_blocking)");
        }
        let lane = match self.free.lock().ok().and_then(|mut free| free.pop()) {
            Some(lane) => lane,
            None => Lane::new()?,
        };
        let result = lane.io.block_on(call(&lane.pool));
        if let Ok(mut free) = self.free.lock() {
            if free.len() < MAX_FREE_LANES {
                free.push(lane);
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::Lanes;

    #[test]
    fn calls_one_after_another_share_a_lane_and_concurrent_ones_do_not() {
        let lanes = Lanes::default();
        let id = |lanes: &Lanes| lanes.run(async |_| tokio::runtime::Handle::current().id()).unwrap();
        let first = id(&lanes);
        assert_eq!(id(&lanes), first, "the next call takes the same lane");
        let (held, holding) = std::sync::mpsc::channel();
        let (other, others) = std::sync::mpsc::channel();
        let lanes = &lanes;
        std::thread::scope(|s| {
            let busy = s.spawn(move || {
                lanes.run(async |_| {
                    held.send(()).unwrap();
                    (tokio::runtime::Handle::current().id(), others.recv().unwrap())
                })
            });
            holding.recv().unwrap();
            other.send(id(lanes)).unwrap();
            let (own, other) = busy.join().unwrap().unwrap();
            assert_ne!(own, other, "a call made while another runs gets a lane of its own");
        });
    }

    #[test]
    fn a_call_from_async_code_is_an_error() {
        let io = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let err = io.block_on(async { Lanes::default().run(async |_| ()).unwrap_err() });
        assert!(err.to_string().contains("spawn_blocking"), "{err}");
    }
}
