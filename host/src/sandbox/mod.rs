//! The sandbox: the minter component loaded (`cache`), run in a locked-down
//! store per call (`runtime`, over the WIT `bindings`), every request it sends
//! judged by the egress hook (`egress`, by `crate::sandbox::reach`), and the token it
//! answers checked before anything prints it (`token_shape`); the WIT's levels
//! and App references as text (`wit_text`); settings that log in with a kept
//! vault access token (`access_token`).
//!
//! A new network rule goes into `wit/reach.json` (judged by `crate::sandbox::reach`);
//! how an allowed request travels is `crate::net`.

pub mod access_token;
pub mod bindings;
pub mod cache;
pub mod egress;
pub(crate) mod reach;
pub mod runtime;
pub mod token_shape;
pub(crate) mod wit_text;

#[cfg(test)]
mod login_tests;
