//! Permission drift: what a bot's installation was granted on GitHub against
//! what the policy asks for each of its users (the bot's own entry, and every
//! agent class mapped to it). A permission asked but not granted makes that
//! user's mints fail; one granted but asked by no user is a least-privilege
//! warning.

use crate::github::Permission;
use crate::policy::Policies;
use std::collections::BTreeMap;

/// A permission where the grant and the policy disagree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gap {
    pub name: String,
    /// Missing: the level asked. Excess: the most any user asks (`None`: no one).
    pub asked: Option<String>,
    /// `None`: not granted.
    pub granted: Option<String>,
}

/// What one user of the bot asks beyond the grant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing {
    /// `None`: the bot's own entry (`mint BOT`, `verify`).
    pub agent: Option<String>,
    pub gaps: Vec<Gap>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Drift {
    pub missing: Vec<Missing>,
    pub excess: Vec<Gap>,
}

use raxx_names::level_rank as rank;

/// GitHub gives every installation `metadata: read` whatever the App asks: never excess.
fn mandatory(name: &str, level: &str) -> bool {
    name == "metadata" && level == "read"
}

/// One user of a bot and the permissions the policy gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// `None`: the bot's own entry.
    pub agent: Option<String>,
    pub permissions: Vec<Permission>,
}

/// Every user of `bot`: its own entry, then each agent class mapped to it.
pub fn users(policies: &Policies, bot: &str) -> Vec<User> {
    let agents = policies
        .agents
        .iter()
        .filter(|(_, b)| *b == bot)
        .map(|(agent, _)| Some(agent.as_str()));
    std::iter::once(None)
        .chain(agents)
        .filter_map(|agent| {
            let resolution = policies
                .resolve(Some(bot), agent, &Default::default())
                .ok()?;
            Some(User {
                agent: agent.map(str::to_string),
                permissions: resolution.scope.permissions,
            })
        })
        .collect()
}

/// The drift of a bot's `users` against the permissions its installation was granted.
pub fn drift(users: &[User], granted: &[Permission]) -> Drift {
    let granted: BTreeMap<&str, &str> = granted
        .iter()
        .map(|p| (p.name.as_str(), p.level.as_str()))
        .collect();
    let mut asked_most: BTreeMap<String, String> = BTreeMap::new();
    let mut missing = Vec::new();
    for User { agent, permissions } in users {
        let mut gaps = Vec::new();
        for Permission { name, level } in permissions {
            let have = granted.get(name.as_str()).copied();
            if rank(have.unwrap_or("")) < rank(level) {
                gaps.push(Gap {
                    name: name.clone(),
                    asked: Some(level.clone()),
                    granted: have.map(str::to_string),
                });
            }
            let most = asked_most.entry(name.clone()).or_default();
            if rank(level) > rank(most) {
                *most = level.clone();
            }
        }
        if !gaps.is_empty() {
            missing.push(Missing {
                agent: agent.clone(),
                gaps,
            });
        }
    }
    let excess = granted
        .iter()
        .filter(|(name, level)| {
            !mandatory(name, level) && rank(level) > asked_most.get(**name).map_or(0, |l| rank(l))
        })
        .map(|(name, level)| Gap {
            name: name.to_string(),
            asked: asked_most.get(*name).cloned(),
            granted: Some(level.to_string()),
        })
        .collect();
    Drift { missing, excess }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Documents;

    const MAP: &str =
        "agents:\n  feature-developer: dev-bot\n  card-groomer: dev-bot\n  sre-agent: ops-bot\n";
    const POLICY: &str = "version: 1\nbots:\n  dev-bot:\n    permissions:\n      contents: write\n      issues: write\n      metadata: read\n  ops-bot:\n    permissions:\n      issues: read\nagents:\n  card-groomer:\n    permissions:\n      issues: write\n";

    fn policies() -> Policies {
        Policies::load(&Documents {
            agent_map: MAP,
            agent_map_name: "map.yaml",
            policy: POLICY,
            policy_name: "policy.yaml",
        })
        .unwrap()
    }

    fn grants(list: &[(&str, &str)]) -> Vec<Permission> {
        list.iter()
            .map(|(n, l)| Permission {
                name: n.to_string(),
                level: l.to_string(),
            })
            .collect()
    }

    fn gap(name: &str, asked: Option<&str>, granted: Option<&str>) -> Gap {
        Gap {
            name: name.into(),
            asked: asked.map(Into::into),
            granted: granted.map(Into::into),
        }
    }

    #[test]
    fn an_exact_grant_has_no_drift() {
        let d = drift(
            &users(&policies(), "dev-bot"),
            &grants(&[
                ("contents", "write"),
                ("issues", "write"),
                ("metadata", "read"),
            ]),
        );
        assert_eq!(d, Drift::default());
    }

    #[test]
    fn missing_is_per_user_and_names_the_level_granted() {
        let d = drift(
            &users(&policies(), "dev-bot"),
            &grants(&[
                ("contents", "read"),
                ("issues", "write"),
                ("metadata", "read"),
            ]),
        );
        let contents = vec![gap("contents", Some("write"), Some("read"))];
        // card-groomer asks issues only: it is not affected.
        assert_eq!(
            d.missing,
            vec![
                Missing {
                    agent: None,
                    gaps: contents.clone()
                },
                Missing {
                    agent: Some("feature-developer".into()),
                    gaps: contents
                }
            ]
        );
        assert!(d.excess.is_empty());
        let d = drift(
            &users(&policies(), "dev-bot"),
            &grants(&[("contents", "write"), ("metadata", "read")]),
        );
        assert_eq!(d.missing.len(), 3, "every user asks issues: {d:?}");
        assert!(d
            .missing
            .iter()
            .all(|m| m.gaps == vec![gap("issues", Some("write"), None)]));
    }

    #[test]
    fn excess_is_a_grant_no_user_asks_for_at_that_level() {
        let d = drift(
            &users(&policies(), "dev-bot"),
            &grants(&[
                ("contents", "write"),
                ("issues", "write"),
                ("metadata", "read"),
                ("administration", "write"),
            ]),
        );
        assert_eq!(d.excess, vec![gap("administration", None, Some("write"))]);
        let d = drift(
            &users(&policies(), "ops-bot"),
            &grants(&[("issues", "write"), ("metadata", "read")]),
        );
        assert_eq!(
            d.excess,
            vec![gap("issues", Some("read"), Some("write"))],
            "metadata: read is GitHub's, never excess"
        );
        assert!(d.missing.is_empty());
    }
}
