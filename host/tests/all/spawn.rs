//! `raxx-host spawn`: the orchestrator's path. The agent gets its class's bot
//! token, audit variables, and none of the operator's credentials; a failed
//! mint never starts it.

use crate::harness::{assert_no_secrets, host, raxx, run, shipped, Scratch};
use raxx_fakes::World;
use std::collections::BTreeMap;

fn child_env(stdout: &str) -> BTreeMap<String, String> {
    stdout.split('\0').filter_map(|kv| kv.split_once('=')).map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[test]
fn spawn_injects_the_bot_token_and_scrubs_every_operator_credential() {
    let world = World::start_shared();
    let dir = Scratch::new("spawn");
    let policy = std::fs::read_to_string(shipped("policy.yaml")).unwrap().replace("scrub_env: []", "scrub_env: [OPERATOR_PAT, DEPLOY_KEY]");
    let policy = dir.write("policy.yaml", &policy);
    let mut cmd = host(Some(&world));
    for var in ["GH_TOKEN", "GITHUB_TOKEN", "GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "OPERATOR_PAT", "DEPLOY_KEY"] {
        cmd.env(var, format!("operator-secret-{var}"));
    }
    cmd.env("KEEP_ME", "1");
    cmd.args(["--policy", policy.to_str().unwrap(), "spawn", "--agent", "feature-developer", "--workflow-uuid", "wfl_2070abc", "--refs", "2150", "--", "env", "-0"]);
    let r = run(cmd);
    assert_no_secrets(&world, &r);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let env = child_env(&r.stdout);
    let token = world.github.issued_tokens().pop().unwrap();
    assert_eq!(env["GH_TOKEN"], token.token);
    assert_eq!(env["GITHUB_TOKEN"], token.token);
    for gone in ["GH_ENTERPRISE_TOKEN", "GITHUB_ENTERPRISE_TOKEN", "OPERATOR_PAT", "DEPLOY_KEY"] {
        assert!(!env.contains_key(gone), "{gone} reached the agent");
    }
    assert!(!r.stdout.contains("operator-secret-"), "no operator credential reached the agent");
    for vault in raxx_host::settings::VAULT_CREDENTIAL_VARS {
        assert!(!env.contains_key(vault), "{vault} reached the agent: it could pull any bot's key");
    }
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(env["RAXX_AGENT"], "feature-developer");
    assert_eq!(env["RAXX_BOT"], "raxx-dev-bot");
    assert_eq!(env["RAXX_WORKFLOW_UUID"], "wfl_2070abc");
    assert_eq!(env["RAXX_REFS"], "2150");
    assert!(env["RAXX_SESSION"].ends_with('Z') && env["RAXX_SESSION"].len() == 20, "{}", env["RAXX_SESSION"]);
    assert_eq!(env["KEEP_ME"], "1");
    assert!(token.revoked, "the token is revoked when the agent ends");
}

#[test]
fn spawn_exits_with_the_agents_status() {
    let world = World::start_shared();
    let r = raxx(&world, &["spawn", "--agent", "data-scientist", "--", "sh", "-c", "exit 9"]);
    assert_eq!(r.code, 9);
    let r = raxx(&world, &["spawn", "--agent", "data-scientist", "--", "sh", "-c", "printf %s \"$RAXX_WORKFLOW_UUID\""]);
    assert_eq!(r.stdout, "n/a", "no workflow UUID given");
}

#[test]
fn spawn_never_falls_back_even_where_exec_would() {
    let world = World::start_shared();
    world.github.remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("spawn-fail");
    let marker = dir.path("started");
    let mut cmd = host(Some(&world));
    cmd.env("GH_TOKEN", "operator-pat").args(["spawn", "--agent", "feature-developer", "--", "touch", marker.to_str().unwrap()]);
    let r = run(cmd);
    assert_eq!(r.code, 3);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("spawn never falls back"), "{}", r.stderr);
    assert!(!marker.exists(), "the agent was not started");
}

#[test]
fn spawn_checks_its_arguments() {
    let world = World::start_shared();
    assert_eq!(raxx(&world, &["spawn", "--agent", "intern", "--", "true"]).code, 5);
    for args in [&["spawn", "--agent", "feature-developer", "--workflow-uuid", "2070", "--", "true"][..], &["spawn", "--agent", "feature-developer", "--refs", "0", "--", "true"], &["spawn", "--", "true"]] {
        let r = raxx(&world, args);
        assert_eq!(r.code, 64, "{args:?}: {}", r.stderr);
    }
    assert!(world.infisical.requests().is_empty());
}
