//! The agent map and the policy: who gets which bot, with what scope, and
//! whether a failed mint may fall back to the operator's credentials.
//!
//! Both files are read strictly: an unknown key, a bot without a map entry, a
//! map entry without a policy, a malformed permission or an agent rule that
//! grants more than its bot are refused with the file, line and key to fix.

pub use crate::error::{PolicyError, PolicyErrorKind};
use crate::fallback::FallbackRule;
use crate::github::{Permission, Scope};
use crate::names::{check_bot_name, is_name, is_repository, one_line, who};
use crate::permissions;
use crate::yaml::{self, Node, Value};
use raxx_names::level_rank;
use std::collections::BTreeMap;

fn invalid(file: &str, line: usize, message: impl std::fmt::Display) -> PolicyError {
    PolicyError {
        kind: PolicyErrorKind::Invalid,
        message: format!("{file} line {line}: {message}"),
    }
}

/// Commands that may author a pull request; never run as the operator, whatever the policy says.
pub const PR_AUTHORING_COMMANDS: [&str; 5] = [
    "gh pr create",
    "gh api *pulls*",
    "gh api *createPullRequest*",
    "git push",
    "hub pull-request",
];

/// The two documents as text, with the names to use in messages.
pub struct Documents<'a> {
    pub agent_map: &'a str,
    pub agent_map_name: &'a str,
    pub policy: &'a str,
    pub policy_name: &'a str,
}

/// What one bot or agent class is allowed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rule {
    pub permissions: BTreeMap<String, String>,
    /// `None`: the installation's own repository selection.
    pub repositories: Option<Vec<String>>,
    pub fallback: Option<bool>,
    /// `spawn` runs the agent in a sandbox.
    pub isolate: Option<bool>,
}

/// Both documents, checked against each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policies {
    /// agent class → bot
    pub agents: BTreeMap<String, String>,
    pub bots: BTreeMap<String, Rule>,
    pub agent_rules: BTreeMap<String, Rule>,
    pub fallback: FallbackRule,
    /// `children.pass_env`: variables children get on top of the host's allowlist.
    pub pass_env: Vec<String>,
}

/// The bot and the exact scope a request resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resolution {
    pub bot: String,
    pub agent: Option<String>,
    pub scope: Scope,
    pub fallback_allowed: bool,
    pub isolate: bool,
}

fn parse_doc(file: &str, text: &str) -> Result<Node, PolicyError> {
    yaml::parse(text).map_err(|e| invalid(file, e.line, e.message))
}

fn entries<'n>(
    file: &str,
    node: &'n Node,
    what: &str,
) -> Result<&'n [(String, usize, Node)], PolicyError> {
    match &node.value {
        Value::Map(entries) => Ok(entries),
        Value::Null => Ok(&[]),
        _ => Err(invalid(
            file,
            node.line,
            format!("{what} must be a mapping of 'key: value' lines"),
        )),
    }
}

fn scalar<'n>(file: &str, node: &'n Node, what: &str) -> Result<&'n str, PolicyError> {
    match &node.value {
        Value::Scalar(s) => Ok(s),
        _ => Err(invalid(
            file,
            node.line,
            format!("{what} must be a single value"),
        )),
    }
}

fn list(file: &str, node: &Node, what: &str) -> Result<Vec<(String, usize)>, PolicyError> {
    match &node.value {
        Value::List(items) => items
            .iter()
            .map(|i| scalar(file, i, what).map(|s| (s.to_string(), i.line)))
            .collect(),
        Value::Null => Ok(Vec::new()),
        _ => Err(invalid(
            file,
            node.line,
            format!("{what} must be a list, e.g. [a, b]"),
        )),
    }
}

fn unknown_key(file: &str, line: usize, key: &str, at: &str, expected: &[&str]) -> PolicyError {
    invalid(
        file,
        line,
        format!(
            "unknown key '{key}' in {at}; expected one of: {}",
            expected.join(", ")
        ),
    )
}

/// The agent map: agent class → bot, and agent class → the line it is on.
type AgentMap = (BTreeMap<String, String>, BTreeMap<String, usize>);

