//! Loopback fakes of Infisical and GitHub, strict like the real services (and
//! what machine-identity logins need: a JWT issuer, GitHub Actions' runner
//! token endpoint), and the world that wires them with the design's three bots. One implementation,
//! shared by every test and by the demo (`raxx-demo`).

#![forbid(unsafe_code)]

pub mod actions;
pub mod control;
pub mod git;
pub mod github;
pub mod infisical;
pub mod jwt;
pub mod keys;
pub mod proxy;
pub mod server;
#[path = "../../../host/src/support/time.rs"]
pub mod time;
pub mod tls;
pub mod world;

#[cfg(test)]
mod login_tests;

pub use keys::{AppKey, PemVariant};
pub use server::{HttpRequest, HttpResponse, Reply};
pub use world::World;
