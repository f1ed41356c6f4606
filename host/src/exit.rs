//! Exit codes of `raxx-host`, one place for the CLI, its help text and the docs.

use crate::MintError;

/// The exit codes, one enum (the host core's, shared with the Node host).
pub use raxx_core::exit::Exit;

pub const OK: i32 = Exit::Ok.code() as i32;
/// The host itself could not run the component (missing or invalid component, trap).
pub const HOST: i32 = Exit::Host.code() as i32;
/// Secrets could not be pulled from Infisical (missing INFISICAL_* variable,
/// login refused, folder or secret missing or unusable, unreachable, egress denied).
pub const VAULT: i32 = Exit::Vault.code() as i32;
/// GitHub refused the mint or could not be reached.
pub const GITHUB: i32 = Exit::Github.code() as i32;
/// The policy refused: invalid policy or map, a bot without a policy entry,
/// or a request for more than the policy grants.
pub const POLICY: i32 = Exit::Policy.code() as i32;
/// The agent class is not in the agent map.
pub const UNKNOWN_AGENT: i32 = Exit::UnknownAgent.code() as i32;
/// A check failed: `verify` found a mismatch (wrong App behind a bot's
/// secrets), a suspended installation or a permission asked but not granted;
/// `preamble --check` a missing or stale preamble (or an unmapped class);
/// `pr-check` refused the PR.
pub const MISMATCH: i32 = Exit::Mismatch.code() as i32;
/// `spawn --isolate`: the sandbox (bubblewrap) cannot run here.
pub const ISOLATION: i32 = Exit::Isolation.code() as i32;
/// Not inside a raxx session, or the session has ended (`token`, the gh shim,
/// git's credential helper in a session).
pub const NO_SESSION: i32 = Exit::NoSession.code() as i32;
/// Usage error: unknown flag, missing argument, invalid bot name or permission.
pub const USAGE: i32 = Exit::Usage.code() as i32;

/// The table shown by `--help` and the README (the host core's, shared with the Node host).
pub use raxx_core::exit::HELP;

/// The exit code for a failure the component reported (the host core's mapping).
pub fn for_mint_error(err: &MintError) -> i32 {
    use raxx_core::exit::{for_failure, Failure};
    let failure = match err {
        MintError::Vault(_) => Failure::Vault,
        MintError::Github(_) => Failure::Github,
        MintError::InvalidRequest(_) => Failure::InvalidRequest,
        MintError::Policy(p) => Failure::Policy {
            unknown_agent: p.kind == crate::PolicyFailureKind::UnknownAgent,
        },
    };
    for_failure(failure).code().into()
}

/// The exit code for a configuration problem on `side` (the host core's mapping).
pub fn for_side(side: raxx_core::settings::Side) -> i32 {
    raxx_core::exit::for_side(side).code().into()
}

/// The component's one-line message for a failure.
pub fn message(err: &MintError) -> &str {
    match err {
        MintError::Vault(f) | MintError::Github(f) => &f.message,
        MintError::InvalidRequest(m) => m,
        MintError::Policy(p) => &p.message,
    }
}
