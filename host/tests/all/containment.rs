//! The agent as the attacker: a process of the operator's uid, started by raxx,
//! looking around `/proc`, the environment, the home folder. raxx itself runs
//! under an unprivileged uid here (root would see through everything), and the
//! agent under the same one.

use crate::harness::{
    as_user, assert_no_secrets, chown, host, host_as, installed_or_skip, raxx, root_or_skip, run,
    Scratch, USER,
};
use raxx_fakes::World;
use std::io::Read;
use std::time::{Duration, Instant};

/// A scratch folder owned by `USER`, with a home inside.
fn user_scratch(name: &str) -> Scratch {
    let dir = Scratch::new(name);
    std::fs::create_dir_all(dir.path("home")).unwrap();
    chown(&dir.0, USER);
    dir
}

#[test]
fn a_spawned_agent_cannot_read_its_parents_environment_or_memory() {
    if !root_or_skip("a_spawned_agent_cannot_read_its_parents_environment_or_memory") {
        return;
    }
    let world = World::start_shared();
    let dir = user_scratch("proc-attack");
    let report = dir.path("report");
    let attack = format!(
        "cd /; \
         if tr '\\0' '\\n' < /proc/$PPID/environ > {r}.env 2>/dev/null; then echo environ=READ; else echo environ=DENIED; fi; \
         if grep -q CANARY {r}.env 2>/dev/null; then echo secret=FOUND; fi; \
         if (exec 3< /proc/$PPID/mem) 2>/dev/null; then echo mem=OPENED; else echo mem=DENIED; fi; \
         if ls /proc/$PPID/fd >/dev/null 2>&1; then echo fd=LISTED; else echo fd=DENIED; fi; \
         env | grep -c '^INFISICAL_' | sed 's/^/vault_vars=/'",
        r = report.display()
    );
    let mut cmd = host_as(USER, Some(&world), &dir.path("home"));
    cmd.current_dir(&dir.0).args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        &attack,
    ]);
    let r = run(cmd);
    assert_no_secrets(&world, &r);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in ["environ=DENIED", "mem=DENIED", "fd=DENIED", "vault_vars=0"] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "want {line}, the agent saw:\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains("secret=FOUND"), "{}", r.stdout);
}

#[test]
fn a_signal_that_dumps_core_writes_no_core_file() {
    if !root_or_skip("a_signal_that_dumps_core_writes_no_core_file") {
        return;
    }
    let pattern = std::fs::read_to_string("/proc/sys/kernel/core_pattern").unwrap_or_default();
    if pattern.starts_with('|') {
        eprintln!(
            "skipping a_signal_that_dumps_core_writes_no_core_file: core files go to a program here ({}), not to the working folder",
            pattern.trim_end()
        );
        return;
    }
    let world = World::start_shared();
    let dir = user_scratch("core-attack");
    // The operator's shell allows core files; the agent aborts its parent.
    let raxx = env!("CARGO_BIN_EXE_raxx-host");
    let mut cmd = as_user(USER, "sh");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", dir.path("home"))
        .envs(world.env())
        .current_dir(&dir.0)
        .args(["-c", &format!("ulimit -c unlimited; {raxx} spawn --agent feature-developer -- sh -c 'kill -ABRT $PPID; sleep 1'; echo status=$?")]);
    let r = run(cmd);
    assert_eq!(
        r.stdout.trim(),
        format!("status={}", 128 + 6),
        "raxx was aborted: {}",
        r.stderr
    );
    let cores: Vec<String> = std::fs::read_dir(&dir.0)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("core"))
        .collect();
    assert!(cores.is_empty(), "core files written: {cores:?}");
}

/// Every `len`-byte window of `needle` lines that appears in `haystack`.
fn found<'a>(haystack: &[u8], needles: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    needles
        .into_iter()
        .filter(|n| n.len() >= 16 && haystack.windows(n.len()).any(|w| w == n.as_bytes()))
        .collect()
}

/// The readable, writable memory of process `pid` (read as root).
fn memory_of(pid: u32) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap();
    let mem = std::fs::File::open(format!("/proc/{pid}/mem")).unwrap();
    let mut all = Vec::new();
    for line in maps.lines() {
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        if !perms.starts_with("rw") {
            continue;
        }
        let (start, end) = range.split_once('-').unwrap();
        let (start, end) = (
            u64::from_str_radix(start, 16).unwrap(),
            u64::from_str_radix(end, 16).unwrap(),
        );
        let mut region = vec![0u8; (end - start) as usize];
        use std::os::unix::fs::FileExt;
        if mem.read_exact_at(&mut region, start).is_ok() {
            all.extend_from_slice(&region);
        }
    }
    all
}

