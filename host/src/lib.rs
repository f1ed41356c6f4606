//! raxx-host: runs the raxx minter component in a sandbox that may only reach
//! the configured Infisical and GitHub hosts.
//!
//! The library is what an orchestrator embeds: [`Settings`] from the
//! environment, [`Runtime`] to load the component once and mint per call,
//! [`PolicyFiles`] for the policy documents, [`TokenSource`] for a session
//! that outlives a token, [`Error`] and [`Exit`] for what went wrong. The
//! `raxx-host` binary is a thin `main.rs` over [`cli`].
//!
//! The folders are the layers:
//! - `sandbox/`: the component, its runtime, its cache and its egress hook
//!   (the requests it may send are `wit/reach.json`, judged by the host core
//!   through `sandbox/reach.rs`), the WIT's values as text (`wit_text.rs`);
//! - `net/`: how an allowed request reaches the network;
//! - `session/` and `process/`: sessions that outlive a token, and the
//!   children (`exec`, `spawn`) they serve;
//! - `pr/`, `agents/`, `fallback_floor/`: what the CLI's features decide;
//! - `cli/`: the command line, one file per command in `cli/commands/`;
//! - `config/`: what the host reads first (settings from the environment,
//!   the policy files), through the host core (`crates/core`);
//! - `audit.rs`: the audit log (the core's record, appended under a lock);
//!   `error.rs` and `exit.rs`: failures.
#![deny(unsafe_code)]

pub(crate) mod agents;
pub(crate) mod audit;
#[doc(hidden)]
pub mod cli;
pub(crate) mod config;
mod error;
pub mod exit;
pub(crate) mod fallback_floor;
pub(crate) mod net;
pub(crate) mod pr;
pub(crate) mod process;
pub(crate) mod sandbox;
pub(crate) mod session;
pub(crate) mod support;

pub use config::policy::PolicyFiles;
pub use config::settings::{ConfigError, Settings, Side, VAULT_CREDENTIAL_VARS};
pub use error::Error;
pub use exit::Exit;
pub use net::{Limits, Network, Proxy, Trust};
pub use sandbox::cache::{Cache, Source};
pub use sandbox::reach::Allowlist;
pub use sandbox::runtime::{
    default_component_path, engine_config, portable_component_path, CallError, Outcome, Resolved,
    Runtime,
};
pub use session::{AuditTo, Mint, RuntimeMint, TokenSource, VaultKeeper, VaultLogin};

pub use sandbox::bindings::exports::raxx::identity::types::{
    AppRef, FailureKind, Permission, PermissionLevel, PolicyFailure, PolicyFailureKind, RunMode,
    ServiceFailure,
};
pub use sandbox::bindings::exports::raxx::identity::types::{
    FallbackDecision, FallbackRequest, InstallationToken, MintError, MintRequest, PolicyDocuments,
    Resolution, Verification,
};
pub use sandbox::bindings::exports::raxx::identity::types::{
    MissingPermissions, PermissionGap, Suspension, VaultAccess,
};
