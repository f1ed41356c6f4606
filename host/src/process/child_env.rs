//! The environment of an `exec` command or a `spawn`ed agent: built from an
//! allowlist, never by removing what looks dangerous.
//!
//! A child inherits only ordinary variables (`ALLOWED`, plus the policy's
//! `children.pass_env`), and never a credential (`is_credential`), whatever
//! the policy says: not the vault identity, not the operator's GitHub tokens,
//! not an ssh agent or askpass program, not a git or gh configuration that
//! could lead back to the operator's login. raxx then sets what the child
//! needs (the bot token, a private gh and git configuration, the session).

use std::ffi::OsString;

/// Variables a child inherits from the operator (`LC_*`: a prefix).
pub const ALLOWED: [&str; 18] = [
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "LANG",
    "LANGUAGE",
    "LC_*",
    "TERM",
    "COLORTERM",
    "TZ",
    "TMPDIR",
    "NO_COLOR",
    "EDITOR",
    "VISUAL",
    "PAGER",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// Credentials, and ways to reach one, that no child ever inherits.
const CREDENTIALS: [&str; 17] = [
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GH_PAT",
    "GITHUB_PAT",
    "GH_CONFIG_DIR",
    "GH_HOST",
    "SSH_AUTH_SOCK",
    "SSH_AGENT_PID",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    "GPG_AGENT_INFO",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "XDG_CONFIG_HOME",
    "KRB5CCNAME",
];

/// Prefixes of such variables: the vault identity, git's own configuration
/// (askpass, ssh command, config files), and raxx's (set afresh per child).
const CREDENTIAL_PREFIXES: [&str; 3] = ["INFISICAL_", "GIT_", "RAXX_"];

/// The operator's GitHub credentials: what a command that falls back to the
/// operator runs with (and the only way it differs from a bot child's).
pub const OPERATOR_GITHUB: [&str; 7] = [
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GH_HOST",
    "GH_CONFIG_DIR",
    "XDG_CONFIG_HOME",
];

/// Whether no child may ever inherit `name` (the vault identity's
/// variables among them: `ACTIONS_ID_TOKEN_REQUEST_*` too).
pub fn is_credential(name: &str) -> bool {
    CREDENTIALS.contains(&name)
        || raxx_core::settings::VAULT_CREDENTIAL_VARS.contains(&name)
        || CREDENTIAL_PREFIXES.iter().any(|p| name.starts_with(p))
}

fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

/// The policy's `children.pass_env` entries that name a credential: a policy
/// that lists one is refused (the caller reports them).
pub fn credentials_in(pass: &[String]) -> Vec<String> {
    pass.iter()
        .filter(|p| match p.strip_suffix('*') {
            None => is_credential(p),
            Some(stem) => {
                CREDENTIALS.iter().any(|c| c.starts_with(stem))
                    || raxx_core::settings::VAULT_CREDENTIAL_VARS
                        .iter()
                        .any(|c| c.starts_with(stem))
                    || CREDENTIAL_PREFIXES
                        .iter()
                        .any(|c| c.starts_with(stem) || stem.starts_with(c))
            }
        })
        .cloned()
        .collect()
}

/// What a child inherits from `operator` (the parent's environment): the
/// allowlist and `pass`, less every credential.
pub fn inherited(
    pass: &[String],
    operator: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    operator
        .into_iter()
        .filter(|(name, _)| {
            let Some(name) = name.to_str() else {
                return false;
            };
            !is_credential(name)
                && ALLOWED
                    .iter()
                    .copied()
                    .chain(pass.iter().map(String::as_str))
                    .any(|p| matches(p, name))
        })
        .collect()
}

/// Programs a command may start from its environment (an editor, a pager, a
/// browser): a command that runs as the operator gets none.
const STARTS_PROGRAMS: [&str; 4] = ["EDITOR", "VISUAL", "PAGER", "BROWSER"];

/// Variables that choose the repository (and with it the host) gh acts on
/// behind the host's argument check (`GH_REPO` takes `HOST/OWNER/REPO`): a
/// command that runs as the operator names its repository with `-R`, where
/// the fallback floor judges it.
const CHOOSES_A_REPOSITORY: [&str; 1] = ["GH_REPO"];

/// `inherited`, plus the operator's GitHub credentials (a fallback command
/// runs as the operator; the vault identity still never reaches it), minus
/// any program it could be made to start, and with gh and git told never to
/// prompt or page.
pub fn operator(
    pass: &[String],
    operator: impl IntoIterator<Item = (OsString, OsString)>,
) -> Vec<(OsString, OsString)> {
    let all: Vec<(OsString, OsString)> = operator.into_iter().collect();
    let mut env = inherited(pass, all.iter().cloned());
    env.extend(
        all.into_iter()
            .filter(|(name, _)| name.to_str().is_some_and(|n| OPERATOR_GITHUB.contains(&n))),
    );
    env.retain(|(name, _)| {
        !name
            .to_str()
            .is_some_and(|n| STARTS_PROGRAMS.contains(&n) || CHOOSES_A_REPOSITORY.contains(&n))
    });
    env.extend(
        [
            ("GH_PROMPT_DISABLED", "1"),
            ("GH_PAGER", "cat"),
            ("GIT_TERMINAL_PROMPT", "0"),
        ]
        .map(|(k, v)| (k.into(), v.into())),
    );
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(OsString, OsString)> {
        pairs
            .iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)))
            .collect()
    }

    fn names(env: &[(OsString, OsString)]) -> Vec<String> {
        env.iter()
            .map(|(k, _)| k.to_string_lossy().into_owned())
            .collect()
    }

    const OPERATOR: &[(&str, &str)] = &[
        ("PATH", "/usr/bin"),
        ("HOME", "/home/op"),
        ("LC_TIME", "C"),
        ("INFISICAL_CLIENT_SECRET", "s"),
        ("GH_TOKEN", "ghp_op"),
        ("GH_ENTERPRISE_TOKEN", "ghp_op"),
        ("GITHUB_PAT", "ghp_op"),
        ("SSH_AUTH_SOCK", "/run/user/1/ssh"),
        ("GIT_ASKPASS", "/usr/bin/askpass"),
        ("GH_CONFIG_DIR", "/home/op/.config/gh"),
        ("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1/bus"),
        ("ANTHROPIC_API_KEY", "k"),
        ("AWS_SECRET_ACCESS_KEY", "a"),
        ("RAXX_SESSION_SOCKET", "/tmp/x"),
    ];

    #[test]
    fn children_get_the_allowlist_and_what_the_policy_passes_never_a_credential() {
        assert_eq!(
            names(&inherited(&[], env(OPERATOR))),
            ["PATH", "HOME", "LC_TIME"]
        );
        let pass = vec![
            "ANTHROPIC_API_KEY".to_string(),
            "GH_*".to_string(),
            "INFISICAL_CLIENT_SECRET".to_string(),
        ];
        assert_eq!(
            names(&inherited(&pass, env(OPERATOR))),
            ["PATH", "HOME", "LC_TIME", "ANTHROPIC_API_KEY"]
        );
    }

    #[test]
    fn the_runners_id_token_request_is_never_passed_even_when_the_policy_asks() {
        let mut operator = env(OPERATOR);
        operator.extend(env(&[
            ("ACTIONS_ID_TOKEN_REQUEST_URL", "https://runner.example/t"),
            ("ACTIONS_ID_TOKEN_REQUEST_TOKEN", "req"),
            ("ACTIONS_RUNTIME_URL", "https://runner.example/r"),
        ]));
        let pass = vec!["ACTIONS_*".to_string()];
        assert_eq!(
            names(&inherited(&pass, operator.clone())),
            ["PATH", "HOME", "LC_TIME", "ACTIONS_RUNTIME_URL"]
        );
        assert!(!names(&super::operator(&pass, operator))
            .iter()
            .any(|n| n.starts_with("ACTIONS_ID_TOKEN")));
        assert_eq!(
            credentials_in(&[
                "ACTIONS_*".to_string(),
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_string(),
                "ACTIONS_RUNTIME_URL".to_string(),
            ]),
            ["ACTIONS_*", "ACTIONS_ID_TOKEN_REQUEST_TOKEN"]
        );
    }

    #[test]
    fn a_fallback_command_also_gets_the_operators_github_login_but_never_the_vault() {
        let mut with_hooks = env(OPERATOR);
        with_hooks.extend(env(&[("EDITOR", "/tmp/evil"), ("PAGER", "/tmp/evil")]));
        with_hooks.extend(env(&[("GH_REPO", "evil.test/o/r")]));
        let got = names(&operator(&["GH_REPO".to_string()], with_hooks));
        assert_eq!(
            got,
            [
                "PATH",
                "HOME",
                "LC_TIME",
                "GH_TOKEN",
                "GH_ENTERPRISE_TOKEN",
                "GH_CONFIG_DIR",
                "GH_PROMPT_DISABLED",
                "GH_PAGER",
                "GIT_TERMINAL_PROMPT"
            ]
        );
    }

    #[test]
    fn credential_entries_of_a_policy_are_found() {
        let pass: Vec<String> = [
            "ANTHROPIC_API_KEY",
            "GH_*",
            "SSH_AUTH_SOCK",
            "INFISICAL_*",
            "G*",
            "IN*",
            "LC_*",
            "AWS_*",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(
            credentials_in(&pass),
            ["GH_*", "SSH_AUTH_SOCK", "INFISICAL_*", "G*", "IN*"]
        );
    }
}
