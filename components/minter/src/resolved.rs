//! A request resolved against the policy, with everything the later calls of
//! a command need from the policy: `resolve` (and `bots`) make one, and
//! `mint`, `verify`, `set-suspended` and `decide-fallback` take it back instead
//! of the policy text, so a command reads the policy once.
//!
//! It travels through the host as a plain WIT record. A host that edited it
//! gains nothing it lacks (it hands the component the policy text), and the
//! scope a mint asks for is the one the host's egress hook holds the token
//! exchange to. What the component does not take on trust is its shape:
//! [`Resolved::check`] reads every name and the scope again on the way in.

use crate::drift::{self, User};
use crate::error::MintError;
use crate::fallback::FallbackRule;
use crate::github::Scope;
use crate::mint::{check_scope, split_repositories, Locate, PolicyRequest};
use crate::names::{check_bot_name, is_name, is_repository, one_line};
use crate::policy::{Documents, Policies, Resolution};

/// Everything the policy says about one request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolved {
    /// The bot, the agent class, the exact scope, `fallback` and `isolate`.
    pub resolution: Resolution,
    /// Where to look the installation up when the vault has no INSTALLATION_ID.
    pub locate: Locate,
    /// `children.pass_env`.
    pub pass_env: Vec<String>,
    /// The policy's `fallback:` section.
    pub fallback: FallbackRule,
    /// Every user of the bot, for `verify`'s permission drift.
    pub users: Vec<User>,
    /// The caller narrowed the policy's scope (repositories, permissions or
    /// an owner named): GitHub refusing such a request is the caller's doing.
    pub narrowed: bool,
}

impl Resolved {
    /// Checks the documents and resolves the request to a bot, exact scope,
    /// and where to find the installation. No network.
    pub fn resolve(docs: &Documents<'_>, request: &PolicyRequest) -> Result<Resolved, MintError> {
        if let Some(bot) = &request.bot {
            check_bot_name(bot).map_err(MintError::InvalidRequest)?;
        }
        let (names, locate) =
            split_repositories(&request.narrow.repositories, request.owner.as_deref())
                .map_err(MintError::InvalidRequest)?;
        let narrow = Scope {
            repositories: names,
            permissions: request.narrow.permissions.clone(),
        };
        check_scope(&narrow).map_err(MintError::InvalidRequest)?;
        let policies = Policies::load(docs).map_err(MintError::Policy)?;
        let resolution = policies
            .resolve(request.bot.as_deref(), request.agent.as_deref(), &narrow)
            .map_err(MintError::Policy)?;
        let narrowed = !request.narrow.repositories.is_empty()
            || !request.narrow.permissions.is_empty()
            || request.owner.is_some();
        Ok(Resolved {
            narrowed,
            ..Resolved::of(&policies, resolution, locate)
        })
    }

    /// Every bot of the policy, resolved as `mint BOT` resolves it, in name order.
    pub fn every_bot(docs: &Documents<'_>) -> Result<Vec<Resolved>, MintError> {
        let policies = Policies::load(docs).map_err(MintError::Policy)?;
        policies
            .bots
            .keys()
            .map(|bot| {
                let resolution = policies
                    .resolve(Some(bot), None, &Scope::default())
                    .map_err(MintError::Policy)?;
                Ok(Resolved::of(&policies, resolution, Locate::default()))
            })
            .collect()
    }

    fn of(policies: &Policies, resolution: Resolution, locate: Locate) -> Resolved {
        let users = drift::users(policies, &resolution.bot);
        Resolved {
            resolution,
            locate,
            pass_env: policies.pass_env.clone(),
            fallback: policies.fallback.clone(),
            users,
            narrowed: false,
        }
    }

    /// Checks a resolution that came back from the host as `resolve` would
    /// have made it: plain names, GitHub's permissions at valid levels, at
    /// least one permission (none would ask for all the installation has).
    pub fn check(&self) -> Result<(), MintError> {
        let r = &self.resolution;
        check_bot_name(&r.bot).map_err(invalid)?;
        if let Some(agent) = r.agent.as_deref().filter(|a| !is_name(a)) {
            return Err(invalid(format!(
                "agent class {:?} is not a name",
                one_line(agent, 60)
            )));
        }
        if r.scope.permissions.is_empty() {
            return Err(invalid("it names no permissions, which would ask GitHub for every permission the installation has".into()));
        }
        check_scope(&r.scope).map_err(invalid)?;
        if let Some(owner) = self.locate.owner.as_deref().filter(|o| !is_name(o)) {
            return Err(invalid(format!(
                "owner {:?} is not a name",
                one_line(owner, 60)
            )));
        }
        if let Some(repo) = self
            .locate
            .repository
            .as_deref()
            .filter(|r| !is_repository(r))
        {
            return Err(invalid(format!(
                "repository {:?} is not a repository name",
                one_line(repo, 60)
            )));
        }
        Ok(())
    }
}

