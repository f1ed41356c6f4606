//! Loopback fakes of Infisical and GitHub, strict like the real services, and
//! the world that wires them with the design's three bots. One implementation,
//! shared by every test and by the demo (`raxx-demo`).

#![forbid(unsafe_code)]

pub mod control;
pub mod git;
pub mod github;
pub mod infisical;
pub mod keys;
pub mod proxy;
pub mod server;
#[path = "../../../host/src/support/time.rs"]
pub mod time;
pub mod tls;
pub mod world;

pub use keys::{AppKey, PemVariant};
pub use server::{HttpRequest, HttpResponse, Reply};
pub use world::World;
