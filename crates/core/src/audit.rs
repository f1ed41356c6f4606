//! The audit record: one JSON object per mint, exec, spawn, verify,
//! credential request, suspend or unsuspend (docs/audit.md). Records hold
//! fingerprints, never secrets: the token appears only as its SHA-256, in hex
//! (`token_sha256`) and in GitHub's audit-log form (`hashed_token`), which
//! joins GitHub's own audit log. The host appends the record (and supplies
//! the time: the core reads no clock). A mint's record says how it logged
//! in to the vault (`vault_login`), which is what Infisical's login limit
//! counts.

use base64::Engine as _;
use sha2::Digest as _;

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    sha2::Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// A token as GitHub's audit log names it (`hashed_token`): the SHA-256 of
/// the token, base64-encoded (standard alphabet, padded), as
/// `printf %s "$TOKEN" | openssl dgst -sha256 -binary | base64` prints it.
pub fn github_hashed_token(token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(token.as_bytes()))
}

/// What the record needs of a minted token.
#[derive(Clone, Copy, Debug)]
pub struct Token<'a> {
    pub token: &'a str,
    pub agent: Option<&'a str>,
    pub bot: &'a str,
    pub app_id: &'a str,
    pub installation_id: &'a str,
    pub expires_at: &'a str,
    /// (name, level), in the token's order.
    pub permissions: &'a [(&'a str, &'a str)],
    pub repositories: &'a [String],
}

/// What happened, before it is written.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    pub command: &'a str,
    pub agent: Option<&'a str>,
    pub bot: Option<&'a str>,
    pub workflow_uuid: Option<&'a str>,
    pub token: Option<Token<'a>>,
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
    /// How a mint got its vault access token: `new` (it logged in), `reused`
    /// (a session's token from an earlier login), `given` (the token method:
    /// no login); `None` for records without a minted token.
    pub vault_login: Option<&'a str>,
}

/// What ran: the component, its compiled code, and the policy in force.
#[derive(Clone, Copy, Debug)]
pub struct InForce<'a> {
    pub component_sha256: &'a str,
    pub compiled_sha256: &'a str,
    /// The portable build of the same source (the Node host runs it; raxx-host
    /// runs the wide-arithmetic build), when the host knows it.
    pub portable_component_sha256: Option<&'a str>,
    pub policy: &'a str,
    pub agent_map: &'a str,
}

/// The JSON record of an event at `time` (ISO 8601, UTC, seconds), with
/// what was in force. Its keys are in alphabetical order.
pub fn record(event: &Event<'_>, in_force: &InForce<'_>, time: &str) -> serde_json::Value {
    let token = event.token;
    let permissions: serde_json::Map<String, serde_json::Value> = token
        .map(|t| {
            t.permissions
                .iter()
                .map(|(name, level)| (name.to_string(), (*level).into()))
                .collect()
        })
        .unwrap_or_default();
    serde_json::json!({
        "time": time,
        "command": event.command,
        "agent": event.agent.or(token.and_then(|t| t.agent)),
        "bot": event.bot.or(token.map(|t| t.bot)),
        "workflow_uuid": event.workflow_uuid,
        "app_id": token.map(|t| t.app_id).or(event.installation.map(|(app, _)| app)),
        "installation_id": token.map(|t| t.installation_id).or(event.installation.map(|(_, id)| id)),
        "component_sha256": in_force.component_sha256,
        "compiled_sha256": in_force.compiled_sha256,
        "portable_component_sha256": in_force.portable_component_sha256,
        "policy_sha256": sha256_hex(in_force.policy.as_bytes()),
        "agent_map_sha256": sha256_hex(in_force.agent_map.as_bytes()),
        "token_sha256": token.map(|t| sha256_hex(t.token.as_bytes())),
        "hashed_token": token.map(|t| github_hashed_token(t.token)),
        "expires_at": token.map(|t| t.expires_at),
        "permissions": permissions,
        "repositories": token.map(|t| t.repositories.to_vec()).unwrap_or_default(),
        "fallback": event.fallback.map(|(used, reason)| serde_json::json!({"used": used, "reason": reason, "command": event.operator_command})),
        "outcome": if event.outcome.is_ok() { "ok" } else { "error" },
        "subject": event.subject,
        "exit_code": event.outcome.err().map(|(code, _)| code).unwrap_or(0),
        "error": event.outcome.err().map(|(_, message)| message),
        "vault_login": event.vault_login,
    })
}
