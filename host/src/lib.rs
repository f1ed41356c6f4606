//! raxx-host: runs the raxx minter component in a sandbox that may only reach
//! the configured Infisical and GitHub hosts.
//!
//! The library is what an orchestrator embeds: [`settings::Settings`] from the
//! environment, [`runtime::Runtime`] to load the component once and mint per
//! call. The `raxx-host` binary is a thin CLI over it.

pub mod agent_clone;
pub mod agent_definitions;
pub mod audit;
pub mod bindings;
pub mod cache;
pub mod child_env;
pub mod display;
pub mod egress;
pub mod exit;
pub mod fallback_floor;
pub mod files;
pub mod git_guard;
pub mod harden;
pub mod isolate;
pub mod net;
pub mod policy;
pub mod pr_gate;
pub mod pr_header;
pub mod preamble;
pub mod process;
pub mod reach;
pub mod runtime;
pub mod session;
pub mod settings;
pub mod time;
pub mod token_shape;

pub use bindings::exports::raxx::identity::identity::{
    FailureKind, Permission, PolicyFailure, PolicyFailureKind, RunMode, ServiceFailure,
};
pub use bindings::exports::raxx::identity::identity::{
    FallbackDecision, FallbackRequest, InstallationToken, MintError, MintRequest, PolicyDocuments,
    Resolution, Verification,
};
pub use bindings::exports::raxx::identity::identity::{
    MissingPermissions, PermissionGap, Suspension,
};
