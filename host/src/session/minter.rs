//! [`Mint`] over a loaded [`Runtime`]: what `spawn`, `exec` and an embedding
//! orchestrator refresh with. Every refresh is a mint for the resolution the
//! session began with (the bot's secrets read live), recorded in the audit
//! log when one is configured. The session logs in to the vault once and
//! mints with the access token it keeps ([`VaultKeeper`]): a refresh is the
//! secrets read and the token exchange.

use super::vault_keeper::{Access, VaultKeeper, VaultLogin};
use super::Mint;
use crate::audit::{self, Event, InForce};
use crate::config::settings::{LoginMethod, Settings};
use crate::error::Error;
use crate::sandbox::runtime::{CallError, Outcome, Resolved, Runtime};
use crate::{InstallationToken, MintError, PolicyDocuments};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where and under which names refreshes are recorded.
#[derive(Clone, Debug)]
pub struct AuditTo {
    pub log: PathBuf,
    pub agent: Option<String>,
    pub bot: String,
    pub workflow_uuid: Option<String>,
}

/// Mints for `resolved` with `settings`, again and again.
pub struct RuntimeMint {
    pub runtime: Arc<Runtime>,
    pub settings: Settings,
    pub resolved: Resolved,
    /// The policy `resolved` came from, for the audit records' hashes.
    pub policy: PolicyDocuments,
    pub audit: Option<AuditTo>,
    /// The session's vault access token, shared by every source of the
    /// session (none: the access token is configured, nothing to keep).
    keeper: Option<Arc<VaultKeeper>>,
    /// How the last mint got its vault access token, for its record (the
    /// refresher records right after it mints, on the same thread).
    last_login: Mutex<Option<VaultLogin>>,
}

impl RuntimeMint {
    /// A session's minter, with a keeper of its own (none for the token method).
    pub fn new(
        runtime: Arc<Runtime>,
        settings: Settings,
        resolved: Resolved,
        policy: PolicyDocuments,
        audit: Option<AuditTo>,
    ) -> RuntimeMint {
        let keeper = keeper_for(&settings);
        RuntimeMint {
            runtime,
            settings,
            resolved,
            policy,
            audit,
            keeper,
            last_login: Mutex::new(None),
        }
    }

    /// The same, minting with `keeper`'s token: a session's other sources
    /// share its first source's keeper (`first.keeper()`), so the session
    /// logs in once. `None` keeps nothing: every mint logs in.
    pub fn sharing(self, keeper: Option<Arc<VaultKeeper>>) -> RuntimeMint {
        RuntimeMint {
            keeper: keeper.filter(|_| !login_given(&self.settings)),
            ..self
        }
    }

    /// The keeper this minter mints with, to share with another source.
    pub fn keeper(&self) -> Option<Arc<VaultKeeper>> {
        self.keeper.clone()
    }
}

/// A new keeper for a session minting with `settings`: none when the access
/// token is configured (there is no login to save).
pub fn keeper_for(settings: &Settings) -> Option<Arc<VaultKeeper>> {
    (!login_given(settings)).then(|| Arc::new(VaultKeeper::new()))
}

/// The settings' vault login is an access token already issued (`INFISICAL_TOKEN`).
fn login_given(settings: &Settings) -> bool {
    settings.login_method() == LoginMethod::Token
}

/// One mint for `resolved`, and how it got its vault access token. With a
/// keeper: its token (after one login when it has none or it is due), and
/// once more after a new login when the vault refuses a kept token (a
/// `vault` failure with status 401 or 403). Without: the configured login,
/// sent with the mint (a one-shot mint keeps nothing). A failed login is the
/// outcome (no request timings), with no `VaultLogin`.
pub fn mint_with_keeper(
    runtime: &Runtime,
    settings: &Settings,
    resolved: &Resolved,
    keeper: Option<&VaultKeeper>,
) -> (Outcome, Option<VaultLogin>) {
    let Some(keeper) = keeper else {
        let how = if login_given(settings) {
            VaultLogin::Given
        } else {
            VaultLogin::New
        };
        return (runtime.mint(settings, resolved), Some(how));
    };
    let login = || {
        runtime.vault_login(settings).map(|access| Access {
            token: zeroize::Zeroizing::new(access.access_token),
            lifetime: access.expires_in.map(Duration::from_secs),
        })
    };
    let with_token = |token: &str| runtime.mint(&settings.with_access_token(token), resolved);
    match keeper.mint(login, with_token, refused) {
        Ok((outcome, how)) => (outcome, Some(how)),
        Err(e) => (
            Outcome {
                result: Err(e),
                denied: Vec::new(),
                requests: Vec::new(),
                connections: 0,
            },
            None,
        ),
    }
}

/// The vault refused the access token (expired, revoked): a new login may help.
fn refused(outcome: &Outcome) -> bool {
    matches!(&outcome.result, Err(CallError::Failed(MintError::Vault(f))) if matches!(f.status, Some(401 | 403)))
}

impl Mint for RuntimeMint {
    fn mint(&self) -> Result<InstallationToken, Error> {
        let (outcome, how) = mint_with_keeper(
            &self.runtime,
            &self.settings,
            &self.resolved,
            self.keeper.as_deref(),
        );
        *self.last_login.lock().unwrap_or_else(|p| p.into_inner()) = how;
        outcome
            .result
            .map_err(|e| Error::new(e.exit(), e.to_string()))
    }

    fn revoke(&self, token: &str) -> Result<(), String> {
        self.runtime
            .retire(&self.settings, token)
            .map_err(|e| match e {
                CallError::Failed(e) => crate::error::message(&e).to_string(),
                CallError::Host(e) => format!("could not revoke a session token: {e:#}"),
            })
    }

    fn record(&self, refreshed: Result<&InstallationToken, &Error>) -> Result<(), String> {
        let Some(to) = &self.audit else { return Ok(()) };
        let event = Event {
            command: "refresh",
            agent: to.agent.as_deref(),
            bot: Some(&to.bot),
            workflow_uuid: to.workflow_uuid.as_deref(),
            token: refreshed.ok(),
            installation: None,
            fallback: None,
            operator_command: None,
            subject: None,
            outcome: refreshed
                .map(|_| ())
                .map_err(|e| (i32::from(e.exit.code()), e.message.as_str())),
            // Like the first mint's record: said of a token minted only.
            vault_login: refreshed
                .ok()
                .and(*self.last_login.lock().unwrap_or_else(|p| p.into_inner())),
        };
        let in_force = InForce {
            component_sha256: self.runtime.component_sha256(),
            compiled_sha256: self.runtime.compiled_sha256(),
            portable_component_sha256: self.runtime.portable_component_sha256(),
            policy: &self.policy,
        };
        audit::append(&to.log, &audit::record(&event, &in_force))
            .map_err(|e| format!("{}: {e}", to.log.display()))
    }
}