fn parse_map(file: &str, text: &str) -> Result<AgentMap, PolicyError> {
    let doc = parse_doc(file, text)?;
    let mut agents = BTreeMap::new();
    let mut lines = BTreeMap::new();
    for (key, line, value) in entries(file, &doc, "the agent map")? {
        if key != "agents" {
            return Err(unknown_key(file, *line, key, "the agent map", &["agents"]));
        }
        for (class, line, bot) in entries(file, value, "agents")? {
            if !is_name(class) {
                return Err(invalid(
                    file,
                    *line,
                    format!("agent class '{class}' must use letters, digits and '-'"),
                ));
            }
            let bot = scalar(file, bot, &format!("the bot of agent class '{class}'"))?;
            if check_bot_name(bot).is_err() {
                return Err(invalid(
                    file,
                    *line,
                    format!(
                        "agent class '{class}' maps to an invalid bot name '{}'",
                        one_line(bot, 40)
                    ),
                ));
            }
            agents.insert(class.clone(), bot.to_string());
            lines.insert(class.clone(), *line);
        }
    }
    Ok((agents, lines))
}

fn parse_rule(file: &str, at: &str, node: &Node) -> Result<Rule, PolicyError> {
    let mut rule = Rule::default();
    for (key, line, value) in entries(file, node, at)? {
        match key.as_str() {
            "permissions" => {
                for (name, pline, level) in entries(file, value, &format!("{at}.permissions"))? {
                    permissions::check_name(name)
                        .map_err(|why| invalid(file, *pline, format!("{at}.permissions: {why}")))?;
                    let level = scalar(file, level, &format!("{at}.permissions.{name}"))?;
                    permissions::check_level(name, level).map_err(|why| {
                        invalid(file, *pline, format!("{at}.permissions.{name}: {why}"))
                    })?;
                    rule.permissions.insert(name.clone(), level.to_string());
                }
                if rule.permissions.is_empty() {
                    return Err(invalid(file, *line, format!("{at}.permissions is empty; list what tokens need (an empty set would grant everything the installation has)")));
                }
            }
            "repositories" => {
                let repos = list(file, value, &format!("{at}.repositories"))?;
                for (repo, rline) in &repos {
                    if !is_repository(repo) {
                        return Err(invalid(file, *rline, format!("{at}.repositories: '{repo}' is not a repository name (no owner, e.g. Hello-World)")));
                    }
                }
                rule.repositories =
                    (!repos.is_empty()).then(|| repos.into_iter().map(|(r, _)| r).collect());
            }
            "fallback" => {
                rule.fallback = Some(match scalar(file, value, &format!("{at}.fallback"))? {
                    "allow" => true,
                    "refuse" => false,
                    other => {
                        return Err(invalid(
                            file,
                            *line,
                            format!("{at}.fallback: '{other}' is not allow or refuse"),
                        ))
                    }
                });
            }
            "isolate" => {
                rule.isolate = Some(match scalar(file, value, &format!("{at}.isolate"))? {
                    "true" => true,
                    "false" => false,
                    other => {
                        return Err(invalid(
                            file,
                            *line,
                            format!("{at}.isolate: '{other}' is not true or false"),
                        ))
                    }
                });
            }
            _ => {
                return Err(unknown_key(
                    file,
                    *line,
                    key,
                    at,
                    &["permissions", "repositories", "fallback", "isolate"],
                ))
            }
        }
    }
    Ok(rule)
}

