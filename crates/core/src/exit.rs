//! Exit codes, one place for both hosts' CLIs, their help text and the docs;
//! and what a failure the component reported, or a configuration problem,
//! maps to.

use crate::settings::Side;

/// How a host's command ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Exit {
    Ok = 0,
    /// The host itself could not run the component (missing or invalid component, trap).
    Host = 1,
    /// Secrets could not be pulled from the vault (missing INFISICAL_* variable,
    /// login refused, folder or secret missing or unusable, unreachable, egress denied).
    Vault = 2,
    /// GitHub refused the mint or could not be reached.
    Github = 3,
    /// The policy refused: invalid policy or map, a bot without a policy entry,
    /// or a request for more than the policy grants.
    Policy = 4,
    /// The agent class is not in the agent map.
    UnknownAgent = 5,
    /// A check failed: `verify` found a mismatch (wrong App behind a bot's
    /// secrets), a suspended installation or a permission asked but not granted;
    /// `preamble --check` a missing or stale preamble (or an unmapped class);
    /// `pr-check` refused the PR.
    Mismatch = 6,
    /// `spawn --isolate`: the sandbox (bubblewrap) cannot run here.
    Isolation = 7,
    /// Not inside a raxx session, or the session has ended (`token`, the gh shim,
    /// git's credential helper in a session).
    NoSession = 8,
    /// Usage error: unknown flag, missing argument, invalid bot name or permission.
    Usage = 64,
}

impl Exit {
    pub const fn code(self) -> u8 {
        self as u8
    }

    /// Every exit, in code order.
    pub const ALL: [Exit; 10] = [
        Exit::Ok,
        Exit::Host,
        Exit::Vault,
        Exit::Github,
        Exit::Policy,
        Exit::UnknownAgent,
        Exit::Mismatch,
        Exit::Isolation,
        Exit::NoSession,
        Exit::Usage,
    ];

    /// Its name in kebab case (`ok`, `unknown-agent`, `no-session`), as
    /// the vectors and the Node host name it.
    pub const fn name(self) -> &'static str {
        match self {
            Exit::Ok => "ok",
            Exit::Host => "host",
            Exit::Vault => "vault",
            Exit::Github => "github",
            Exit::Policy => "policy",
            Exit::UnknownAgent => "unknown-agent",
            Exit::Mismatch => "mismatch",
            Exit::Isolation => "isolation",
            Exit::NoSession => "no-session",
            Exit::Usage => "usage",
        }
    }

    /// The exit with this code, if it is one.
    pub fn from_code(code: u8) -> Option<Exit> {
        Exit::ALL.into_iter().find(|e| e.code() == code)
    }
}

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

/// Which arm of the component's `mint-error` a failure is (its payload
/// aside): all a host needs to pick the exit code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    Vault,
    Github,
    InvalidRequest,
    /// A policy refusal; `unknown_agent` when the agent class is not in the map.
    Policy {
        unknown_agent: bool,
    },
}

impl Failure {
    /// The failure named as in WIT (`vault`, `github`, `invalid-request`,
    /// `policy` with its kind `unknown-agent` or another), for hosts that see
    /// the component's error as data.
    pub fn from_wit(tag: &str, policy_kind: Option<&str>) -> Option<Failure> {
        Some(match tag {
            "vault" => Failure::Vault,
            "github" => Failure::Github,
            "invalid-request" => Failure::InvalidRequest,
            "policy" => Failure::Policy {
                unknown_agent: policy_kind == Some("unknown-agent"),
            },
            _ => return None,
        })
    }
}

/// The exit code for a failure the component reported.
pub fn for_failure(failure: Failure) -> Exit {
    match failure {
        Failure::Vault => Exit::Vault,
        Failure::Github => Exit::Github,
        Failure::InvalidRequest => Exit::Usage,
        Failure::Policy {
            unknown_agent: true,
        } => Exit::UnknownAgent,
        Failure::Policy {
            unknown_agent: false,
        } => Exit::Policy,
    }
}

/// The exit code for a configuration problem on `side`.
pub fn for_side(side: Side) -> Exit {
    match side {
        Side::Vault => Exit::Vault,
        Side::Github => Exit::Github,
        Side::Host => Exit::Usage,
    }
}
