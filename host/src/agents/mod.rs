//! Agent definition files (`definitions`) and the GitHub identity preamble
//! written into them (`preamble`).

pub mod definitions;
pub mod preamble;
