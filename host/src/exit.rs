//! Exit codes of `raxx-host`, one place for the CLI, its help text and the docs.

use crate::{FailureKind, MintError};

pub const OK: i32 = 0;
/// The host itself could not run the component (missing or invalid component, trap).
pub const HOST: i32 = 1;
/// Secrets could not be pulled from Infisical (missing INFISICAL_* variable,
/// login refused, folder or secret missing or unusable, unreachable, egress denied).
pub const VAULT: i32 = 2;
/// GitHub refused the mint or could not be reached.
pub const GITHUB: i32 = 3;
/// Usage error: unknown flag, missing argument, invalid bot name or permission.
pub const USAGE: i32 = 64;

/// The table shown by `--help` and the README.
pub const HELP: &str = "\
Exit codes:
  0   success
  1   the host could not run the minter component (missing, invalid, or it trapped)
  2   secrets could not be pulled from Infisical (missing INFISICAL_* variable, login refused,
      folder or secret missing or unusable, Infisical unreachable or denied by egress)
  3   GitHub refused the token mint or could not be reached (status and GitHub's message shown)
  64  usage error (unknown flag, missing argument, invalid bot name)";

/// The exit code for a failure the component reported.
pub fn for_mint_error(err: &MintError) -> i32 {
    match err {
        MintError::Vault(_) => VAULT,
        MintError::Github(_) => GITHUB,
        MintError::InvalidRequest(_) => USAGE,
    }
}

/// The component's one-line message for a failure.
pub fn message(err: &MintError) -> &str {
    match err {
        MintError::Vault(f) | MintError::Github(f) => &f.message,
        MintError::InvalidRequest(m) => m,
    }
}

/// Whether retrying later could help (used in messages and by callers that retry).
pub fn is_transient(err: &MintError) -> bool {
    match err {
        MintError::Vault(f) | MintError::Github(f) => matches!(
            f.kind,
            FailureKind::Unreachable | FailureKind::Timeout | FailureKind::RateLimited | FailureKind::Server
        ),
        MintError::InvalidRequest(_) => false,
    }
}
