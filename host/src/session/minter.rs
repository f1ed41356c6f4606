//! [`Mint`] over a loaded [`Runtime`]: what `spawn`, `exec` and an embedding
//! orchestrator refresh with. Every refresh is a full mint (vault read live)
//! for the resolution the session began with, recorded in the audit log when
//! one is configured.

use super::Mint;
use crate::audit::{self, Event, InForce};
use crate::config::settings::Settings;
use crate::error::Error;
use crate::sandbox::runtime::{CallError, Resolved, Runtime};
use crate::{InstallationToken, PolicyDocuments};
use std::path::PathBuf;
use std::sync::Arc;

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
}

impl Mint for RuntimeMint {
    fn mint(&self) -> Result<InstallationToken, Error> {
        self.runtime
            .mint(&self.settings, &self.resolved)
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
            vault_login: None,
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
