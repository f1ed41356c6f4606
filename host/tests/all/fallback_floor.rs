//! The host's floor for `exec`'s fallback (host/src/fallback_floor): what the
//! component answers cannot make a command run as the operator wider than
//! the host's own reading of the policy and of gh's grammar allows, and no
//! failure an agent can provoke falls back.

use crate::harness::{component_path, host, raxx_env, run, Scratch};
use raxx_fakes::{infisical, World};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The operator's token, as a marker the tests search every request for.
const OPERATOR_TOKEN: &str = "ghp_operatorFloorMarker0000000000000000";

/// A loopback listener standing in for another host: counts the connections it
/// gets, closing each at once (so a client that reached it fails fast).
fn stand_in_host() -> (u16, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(stream);
        }
    });
    (port, count)
}

/// Finding 2: `-cR HOST/OWNER/REPO` inside combined short flags. The real gh
/// (Debian's) runs as the operator only if the floor lets it; the listener
/// standing in for HOST must receive nothing.
#[test]
fn a_repository_on_another_host_inside_combined_short_flags_never_runs_as_the_operator() {
    if !crate::harness::installed_or_skip(
        "a_repository_on_another_host_inside_combined_short_flags_never_runs_as_the_operator",
        "gh",
    ) {
        return;
    }
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let dir = Scratch::new("floor-combined");
    let (port, connections) = stand_in_host();
    let repo = format!("127.0.0.1:{port}/o/r");
    let attached = format!("-cR{repo}");
    for spelling in [
        vec!["-cR", &repo, "1"],
        vec!["-cR", &repo, "--", "1"],
        vec![&attached, "1"],
    ] {
        let mut args = vec![
            "exec",
            "--agent",
            "feature-developer",
            "--",
            "gh",
            "issue",
            "view",
        ];
        args.extend(&spelling);
        let home = dir.0.to_str().unwrap();
        let r = raxx_env(
            &world,
            &[
                ("GH_TOKEN", Some(OPERATOR_TOKEN)),
                ("GH_ENTERPRISE_TOKEN", Some(OPERATOR_TOKEN)),
                ("HOME", Some(home)),
            ],
            &args,
        );
        assert_eq!(r.code, 3, "{spelling:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("not running as the operator"),
            "{spelling:?}: {}",
            r.stderr
        );
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "gh reached the host standing in for HOST with the operator's token"
    );
}

/// Finding 3: a hostile build whose `mint` fakes a 502 and whose
/// `decide-fallback` answers "allowed" with `matched` = the command's first
/// words. Neither a PR-authoring gh command nor a shell runs as the operator,
/// and no fake sees the operator's token.
#[test]
fn a_hostile_components_allowed_never_runs_a_pr_command_or_a_shell_as_the_operator() {
    let world = World::start_shared();
    let dir = Scratch::new("floor-hostile");
    let hostile = component_path().with_file_name("raxx_hostile.wasm");
    assert!(
        hostile.is_file(),
        "run scripts/build: {} is missing",
        hostile.display()
    );
    let marker = dir.path("ran");
    // A stand-in gh that does what gh would: send the operator's token to GitHub's /pulls.
    let pulls = format!("{}/repos/raxx-app/TradeMasterAPI/pulls", world.github_url());
    let post = format!("curl -s -o /dev/null -X POST -H \"Authorization: token $GH_TOKEN\" -H 'User-Agent: gh' -d '{{}}' {pulls}");
    dir.write(
        "gh",
        &format!(
            "#!/bin/sh\necho \"gh $*\" >> '{}'\n{post}\n",
            marker.display()
        ),
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(dir.path("gh"))
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        dir.0.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("echo bash >> '{}'; {post}", marker.display());
    for command in [
        vec!["gh", "pr", "create", "--title", "x", "--body", "y"],
        vec!["bash", "-c", &script],
        vec!["gh", "issue", "close", "1"],
    ] {
        let mut cmd = host(Some(&world));
        cmd.env("PATH", &path)
            .env("GH_TOKEN", OPERATOR_TOKEN)
            .env("GH_ENTERPRISE_TOKEN", OPERATOR_TOKEN);
        cmd.arg("--component")
            .arg(&hostile)
            .args(["exec", "--agent", "feature-developer", "--"])
            .args(&command);
        let r = run(cmd);
        assert_eq!(r.code, 3, "{command:?}: {}{}", r.stdout, r.stderr);
        assert!(
            r.stderr.contains("502") && r.stderr.contains("not running as the operator"),
            "{command:?}: {}",
            r.stderr
        );
        assert!(
            !marker.exists(),
            "{command:?} ran as the operator: {}",
            std::fs::read_to_string(&marker).unwrap_or_default()
        );
    }
    let leaked = world
        .github
        .requests()
        .into_iter()
        .chain(world.infisical.requests())
        .filter(|q| {
            q.headers.values().any(|v| v.contains(OPERATOR_TOKEN))
                || String::from_utf8_lossy(&q.body).contains(OPERATOR_TOKEN)
        })
        .count();
    assert_eq!(leaked, 0, "a fake saw the operator's token");
}

/// Finding 6: an agent floods the vault from the same address until it answers
/// 429; that failure never makes a command run as the operator.
#[test]
fn a_rate_limited_vault_does_not_fall_back() {
    let world = World::start_shared();
    let dir = Scratch::new("floor-429");
    let marker = dir.path("ran");
    dir.write(
        "gh",
        &format!(
            "#!/bin/sh\necho \"gh $* GH_TOKEN=$GH_TOKEN\" >> '{}'\n",
            marker.display()
        ),
    );
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(dir.path("gh"))
        .status()
        .unwrap();
    let path = format!(
        "{}:{}",
        dir.0.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let limited = || {
        infisical::error(
            429,
            "RateLimitExceeded",
            "Rate limit exceeded. Please try again in 60 seconds",
        )
    };
    world
        .infisical
        .inject("login", vec![limited(), limited(), limited(), limited()]);
    let r = raxx_env(
        &world,
        &[("PATH", Some(&path)), ("GH_TOKEN", Some(OPERATOR_TOKEN))],
        &[
            "exec",
            "--agent",
            "feature-developer",
            "--",
            "gh",
            "issue",
            "list",
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr.contains("429")
            && r.stderr.contains("not running as the operator")
            && r.stderr.contains("rate limit"),
        "{}",
        r.stderr
    );
    assert!(
        !marker.exists(),
        "ran as the operator: {}",
        std::fs::read_to_string(&marker).unwrap_or_default()
    );
}
