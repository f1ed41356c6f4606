//! The sandbox: the minter component loaded (`cache`), run in a locked-down
//! store per call (`runtime`, over the WIT `bindings`), every request it sends
//! judged by the egress hook (`egress`, by `crate::reach`), and the token it
//! answers checked before anything prints it (`token_shape`).
//!
//! A new network rule goes into `wit/reach.json` (judged by `crate::reach`);
//! how an allowed request travels is `crate::net`.

pub mod bindings;
pub mod cache;
pub mod egress;
pub mod runtime;
pub mod token_shape;
