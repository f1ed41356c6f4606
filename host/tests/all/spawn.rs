//! `raxx-host spawn`: the orchestrator's path. The agent gets its class's bot
//! token, audit variables, and none of the operator's credentials; a failed
//! mint never starts it.

use crate::harness::{assert_no_secrets, edited_shipped, host, raxx, run, Scratch};
use raxx_fakes::World;
use std::collections::BTreeMap;

fn child_env(stdout: &str) -> BTreeMap<String, String> {
    stdout
        .split('\0')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Operator credentials, and ways to reach one, that no child may inherit.
pub const OPERATOR_CREDENTIALS: [&str; 16] = [
    "GH_TOKEN",
    "GITHUB_TOKEN",
    "GH_ENTERPRISE_TOKEN",
    "GITHUB_ENTERPRISE_TOKEN",
    "GITHUB_PAT",
    "GH_PAT",
    "GH_HOST",
    "SSH_AUTH_SOCK",
    "GIT_ASKPASS",
    "SSH_ASKPASS",
    "GIT_SSH_COMMAND",
    "GH_CONFIG_DIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_RUNTIME_DIR",
    "OPERATOR_PAT",
    "INFISICAL_TOKEN",
];

#[test]
fn spawn_gives_the_agent_an_allowlisted_environment_and_no_operator_credential() {
    let world = World::start_shared();
    let dir = Scratch::new("spawn");
    let policy = edited_shipped(&dir, "policy.yaml", |t| {
        t.replace("pass_env: []", "pass_env: [ANTHROPIC_API_KEY]")
    });
    let mut cmd = host(Some(&world));
    for var in OPERATOR_CREDENTIALS {
        cmd.env(var, format!("operator-secret-{var}"));
    }
    // INFISICAL_TOKEN above is a second login method: name the one to use
    // (two configured at once is an error naming both).
    cmd.env("INFISICAL_AUTH_METHOD", "universal");
    cmd.env("KEEP_ME", "1")
        .env("LANG", "C.UTF-8")
        .env("ANTHROPIC_API_KEY", "agent-llm-key");
    cmd.args([
        "--policy",
        &policy,
        "spawn",
        "--agent",
        "feature-developer",
        "--workflow-uuid",
        "wfl_2070abc",
        "--refs",
        "2150",
        "--",
        "env",
        "-0",
    ]);
    let r = run(cmd);
    assert_no_secrets(&world, &r);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = child_env(&r.stdout);
    let token = world
        .github
        .issued_tokens()
        .into_iter()
        .find(|t| t.token == env["GH_TOKEN"])
        .expect("GH_TOKEN is an issued token");
    assert_eq!(env["GITHUB_TOKEN"], token.token);
    // The fake GitHub is not github.com: gh reads an Enterprise host's token from GH_ENTERPRISE_TOKEN.
    assert_eq!(env["GH_ENTERPRISE_TOKEN"], token.token);
    assert_eq!(
        env["GH_HOST"],
        world.github_url().trim_start_matches("http://")
    );
    assert!(
        !r.stdout.contains("operator-secret-"),
        "no operator credential reached the agent:\n{}",
        r.stdout.replace('\0', "\n")
    );
    for vault in raxx_host::VAULT_CREDENTIAL_VARS {
        assert!(
            !env.contains_key(vault),
            "{vault} reached the agent: it could pull any bot's key"
        );
    }
    assert!(
        !env.contains_key("KEEP_ME"),
        "only allowlisted variables are inherited"
    );
    assert_eq!(env["LANG"], "C.UTF-8");
    assert_eq!(
        env["ANTHROPIC_API_KEY"], "agent-llm-key",
        "the policy's children.pass_env"
    );
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(env["RAXX_AGENT"], "feature-developer");
    assert_eq!(env["RAXX_BOT"], "raxx-dev-bot");
    assert_eq!(env["RAXX_WORKFLOW_UUID"], "wfl_2070abc");
    assert_eq!(env["RAXX_REFS"], "2150");
    assert!(
        env["RAXX_SESSION"].ends_with('Z') && env["RAXX_SESSION"].len() == 20,
        "{}",
        env["RAXX_SESSION"]
    );
    // A private gh configuration, and git's, with the bot's identity and helper.
    assert!(
        env["GH_CONFIG_DIR"].contains("raxx-session-"),
        "{}",
        env["GH_CONFIG_DIR"]
    );
    assert!(
        env["GIT_CONFIG_GLOBAL"].contains("raxx-session-"),
        "{}",
        env["GIT_CONFIG_GLOBAL"]
    );
    assert!(
        env["PATH"].starts_with(&format!(
            "{}/bin:",
            env["RAXX_SESSION_SOCKET"].trim_end_matches("/socket")
        )),
        "{}",
        env["PATH"]
    );
    assert!(
        !std::path::Path::new(&env["RAXX_SESSION_SOCKET"]).exists(),
        "the session is gone when the agent ends"
    );
    assert!(
        world.github.issued_tokens().iter().all(|t| t.revoked),
        "the token is revoked when the agent ends"
    );
}

#[test]
fn a_policy_cannot_pass_a_credential_to_a_child() {
    let world = World::start_shared();
    let dir = Scratch::new("spawn-pass");
    let policy = edited_shipped(&dir, "policy.yaml", |t| {
        t.replace("pass_env: []", "pass_env: [GH_*]")
    });
    let marker = dir.path("started");
    let mut cmd = host(Some(&world));
    cmd.env("GH_ENTERPRISE_TOKEN", "operator").args([
        "--policy",
        &policy,
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert!(
        r.stderr.contains("children.pass_env names GH_*"),
        "{}",
        r.stderr
    );
    assert!(!marker.exists());
    assert!(
        world.github.issued_tokens().is_empty(),
        "refused before anything is minted"
    );
    // exec too, whether its mint would succeed or fail (no fallback either).
    for down in [false, true] {
        world.infisical.set_outage(down);
        let mut cmd = host(Some(&world));
        cmd.args([
            "--policy",
            &policy,
            "exec",
            "raxx-pm-bot",
            "--",
            "gh",
            "issue",
            "list",
        ]);
        let r = run(cmd);
        assert_eq!(r.code, 4, "{}", r.stderr);
        assert!(
            r.stderr.contains("children.pass_env names GH_*"),
            "{}",
            r.stderr
        );
    }
    assert!(world.github.issued_tokens().is_empty());
}

#[test]
fn spawn_exits_with_the_agents_status() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "spawn",
            "--agent",
            "data-scientist",
            "--",
            "sh",
            "-c",
            "exit 9",
        ],
    );
    assert_eq!(r.code, 9);
    let r = raxx(
        &world,
        &[
            "spawn",
            "--agent",
            "data-scientist",
            "--",
            "sh",
            "-c",
            "printf %s \"$RAXX_WORKFLOW_UUID\"",
        ],
    );
    assert_eq!(r.stdout, "n/a", "no workflow UUID given");
}

#[test]
fn spawn_never_falls_back_even_where_exec_would() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("spawn-fail");
    let marker = dir.path("started");
    let mut cmd = host(Some(&world));
    cmd.env("GH_TOKEN", "operator-pat").args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("spawn never falls back"), "{}", r.stderr);
    assert!(!marker.exists(), "the agent was not started");
}

#[test]
fn spawn_checks_its_arguments() {
    let world = World::start_shared();
    assert_eq!(
        raxx(&world, &["spawn", "--agent", "intern", "--", "true"]).code,
        5
    );
    for args in [
        &[
            "spawn",
            "--agent",
            "feature-developer",
            "--workflow-uuid",
            "2070",
            "--",
            "true",
        ][..],
        &[
            "spawn",
            "--agent",
            "feature-developer",
            "--refs",
            "0",
            "--",
            "true",
        ],
        &["spawn", "--", "true"],
    ] {
        let r = raxx(&world, args);
        assert_eq!(r.code, 64, "{args:?}: {}", r.stderr);
    }
    assert!(world.infisical.requests().is_empty());
}
