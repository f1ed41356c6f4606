//! One file per subcommand: its arguments (`Args`, parsed by clap) and its
//! `run`. A new command is a new file here and one line in `cli::Command`.

pub mod compile;
pub mod exec;
pub mod git_credential;
pub mod git_identity;
pub mod mint;
pub mod pr_check;
pub mod pr_header;
pub mod preamble;
pub mod resolve;
pub mod smoke;
pub mod spawn;
pub mod suspend;
pub mod token;
pub mod verify;
