//! The audit log: one JSON line per mint, exec, spawn, verify, credential
//! request, suspend or unsuspend, appended to `RAXX_AUDIT_LOG` / `--audit-log`
//! (nothing when neither is set). Records hold fingerprints, never secrets: the
//! token appears only as its SHA-256, in hex (`token_sha256`) and in GitHub's
//! audit-log form (`hashed_token`), which joins GitHub's own audit log.

use crate::{InstallationToken, PolicyDocuments};
use raxx_core::audit as core;
use std::io::Write;
use std::path::Path;

/// What happened, before it is written.
pub struct Event<'a> {
    pub command: &'a str,
    pub agent: Option<&'a str>,
    pub bot: Option<&'a str>,
    pub workflow_uuid: Option<&'a str>,
    pub token: Option<&'a InstallationToken>,
    /// `(app id, installation id)` when known without a token (suspend, verify).
    pub installation: Option<(&'a str, &'a str)>,
    /// `Some((used, why))` where the fallback rule was consulted.
    pub fallback: Option<(bool, &'a str)>,
    /// The command that ran, or would have run, as the operator (fallback only).
    pub operator_command: Option<&'a [String]>,
    /// What the command acted on besides minting (`smoke`: the issue).
    pub subject: Option<&'a str>,
    /// `Err((exit code, one-line message))` for failures.
    pub outcome: Result<(), (i32, &'a str)>,
    /// How a mint got its vault access token (`None`: nothing was minted).
    pub vault_login: Option<crate::session::VaultLogin>,
}

/// What ran: the component, its compiled code, and the policy in force.
pub struct InForce<'a> {
    pub component_sha256: &'a str,
    pub compiled_sha256: &'a str,
    /// The portable build of the same source (the Node host's artifact), when known.
    pub portable_component_sha256: Option<&'a str>,
    pub policy: &'a PolicyDocuments,
}

/// The JSON record of an event, with what was in force, stamped now (the
/// record itself is the host core's, `crates/core/src/audit.rs`).
pub fn record(event: &Event<'_>, in_force: &InForce<'_>) -> serde_json::Value {
    let permissions: Vec<(&str, &str)> = event
        .token
        .map(|t| {
            t.permissions
                .iter()
                .map(|p| (p.name.as_str(), crate::sandbox::wit_text::level(p.level)))
                .collect()
        })
        .unwrap_or_default();
    // The record's ids stay strings (docs/audit.md).
    let ids = event.token.map(|t| {
        (
            crate::sandbox::wit_text::app(&t.app),
            t.installation_id.to_string(),
        )
    });
    let token = event
        .token
        .zip(ids.as_ref())
        .map(|(t, (app_id, installation_id))| core::Token {
            token: &t.token,
            agent: t.agent.as_deref(),
            bot: &t.bot,
            app_id,
            installation_id,
            expires_at: &t.expires_at,
            permissions: &permissions,
            repositories: &t.repositories,
        });
    let event = core::Event {
        command: event.command,
        agent: event.agent,
        bot: event.bot,
        workflow_uuid: event.workflow_uuid,
        token,
        installation: event.installation,
        fallback: event.fallback,
        operator_command: event.operator_command,
        subject: event.subject,
        outcome: event.outcome,
        vault_login: event.vault_login.map(crate::session::VaultLogin::as_str),
    };
    let in_force = core::InForce {
        component_sha256: in_force.component_sha256,
        compiled_sha256: in_force.compiled_sha256,
        portable_component_sha256: in_force.portable_component_sha256,
        policy: &in_force.policy.policy,
        agent_map: &in_force.policy.agent_map,
    };
    core::record(
        &event,
        &in_force,
        &crate::support::time::iso8601(crate::support::time::now()),
    )
}

/// How long to wait for another raxx process's lock before giving up: holding
/// it far longer than one record takes is a stuck or hostile holder.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Appends one line under an exclusive lock, so concurrent agents never
/// interleave or tear records. The log must be a regular file owned by this
/// user, reached without following a link (a link planted in a shared folder
/// would have raxx append to the link's target); it is created owner-only. A
/// lock that is not released within 5 s is an error, not a hang.
///
/// A failed append (a full disk, a file-size limit) is undone, still under
/// the lock: the log is cut back to its length before, and the error stands.
/// A log that ends in a torn line anyway (a crash mid-write, an undo that
/// failed) gets the record on a fresh line.
pub fn append(path: &Path, record: &serde_json::Value) -> std::io::Result<()> {
    let mut line = record.to_string();
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.read(true).append(true).create(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options
            .mode(0o600)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOFOLLOW);
    }
    let mut file = options.open(path).map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            std::io::Error::other("it is a symbolic link")
        } else {
            e
        }
    })?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("it is not a regular file"));
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let me = rustix::process::geteuid().as_raw();
        if meta.uid() != me {
            return Err(std::io::Error::other(format!(
                "it belongs to uid {}, not to this user",
                meta.uid()
            )));
        }
    }
    let waiting = std::time::Instant::now();
    loop {
        match file.try_lock() {
            Ok(()) => break,
            Err(std::fs::TryLockError::WouldBlock) if waiting.elapsed() < LOCK_WAIT => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(std::io::Error::other(
                    "another process has held its lock for 5 s",
                ))
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(e),
        }
    }
    let written = append_whole(&mut file, line);
    let _ = file.unlock();
    written
}

/// Writes `line` at the end of the locked `file`, on a line of its own; undoes a partial write.
fn append_whole(file: &mut std::fs::File, mut line: String) -> std::io::Result<()> {
    use std::os::unix::fs::FileExt;
    let before = file.metadata()?.len();
    let mut last = [0u8; 1];
    if before > 0 && file.read_at(&mut last, before - 1)? == 1 && last[0] != b'\n' {
        line.insert(0, '\n');
    }
    let written = file.write_all(line.as_bytes()).and_then(|_| file.flush());
    if let Err(e) = written {
        return match file.set_len(before) {
            Ok(()) => Err(e),
            Err(undo) => Err(std::io::Error::new(e.kind(), format!("{e}, and the part written could not be taken back ({undo}); the next record starts on a fresh line"))),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests;