/// A session keeps one vault access token in memory, the one it refreshes
/// with (issue 28: one login per session); a token it replaced, the bot's key
/// and every other secret are gone from it.
#[test]
fn a_spawn_parent_keeps_no_key_and_no_vault_token_but_its_current_one_in_memory() {
    if !root_or_skip("a_spawn_parent_keeps_no_key_and_no_vault_token_but_its_current_one_in_memory")
    {
        return;
    }
    let world = World::start_shared();
    // Short tokens, so the session refreshes while the test watches.
    world.github.set_token_lifetime(Duration::from_secs(4));
    let dir = Scratch::new("memory");
    let (ready, done) = (dir.path("ready"), dir.path("done"));
    let agent = format!(
        "touch {}; while [ ! -e {} ]; do sleep 0.05; done",
        ready.display(),
        done.display()
    );
    let mut cmd = host(Some(&world));
    cmd.args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        &agent,
    ])
    .stdout(std::process::Stdio::null())
    .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while !ready.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the agent did not start"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // The session's first access token expires early (Infisical answers 403
    // TokenError): at its next refresh the session logs in again and must
    // wipe the refused token.
    world.infisical.expire_access_tokens();
    while world.infisical.access_tokens().len() < 2 || world.github.issued_tokens().len() < 3 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the session did not log in again"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let memory = memory_of(child.id());
    std::fs::write(&done, "").unwrap();
    let status = child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(
        memory.len() > 1 << 20,
        "read the parent's memory ({} bytes)",
        memory.len()
    );
    let pem = world.bot("raxx-dev-bot").key.pkcs1_pem();
    let key_lines = pem.lines().filter(|l| !l.starts_with("-----"));
    assert_eq!(
        found(&memory, key_lines),
        Vec::<&str>::new(),
        "lines of the bot's private key stayed in the parent's memory"
    );
    let vault_tokens = world.infisical.access_tokens();
    assert_eq!(
        vault_tokens.len(),
        2,
        "one login, and one after the refusal"
    );
    assert_eq!(
        found(&memory, vault_tokens[..1].iter().map(String::as_str)),
        Vec::<&str>::new(),
        "the refused Infisical access token stayed in the parent's memory"
    );
}

#[test]
fn children_of_exec_get_no_operator_login_even_without_gh_token() {
    let world = World::start_shared();
    let dir = Scratch::new("gh-login");
    // The operator's own gh login, where gh would find it.
    let home = dir.path("home");
    std::fs::create_dir_all(home.join(".config/gh")).unwrap();
    std::fs::write(home.join(".config/gh/hosts.yml"), "github.com:\n    oauth_token: gho_operatorCanary000000000000000000000\n    user: operator\n").unwrap();
    let probe = "unset GH_TOKEN GITHUB_TOKEN; gh auth status 2>&1; echo status=$?; cat \"$GH_CONFIG_DIR\"/hosts.yml 2>&1; ls /proc/self/fd";
    let mut cmd = host(Some(&world));
    cmd.env("HOME", &home)
        .env("GH_TOKEN", "gho_operatorCanary000000000000000000000")
        .args(["exec", "raxx-dev-bot", "--", "sh", "-c", probe]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stdout.contains("gho_operatorCanary"),
        "the operator's login reached the child:\n{}",
        r.stdout
    );
    if installed_or_skip(
        "the gh part of children_of_exec_get_no_operator_login_even_without_gh_token",
        "gh",
    ) {
        assert!(
            r.stdout.contains("status=1") && !r.stdout.contains("Logged in"),
            "gh found a login:\n{}",
            r.stdout
        );
    }
    let fds: Vec<&str> = r
        .stdout
        .lines()
        .rev()
        .take_while(|l| l.chars().all(|c| c.is_ascii_digit()))
        .collect();
    assert!(
        fds.len() <= 4,
        "only stdin, stdout, stderr (and ls's own) are open in the child: {fds:?}"
    );
}

#[test]
fn policy_files_must_be_small_regular_files() {
    let world = World::start_shared();
    let dir = Scratch::new("policy-files");
    let fifo = dir.path("fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let big = dir.write(
        "big.yaml",
        &format!("# {}\nversion: 1\n", "x".repeat(2 << 20)),
    );
    for (path, needle) in [
        ("/dev/zero", "not a regular file"),
        (fifo.to_str().unwrap(), "not a regular file"),
        (big.to_str().unwrap(), "more than the 1048576"),
    ] {
        let start = Instant::now();
        let r = raxx(&world, &["--policy", path, "resolve", "card-groomer"]);
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{path} hung the run"
        );
        assert_eq!(r.code, 4, "{path}: {}", r.stderr);
        assert!(r.stderr.contains(needle), "{path}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1);
    }
}

#[test]
fn server_strings_reach_the_terminal_without_control_characters() {
    let world = World::start_shared();
    let bot = world.bot("raxx-dev-bot");
    world
        .github
        .set_app_slug(bot.app_id, "evil\u{1b}[2J\r\nraxx-dev-bot  ok\u{7}");
    let r = raxx(&world, &["verify", "raxx-dev-bot"]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert!(
        !r.stdout.chars().any(|c| c.is_control() && c != '\n'),
        "{:?}",
        r.stdout
    );
    assert_eq!(
        r.stdout.lines().count(),
        2,
        "a header and one row: {:?}",
        r.stdout
    );
}

#[test]
fn the_agent_and_raxx_run_as_the_same_unprivileged_user_here() {
    // The attacks above are only meaningful if raxx really ran unprivileged.
    if !root_or_skip("the_agent_and_raxx_run_as_the_same_unprivileged_user_here") {
        return;
    }
    let world = World::start_shared();
    let dir = user_scratch("whoami");
    let mut cmd = host_as(USER, Some(&world), &dir.path("home"));
    cmd.current_dir(&dir.0).args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        "id -u; awk '/^Uid:/ {print $2}' /proc/$PPID/status; stat -c %u /proc/$PPID/environ",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines[0], USER.to_string(), "the agent's uid");
    assert_eq!(lines[1], USER.to_string(), "raxx's uid");
    assert_eq!(
        lines[2], "0",
        "raxx's /proc/PID/environ belongs to root once it is non-dumpable"
    );
}