impl Policies {
    /// Reads and cross-checks both documents.
    pub fn load(docs: &Documents<'_>) -> Result<Policies, PolicyError> {
        let (agents, agent_lines) = parse_map(docs.agent_map_name, docs.agent_map)?;
        let file = docs.policy_name;
        let doc = parse_doc(file, docs.policy)?;
        let mut p = Policies {
            agents,
            bots: BTreeMap::new(),
            agent_rules: BTreeMap::new(),
            fallback: FallbackRule::default(),
            pass_env: Vec::new(),
        };
        let mut bot_lines = BTreeMap::new();
        let mut agent_rule_lines = BTreeMap::new();
        let mut saw_version = false;
        for (key, line, value) in entries(file, &doc, "the policy")? {
            match key.as_str() {
                "version" => {
                    if scalar(file, value, "version")? != "1" {
                        return Err(invalid(file, *line, "version must be 1"));
                    }
                    saw_version = true;
                }
                "bots" => {
                    for (bot, bline, rule) in entries(file, value, "bots")? {
                        if check_bot_name(bot).is_err() {
                            return Err(invalid(file, *bline, format!("'{bot}' is not a valid bot name")));
                        }
                        let rule = parse_rule(file, &format!("bots.{bot}"), rule)?;
                        if rule.permissions.is_empty() {
                            return Err(invalid(file, *bline, format!("bots.{bot} needs permissions: the scope its tokens ask for")));
                        }
                        p.bots.insert(bot.clone(), rule);
                        bot_lines.insert(bot.clone(), *bline);
                    }
                }
                "agents" => {
                    for (class, aline, rule) in entries(file, value, "agents")? {
                        p.agent_rules.insert(class.clone(), parse_rule(file, &format!("agents.{class}"), rule)?);
                        agent_rule_lines.insert(class.clone(), *aline);
                    }
                }
                "fallback" => {
                    for (k, fline, v) in entries(file, value, "fallback")? {
                        match k.as_str() {
                            "never_for" => {
                                for (pattern, pline) in list(file, v, "fallback.never_for")? {
                                    if pattern.split_whitespace().count() < 1 {
                                        return Err(invalid(file, pline, "fallback.never_for: empty command pattern"));
                                    }
                                    p.fallback.never_for.push(pattern);
                                }
                            }
                            "operator_safe" => {
                                for (entry, eline) in list(file, v, "fallback.operator_safe")? {
                                    p.fallback.operator_safe.push(crate::fallback::parse_safe_entry(&entry).map_err(|why| invalid(file, eline, format!("fallback.operator_safe: {why}")))?);
                                }
                            }
                            _ => return Err(unknown_key(file, *fline, k, "fallback", &["never_for", "operator_safe"])),
                        }
                    }
                }
                "children" => {
                    for (k, cline, v) in entries(file, value, "children")? {
                        if k != "pass_env" {
                            return Err(unknown_key(file, *cline, k, "children", &["pass_env"]));
                        }
                        for (name, nline) in list(file, v, "children.pass_env")? {
                            if !is_variable_pattern(&name) {
                                return Err(invalid(file, nline, format!("children.pass_env: '{name}' is not a variable name (letters, digits, '_'; a trailing '*' passes a prefix)")));
                            }
                            p.pass_env.push(name);
                        }
                    }
                }
                "spawn" => {
                    return Err(invalid(
                        file,
                        *line,
                        "spawn.scrub_env is gone: children now get only an allowlist of variables; list extra ones under children.pass_env (see docs/policy.md)",
                    ))
                }
                _ => return Err(unknown_key(file, *line, key, "the policy", &["version", "bots", "agents", "fallback", "children"])),
            }
        }
        if !saw_version {
            return Err(invalid(file, doc.line, "missing 'version: 1'"));
        }
        p.cross_check(docs, &agent_lines, &bot_lines, &agent_rule_lines)?;
        Ok(p)
    }

    fn cross_check(
        &self,
        docs: &Documents<'_>,
        agent_lines: &BTreeMap<String, usize>,
        bot_lines: &BTreeMap<String, usize>,
        agent_rule_lines: &BTreeMap<String, usize>,
    ) -> Result<(), PolicyError> {
        for (class, bot) in &self.agents {
            if !self.bots.contains_key(bot) {
                return Err(invalid(docs.agent_map_name, agent_lines[class], format!("agent class '{class}' maps to bot '{bot}', which has no entry under bots: in {}", docs.policy_name)));
            }
        }
        for bot in self.bots.keys() {
            if !self.agents.values().any(|b| b == bot) {
                return Err(invalid(
                    docs.policy_name,
                    bot_lines[bot],
                    format!(
                        "bot '{bot}' has no agent class in {}; map a class to it or remove it",
                        docs.agent_map_name
                    ),
                ));
            }
        }
        for (class, rule) in &self.agent_rules {
            let line = agent_rule_lines[class];
            let Some(bot) = self.agents.get(class) else {
                return Err(invalid(
                    docs.policy_name,
                    line,
                    format!(
                        "agents.{class}: agent class '{class}' is not in {}",
                        docs.agent_map_name
                    ),
                ));
            };
            let bot_rule = &self.bots[bot];
            if let Err(why) = within(&rule.permissions, rule.repositories.as_deref(), bot_rule) {
                return Err(invalid(
                    docs.policy_name,
                    line,
                    format!("agents.{class}: {why} (its bot {bot} grants less)"),
                ));
            }
        }
        Ok(())
    }

    /// The bot of an agent class.
    pub fn bot_for(&self, agent: &str) -> Result<&str, PolicyError> {
        self.agents.get(agent).map(String::as_str).ok_or_else(|| PolicyError {
            kind: PolicyErrorKind::UnknownAgent,
            message: format!("agent class '{agent}' is not in the agent map; add it (a new class must be mapped before its first PR)"),
        })
    }

