//! The one error of the host: an exit code ([`Exit`]) and the one line a
//! person reads. Every failure a command, a child process, a session or the
//! PR header reports is one; the conversions from what the component and the
//! settings reader answer are here, so the exit code a failure gets is
//! decided in one place.

use crate::config::settings::ConfigError;
use crate::exit::Exit;
use crate::{MintError, PolicyFailureKind};

/// A failure ready to report: the exit code and a one-line message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub exit: Exit,
    pub message: String,
}

impl Error {
    pub fn new(exit: Exit, message: impl Into<String>) -> Error {
        Error {
            exit,
            message: message.into(),
        }
    }

    /// A failure of the host itself (exit 1), with its whole cause chain.
    pub fn host(e: anyhow::Error) -> Error {
        Error::new(Exit::Host, format!("{e:#}"))
    }

    /// The component's failure, with the component's message.
    pub fn from_mint_error(e: &MintError) -> Error {
        Error::new(exit_for(e), message(e))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// A component call that failed: the component's failure, or the host's (exit 1).
impl From<crate::CallError> for Error {
    fn from(e: crate::CallError) -> Error {
        Error::new(e.exit(), e.to_string())
    }
}

/// A setting the environment gets wrong: the vault's (exit 2), GitHub's
/// (exit 3), or one of raxx's own knobs (a usage error, exit 64).
impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Error {
        Error::new(raxx_core::exit::for_side(e.side), e.message)
    }
}

/// The exit code for a failure the component reported (the host core's mapping).
pub fn exit_for(err: &MintError) -> Exit {
    use raxx_core::exit::{for_failure, Failure};
    for_failure(match err {
        MintError::Vault(_) => Failure::Vault,
        MintError::Github(_) => Failure::Github,
        MintError::InvalidRequest(_) => Failure::InvalidRequest,
        MintError::Policy(p) => Failure::Policy {
            unknown_agent: p.kind == PolicyFailureKind::UnknownAgent,
        },
    })
}

/// The component's one-line message for a failure.
pub fn message(err: &MintError) -> &str {
    match err {
        MintError::Vault(f) | MintError::Github(f) => &f.message,
        MintError::InvalidRequest(m) => m,
        MintError::Policy(p) => &p.message,
    }
}
