//! `raxx-host exec`: the per-call wrapper, its revocation, and the fallback rule.

use crate::harness::{host, raxx, raxx_env, run, Run, Scratch};
use raxx_fakes::{github, World};
use std::io::Write;
use std::process::Stdio;

const OPERATOR_PAT: &str = "ghp_operatorCanaryPAT0000000000000000000";

fn exec_with(world: &World, extra_env: &[(&str, &str)], args: &[&str]) -> Run {
    let env: Vec<(&str, Option<&str>)> = extra_env.iter().map(|(k, v)| (*k, Some(*v))).collect();
    raxx_env(world, &env, args)
}

/// A `gh` stand-in that records that it ran.
fn fake_gh(dir: &Scratch) -> (String, std::path::PathBuf) {
    let marker = dir.path("gh-ran");
    dir.write("gh", &format!("#!/bin/sh\ntouch '{}'\n", marker.display()));
    std::process::Command::new("chmod").arg("+x").arg(dir.path("gh")).status().unwrap();
    (format!("{}:{}", dir.0.display(), std::env::var("PATH").unwrap_or_default()), marker)
}

#[test]
fn exec_passes_the_token_and_the_exit_status_then_revokes() {
    let world = World::start_shared();
    let dir = Scratch::new("exec");
    let out = dir.path("seen");
    let r = raxx(&world, &["exec", "raxx-dev-bot", "--", "sh", "-c", "printf '%s\\n%s' \"$GH_TOKEN\" \"$GITHUB_TOKEN\" > \"$1\"; exit 7", "sh", out.to_str().unwrap()]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let issued = world.github.issued_tokens().pop().unwrap();
    assert_eq!(std::fs::read_to_string(&out).unwrap(), format!("{0}\n{0}", issued.token));
    assert!(issued.revoked, "the token is revoked when the command ends");
    let delete = world.github.requests().into_iter().find(|q| q.method == "DELETE").expect("a revoke request");
    assert_eq!(delete.path, "/installation/token");
}

#[test]
fn exec_passes_stdin_and_stdout_through() {
    let world = World::start_shared();
    let mut cmd = host(Some(&world));
    cmd.args(["exec", "--agent", "card-groomer", "--", "cat"]).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"issue body\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!((out.status.code(), String::from_utf8_lossy(&out.stdout).as_ref()), (Some(0), "issue body\n"));
}

#[test]
fn a_failed_revoke_is_a_warning_not_a_failure_of_the_command() {
    let world = World::start_shared();
    world.github.inject("revoke", vec![github::error(500, "Server Error"), github::error(502, "Bad Gateway"), github::error(500, "Server Error")]);
    let r = raxx(&world, &["exec", "raxx-pm-bot", "--", "true"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.starts_with("raxx-host: warning: GitHub did not revoke the token (500"), "{}", r.stderr);
}

#[test]
fn a_command_that_cannot_start_exits_127_and_the_token_is_still_revoked() {
    let world = World::start_shared();
    let r = raxx(&world, &["exec", "raxx-dev-bot", "--", "/nonexistent/tool"]);
    assert_eq!(r.code, 127);
    assert!(r.stderr.contains("cannot run '/nonexistent/tool'"), "{}", r.stderr);
    assert!(world.github.issued_tokens().pop().unwrap().revoked);
}

#[test]
fn fallback_allowed_warns_once_and_runs_with_the_callers_credentials() {
    let world = World::start_shared();
    world.github.remove_installation(world.bot("raxx-dev-bot").installation_id);
    let r = exec_with(&world, &[("GH_TOKEN", OPERATOR_PAT)], &["exec", "raxx-dev-bot", "--", "sh", "-c", "printf %s \"$GH_TOKEN\""]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, OPERATOR_PAT, "the command ran with the caller's own credentials");
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    for needle in ["WARNING", "raxx-dev-bot", "404 Not Found", "running as the operator", "the policy allows fallback for raxx-dev-bot"] {
        assert!(lines[0].contains(needle), "missing {needle:?}: {}", lines[0]);
    }
}

#[test]
fn fallback_also_covers_a_vault_that_cannot_be_reached() {
    let world = World::start_shared();
    let mut cmd = host(Some(&world));
    cmd.env_remove("INFISICAL_CLIENT_ID").args(["exec", "--agent", "product-manager", "--", "true"]);
    let r = run(cmd);
    assert_eq!(r.code, 0);
    assert!(r.stderr.contains("INFISICAL_CLIENT_ID is not set") && r.stderr.contains("running as the operator"), "{}", r.stderr);
}

#[test]
fn no_fallback_for_commands_that_author_pull_requests() {
    let world = World::start_shared();
    world.github.remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("gh");
    let (path, marker) = fake_gh(&dir);
    for cmdline in [&["gh", "pr", "create", "--title", "x"][..], &["sh", "-c", "gh pr create --fill"], &["gh", "api", "-X", "POST", "repos/raxx-app/x/pulls"]] {
        let mut args = vec!["exec", "--agent", "feature-developer", "--"];
        args.extend_from_slice(cmdline);
        let r = exec_with(&world, &[("PATH", &path), ("GH_TOKEN", OPERATOR_PAT)], &args);
        assert_eq!(r.code, 3, "{cmdline:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(r.stderr.contains("not running as the operator") && r.stderr.contains("may author a pull request"), "{}", r.stderr);
        assert!(!marker.exists(), "{cmdline:?} must not run");
    }
    // A policy pattern adds to the built-ins.
    let r = exec_with(&world, &[("PATH", &path)], &["exec", "raxx-dev-bot", "--", "gh", "pr", "merge", "1"]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("matches 'gh pr merge'"), "{}", r.stderr);
    assert!(!marker.exists());
}

#[test]
fn no_fallback_where_the_policy_refuses_it() {
    let world = World::start_shared();
    world.github.remove_installation(world.bot("raxx-ops-bot").installation_id);
    let dir = Scratch::new("refuse");
    let marker = dir.path("ran");
    let r = raxx(&world, &["exec", "--agent", "security-agent", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("the policy refuses fallback for security-agent (raxx-ops-bot)"), "{}", r.stderr);
    assert!(!marker.exists());
    // The same failure for another class of the same bot falls back (the rule is per class).
    let r = raxx(&world, &["exec", "--agent", "sre-agent", "--", "touch", marker.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(marker.exists());
}

#[test]
fn policy_and_usage_errors_never_fall_back() {
    let world = World::start_shared();
    let r = raxx(&world, &["exec", "--agent", "card-groomer", "--permission", "contents=write", "--", "true"]);
    assert_eq!(r.code, 4);
    assert!(!r.stderr.contains("running as the operator"));
    let r = raxx(&world, &["exec", "raxx-dev-bot"]);
    assert_eq!(r.code, 64, "a command is required: {}", r.stderr);
}