    /// Resolves a bot or an agent class and narrows its policy scope by the
    /// request. Never widens: asking for more than the policy grants is refused.
    pub fn resolve(
        &self,
        bot: Option<&str>,
        agent: Option<&str>,
        narrow: &Scope,
    ) -> Result<Resolution, PolicyError> {
        let bot = match (bot, agent) {
            (_, Some(agent)) => {
                let mapped = self.bot_for(agent)?;
                if let Some(b) = bot.filter(|b| *b != mapped) {
                    return Err(PolicyError {
                        kind: PolicyErrorKind::Widening,
                        message: format!("agent class '{agent}' uses {mapped}, not {b}"),
                    });
                }
                mapped
            }
            (Some(bot), None) => bot,
            (None, None) => {
                return Err(PolicyError {
                    kind: PolicyErrorKind::Invalid,
                    message: "name a bot or an agent class".into(),
                })
            }
        };
        let Some(bot_rule) = self.bots.get(bot) else {
            return Err(PolicyError {
                kind: PolicyErrorKind::UnknownBot,
                message: format!("bot '{bot}' has no entry in the policy; add it under bots:"),
            });
        };
        let mut rule = bot_rule.clone();
        if let Some(agent_rule) = agent.and_then(|a| self.agent_rules.get(a)) {
            if !agent_rule.permissions.is_empty() {
                rule.permissions = agent_rule.permissions.clone();
            }
            if agent_rule.repositories.is_some() {
                rule.repositories = agent_rule.repositories.clone();
            }
            if agent_rule.fallback.is_some() {
                rule.fallback = agent_rule.fallback;
            }
            if agent_rule.isolate.is_some() {
                rule.isolate = agent_rule.isolate;
            }
        }
        let who = who(agent, bot);
        let asked: BTreeMap<String, String> = narrow
            .permissions
            .iter()
            .map(|p| (p.name.clone(), p.level.clone()))
            .collect();
        let asked_repos =
            (!narrow.repositories.is_empty()).then_some(narrow.repositories.as_slice());
        within(&asked, asked_repos, &rule).map_err(|why| PolicyError {
            kind: PolicyErrorKind::Widening,
            message: format!("{why}: the policy grants {who} no more"),
        })?;
        let permissions = if asked.is_empty() {
            rule.permissions.clone()
        } else {
            asked
        };
        let repositories = if narrow.repositories.is_empty() {
            rule.repositories.clone().unwrap_or_default()
        } else {
            narrow.repositories.clone()
        };
        Ok(Resolution {
            bot: bot.to_string(),
            agent: agent.map(str::to_string),
            scope: Scope {
                repositories,
                permissions: permissions
                    .into_iter()
                    .map(|(name, level)| Permission { name, level })
                    .collect(),
            },
            fallback_allowed: rule.fallback.unwrap_or(false),
            isolate: rule.isolate.unwrap_or(false),
        })
    }
}

/// `NAME` or `PREFIX*`: what `children.pass_env` may hold.
fn is_variable_pattern(name: &str) -> bool {
    let stem = name.strip_suffix('*').unwrap_or(name);
    !stem.is_empty()
        && stem.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !stem.as_bytes()[0].is_ascii_digit()
}

