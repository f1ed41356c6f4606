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
//!   (the requests it may send are `wit/reach.json`, judged by `reach.rs`);
//! - `net/`: how an allowed request reaches the network;
//! - `session/` and `process/`: sessions that outlive a token, and the
//!   children (`exec`, `spawn`) they serve;
//! - `pr/`, `agents/`, `fallback_floor/`: what the CLI's features decide;
//! - `cli/`: the command line, one file per command in `cli/commands/`;
//! - `settings.rs`, `policy.rs`, `audit.rs`, `reach.rs`: what a host reads
//!   and writes about the component, `wit_text.rs` the WIT's levels and App
//!   references as text; `error.rs` and `exit.rs`: failures.
#![deny(unsafe_code)]

pub(crate) mod agents;
pub(crate) mod audit;
#[doc(hidden)]
pub mod cli;
mod error;
pub mod exit;
pub(crate) mod fallback_floor;
pub(crate) mod net;
pub(crate) mod policy;
pub(crate) mod pr;
pub(crate) mod process;
pub(crate) mod reach;
pub(crate) mod sandbox;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod support;
pub(crate) mod wit_text;

pub use error::Error;
pub use exit::Exit;
pub use net::{Limits, Network, Proxy, Trust};
pub use policy::PolicyFiles;
pub use reach::Allowlist;
pub use sandbox::cache::{Cache, Source};
pub use sandbox::runtime::{
    default_component_path, engine_config, portable_component_path, CallError, Outcome, Resolved,
    Runtime,
};
pub use session::{AuditTo, Mint, RuntimeMint, TokenSource};
pub use settings::{ConfigError, Settings, Side, VAULT_CREDENTIAL_VARS};

pub use sandbox::bindings::exports::raxx::identity::types::{
    AppRef, FailureKind, Permission, PermissionLevel, PolicyFailure, PolicyFailureKind, RunMode,
    ServiceFailure,
};
pub use sandbox::bindings::exports::raxx::identity::types::{
    FallbackDecision, FallbackRequest, InstallationToken, MintError, MintRequest, PolicyDocuments,
    Resolution, Verification,
};
pub use sandbox::bindings::exports::raxx::identity::types::{
    MissingPermissions, PermissionGap, Suspension,
};
