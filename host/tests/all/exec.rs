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

/// Stand-ins for `gh`, `git`, `make` and `curl` that record that they ran
/// (and, for gh, with which GH_TOKEN); returns the PATH that finds them first.
fn stand_ins(dir: &Scratch) -> (String, std::path::PathBuf) {
    let marker = dir.path("ran");
    for tool in ["gh", "git", "make", "curl"] {
        dir.write(
            tool,
            &format!(
                "#!/bin/sh\necho \"{tool} $* GH_TOKEN=$GH_TOKEN\" >> '{}'\n",
                marker.display()
            ),
        );
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(dir.path(tool))
            .status()
            .unwrap();
    }
    (
        format!(
            "{}:{}",
            dir.0.display(),
            std::env::var("PATH").unwrap_or_default()
        ),
        marker,
    )
}

#[test]
fn exec_passes_the_token_and_the_exit_status_then_revokes() {
    let world = World::start_shared();
    let dir = Scratch::new("exec");
    let out = dir.path("seen");
    let r = raxx(
        &world,
        &[
            "exec",
            "raxx-dev-bot",
            "--",
            "sh",
            "-c",
            "printf '%s\\n%s' \"$GH_TOKEN\" \"$GITHUB_TOKEN\" > \"$1\"; exit 7",
            "sh",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let issued = world.github.issued_tokens().pop().unwrap();
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        format!("{0}\n{0}", issued.token)
    );
    assert!(issued.revoked, "the token is revoked when the command ends");
    let delete = world
        .github
        .requests()
        .into_iter()
        .find(|q| q.method == "DELETE")
        .expect("a revoke request");
    assert_eq!(delete.path, "/installation/token");
}

#[test]
fn exec_passes_stdin_and_stdout_through() {
    let world = World::start_shared();
    let mut cmd = host(Some(&world));
    cmd.args(["exec", "--agent", "card-groomer", "--", "cat"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"issue body\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).as_ref()
        ),
        (Some(0), "issue body\n")
    );
}

#[test]
fn a_failed_revoke_is_a_warning_not_a_failure_of_the_command() {
    let world = World::start_shared();
    world.github.inject(
        "revoke",
        vec![
            github::error(500, "Server Error"),
            github::error(502, "Bad Gateway"),
            github::error(500, "Server Error"),
        ],
    );
    let r = raxx(&world, &["exec", "raxx-pm-bot", "--", "true"]);
    assert_eq!(r.code, 0);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("raxx-host: warning: GitHub did not revoke the token (500"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_child_that_revoked_its_own_token_leaves_nothing_to_warn_about() {
    let world = World::start_shared();
    let revoke_own = format!("curl -fsS -X DELETE -H \"Authorization: Bearer $GH_TOKEN\" -H 'User-Agent: agent' {}/installation/token", world.github_url());
    let r = raxx(
        &world,
        &["exec", "raxx-pm-bot", "--", "sh", "-c", &revoke_own],
    );
    assert_eq!(
        (r.code, r.stderr.as_str()),
        (0, ""),
        "GitHub's 401 for a token already revoked is no failure of raxx's revoke"
    );
    assert!(world.github.live_tokens().is_empty() && world.github.issued_tokens().len() == 1);
    let revoke_attempts = world
        .github
        .requests()
        .iter()
        .filter(|q| q.method == "DELETE")
        .count();
    assert_eq!(
        revoke_attempts, 2,
        "the child's revoke, then raxx's (answered 401)"
    );
}

#[test]
fn a_session_that_cannot_be_set_up_still_revokes_its_token() {
    let world = World::start_shared();
    // The runtime directory's `raxx` is a link (planted): refused, not followed.
    let dir = Scratch::new("runtime-link");
    std::fs::set_permissions(&dir.0, std::os::unix::fs::PermissionsExt::from_mode(0o700)).unwrap();
    std::fs::create_dir(dir.path("elsewhere")).unwrap();
    std::os::unix::fs::symlink(dir.path("elsewhere"), dir.path("raxx")).unwrap();
    let r = raxx_env(
        &world,
        &[("XDG_RUNTIME_DIR", Some(dir.0.to_str().unwrap()))],
        &["exec", "raxx-pm-bot", "--", "true"],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("raxx-host: cannot create the session folder: ")
            && r.stderr.contains("raxx is a link"),
        "{}",
        r.stderr
    );
    assert!(
        std::fs::read_dir(dir.path("elsewhere"))
            .unwrap()
            .next()
            .is_none(),
        "nothing made through the link"
    );
    assert_eq!(world.github.issued_tokens().len(), 1);
    assert!(
        world.github.live_tokens().is_empty(),
        "the minted token did not outlive the failure"
    );
}

#[test]
fn a_command_that_cannot_start_exits_127_and_the_token_is_still_revoked() {
    let world = World::start_shared();
    let r = raxx(&world, &["exec", "raxx-dev-bot", "--", "/nonexistent/tool"]);
    assert_eq!(r.code, 127);
    assert!(
        r.stderr.contains("cannot run '/nonexistent/tool'"),
        "{}",
        r.stderr
    );
    assert!(world.github.issued_tokens().pop().unwrap().revoked);
}

#[test]
fn fallback_allowed_warns_once_and_runs_an_operator_safe_command_as_the_operator() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("fallback");
    let (path, marker) = stand_ins(&dir);
    let audit = dir.path("audit.jsonl");
    let r = exec_with(
        &world,
        &[
            ("PATH", &path),
            ("GH_TOKEN", OPERATOR_PAT),
            ("RAXX_AUDIT_LOG", audit.to_str().unwrap()),
        ],
        &[
            "exec",
            "raxx-dev-bot",
            "--",
            "gh",
            "issue",
            "list",
            "--state",
            "open",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&marker).unwrap(),
        format!("gh issue list --state open GH_TOKEN={OPERATOR_PAT}\n"),
        "ran with the caller's own credentials"
    );
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(lines.len(), 1, "{}", r.stderr);
    for needle in [
        "WARNING",
        "raxx-dev-bot",
        "404 Not Found",
        "running as the operator",
        "'gh issue list' is operator-safe",
    ] {
        assert!(
            lines[0].contains(needle),
            "missing {needle:?}: {}",
            lines[0]
        );
    }
    let record: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&audit)
            .unwrap()
            .lines()
            .last()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(record["fallback"]["used"], true);
    assert_eq!(
        record["fallback"]["command"],
        serde_json::json!(["gh", "issue", "list", "--state", "open"]),
        "the record names the command that ran"
    );
}

#[test]
fn an_absent_machine_identity_may_fall_back() {
    let world = World::start_shared();
    let dir = Scratch::new("fallback-absent");
    let (path, marker) = stand_ins(&dir);
    let mut cmd = host(Some(&world));
    cmd.env_remove("INFISICAL_CLIENT_ID")
        .env("PATH", &path)
        .args([
            "exec",
            "--agent",
            "product-manager",
            "--",
            "gh",
            "issue",
            "comment",
            "12",
            "--body",
            "done",
        ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("INFISICAL_CLIENT_ID is not set")
            && r.stderr.contains("running as the operator"),
        "{}",
        r.stderr
    );
    assert!(marker.exists());
}

/// Each attempt to smuggle a command past the fallback rule: none may run as the operator.
#[test]
fn no_command_outside_the_operator_safe_list_runs_as_the_operator() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("bypass");
    let (path, marker) = stand_ins(&dir);
    let script = dir.write("script.sh", "gh pr create --fill\n");
    let query = dir.write(
        "query.graphql",
        "mutation { createPullRequest(input: {}) { clientMutationId } }",
    );
    let github_pulls = format!("{}/repos/raxx-app/TradeMasterAPI/pulls", world.github_url());
    let query_arg = format!("query=@{}", query.display());
    let attempts: Vec<Vec<&str>> = vec![
        vec!["gh", "pr", "new"],
        vec!["gh", "pr", "create", "--title", "x"],
        vec!["bash", "-c", "g\"\"h pr create"],
        vec!["sh", script.to_str().unwrap()],
        vec!["python3", "-c", "import os; os.system('gh pr create')"],
        vec!["timeout", "5", "gh", "pr", "create"],
        vec!["nohup", "gh", "pr", "create"],
        vec!["xargs", "gh", "pr", "create"],
        vec!["make", "pr"],
        vec!["env", "-u", "X", "gh", "pr", "create"],
        vec!["git", "-c", "alias.p=push", "p"],
        vec!["gh", "api", "graphql", "-F", &query_arg],
        vec!["curl", "-X", "POST", &github_pulls],
        vec!["./gh", "issue", "list"],
        vec!["gh", "-R", "raxx-app/TradeMasterAPI", "issue", "list"],
        vec!["gh", "issue", "create", "--body-file", "/etc/passwd"],
        vec!["gh", "issue", "create", "-F", "/etc/passwd"],
        vec!["gh", "issue", "create", "-t", "x", "-wF", "/etc/passwd"],
        vec!["gh", "issue", "list", "-R", "evil.test/o/r"],
        vec!["gh", "issue", "view", "https://evil.test/o/r/issues/1"],
        vec!["gh", "issue", "list", "--web"],
    ];
    for attempt in attempts {
        let mut args = vec!["exec", "--agent", "feature-developer", "--"];
        args.extend_from_slice(&attempt);
        let r = exec_with(
            &world,
            &[("PATH", &path), ("GH_TOKEN", OPERATOR_PAT)],
            &args,
        );
        assert_eq!(r.code, 3, "{attempt:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("not running as the operator"),
            "{attempt:?}: {}",
            r.stderr
        );
        assert!(
            !marker.exists(),
            "{attempt:?} ran as the operator: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );
    }
    assert!(
        !world
            .github
            .requests()
            .iter()
            .any(|q| q.path.ends_with("/pulls")),
        "nothing reached /pulls"
    );
    // A policy pattern adds to the built-in PR-authoring list.
    let r = exec_with(
        &world,
        &[("PATH", &path)],
        &["exec", "raxx-dev-bot", "--", "gh", "pr", "merge", "1"],
    );
    assert_eq!(r.code, 3);
    assert!(r.stderr.contains("matches 'gh pr merge'"), "{}", r.stderr);
    assert!(!marker.exists());
}

#[test]
fn a_caller_cannot_force_the_fallback_by_narrowing_the_request() {
    // The installation is there: only the caller's own narrowing makes GitHub refuse.
    let world = World::start_shared();
    let dir = Scratch::new("fallback-narrowed");
    let (path, marker) = stand_ins(&dir);
    // GitHub answers 422 to both: a repository the installation lacks, a permission it was not granted.
    let policy = std::fs::read_to_string(crate::harness::shipped("policy.yaml"))
        .unwrap()
        .replace(
            "      workflows: write\n",
            "      workflows: write\n      actions: read\n",
        );
    let policy = dir.write("policy.yaml", &policy);
    for narrowing in [
        &["--repo", "no-such-repo"][..],
        &["--permission", "actions=read"],
    ] {
        let mut args = vec![
            "--policy",
            policy.to_str().unwrap(),
            "exec",
            "--agent",
            "feature-developer",
        ];
        args.extend_from_slice(narrowing);
        args.extend_from_slice(&["--", "gh", "issue", "list"]);
        let r = exec_with(
            &world,
            &[("PATH", &path), ("GH_TOKEN", OPERATOR_PAT)],
            &args,
        );
        assert_eq!(r.code, 3, "{narrowing:?}: {}", r.stderr);
        assert!(
            r.stderr.contains("narrowed by the caller") && !r.stderr.contains("WARNING"),
            "{narrowing:?}: {}",
            r.stderr
        );
        assert!(!marker.exists(), "{narrowing:?} chose the fallback");
    }
}

#[test]
fn a_usage_error_or_an_invalid_setting_never_falls_back() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("fallback-config");
    let (path, marker) = stand_ins(&dir);
    for (var, value, code, why) in [
        ("RAXX_TIMEOUT_MS", "abc", 64, "usage error"),
        ("GITHUB_API_URL", "ftp://x", 3, "invalid setting"),
        (
            "INFISICAL_DOMAIN",
            "http://vault.example.com",
            2,
            "invalid setting",
        ),
    ] {
        let r = exec_with(
            &world,
            &[("PATH", &path), (var, value)],
            &["exec", "raxx-dev-bot", "--", "gh", "issue", "list"],
        );
        assert_eq!(r.code, code, "{var}={value}: {}", r.stderr);
        assert!(
            r.stderr.contains(why) && !r.stderr.contains("WARNING"),
            "{}",
            r.stderr
        );
        assert!(!marker.exists(), "{var}={value} chose the fallback");
    }
}

#[test]
fn no_fallback_where_the_policy_refuses_it() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-ops-bot").installation_id);
    let dir = Scratch::new("refuse");
    let (path, marker) = stand_ins(&dir);
    let r = exec_with(
        &world,
        &[("PATH", &path)],
        &[
            "exec",
            "--agent",
            "security-agent",
            "--",
            "gh",
            "issue",
            "list",
        ],
    );
    assert_eq!(r.code, 3);
    assert!(
        r.stderr
            .contains("the policy refuses fallback for security-agent (raxx-ops-bot)"),
        "{}",
        r.stderr
    );
    assert!(!marker.exists());
    // The same failure for another class of the same bot falls back (the rule is per class).
    let r = exec_with(
        &world,
        &[("PATH", &path)],
        &["exec", "--agent", "sre-agent", "--", "gh", "issue", "list"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(marker.exists());
}

#[test]
fn policy_and_usage_errors_never_fall_back() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "exec",
            "--agent",
            "card-groomer",
            "--permission",
            "contents=write",
            "--",
            "gh",
            "issue",
            "list",
        ],
    );
    assert_eq!(r.code, 4);
    assert!(!r.stderr.contains("running as the operator"));
    let r = raxx(&world, &["exec", "raxx-dev-bot"]);
    assert_eq!(r.code, 64, "a command is required: {}", r.stderr);
}
