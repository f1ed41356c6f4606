//! raxx minter: mints GitHub App installation tokens from credentials pulled
//! live from a secret store (`vault/`; Infisical the first). The logic lives in plain modules that compile (and are
//! unit-tested) natively; `component.rs` is the thin WIT glue, built only for
//! wasm32, and `wasi_transport.rs` is the `wasi:http` client under it.

// `deny`, not `forbid`: wit-bindgen's generated glue (component.rs's
// `bindings`) is unsafe; everything written here is not.
#![deny(unsafe_code)]

pub mod drift;
pub mod error;
pub mod fallback;
pub mod github;
pub mod jwt;
pub mod link;
pub mod mint;
pub mod names;
pub mod pem;
pub mod permissions;
pub mod policy;
pub mod resolved;
pub mod retry;
pub mod transport;
pub mod url;
pub mod vault;
pub mod yaml;

#[cfg(test)]
mod test_transport;
#[cfg(test)]
mod test_vectors;

#[cfg(target_arch = "wasm32")]
mod component;
#[cfg(target_arch = "wasm32")]
mod wasi_transport;
