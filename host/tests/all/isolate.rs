//! `spawn --isolate`: the agent in a bubblewrap sandbox sees neither the
//! operator's home nor raxx's process, and still has its bot token. It works
//! in its own clone of the project (`isolate_git` attacks the project's git).

use crate::harness::{
    chown, edited_shipped, host, host_as, root_or_skip, run, shipped, Run, Scratch, USER,
};
use raxx_fakes::World;
use std::path::PathBuf;

/// A folder outside /tmp and /home (which the sandbox hides anyway), so only
/// raxx's own rules can hide what is in it.
pub fn outside_tmp(name: &str) -> Scratch {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("raxx-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// `dir` made a git repository of its own (an isolated agent works in a clone of one).
pub fn git_init(dir: &std::path::Path) {
    let out = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git init: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

const PROBE: &str = "cat \"$OPERATOR_HOME/canary\" 2>/dev/null && echo home=READ || echo home=HIDDEN; \
    cat \"$CACHE/canary\" 2>/dev/null && echo cache=SEEN || echo cache=HIDDEN; \
    echo pids=$(ls /proc | grep -c '^[0-9]'); \
    echo pid1=$(tr '\\0' ' ' < /proc/1/cmdline | cut -c1-40); \
    test \"$(raxx-host token)\" = \"$GH_TOKEN\" && echo token=OK; \
    echo home=$HOME; touch written-by-the-agent && echo wrote=OK; \
    git checkout -qb probe && git add written-by-the-agent && git commit -qm probe; \
    mkdir -p locked/in \"$HOME/locked\" && chmod 000 locked/in locked \"$HOME/locked\"; echo session=$(dirname \"$RAXX_SESSION_SOCKET\")";

fn isolated_run(world: &World, as_user: bool, extra: &[&str]) -> (Run, Scratch) {
    let dir = outside_tmp("isolate");
    for sub in ["home/.cache/raxx", "project", "cache"] {
        std::fs::create_dir_all(dir.path(sub)).unwrap();
    }
    std::fs::write(dir.path("home/canary"), "operator-only").unwrap();
    std::fs::write(dir.path("cache/canary"), "compiled code").unwrap();
    git_init(&dir.path("project"));
    let mut cmd = if as_user {
        chown(&dir.0, USER);
        host_as(USER, Some(world), &dir.path("home"))
    } else {
        let mut cmd = host(Some(world));
        cmd.env("HOME", dir.path("home"));
        cmd
    };
    cmd.current_dir(dir.path("project"))
        .env("RAXX_CACHE_DIR", dir.path("cache"))
        .args([
            "--policy",
            shipped("policy.yaml").to_str().unwrap(),
            "spawn",
            "--agent",
            "feature-developer",
        ])
        .args(extra)
        .args([
            "--",
            "env",
            &format!("OPERATOR_HOME={}", dir.path("home").display()),
            &format!("CACHE={}", dir.path("cache").display()),
            "sh",
            "-c",
            PROBE,
        ]);
    (run(cmd), dir)
}

fn assert_contained(r: &Run, dir: &Scratch) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in ["home=HIDDEN", "cache=HIDDEN", "token=OK"] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "want {line}:\n{}",
            r.stdout
        );
    }
    let pids: u32 = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("pids="))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        pids <= 6,
        "the agent sees its own processes only, not raxx: {pids} pids"
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("pid1=") && l.contains("bwrap")),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.starts_with("home=") && l.contains("raxx-session-")),
        "a private home: {}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l == "wrote=OK"),
        "the working directory is writable: {}",
        r.stdout
    );
    assert!(
        !dir.path("project/written-by-the-agent").exists(),
        "the agent wrote its clone, not the project"
    );
    assert!(
        r.stderr
            .lines()
            .any(|l| l.contains("branches are in") && l.contains("raxx/feature-developer/probe")),
        "its branch came back: {}",
        r.stderr
    );
    // The clone goes with the session, folders the agent locked included.
    let session = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("session="))
        .unwrap();
    assert!(
        session.contains("raxx-session-") && !std::path::Path::new(session).exists(),
        "{session} is left behind"
    );
}

