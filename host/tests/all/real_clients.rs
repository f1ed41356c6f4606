//! The real clients users have: Debian's `gh` (2.23) and `git`, against the
//! fake GitHub over TLS as a GitHub Enterprise Server (`https://HOST:PORT/api/v3`,
//! git at `https://HOST:PORT/OWNER/REPO.git`), trusting the run's CA. gh
//! builds `https://HOST:PORT/api/v3/…` for `GH_HOST=HOST:PORT` and reads an
//! Enterprise host's token from `GH_ENTERPRISE_TOKEN`.

use crate::harness::{host, installed_or_skip, run, Scratch};
use raxx_fakes::tls::Ca;
use raxx_fakes::World;
use std::path::Path;
use std::process::Command;

/// A TLS world serving the API under `/api/v3`, and the environment raxx-host uses it with.
pub(crate) fn enterprise() -> (World, Vec<(String, String)>) {
    let world = World::start_tls();
    world.github.set_path_prefix("/api/v3");
    let mut env = world.env();
    env.retain(|(k, _)| k != "GITHUB_API_URL");
    env.push((
        "GITHUB_API_URL".into(),
        format!("{}/api/v3", world.github_url()),
    ));
    env.push((
        "SSL_CERT_FILE".into(),
        Ca::run().file().to_string_lossy().into_owned(),
    ));
    (world, env)
}

#[test]
fn the_real_gh_opens_issues_and_pull_requests_as_each_bot_through_exec_and_spawn() {
    if !installed_or_skip(
        "the_real_gh_opens_issues_and_pull_requests_as_each_bot_through_exec_and_spawn",
        "gh",
    ) {
        return;
    }
    let (world, env) = enterprise();
    let dir = Scratch::new("real-gh");
    for (class, bot) in [
        ("feature-developer", "raxx-dev-bot"),
        ("sre-agent", "raxx-ops-bot"),
        ("product-manager", "raxx-pm-bot"),
    ] {
        let issue = [
            "gh",
            "api",
            "repos/raxx-app/TradeMasterAPI/issues",
            "-f",
            "title=issue by gh",
            "-f",
            "body=from exec",
        ];
        let pull = [
            "gh",
            "api",
            "repos/raxx-app/TradeMasterAPI/pulls",
            "-f",
            "title=pull by gh",
            "-f",
            "head=feature",
            "-f",
            "base=main",
        ];
        for (mode, argv) in [("exec", &issue[..]), ("spawn", &pull[..])] {
            let mut cmd = host(None);
            cmd.envs(env.iter().map(|(k, v)| (k, v)))
                .env("HOME", &dir.0)
                .current_dir(&dir.0)
                .args([mode, "--agent", class, "--"])
                .args(argv);
            let r = run(cmd);
            assert_eq!(r.code, 0, "{mode} {class}: {}{}", r.stdout, r.stderr);
            let made: serde_json::Value = serde_json::from_str(&r.stdout)
                .unwrap_or_else(|_| panic!("gh printed the API's JSON: {}", r.stdout));
            assert_eq!(
                made["user"]["login"],
                format!("{bot}[bot]"),
                "{mode} {class}"
            );
        }
    }
    let made = world.github.issues();
    assert_eq!(made.len(), 6);
    assert_eq!(
        made.iter().filter(|i| i.pull_request).count(),
        3,
        "three pull requests, through spawn"
    );
    assert!(
        made.iter().all(|i| i.author.ends_with("-bot[bot]")),
        "never the operator"
    );
    assert!(
        world
            .github
            .requests()
            .iter()
            .filter(|q| q.method == "POST" && q.path.contains("/repos/"))
            .all(|q| q.path.starts_with("/api/v3/")),
        "gh used the Enterprise API path"
    );
    assert!(world.github.issued_tokens().iter().all(|t| t.revoked));
}

#[test]
fn a_commit_pushed_over_https_through_the_credential_helper_lands_as_the_bot() {
    if !installed_or_skip(
        "a_commit_pushed_over_https_through_the_credential_helper_lands_as_the_bot",
        "git",
    ) {
        return;
    }
    let (world, env) = enterprise();
    let root = world.serve_git();
    let dir = Scratch::new("real-git");
    let raxx = env!("CARGO_BIN_EXE_raxx-host");
    let helper = format!("!{raxx} git-credential raxx-dev-bot");
    let url = format!("{}/raxx-app/TradeMasterAPI.git", world.github_url());
    let git = |args: &[&str], cwd: &Path| {
        let out = Command::new("git")
            .args([
                "-c",
                "credential.helper=",
                "-c",
                &format!("credential.helper={helper}"),
            ])
            .args(args)
            .current_dir(cwd)
            .env_clear()
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env("PATH", std::env::var("PATH").unwrap())
            .env("HOME", &dir.0)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_SSL_CAINFO", Ca::run().file())
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("RAXX_CACHE_DIR", crate::harness::cache_dir())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    git(&["clone", "-q", &url, "repo"], &dir.0);
    let repo = dir.path("repo");
    let mut identity = host(None);
    identity
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(&repo)
        .args(["git-identity", "raxx-dev-bot", "--apply"]);
    let r = run(identity);
    assert_eq!(r.code, 0, "{}", r.stderr);
    std::fs::write(repo.join("by-the-bot.txt"), "pushed by raxx-dev-bot\n").unwrap();
    git(&["add", "by-the-bot.txt"], &repo);
    git(&["commit", "-q", "-m", "a commit by the bot"], &repo);
    git(&["push", "-q", "origin", "HEAD:main"], &repo);
    assert_eq!(
        world.github.pushes(),
        vec![raxx_fakes::github::Push {
            author: "raxx-dev-bot[bot]".into(),
            repository: "raxx-app/TradeMasterAPI".into()
        }]
    );
    let log = Command::new("git")
        .arg("--git-dir")
        .arg(root.join("raxx-app/TradeMasterAPI.git"))
        .args(["log", "-1", "--format=%an <%ae>", "main"])
        .output()
        .unwrap();
    let id = world.bot("raxx-dev-bot").user_id;
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        format!("raxx-dev-bot[bot] <{id}+raxx-dev-bot[bot]@users.noreply.github.com>")
    );
    assert!(
        world
            .github
            .requests()
            .iter()
            .any(|q| q.path.ends_with("/git-receive-pack")),
        "pushed over git's smart HTTP"
    );
}
