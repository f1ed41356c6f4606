//! raxx-host: runs the raxx minter component in a sandbox that may only reach
//! the configured Infisical and GitHub hosts.
//!
//! The library is what an orchestrator embeds: [`settings::Settings`] from the
//! environment, [`runtime::Runtime`] to load the component once and mint per
//! call. The `raxx-host` binary is a thin CLI over it.

pub mod bindings;
pub mod cache;
pub mod egress;
pub mod exit;
pub mod runtime;
pub mod settings;

pub use bindings::exports::raxx::identity::identity::{InstallationToken, MintError, MintRequest};
pub use bindings::raxx::identity::types::{FailureKind, Permission, ServiceFailure};