/// Checks that `permissions` and `repositories` stay within `rule`.
fn within(
    permissions: &BTreeMap<String, String>,
    repositories: Option<&[String]>,
    rule: &Rule,
) -> Result<(), String> {
    for (name, level) in permissions {
        match rule.permissions.get(name) {
            None => return Err(format!("permission {name}={level} is not in the policy")),
            Some(max) if level_rank(level) > level_rank(max) => {
                return Err(format!("permission {name}={level} exceeds {name}={max}"))
            }
            _ => {}
        }
    }
    if let (Some(asked), Some(allowed)) = (repositories, &rule.repositories) {
        if let Some(r) = asked.iter().find(|r| !allowed.contains(r)) {
            return Err(format!(
                "repository {r} is not among {}",
                allowed.join(", ")
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) const MAP: &str = "agents:\n  feature-developer: raxx-dev-bot\n  card-groomer: raxx-ops-bot\n  sre-agent: raxx-ops-bot\n";
    pub(crate) const POLICY: &str = "\
version: 1
bots:
  raxx-dev-bot:
    permissions:
      contents: write
      pull_requests: write
    fallback: allow
  raxx-ops-bot:
    permissions:
      contents: read
      issues: write
    repositories: [app, docs]
    fallback: allow
agents:
  card-groomer:
    permissions:
      issues: write
    fallback: refuse
  sre-agent:
    isolate: true
fallback:
  never_for: [gh release create]
  operator_safe:
    - gh issue list
    - gh issue create
children:
  pass_env: [ANTHROPIC_API_KEY, LC_*]
";

    pub(crate) fn load(map: &str, policy: &str) -> Result<Policies, PolicyError> {
        Policies::load(&Documents {
            agent_map: map,
            agent_map_name: "agent_bot_map.yaml",
            policy,
            policy_name: "policy.yaml",
        })
    }

    fn perms(list: &[(&str, &str)]) -> Vec<Permission> {
        list.iter()
            .map(|(n, l)| Permission {
                name: n.to_string(),
                level: l.to_string(),
            })
            .collect()
    }

    #[test]
    fn resolves_agents_to_bots_with_their_scope() {
        let p = load(MAP, POLICY).unwrap();
        let r = p
            .resolve(None, Some("feature-developer"), &Scope::default())
            .unwrap();
        assert_eq!(r.bot, "raxx-dev-bot");
        assert_eq!(
            r.scope.permissions,
            perms(&[("contents", "write"), ("pull_requests", "write")])
        );
        assert!(r.scope.repositories.is_empty());
        assert!(r.fallback_allowed);
        let r = p
            .resolve(None, Some("card-groomer"), &Scope::default())
            .unwrap();
        assert_eq!(
            (
                r.bot.as_str(),
                r.scope.permissions.clone(),
                r.fallback_allowed
            ),
            ("raxx-ops-bot", perms(&[("issues", "write")]), false)
        );
        assert_eq!(
            r.scope.repositories,
            vec!["app".to_string(), "docs".to_string()]
        );
    }

    #[test]
    fn narrowing_is_allowed_widening_is_refused() {
        let p = load(MAP, POLICY).unwrap();
        let narrow = Scope {
            repositories: vec!["app".into()],
            permissions: perms(&[("contents", "read")]),
        };
        let r = p.resolve(None, Some("sre-agent"), &narrow).unwrap();
        assert_eq!(r.scope, narrow);
        for wide in [
            Scope {
                repositories: vec![],
                permissions: perms(&[("contents", "write")]),
            },
            Scope {
                repositories: vec![],
                permissions: perms(&[("administration", "read")]),
            },
            Scope {
                repositories: vec!["secret-repo".into()],
                permissions: vec![],
            },
        ] {
            let e = p.resolve(None, Some("sre-agent"), &wide).unwrap_err();
            assert_eq!(e.kind, PolicyErrorKind::Widening, "{wide:?}");
        }
    }

    #[test]
    fn repositories_are_named_as_github_names_them() {
        let p = load(
            MAP,
            &POLICY.replace("repositories: [app, docs]", "repositories: [app, .github]"),
        )
        .unwrap();
        assert_eq!(
            p.bots["raxx-ops-bot"].repositories,
            Some(vec!["app".to_string(), ".github".to_string()])
        );
        for bad in ["..", "acme/app", "'a b'"] {
            let e = load(
                MAP,
                &POLICY.replace(
                    "repositories: [app, docs]",
                    &format!("repositories: [app, {bad}]"),
                ),
            )
            .unwrap_err();
            assert!(
                e.message.contains("is not a repository name"),
                "{bad}: {}",
                e.message
            );
        }
    }

    #[test]
    fn unknown_agents_and_bots_are_refused() {
        let p = load(MAP, POLICY).unwrap();
        assert_eq!(
            p.resolve(None, Some("intern"), &Scope::default())
                .unwrap_err()
                .kind,
            PolicyErrorKind::UnknownAgent
        );
        assert_eq!(
            p.resolve(Some("raxx-qa-bot"), None, &Scope::default())
                .unwrap_err()
                .kind,
            PolicyErrorKind::UnknownBot
        );
    }

    #[test]
    fn bad_documents_name_the_file_line_and_key() {
        let cases: [(&str, &str, &str); 7] = [
            (MAP, &POLICY.replace("    fallback: allow\n  raxx-ops-bot", "    fallbak: allow\n  raxx-ops-bot"), "policy.yaml line 7: unknown key 'fallbak' in bots.raxx-dev-bot"),
            (MAP, &POLICY.replace("contents: read", "contents: rw"), "policy.yaml line 10: bots.raxx-ops-bot.permissions.contents: level 'rw'"),
            (MAP, &POLICY.replace("pull_requests: write\n    fallback", "pull-requests: write\n    fallback"), "policy.yaml line 6: bots.raxx-dev-bot.permissions: 'pull-requests'"),
            (MAP, &POLICY.replace("bots:\n", "bots:\n  raxx-pm-bot:\n    permissions:\n      issues: read\n"), "policy.yaml line 3: bot 'raxx-pm-bot' has no agent class in agent_bot_map.yaml"),
            ("agents:\n  product-manager: raxx-pm-bot\n  feature-developer: raxx-dev-bot\n  card-groomer: raxx-ops-bot\n", POLICY, "agent_bot_map.yaml line 2: agent class 'product-manager' maps to bot 'raxx-pm-bot', which has no entry"),
            (MAP, &POLICY.replace("      issues: write\n    fallback: refuse", "      contents: write\n    fallback: refuse"), "policy.yaml line 15: agents.card-groomer: permission contents=write exceeds contents=read"),
            (MAP, &POLICY.replace("version: 1\n", ""), "missing 'version: 1'"),
        ];
        for (map, policy, needle) in cases {
            let e = load(map, policy).unwrap_err();
            assert_eq!(e.kind, PolicyErrorKind::Invalid);
            assert!(
                e.message.contains(needle),
                "want {needle:?}\n got {}",
                e.message
            );
        }
    }

    #[test]
    fn permissions_are_github_s_with_the_levels_it_offers() {
        let cases = [
            ("pull_requests: write", "pull_request: write", "policy.yaml line 6: bots.raxx-dev-bot.permissions: 'pull_request' is not a GitHub permission name; did you mean 'pull_requests'?"),
            ("contents: read", "contents: admin", "policy.yaml line 10: bots.raxx-ops-bot.permissions.contents: level 'admin' is not offered for contents; it takes read or write"),
            ("issues: write\n    repositories", "workflows: read\n    repositories", "policy.yaml line 11: bots.raxx-ops-bot.permissions.workflows: level 'read' is not offered for workflows; it takes write"),
            ("      issues: write\n    fallback: refuse", "      isues: write\n    fallback: refuse", "policy.yaml line 17: agents.card-groomer.permissions: 'isues' is not a GitHub permission name; did you mean 'issues'?"),
        ];
        for (from, to, want) in cases {
            let e = load(MAP, &POLICY.replacen(from, to, 1)).unwrap_err();
            assert_eq!(
                (e.kind, e.message.as_str()),
                (PolicyErrorKind::Invalid, want)
            );
        }
        assert!(load(
            MAP,
            &POLICY.replace(
                "pull_requests: write",
                "pull_requests: write\n      repository_projects: admin"
            )
        )
        .is_ok());
    }

    #[test]
    fn children_isolation_and_operator_safe_commands_are_read() {
        let p = load(MAP, POLICY).unwrap();
        assert_eq!(p.pass_env, ["ANTHROPIC_API_KEY", "LC_*"]);
        assert_eq!(
            p.fallback.operator_safe,
            [vec!["gh", "issue", "list"], vec!["gh", "issue", "create"]]
        );
        assert!(
            p.resolve(None, Some("sre-agent"), &Scope::default())
                .unwrap()
                .isolate
        );
        assert!(
            !p.resolve(None, Some("feature-developer"), &Scope::default())
                .unwrap()
                .isolate,
            "absent means false"
        );
        for (from, to, needle) in [
            (
                "pass_env: [ANTHROPIC_API_KEY, LC_*]",
                "pass_env: [BAD-NAME]",
                "children.pass_env: 'BAD-NAME' is not a variable name",
            ),
            (
                "    isolate: true",
                "    isolate: yes",
                "agents.sre-agent.isolate: 'yes' is not true or false",
            ),
            (
                "    - gh issue list",
                "    - sh -c",
                "fallback.operator_safe: 'sh' runs other programs",
            ),
            (
                "    - gh issue list",
                "    - ./gh issue list",
                "fallback.operator_safe: the program './gh' must be a bare name",
            ),
            (
                "children:\n",
                "spawn:\n  scrub_env: [X]\nchildren:\n",
                "spawn.scrub_env is gone",
            ),
        ] {
            let e = load(MAP, &POLICY.replace(from, to)).unwrap_err();
            assert!(
                e.message.contains(needle),
                "want {needle:?}\n got {}",
                e.message
            );
        }
    }
}
