//! Sessions that outlive a token: `spawn` (and `exec`) serve their child a
//! valid token for as long as it runs, through `raxx-host token`, the `gh`
//! shim and git's credential helper, re-minting before each token expires.

use crate::harness::{
    as_user, host, installed_or_skip, raxx, root_or_skip, run, Scratch, OTHER_USER,
};
use crate::real_clients::enterprise;
use raxx_fakes::World;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

/// Writes an executable script.
fn script(dir: &Scratch, name: &str, body: &str) -> std::path::PathBuf {
    let path = dir.write(name, &format!("#!/bin/sh\n{body}"));
    std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    path
}

fn wait_for(path: &Path, what: &str) {
    let start = Instant::now();
    while !path.exists() {
        assert!(start.elapsed() < Duration::from_secs(30), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits for a `raxx-host` started with a piped stderr: its exit code and what it printed there.
pub fn finish(mut child: Child) -> (i32, String) {
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut stderr).unwrap();
    }
    (status.code().unwrap_or(-1), stderr)
}

#[test]
fn a_spawned_agent_keeps_its_bot_identity_for_four_token_lifetimes() {
    // The real gh and git, over TLS to a GitHub Enterprise Server, with
    // nothing but what the session gives them: gh through the shim, git
    // through the session's configuration (credential helper, bot identity,
    // the CA raxx was told to trust).
    const TEST: &str = "a_spawned_agent_keeps_its_bot_identity_for_four_token_lifetimes";
    if !(installed_or_skip(TEST, "gh") && installed_or_skip(TEST, "git")) {
        return;
    }
    let (world, env) = enterprise();
    // Lifetimes of 8 s (a replaced token then stays valid ~1 s for calls
    // under way): shorter ones leave a loaded machine's gh or git too little.
    world.github.set_token_lifetime(Duration::from_secs(8));
    let git_root = world.serve_git();
    let dir = Scratch::new("long-session");
    let web = world.github_url();
    let api = format!("{web}/api/v3");
    let agent = script(
        &dir,
        "agent.sh",
        &format!(
            "cd {dir}
env > env.txt
fail() {{ echo \"$*\" >> failures; }}
git clone -q {web}/raxx-app/TradeMasterAPI.git repo || fail clone
end=$(( $(date +%s) + 34 )); n=0
while [ \"$(date +%s)\" -lt \"$end\" ]; do
  t=$(raxx-host token) || fail \"token $n\"
  curl -fsS --cacert \"$SSL_CERT_FILE\" -o /dev/null -H \"Authorization: Bearer $t\" {api}/repos/raxx-app/TradeMasterAPI || fail \"api $n\"
  gh api repos/raxx-app/TradeMasterAPI --jq .full_name > /dev/null || fail \"gh $n\"
  git -C repo fetch -q || fail \"fetch $n\"
  n=$((n+1)); sleep 0.4
done
echo agent > repo/agent.txt
git -C repo add agent.txt && git -C repo commit -qm 'by the agent' && git -C repo push -q origin HEAD:main || fail push
echo $n > iterations
",
            dir = dir.0.display()
        ),
    );
    let audit = dir.path("audit.jsonl");
    let mut cmd = host(None);
    cmd.envs(env.iter().map(|(k, v)| (k, v)))
        .env("HOME", &dir.0)
        .env("GH_TOKEN", "gho_operatorCanary000000000000000000000")
        .env("RAXX_AUDIT_LOG", &audit)
        .args([
            "spawn",
            "--agent",
            "feature-developer",
            "--workflow-uuid",
            "wfl_long",
            "--",
            agent.to_str().unwrap(),
        ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.path("failures")).unwrap_or_default(),
        "",
        "every call succeeded as the bot"
    );
    let iterations: u32 = std::fs::read_to_string(dir.path("iterations"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(iterations >= 10, "{iterations} rounds");
    let tokens = world.github.issued_tokens();
    assert!(
        tokens.len() >= 5,
        "refreshed at least four times: {} tokens",
        tokens.len()
    );
    assert!(
        world.github.live_tokens().is_empty(),
        "every token of the session is revoked (or expired) when it ends"
    );
    // gh asked with the session's tokens, and more than one of them.
    let gh_tokens: std::collections::BTreeSet<String> = world
        .github
        .requests()
        .into_iter()
        .filter(|q| {
            q.headers
                .get("user-agent")
                .is_some_and(|a| a.starts_with("GitHub CLI"))
        })
        .filter_map(|q| q.headers.get("authorization").cloned())
        .collect();
    assert!(
        gh_tokens.len() >= 4,
        "gh used {} of the session's tokens",
        gh_tokens.len()
    );
    // Refreshes are recorded like the first mint.
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&audit)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(records[0]["command"], "spawn");
    let refreshes: Vec<&serde_json::Value> = records
        .iter()
        .filter(|r| r["command"] == "refresh")
        .collect();
    assert_eq!(refreshes.len(), tokens.len() - 1, "one record per refresh");
    for r in &refreshes {
        assert_eq!(
            (
                r["agent"].as_str(),
                r["bot"].as_str(),
                r["workflow_uuid"].as_str()
            ),
            (
                Some("feature-developer"),
                Some("raxx-dev-bot"),
                Some("wfl_long")
            )
        );
        assert!(tokens.iter().any(|t| Some(
            crate::harness::sha256_hex(t.token.as_bytes()).as_str()
        ) == r["token_sha256"].as_str()));
    }
    // git pushed as the bot, with the bot's commit identity.
    assert_eq!(
        world.github.pushes(),
        vec![raxx_fakes::github::Push {
            author: "raxx-dev-bot[bot]".into(),
            repository: "raxx-app/TradeMasterAPI".into()
        }]
    );
    let log = std::process::Command::new("git")
        .arg("--git-dir")
        .arg(git_root.join("raxx-app/TradeMasterAPI.git"))
        .args(["log", "-1", "--format=%an <%ae>", "main"])
        .output()
        .unwrap();
    let bot = world.bot("raxx-dev-bot");
    assert_eq!(
        String::from_utf8_lossy(&log.stdout).trim(),
        format!(
            "raxx-dev-bot[bot] <{}+raxx-dev-bot[bot]@users.noreply.github.com>",
            bot.user_id
        )
    );
    let env = std::fs::read_to_string(dir.path("env.txt")).unwrap();
    assert!(
        !env.contains("INFISICAL_"),
        "no vault variable reached the agent"
    );
    assert!(
        !env.contains("gho_operatorCanary"),
        "nor the operator's token"
    );
}

#[test]
fn another_user_is_refused_by_the_session_endpoint() {
    if !root_or_skip("another_user_is_refused_by_the_session_endpoint") {
        return;
    }
    let world = World::start_shared();
    let dir = Scratch::new("endpoint");
    let (socket_file, done) = (dir.path("socket"), dir.path("done"));
    // Session folders of their own: this test opens them up.
    let runtime = dir.path("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let agent = format!("printf %s \"$RAXX_SESSION_SOCKET\" > {0}.tmp && mv {0}.tmp {0}; while [ ! -e {1} ]; do sleep 0.05; done", socket_file.display(), done.display());
    let mut cmd = host(Some(&world));
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .args(["spawn", "--agent", "sre-agent", "--", "sh", "-c", &agent])
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for(&socket_file, "the agent did not start");
    let socket = std::fs::read_to_string(&socket_file).unwrap();
    let ask_as = |uid: Option<u32>| {
        let mut cmd = match uid {
            Some(uid) => as_user(uid, env!("CARGO_BIN_EXE_raxx-host")),
            None => std::process::Command::new(env!("CARGO_BIN_EXE_raxx-host")),
        };
        cmd.env_clear()
            .env("RAXX_SESSION_SOCKET", &socket)
            .arg("token");
        run(cmd)
    };
    // The session's own user gets the token.
    let own = ask_as(None);
    assert_eq!(own.code, 0, "{}", own.stderr);
    assert!(own.stdout.starts_with("ghs_"));
    // Another user cannot reach the private folder…
    let r = ask_as(Some(OTHER_USER));
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(
        r.stderr.contains("Permission denied") && !r.stdout.contains("ghs_"),
        "{}",
        r.stderr
    );
    // …and with the folder opened up, the endpoint itself refuses them.
    let folder = Path::new(&socket).parent().unwrap();
    for open in [runtime.as_path(), folder.parent().unwrap(), folder] {
        std::fs::set_permissions(open, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .unwrap();
    }
    std::fs::set_permissions(&socket, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let r = ask_as(Some(OTHER_USER));
    assert_eq!(r.code, 8, "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "refused: uid {OTHER_USER} is not the session's user"
        )),
        "{}",
        r.stderr
    );
    assert!(!r.stdout.contains("ghs_"));
    std::fs::write(&done, "").unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !Path::new(&socket).exists(),
        "the endpoint is gone with the agent"
    );
}

#[test]
fn a_vault_outage_keeps_the_agent_working_until_its_token_expires_then_token_exits_3() {
    let world = World::start_shared();
    world.github.set_token_lifetime(Duration::from_secs(8));
    let dir = Scratch::new("outage");
    let (ready, log) = (dir.path("ready"), dir.path("log"));
    let agent = format!(
        "touch {ready}; start=$(date +%s); while [ $(( $(date +%s) - start )) -lt 25 ]; do \
           if raxx-host token > /dev/null 2> {log}.err; then echo ok >> {log}; else echo \"exit $?: $(cat {log}.err)\" >> {log}; break; fi; sleep 0.2; done",
        ready = ready.display(),
        log = log.display()
    );
    let mut cmd = host(Some(&world));
    cmd.env("GH_TOKEN", "gho_operatorCanary000000000000000000000")
        .args([
            "spawn",
            "--agent",
            "feature-developer",
            "--",
            "sh",
            "-c",
            &agent,
        ])
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for(&ready, "the agent did not start");
    world.infisical.set_outage(true);
    let down = Instant::now();
    let (code, stderr) = finish(child);
    let after = down.elapsed();
    assert_eq!(code, 0, "{stderr}");
    let log = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let last = lines.last().unwrap();
    assert!(
        last.starts_with(
            "exit 3: raxx-host: the session's token expired and could not be refreshed"
        ),
        "{log}"
    );
    assert!(
        last.contains("Infisical") && last.contains("503"),
        "the cause: {last}"
    );
    assert!(
        lines.len() >= 8,
        "the agent kept working while the token was valid:\n{log}"
    );
    assert!(
        after < Duration::from_secs(20),
        "it failed once the token expired, not at the end: {after:?}"
    );
    assert_eq!(
        stderr
            .lines()
            .filter(|l| l.contains("refreshing the token failed"))
            .count(),
        1,
        "one warning: {stderr}"
    );
    assert!(!log.contains("gho_operatorCanary"), "never as the operator");
}

#[test]
fn signals_to_spawn_reach_the_agent_and_end_the_session() {
    for (signal, name) in [
        (rustix::process::Signal::TERM, "TERM"),
        (rustix::process::Signal::INT, "INT"),
    ] {
        let world = World::start_shared();
        let dir = Scratch::new("signals");
        let (ready, got) = (dir.path("ready"), dir.path("got"));
        let agent = format!("trap 'echo {name} > {got}; exit 7' {name}; touch {ready}; while :; do sleep 0.05; done", got = got.display(), ready = ready.display());
        let mut cmd = host(Some(&world));
        cmd.args([
            "spawn",
            "--agent",
            "data-scientist",
            "--",
            "sh",
            "-c",
            &agent,
        ])
        .stderr(Stdio::piped());
        let child = cmd.spawn().unwrap();
        wait_for(&ready, "the agent did not start");
        rustix::process::kill_process(
            rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
            signal,
        )
        .unwrap();
        let (code, stderr) = finish(child);
        assert_eq!(
            code, 7,
            "spawn exits with the agent's status after SIG{name}: {stderr}"
        );
        assert_eq!(
            std::fs::read_to_string(&got).unwrap().trim(),
            name,
            "the agent got SIG{name}"
        );
        assert!(
            world.github.issued_tokens().iter().all(|t| t.revoked),
            "the session ended with SIG{name}"
        );
    }
}

#[test]
fn exec_children_also_get_their_token_from_the_session() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "exec",
            "raxx-pm-bot",
            "--",
            "sh",
            "-c",
            "test \"$(raxx-host token)\" = \"$GH_TOKEN\" && raxx-host token --json",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(json["bot"], "raxx-pm-bot");
    assert!(json["expires_at"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn token_outside_a_session_says_so_in_one_line() {
    let mut cmd = host(None);
    cmd.arg("token");
    let r = run(cmd);
    assert_eq!(r.code, 8);
    assert_eq!(r.stderr.lines().count(), 1);
    assert!(
        r.stderr
            .starts_with("raxx-host: not inside a raxx session (RAXX_SESSION_SOCKET is not set)"),
        "{}",
        r.stderr
    );
    let mut cmd = host(None);
    cmd.env("RAXX_SESSION_SOCKET", "/nonexistent/socket")
        .arg("token");
    let r = run(cmd);
    assert_eq!(r.code, 8);
    assert!(
        r.stderr.contains("has ended or cannot be reached"),
        "{}",
        r.stderr
    );
}

#[test]
fn the_library_handle_always_has_a_valid_token() {
    use raxx_host::TokenSource;
    let world = World::start_shared();
    world.github.set_token_lifetime(Duration::from_secs(6));
    let library = crate::harness::Library::new(&world);
    let minter = library.minter(library.resolve("card-groomer", false));
    let source = TokenSource::begin(std::sync::Arc::new(minter)).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(15) {
        let token = source.token().unwrap();
        assert!(
            world
                .github
                .issued_tokens()
                .iter()
                .any(|t| t.token == token.token && !t.revoked),
            "a valid token"
        );
        seen.insert(token.token);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(seen.len() >= 3, "{} tokens", seen.len());
    assert_eq!(source.end(), Vec::<String>::new());
    assert!(world.github.live_tokens().is_empty());
}

#[test]
fn an_agent_that_moves_its_socket_cannot_keep_spawn_alive() {
    let world = World::start_shared();
    let start = Instant::now();
    let r = raxx(
        &world,
        &[
            "spawn",
            "--agent",
            "feature-developer",
            "--",
            "sh",
            "-c",
            "mv \"$RAXX_SESSION_SOCKET\" \"$RAXX_SESSION_SOCKET.moved\"",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "spawn ended with its agent: {:?}",
        start.elapsed()
    );
    assert!(world.github.issued_tokens().iter().all(|t| t.revoked));
}

#[test]
fn a_flood_of_connections_does_not_make_raxx_start_a_thread_each() {
    let world = World::start_shared();
    let dir = Scratch::new("flood");
    let (ready, done) = (dir.path("ready"), dir.path("done"));
    let flood = format!(
        "import os, socket, time\nheld = []\nfor _ in range(300):\n    s = socket.socket(socket.AF_UNIX)\n    s.connect(os.environ['RAXX_SESSION_SOCKET'])\n    held.append(s)\nopen({ready:?}, 'w').close()\nwhile not os.path.exists({done:?}):\n    time.sleep(0.05)\n",
        ready = ready.to_str().unwrap(),
        done = done.to_str().unwrap()
    );
    let mut cmd = host(Some(&world));
    cmd.args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "python3",
        "-c",
        &flood,
    ])
    .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for(&ready, "the agent did not connect");
    std::thread::sleep(Duration::from_millis(300));
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id())).unwrap();
    let threads: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    std::fs::write(&done, "").unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        threads < 64,
        "300 held connections, {threads} threads in raxx"
    );
}

#[test]
fn slow_clients_cannot_hold_the_endpoint_from_answering() {
    // 40 clients, each sending a byte every 1.5 s (so no single read waits
    // long) and reconnecting when cut off, beside one that asks normally.
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    let world = World::start_shared();
    let dir = Scratch::new("slow-clients");
    let (socket_file, done) = (dir.path("socket"), dir.path("done"));
    let agent = format!(
        "echo \"$RAXX_SESSION_SOCKET\" > {s}.tmp && mv {s}.tmp {s}; n=0; while [ ! -e {d} ] && [ $n -lt 2400 ]; do sleep 0.05; n=$((n+1)); done",
        s = socket_file.display(),
        d = done.display()
    );
    let mut cmd = host(Some(&world));
    cmd.args(["exec", "raxx-pm-bot", "--", "sh", "-c", &agent])
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_for(&socket_file, "the child did not start");
    let socket = std::fs::read_to_string(&socket_file)
        .unwrap()
        .trim()
        .to_string();
    let (stop, connected, cut) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicUsize::new(0)),
        Arc::new(AtomicUsize::new(0)),
    );
    let clients: Vec<_> = (0..40)
        .map(|_| {
            let (socket, stop, connected, cut) =
                (socket.clone(), stop.clone(), connected.clone(), cut.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut first = true;
                while !stop.load(Ordering::SeqCst) && start.elapsed() < Duration::from_secs(90) {
                    let Ok(mut conn) = UnixStream::connect(&socket) else {
                        break;
                    };
                    if first {
                        connected.fetch_add(1, Ordering::SeqCst);
                    }
                    while !stop.load(Ordering::SeqCst) && conn.write_all(b"t").is_ok() {
                        std::thread::sleep(Duration::from_millis(1500));
                    }
                    if first && !stop.load(Ordering::SeqCst) {
                        cut.fetch_add(1, Ordering::SeqCst);
                    }
                    first = false;
                }
            })
        })
        .collect();
    let start = Instant::now();
    while connected.load(Ordering::SeqCst) < 40 {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the slow clients did not connect"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(500));
    let mut cmd = host(None);
    cmd.env("RAXX_SESSION_SOCKET", &socket).arg("token");
    let asked = Instant::now();
    let r = run(cmd);
    let took = asked.elapsed();
    // Every slow client's first connection is cut off by the endpoint, long
    // before its 64 bytes (96 s) would end the request.
    let start = Instant::now();
    while cut.load(Ordering::SeqCst) < 40 && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    let cut = cut.load(Ordering::SeqCst);
    stop.store(true, Ordering::SeqCst);
    for client in clients {
        client.join().unwrap();
    }
    std::fs::write(&done, "").unwrap();
    let (code, stderr) = finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        r.code, 0,
        "a normal client is answered beside 40 slow ones: {}",
        r.stderr
    );
    assert!(r.stdout.trim().starts_with("ghs_"), "{}", r.stdout);
    assert!(took < Duration::from_secs(20), "answered in {took:?}");
    assert_eq!(
        cut, 40,
        "each slow connection is cut off within the request deadline"
    );
}

