//! The CLI's audit records: the events its commands write, and the one
//! place they are appended (`Context::audit`).

use crate::audit::{self, Event, InForce};
use crate::cli::context::Context;
use crate::error::Error;
use crate::exit::Exit;
use crate::sandbox::runtime::Resolved;

impl Context {
    /// What was in force, for audit records.
    pub fn in_force(&self) -> InForce<'_> {
        InForce {
            component_sha256: self.runtime.component_sha256(),
            compiled_sha256: self.runtime.compiled_sha256(),
            portable_component_sha256: self.runtime.portable_component_sha256(),
            policy: &self.policy,
        }
    }

    /// Appends the event to the audit log, when one is configured. A log that
    /// cannot be written stops the command: nothing happens unrecorded.
    pub fn audit(&self, event: Event<'_>) -> Result<(), Error> {
        let Some(path) = &self.audit_log else {
            return Ok(());
        };
        let record = audit::record(&event, &self.in_force());
        audit::append(path, &record).map_err(|e| {
            Error::new(
                Exit::Host,
                format!("cannot write the audit log {}: {e}", path.display()),
            )
        })
    }
}

/// An audit event for `command` about `resolution`.
pub fn event<'a>(
    command: &'a str,
    resolution: &'a Resolved,
    workflow_uuid: Option<&'a str>,
) -> Event<'a> {
    Event {
        agent: resolution.agent.as_deref(),
        workflow_uuid,
        ..bot_event(command, &resolution.bot)
    }
}

/// An event about a bot itself, no agent class in it (verify, suspend).
pub fn bot_event<'a>(command: &'a str, bot: &'a str) -> Event<'a> {
    Event {
        command,
        agent: None,
        bot: Some(bot),
        workflow_uuid: None,
        token: None,
        installation: None,
        fallback: None,
        operator_command: None,
        subject: None,
        outcome: Ok(()),
        vault_login: None,
    }
}
