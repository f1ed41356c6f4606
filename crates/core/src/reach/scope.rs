//! The token exchange's scope check: a `POST …/access_tokens` body may ask
//! no more than the resolution the host passed in.

use crate::quote::quoted;
use raxx_names::level_rank;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a token exchange may ask GitHub for: the scope of the resolution the
/// host passed in.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// Permission name → the most it may ask (`read` < `write` < `admin`).
    pub permissions: BTreeMap<String, String>,
    /// Empty: the installation's own selection (a request may name any of it).
    pub repositories: Vec<String>,
}

/// The body of `POST /app/installations/{id}/access_tokens` as the host
/// understands it. Anything else in it (`repository_ids`, …) is refused.
#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    permissions: Option<BTreeMap<String, String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    repositories: Option<Vec<String>>,
}

impl Scope {
    /// A scope from a resolution's permissions (name, level) and repositories.
    pub fn new<'a>(
        permissions: impl IntoIterator<Item = (&'a str, &'a str)>,
        repositories: &[String],
    ) -> Scope {
        Scope {
            permissions: permissions
                .into_iter()
                .map(|(n, l)| (n.to_string(), l.to_string()))
                .collect(),
            repositories: repositories.to_vec(),
        }
    }

    /// Judges a token request body; returns what may be sent: the request as
    /// checked, written out again (so GitHub reads exactly what was judged,
    /// whatever duplicate keys or escapes the original held).
    pub fn check(&self, body: &[u8]) -> Result<Vec<u8>, String> {
        let asked: TokenRequest = serde_json::from_slice(body).map_err(|_| "its body is not a token request (a JSON object of permissions and repositories only)".to_string())?;
        let permissions = asked.permissions.as_ref().filter(|p| !p.is_empty()).ok_or("it asks for no permissions, which GitHub reads as every permission the installation has")?;
        for (name, level) in permissions {
            match self.permissions.get(name) {
                None => {
                    return Err(format!(
                        "it asks {}={}, which the resolution does not grant",
                        quoted(name),
                        quoted(level)
                    ))
                }
                Some(most) if level_rank(level) == 0 || level_rank(level) > level_rank(most) => {
                    return Err(format!(
                        "it asks {}={}, more than the resolution's {}={most}",
                        quoted(name),
                        quoted(level),
                        quoted(name)
                    ))
                }
                Some(_) => {}
            }
        }
        let repositories = asked.repositories.as_deref().unwrap_or_default();
        if !self.repositories.is_empty() {
            if repositories.is_empty() {
                return Err(format!(
                    "it asks for every repository of the installation; the resolution names {}",
                    self.repositories.join(", ")
                ));
            }
            if let Some(outside) = repositories.iter().find(|r| !self.repositories.contains(r)) {
                return Err(format!(
                    "it asks for repository {}, outside the resolution's {}",
                    quoted(outside),
                    self.repositories.join(", ")
                ));
            }
        }
        serde_json::to_vec(&asked).map_err(|e| format!("its body could not be written again: {e}"))
    }
}
