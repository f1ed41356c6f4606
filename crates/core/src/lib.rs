//! The host core: what a host decides about the minter component, with no
//! I/O (no files, no clock, no network, no environment of its own). Both
//! hosts run this code: raxx-host links it, the Node host runs it compiled as
//! an import-free component (`crates/core-component`), so they cannot give
//! different answers. `tests/vectors/*.json` holds the cases both check.
//!
//! - [`settings`]: settings from an environment lookup, one reader per
//!   secret store (`settings/infisical/`: its login methods and where a JWT
//!   login's token comes from), GitHub and the network knobs.
//! - [`reach`]: `wit/reach.json` and the judgement of a request against it,
//!   with the token exchange's scope check.
//! - [`exit`]: the exit codes, their help text, and what a failure maps to.
//! - [`audit`]: the audit record (the host appends it).
//! - [`policy_files`]: where the agent map and policy are found.
//! - [`cache_key`]: the compiled-code cache's key, key id and tags.

#![forbid(unsafe_code)]

pub mod audit;
pub mod cache_key;
pub mod exit;
pub mod policy_files;
pub mod quote;
pub mod reach;
pub mod settings;
