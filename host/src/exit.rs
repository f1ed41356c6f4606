//! Exit codes of `raxx-host`: the host core's enum and its help table
//! (`crates/core/src/exit.rs`, shared with the Node host), re-exported; the
//! exit code each failure gets is in `error.rs`.

pub use raxx_core::exit::{Exit, HELP};