#[test]
fn an_isolated_agent_sees_neither_the_operators_home_nor_raxx_and_keeps_its_token() {
    let world = World::start_shared();
    let (r, dir) = isolated_run(&world, false, &["--isolate"]);
    assert_contained(&r, &dir);
}

#[test]
fn isolation_holds_with_raxx_under_an_unprivileged_user() {
    if !root_or_skip("isolation_holds_with_raxx_under_an_unprivileged_user") {
        return;
    }
    let world = World::start_shared();
    let (r, dir) = isolated_run(&world, true, &["--isolate"]);
    assert_contained(&r, &dir);
}

#[test]
fn the_policy_can_require_isolation_for_a_class() {
    let world = World::start_shared();
    let dir = Scratch::new("isolate-policy");
    git_init(&dir.0);
    let policy = edited_shipped(&dir, "policy.yaml", |t| {
        t.replace(
            "  security-agent:\n    fallback: refuse\n",
            "  security-agent:\n    fallback: refuse\n    isolate: true\n",
        )
    });
    let mut cmd = host(Some(&world));
    cmd.current_dir(&dir.0).args([
        "--policy",
        &policy,
        "spawn",
        "--agent",
        "security-agent",
        "--",
        "sh",
        "-c",
        "tr '\\0' ' ' < /proc/1/cmdline | cut -d' ' -f1",
    ]);
    let r = run(cmd);
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "/usr/bin/bwrap"),
        "{}",
        r.stderr
    );
}

#[test]
fn isolation_that_cannot_be_had_fails_before_the_agent_starts() {
    let world = World::start_shared();
    // The working directory would expose the home it contains.
    let dir = Scratch::new("isolate-home");
    let marker = dir.path("started");
    let mut cmd = host(Some(&world));
    cmd.current_dir(&dir.0).env("HOME", &dir.0).args([
        "spawn",
        "--isolate",
        "--agent",
        "feature-developer",
        "--",
        "touch",
        marker.to_str().unwrap(),
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!("holds {}", dir.0.display())),
        "{}",
        r.stderr
    );
    assert!(
        !marker.exists() && world.infisical.requests().is_empty(),
        "nothing started, nothing minted"
    );
    // No bubblewrap on the machine (hidden in a mount namespace of this run).
    if root_or_skip("isolation_that_cannot_be_had_fails_before_the_agent_starts") {
        let project = outside_tmp("isolate-nobwrap");
        let mut cmd = std::process::Command::new("unshare");
        let raxx = env!("CARGO_BIN_EXE_raxx-host");
        cmd.env_clear().envs(world.env()).env("PATH", std::env::var("PATH").unwrap()).env("HOME", "/nonexistent").current_dir(&project.0).args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &format!("mount --bind /dev/null /usr/bin/bwrap && exec {raxx} spawn --isolate --agent feature-developer -- touch {}", marker.display()),
        ]);
        let r = run(cmd);
        assert_eq!(r.code, 7, "{}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("bubblewrap (bwrap) is not installed"),
            "{}",
            r.stderr
        );
        assert!(!marker.exists());
    }
}

#[test]
fn an_agent_installed_in_the_operators_home_still_starts_isolated() {
    let world = World::start_shared();
    let dir = outside_tmp("isolate-program");
    std::fs::create_dir_all(dir.path("home/bin")).unwrap();
    std::fs::create_dir_all(dir.path("project")).unwrap();
    git_init(&dir.path("project"));
    std::fs::write(dir.path("home/secret"), "operator-only").unwrap();
    let agent = dir.path("home/bin/agent");
    std::fs::write(
        &agent,
        format!(
            "#!/bin/sh\ncat {} 2>/dev/null || echo 'agent ran; the home is hidden'\n",
            dir.path("home/secret").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&agent, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut cmd = host(Some(&world));
    cmd.current_dir(dir.path("project"))
        .env("HOME", dir.path("home"))
        .env(
            "PATH",
            format!(
                "{}:{}",
                dir.path("home/bin").display(),
                std::env::var("PATH").unwrap()
            ),
        )
        .args([
            "spawn",
            "--isolate",
            "--agent",
            "feature-developer",
            "--",
            "agent",
        ]);
    let r = run(cmd);
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, "agent ran; the home is hidden"),
        "{}",
        r.stderr
    );
}