fn invalid(why: String) -> MintError {
    MintError::InvalidRequest(format!(
        "the resolution the host passed back is not one resolve makes: {why}"
    ))
}

/// The `fallback.operator_safe` entries of a resolution back from the host,
/// read as the policy's are (`fallback::parse_safe_entry`).
pub fn operator_safe(entries: &[String]) -> Result<Vec<Vec<String>>, MintError> {
    entries
        .iter()
        .map(|entry| {
            crate::fallback::parse_safe_entry(entry)
                .map_err(|why| invalid(format!("operator-safe entry: {why}")))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::github::Permission;
    use crate::policy::tests::{MAP, POLICY};

    fn docs() -> Documents<'static> {
        Documents {
            agent_map: MAP,
            agent_map_name: "map.yaml",
            policy: POLICY,
            policy_name: "policy.yaml",
        }
    }

    fn agent(class: &str) -> PolicyRequest {
        PolicyRequest {
            agent: Some(class.into()),
            ..PolicyRequest::default()
        }
    }

    #[test]
    fn a_resolution_carries_what_later_calls_need_from_the_policy() {
        let narrow = Scope {
            repositories: vec!["acme/app".into()],
            permissions: vec![],
        };
        let r = Resolved::resolve(
            &docs(),
            &PolicyRequest {
                bot: Some("raxx-dev-bot".into()),
                narrow,
                ..PolicyRequest::default()
            },
        )
        .unwrap();
        assert_eq!(
            r.locate,
            Locate {
                owner: Some("acme".into()),
                repository: Some("app".into())
            }
        );
        assert_eq!(r.resolution.scope.repositories, vec!["app".to_string()]);
        assert_eq!(
            (r.fallback.never_for.as_slice(), r.pass_env.len()),
            (["gh release create".to_string()].as_slice(), 2)
        );
        assert_eq!(
            r.fallback.operator_safe,
            vec![
                vec!["gh".to_string(), "issue".into(), "list".into()],
                vec!["gh".into(), "issue".into(), "create".into()]
            ]
        );
        let users: Vec<Option<&str>> = r.users.iter().map(|u| u.agent.as_deref()).collect();
        assert_eq!(
            users,
            [None, Some("feature-developer")],
            "the bot's own entry, then each class mapped to it"
        );
        let every: Vec<String> = Resolved::every_bot(&docs())
            .unwrap()
            .into_iter()
            .map(|r| r.resolution.bot)
            .collect();
        assert_eq!(every, ["raxx-dev-bot", "raxx-ops-bot"]);
    }

    /// A named edit that puts a resolution out of shape.
    type Edit = (&'static str, fn(&mut Resolved));

    #[test]
    fn a_resolution_that_comes_back_edited_out_of_shape_is_refused() {
        let good = Resolved::resolve(&docs(), &agent("sre-agent")).unwrap();
        assert!(good.check().is_ok());
        let edits: [Edit; 6] = [
            ("bot", |r| r.resolution.bot = "../etc".into()),
            ("agent", |r| r.resolution.agent = Some("a b".into())),
            ("no permissions", |r| r.resolution.scope.permissions.clear()),
            ("permission", |r| {
                r.resolution.scope.permissions.push(Permission {
                    name: "pull_request".into(),
                    level: "write".into(),
                })
            }),
            ("repository", |r| {
                r.resolution.scope.repositories.push("..".into())
            }),
            ("owner", |r| r.locate.owner = Some("acme/x".into())),
        ];
        for (what, edit) in edits {
            let mut r = good.clone();
            edit(&mut r);
            match r.check() {
                Err(MintError::InvalidRequest(m)) => assert!(
                    m.starts_with("the resolution the host passed back"),
                    "{what}: {m}"
                ),
                other => panic!("{what}: {other:?}"),
            }
        }
        assert!(operator_safe(&["gh issue list".into()]).is_ok());
        assert!(
            matches!(
                operator_safe(&["sh -c".into()]),
                Err(MintError::InvalidRequest(_))
            ),
            "an entry the policy would refuse"
        );
    }
}
