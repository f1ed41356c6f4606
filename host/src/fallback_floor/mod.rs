//! The host's floor for `exec`'s fallback: whatever the component answers,
//! a command runs with the operator's credentials only if the host itself,
//! from the policy files as it reads them, finds it operator-safe.
//!
//! The component's `decide-fallback` (and the `operator-safe` and
//! `fallback-allowed` fields of its resolution) come from a build the host
//! cannot vouch for; a hostile one could answer "allowed" for anything. So
//! the host checks, on its own:
//! - the failure is one an agent cannot provoke (`failure_may_fall_back`:
//!   no rate limit, lockout, timeout or unreachable service, no invalid
//!   setting or denied request, no usage or policy error; docs/security.md
//!   says why for each kind);
//! - the policy says `fallback: allow` for the bot, or for the agent class
//!   (which overrides its bot's), as the component reads it; absent: refuse;
//! - the program is `gh`, by its bare name: the host knows gh's grammar and
//!   no other program's, so git, a shell, an interpreter, `env`, `xargs`, any
//!   other launcher, and any path are refused whatever the policy lists;
//! - gh runs one of the `gh issue` commands the host knows (`gh.rs`, parsed
//!   the way cobra and pflag do), every argument passes the host's check, and
//!   that command is an entry of the policy's `fallback.operator_safe`. A
//!   PR-authoring command is never in the host's table, so no policy entry can
//!   let one through.
//!
//! A compromised build can make the fallback not happen; it cannot make it
//! happen wider than this.

pub mod gh;

use crate::{FailureKind, MintError, MintRequest, PolicyDocuments};
use saphyr::{LoadableYamlNode, YamlOwned};

/// Why a failure of this kind may (`Ok`) or may not (`Err`) fall back. Only
/// failures an agent on the same machine cannot bring about: the service's
/// own state (5xx, 404, an unusable secret, an answer not as documented) or
/// the invoking environment (no machine identity).
pub fn failure_may_fall_back(failure: &MintError, narrowed: bool) -> Result<(), String> {
    let (service, f) = match failure {
        MintError::Vault(f) => ("the vault", f),
        MintError::Github(f) => ("GitHub", f),
        MintError::InvalidRequest(_) => return Err("a usage error never falls back".into()),
        MintError::Policy(_) => return Err("a policy refusal never falls back".into()),
    };
    let provoked = match f.kind {
        FailureKind::Absent | FailureKind::Server | FailureKind::Protocol | FailureKind::BadSecret => None,
        FailureKind::NotFound | FailureKind::Rejected if narrowed && service == "GitHub" => {
            Some("GitHub refused a request narrowed by the caller (--repo, --permission, --owner)")
        }
        FailureKind::NotFound | FailureKind::Rejected => None,
        FailureKind::RateLimited => Some("a rate limit, which an agent reaches by flooding the service from the same address"),
        FailureKind::Refused => Some("a refused login, which an agent can provoke (a lockout after failed logins) and a suspension means on purpose"),
        FailureKind::Timeout => Some("a timeout, which an agent can provoke by loading this machine or its network"),
        FailureKind::Unreachable => Some("an unreachable service, which an agent can provoke (local ports or sockets exhausted)"),
        FailureKind::Config => Some("an invalid setting"),
        FailureKind::Denied => Some("a request the egress allowlist denied"),
    };
    match provoked {
        None => Ok(()),
        Some(what) => Err(format!("{what} never falls back")),
    }
}

/// The parts of the policy the floor reads.
struct Rules {
    /// `fallback: allow` for the request's bot or class, with the class overriding its bot.
    allowed: bool,
    /// `fallback.operator_safe`, each entry's words.
    operator_safe: Vec<Vec<String>>,
}

fn load(text: &str, name: &str) -> Result<YamlOwned, String> {
    let docs =
        YamlOwned::load_from_str(text).map_err(|e| format!("{name} is not valid YAML ({e})"))?;
    Ok(docs.into_iter().next().unwrap_or(YamlOwned::BadValue))
}

fn get<'y>(node: &'y YamlOwned, path: &[&str]) -> Option<&'y YamlOwned> {
    path.iter()
        .try_fold(node, |node, key| node.as_mapping_get(key))
}

/// Reads the request's rules from the policy and the agent map, the way the
/// component resolves them (components/minter/src/policy.rs `resolve`).
fn rules(policy: &PolicyDocuments, request: &MintRequest) -> Result<Rules, String> {
    let map = load(&policy.agent_map, "the agent map")?;
    let doc = load(&policy.policy, "the policy")?;
    let bot = match (&request.agent, &request.bot) {
        (Some(agent), bot) => {
            let mapped = get(&map, &["agents", agent])
                .and_then(YamlOwned::as_str)
                .ok_or_else(|| format!("agent class '{agent}' is not in the agent map"))?;
            if bot.as_deref().is_some_and(|b| b != mapped) {
                return Err(format!(
                    "agent class '{agent}' uses {mapped}, not the bot named"
                ));
            }
            mapped.to_string()
        }
        (None, Some(bot)) => bot.clone(),
        (None, None) => return Err("no bot or agent class named".into()),
    };
    let rule = |at: &[&str]| get(&doc, at).map(|v| v.as_str() == Some("allow"));
    let class_rule = request
        .agent
        .as_deref()
        .and_then(|agent| rule(&["agents", agent, "fallback"]));
    let allowed = class_rule
        .or_else(|| rule(&["bots", &bot, "fallback"]))
        .unwrap_or(false);
    let operator_safe = match get(&doc, &["fallback", "operator_safe"]) {
        None => Vec::new(),
        Some(list) => list
            .as_vec()
            .ok_or("fallback.operator_safe is not a list")?
            .iter()
            .map(|entry| {
                entry
                    .as_str()
                    .map(|e| e.split_whitespace().map(str::to_string).collect())
                    .ok_or("fallback.operator_safe holds something other than a command")
            })
            .collect::<Result<_, _>>()?,
    };
    Ok(Rules {
        allowed,
        operator_safe,
    })
}

/// Whether `argv` may run with the operator's credentials after the mint for
/// `request` failed with `failure`: `Ok(entry)`, the operator-safe entry it
/// is, or `Err(why)`, one line.
pub fn judge(
    policy: &PolicyDocuments,
    request: &MintRequest,
    argv: &[String],
    failure: &MintError,
) -> Result<String, String> {
    let narrowed = !request.repositories.is_empty()
        || !request.permissions.is_empty()
        || request.owner.is_some();
    failure_may_fall_back(failure, narrowed)?;
    let rules = rules(policy, request)
        .map_err(|why| format!("the host cannot read the policy's fallback rule: {why}"))?;
    if !rules.allowed {
        return Err("the policy (as the host reads it) does not say fallback: allow".into());
    }
    let Some((program, args)) = argv.split_first() else {
        return Err("no command".into());
    };
    if program != "gh" {
        return Err(format!(
            "'{}' is not gh: the host knows gh's grammar only, so no other program (git, a shell, an interpreter, env, xargs or another launcher, a path) runs as the operator",
            gh::shown(program)
        ));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let command = gh::judge(&args)?.command;
    let listed = rules.operator_safe.iter().any(|entry| {
        let words: Vec<&str> = entry.iter().map(String::as_str).collect();
        words.first() == Some(&"gh")
            && gh::canonical(&words[1..]).as_deref() == Some(command.as_str())
    });
    if !listed {
        return Err(format!("'gh {command}' is not on the policy's fallback.operator_safe list (as the host reads it)"));
    }
    Ok(format!("gh {command}"))
}

#[cfg(test)]
mod tests;
