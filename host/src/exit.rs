//! Exit codes of `raxx-host`, one place for the CLI, its help text and the docs.

use crate::MintError;

pub const OK: i32 = 0;
/// The host itself could not run the component (missing or invalid component, trap).
pub const HOST: i32 = 1;
/// Secrets could not be pulled from Infisical (missing INFISICAL_* variable,
/// login refused, folder or secret missing or unusable, unreachable, egress denied).
pub const VAULT: i32 = 2;
/// GitHub refused the mint or could not be reached.
pub const GITHUB: i32 = 3;
/// The policy refused: invalid policy or map, a bot without a policy entry,
/// or a request for more than the policy grants.
pub const POLICY: i32 = 4;
/// The agent class is not in the agent map.
pub const UNKNOWN_AGENT: i32 = 5;
/// A check failed: `verify` found a mismatch (wrong App behind a bot's
/// secrets), a suspended installation or a permission asked but not granted;
/// `preamble --check` a missing or stale preamble (or an unmapped class);
/// `pr-check` refused the PR.
pub const MISMATCH: i32 = 6;
/// `spawn --isolate`: the sandbox (bubblewrap) cannot run here.
pub const ISOLATION: i32 = 7;
/// Not inside a raxx session, or the session has ended (`token`, the gh shim,
/// git's credential helper in a session).
pub const NO_SESSION: i32 = 8;
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
  4   the policy refused: invalid policy or agent map (file and line shown), a bot without a
      policy entry, or a request for more than the policy grants
  5   the agent class is not in the agent map
  6   a check failed: verify found a mismatch (e.g. the App behind a bot's secrets is another
      bot's), a suspended installation or a permission the policy asks that the installation was
      not granted; preamble --check found a missing or stale preamble; pr-check refused the PR
  7   spawn --isolate: the sandbox (bubblewrap) cannot run on this machine
  8   token: not inside a raxx session, or the session has ended
  64  usage error (unknown flag, missing argument, invalid bot name)
  exec and spawn exit with the command's own status once it ran (126/127: it could not start);
  in a session, token exits 3 when the token expired and could not be refreshed.";

/// The exit code for a failure the component reported.
pub fn for_mint_error(err: &MintError) -> i32 {
    match err {
        MintError::Vault(_) => VAULT,
        MintError::Github(_) => GITHUB,
        MintError::InvalidRequest(_) => USAGE,
        MintError::Policy(p) if p.kind == crate::PolicyFailureKind::UnknownAgent => UNKNOWN_AGENT,
        MintError::Policy(_) => POLICY,
    }
}

/// The component's one-line message for a failure.
pub fn message(err: &MintError) -> &str {
    match err {
        MintError::Vault(f) | MintError::Github(f) => &f.message,
        MintError::InvalidRequest(m) => m,
        MintError::Policy(p) => &p.message,
    }
}