#[test]
fn only_what_is_named_is_there_and_the_agent_commits_in_its_own_clone() {
    let world = World::start_shared();
    let dir = outside_tmp("isolate-named");
    let project = dir.path("project");
    std::fs::create_dir_all(project.join("src")).unwrap();
    std::fs::create_dir_all(dir.path("other-project")).unwrap();
    std::fs::write(dir.path("other-project/secret"), "another project's").unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&project)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    git(&["init", "-q", "-b", "main"]);
    std::fs::write(project.join("src/lib.rs"), "// the operator's\n").unwrap();
    git(&["add", "."]);
    git(&[
        "-c",
        "user.name=op",
        "-c",
        "user.email=op@example.test",
        "commit",
        "-qm",
        "start",
    ]);
    let main = git(&["rev-parse", "main"]);
    std::fs::write(project.join("src/uncommitted.rs"), "// not in the clone\n").unwrap();
    let probe = format!(
        "cat {other} 2>/dev/null && echo other=SEEN || echo other=HIDDEN; \
         test -e uncommitted.rs && echo uncommitted=SEEN || echo uncommitted=ABSENT; \
         echo cwd=$PWD; echo session=$(dirname \"$RAXX_SESSION_SOCKET\"); \
         git config core.fsmonitor 'touch pwned' && echo config=WRITTEN; \
         git checkout -qb agent-work && echo x > f && git add f && git commit -qm agent && echo commit=OK; \
         git checkout -q main && echo y >> lib.rs && git commit -qam 'agent on main' && echo main=MOVED",
        other = dir.path("other-project/secret").display()
    );
    let mut cmd = host(Some(&world));
    cmd.current_dir(project.join("src"))
        .env_remove("HOME")
        .args([
            "spawn",
            "--isolate",
            "--agent",
            "feature-developer",
            "--",
            "sh",
            "-c",
            &probe,
        ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let src = project.join("src");
    for line in [
        "other=HIDDEN",
        "uncommitted=ABSENT",
        &format!("cwd={}", src.display()),
        "config=WRITTEN",
        "commit=OK",
        "main=MOVED",
    ] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "want {line}:\n{}",
            r.stdout
        );
    }
    // The operator's repository: its configuration and branches untouched,
    // the agent's branches under refs/remotes/raxx/<class>/, said in one line.
    let config = std::fs::read_to_string(project.join(".git/config")).unwrap();
    assert!(!config.contains("fsmonitor"), "{config}");
    assert_eq!(
        git(&["rev-parse", "main"]),
        main,
        "the operator's own branch did not move"
    );
    assert_eq!(
        git(&["for-each-ref", "--format=%(refname)", "refs/heads/"]),
        "refs/heads/main"
    );
    assert_eq!(
        git(&[
            "log",
            "-1",
            "--format=%s %an",
            "refs/remotes/raxx/feature-developer/agent-work"
        ]),
        "agent raxx-dev-bot[bot]"
    );
    assert_eq!(
        git(&[
            "log",
            "-1",
            "--format=%s",
            "refs/remotes/raxx/feature-developer/main"
        ]),
        "agent on main"
    );
    let said: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.contains("raxx/feature-developer/"))
        .collect();
    assert_eq!(said.len(), 1, "{}", r.stderr);
    assert!(
        said[0].contains("raxx/feature-developer/agent-work")
            && said[0].contains(&project.display().to_string()),
        "{}",
        said[0]
    );
    assert!(
        !project.join("f").exists() && project.join("src/uncommitted.rs").exists(),
        "the work tree is the operator's own"
    );
    let session = r
        .stdout
        .lines()
        .find_map(|l| l.strip_prefix("session="))
        .unwrap();
    assert!(
        session.contains("raxx-session-") && !std::path::Path::new(session).exists(),
        "the clone went with the session: {session}"
    );
}