#[test]
fn a_killed_sessions_folder_is_removed_at_the_next_start_and_a_live_one_kept() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let world = World::start_shared();
    let dir = Scratch::new("stale-sessions");
    let runtime = dir.path("run");
    std::fs::create_dir(&runtime).unwrap();
    std::fs::set_permissions(&runtime, std::fs::Permissions::from_mode(0o700)).unwrap();
    // A waiting agent that writes where its socket is, in its own process group.
    let waiting = |name: &str| {
        let agent = format!(
            "echo \"$RAXX_SESSION_SOCKET\" > {name}.tmp && mv {name}.tmp {name}; n=0; while [ ! -e {name}.done ] && [ $n -lt 1200 ]; do sleep 0.05; n=$((n+1)); done",
            name = dir.path(name).display()
        );
        let mut cmd = host(Some(&world));
        cmd.env("XDG_RUNTIME_DIR", &runtime)
            .args([
                "spawn",
                "--agent",
                "data-scientist",
                "--",
                "sh",
                "-c",
                &agent,
            ])
            .stderr(Stdio::piped())
            .process_group(0);
        let child = cmd.spawn().unwrap();
        wait_for(&dir.path(name), "the agent did not start");
        let socket =
            std::path::PathBuf::from(std::fs::read_to_string(dir.path(name)).unwrap().trim());
        (child, socket)
    };
    let (live, live_socket) = waiting("live");
    let (mut killed, killed_socket) = waiting("killed");
    rustix::process::kill_process_group(
        rustix::process::Pid::from_raw(killed.id() as i32).unwrap(),
        rustix::process::Signal::KILL,
    )
    .unwrap();
    killed.wait().unwrap();
    let killed_folder = killed_socket.parent().unwrap().to_path_buf();
    assert!(killed_folder.exists(), "SIGKILL leaves the folder behind");
    // A link planted among the folders: never followed.
    std::fs::create_dir(dir.path("elsewhere")).unwrap();
    std::fs::write(dir.path("elsewhere/keep"), "").unwrap();
    if let Some(base) = live_socket.parent().and_then(Path::parent) {
        let _ =
            std::os::unix::fs::symlink(dir.path("elsewhere"), base.join("raxx-session-planted"));
    }
    let mut cmd = host(Some(&world));
    cmd.env("XDG_RUNTIME_DIR", &runtime)
        .args(["exec", "raxx-pm-bot", "--", "true"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !killed_folder.exists(),
        "the dead session's folder is removed at the next start: {}",
        killed_folder.display()
    );
    assert!(live_socket.exists(), "the live session's folder is kept");
    let mut cmd = host(None);
    cmd.env("RAXX_SESSION_SOCKET", &live_socket).arg("token");
    assert_eq!(run(cmd).code, 0, "the live session still answers");
    assert!(
        dir.path("elsewhere/keep").exists(),
        "a link is not followed"
    );
    std::fs::write(dir.path("live.done"), "").unwrap();
    let (code, stderr) = finish(live);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !live_socket.parent().unwrap().exists(),
        "a session removes its own folder"
    );
}
