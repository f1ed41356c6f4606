//! The host's networking: how a request the egress hooks allowed reaches
//! Infisical or GitHub. Maintained crates do the work: hyper-util's pooled
//! client (`client.rs`) over a connector of ours (`connector.rs`) that
//! opens TCP (hyper-util's), a CONNECT tunnel when a proxy applies
//! (hyper-util's, `proxy.rs`) and TLS (rustls, trusting what the machine
//! trusts, `tls.rs`); the host's timeout caps are in `timeouts.rs`.
//!
//! A call gets a client of its own on a runtime of its own (`block_on`), both
//! dropped when the call returns: no connection, and so no buffer that carried
//! a login body, the secrets list or a token, outlives the call that made it
//! (the zeroizing allocator wipes them as they are freed). Within the call,
//! connections are kept alive (a mint's two Infisical requests share one) and
//! GitHub's is opened while Infisical answers (`Client::preconnect`).
//!
//! What went wrong on the way (a certificate refused, a proxy that said no)
//! the component can only see as an error code; the host keeps the cause
//! (`cause.rs`) and puts it in the one-line message.

mod cause;
mod client;
mod connector;
mod proxy;
pub mod rest;
mod timeouts;
mod tls;

pub use cause::{Cause, Explain};
pub use client::{classify_hyper_error, Client};
pub use proxy::Proxy;
pub use timeouts::Limits;
pub use tls::Trust;

/// What the host's networking is configured with: its timeout caps, the
/// proxy, the CAs it trusts. Read from the environment (`settings::network`).
#[derive(Clone, Debug, Default)]
pub struct Network {
    pub limits: Limits,
    pub proxy: Proxy,
    pub trust: Trust,
}

impl Network {
    /// The timeout caps, proxy and trusted CAs the environment sets (what
    /// [`crate::Runtime::load`] reads; `settings::network`).
    pub fn from_env(
        var: impl Fn(&str) -> Option<String>,
    ) -> Result<Network, crate::config::settings::ConfigError> {
        crate::config::settings::network(var)
    }
}

/// Runs `call` to completion on a runtime of its own, on this thread: the
/// thread that runs the component is the one waiting on its sockets, so a
/// response wakes only it. The runtime, and every connection and task of the
/// call, is dropped before this returns (DNS lookups still running on the
/// blocking pool are left to finish on their own rather than waited for).
pub fn block_on<R>(call: impl std::future::Future<Output = R>) -> anyhow::Result<R> {
    use anyhow::Context as _;
    if tokio::runtime::Handle::try_current().is_ok() {
        anyhow::bail!("raxx_host::Runtime blocks the calling thread: call it outside async code (for example through tokio::task::spawn_blocking)");
    }
    let io = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .context("starting an I/O runtime")?;
    let result = io.block_on(call);
    io.shutdown_background();
    Ok(result)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_call_gets_a_runtime_of_its_own() {
        let id = || super::block_on(async { tokio::runtime::Handle::current().id() }).unwrap();
        assert_ne!(
            id(),
            id(),
            "a runtime (and its connections) never outlives its call"
        );
    }

    #[test]
    fn a_call_from_async_code_is_an_error() {
        let io = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let err = io.block_on(async { super::block_on(async {}).unwrap_err() });
        assert!(err.to_string().contains("spawn_blocking"), "{err}");
    }
}