#[test]
fn isolated_agents_cannot_reach_each_others_sessions_with_tmpdir_in_the_project() {
    // Both agents work in the same project, TMPDIR inside it: session
    // folders, sockets and shims must still be out of both agents' reach.
    let world = World::start_shared();
    let dir = outside_tmp("isolate-tmpdir");
    let project = dir.path("project");
    std::fs::create_dir_all(project.join("tmp")).unwrap();
    git_init(&project);
    let spawn = |agent: &str, script: &str| {
        let mut cmd = host(Some(&world));
        cmd.current_dir(&project)
            .env("TMPDIR", project.join("tmp"))
            .env("HOME", dir.path("home"));
        cmd.args([
            "spawn",
            "--isolate",
            "--agent",
            agent,
            "--",
            "sh",
            "-c",
            script,
        ]);
        cmd
    };
    // Each agent works in its own clone, so the first says it is ready on its
    // output and waits on its input (closed when the test ends) until the second has looked around.
    let mut first = spawn(
        "feature-developer",
        "echo \"token=$GH_TOKEN\"; read done || true",
    );
    first
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut first = first.spawn().unwrap();
    let mut first_stdout = std::io::BufReader::new(first.stdout.take().unwrap());
    let mut token_line = String::new();
    std::io::BufRead::read_line(&mut first_stdout, &mut token_line).unwrap();
    let token = token_line
        .trim_end()
        .strip_prefix("token=")
        .unwrap_or_else(|| panic!("the first agent did not start: {token_line:?}"))
        .to_string();
    let probe = "mine=$(dirname \"$RAXX_SESSION_SOCKET\"); \
        for s in $(find \"$PWD\" /tmp /run /var/tmp -type s 2>/dev/null); do case $s in \"$mine\"/*) continue;; esac; \
          echo \"socket=$s\"; RAXX_SESSION_SOCKET=$s raxx-host token 2>/dev/null | sed 's/^/reached=/'; done; \
        for g in $(find \"$PWD\" /tmp /run /var/tmp -path '*/bin/*' 2>/dev/null); do case $g in \"$mine\"/*) continue;; esac; \
          echo \"tool=$g\"; (: >> \"$g\") 2>/dev/null && echo \"written=$g\"; done; \
        echo probed";
    let second = run(spawn("card-groomer", probe));
    drop(first.stdin.take());
    let first = first.wait_with_output().unwrap();
    assert_eq!(
        first.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        second.stdout.lines().any(|l| l == "probed"),
        "{}",
        second.stdout
    );
    assert!(
        token.starts_with("ghs_") && !second.stdout.contains(&token),
        "the second agent got the first's token:\n{}",
        second.stdout
    );
    for found in ["socket=", "reached=", "tool=", "written="] {
        assert!(
            !second.stdout.lines().any(|l| l.starts_with(found)),
            "another session is within reach:\n{}",
            second.stdout
        );
    }
    assert!(
        std::fs::read_dir(project.join("tmp"))
            .unwrap()
            .next()
            .is_none(),
        "nothing of raxx's in the project's TMPDIR"
    );
}

#[test]
fn session_folders_inside_an_isolated_agents_project_are_refused() {
    use std::os::unix::fs::PermissionsExt;
    let world = World::start_shared();
    let dir = outside_tmp("isolate-runtime-in-project");
    let runtime = dir.path("project/run");
    std::fs::create_dir_all(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    git_init(&dir.path("project"));
    let mut cmd = host(Some(&world));
    cmd.current_dir(dir.path("project"))
        .env("XDG_RUNTIME_DIR", &runtime)
        .env("HOME", dir.path("home"));
    cmd.args([
        "spawn",
        "--isolate",
        "--agent",
        "feature-developer",
        "--",
        "touch",
        "started",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr.contains("session folders would lie in")
            && r.stderr.contains("set XDG_RUNTIME_DIR"),
        "{}",
        r.stderr
    );
    assert!(
        !dir.path("project/started").exists() && world.infisical.requests().is_empty(),
        "nothing started, nothing minted"
    );
}
