//! Audit records: one whole JSON line per mint, exec, spawn; fingerprints,
//! never secrets; safe under concurrent appends.

use crate::harness::sha256_hex;
use crate::harness::{component_path, host, raxx, run, shipped, Scratch};
use raxx_fakes::World;

fn read_records(path: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("torn line {l:?}: {e}")))
        .collect()
}

#[test]
fn every_mint_exec_and_spawn_appends_one_record_without_secrets() {
    let world = World::start_shared();
    let dir = Scratch::new("audit");
    let log = dir.path("audit.jsonl");
    // A stand-in gh for the command that falls back.
    let gh = dir.write("gh", "#!/bin/sh\nexit 0\n");
    std::fs::set_permissions(&gh, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", dir.0.display(), std::env::var("PATH").unwrap());
    let with_log = |args: &[&str]| {
        let mut cmd = host(Some(&world));
        cmd.env("RAXX_AUDIT_LOG", &log)
            .env("PATH", &path)
            .args(args);
        run(cmd)
    };
    assert_eq!(with_log(&["mint", "--agent", "card-groomer"]).code, 0);
    assert_eq!(with_log(&["exec", "raxx-pm-bot", "--", "true"]).code, 0);
    assert_eq!(
        with_log(&[
            "spawn",
            "--agent",
            "feature-developer",
            "--workflow-uuid",
            "wfl_audit1",
            "--",
            "true"
        ])
        .code,
        0
    );
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    assert_eq!(
        with_log(&["exec", "raxx-dev-bot", "--", "gh", "issue", "view", "1"]).code,
        0,
        "falls back"
    );
    assert_eq!(with_log(&["mint", "raxx-dev-bot"]).code, 3);

    let records = read_records(&log);
    assert_eq!(records.len(), 5, "{records:#?}");
    let component_sha = sha256_hex(&std::fs::read(component_path()).unwrap());
    let policy_sha = sha256_hex(&std::fs::read(shipped("policy.yaml")).unwrap());
    let tokens = world.github.issued_tokens();
    for r in &records {
        assert_eq!(r["component_sha256"], component_sha.as_str());
        assert_eq!(r["policy_sha256"], policy_sha.as_str());
        assert_eq!(r["compiled_sha256"].as_str().map(str::len), Some(64));
        assert!(r["time"].as_str().unwrap().ends_with('Z'));
    }
    let (mint, exec, spawn, fallback, failed) = (
        &records[0],
        &records[1],
        &records[2],
        &records[3],
        &records[4],
    );
    assert_eq!(
        (
            mint["command"].as_str(),
            mint["agent"].as_str(),
            mint["bot"].as_str()
        ),
        (Some("mint"), Some("card-groomer"), Some("raxx-ops-bot"))
    );
    assert_eq!(
        mint["permissions"],
        serde_json::json!({"issues": "write", "metadata": "read"})
    );
    assert_eq!(
        mint["token_sha256"],
        sha256_hex(tokens[0].token.as_bytes()).as_str()
    );
    assert_eq!(
        mint["installation_id"],
        world
            .bot("raxx-ops-bot")
            .installation_id
            .to_string()
            .as_str()
    );
    assert_eq!(
        mint["app_id"],
        world.bot("raxx-ops-bot").app_id.to_string().as_str()
    );
    assert_eq!(
        mint["expires_at"],
        raxx_fakes::time::iso8601(tokens[0].expires_at).as_str()
    );
    assert_eq!(
        (mint["outcome"].as_str(), mint["fallback"].is_null()),
        (Some("ok"), true)
    );
    assert_eq!(
        (exec["command"].as_str(), exec["bot"].as_str()),
        (Some("exec"), Some("raxx-pm-bot"))
    );
    assert_eq!(
        (spawn["command"].as_str(), spawn["workflow_uuid"].as_str()),
        (Some("spawn"), Some("wfl_audit1"))
    );
    assert_eq!(fallback["fallback"]["used"], true);
    assert!(fallback["fallback"]["reason"]
        .as_str()
        .unwrap()
        .contains("allows fallback"));
    assert_eq!(
        fallback["fallback"]["command"],
        serde_json::json!(["gh", "issue", "view", "1"])
    );
    assert_eq!(
        (fallback["outcome"].as_str(), fallback["exit_code"].as_i64()),
        (Some("error"), Some(3))
    );
    assert_eq!(
        (failed["command"].as_str(), failed["exit_code"].as_i64()),
        (Some("mint"), Some(3))
    );
    assert!(failed["error"].as_str().unwrap().contains("404 Not Found"));

    let text = std::fs::read_to_string(&log).unwrap();
    assert!(!text.contains(&world.client_secret));
    for t in &tokens {
        assert!(!text.contains(&t.token), "a token in the audit log");
    }
    for bot in &world.bots {
        assert!(!bot
            .key
            .pkcs1_pem()
            .lines()
            .skip(1)
            .take(3)
            .any(|l| text.contains(l)));
    }
}

#[test]
fn the_audit_log_option_works_and_an_unwritable_log_stops_the_mint() {
    let world = World::start_shared();
    let dir = Scratch::new("audit-flag");
    let log = dir.path("a.jsonl");
    let r = raxx(
        &world,
        &["--audit-log", log.to_str().unwrap(), "mint", "raxx-ops-bot"],
    );
    assert_eq!(r.code, 0);
    assert_eq!(read_records(&log).len(), 1);
    let r = raxx(
        &world,
        &[
            "--audit-log",
            "/nonexistent/dir/audit.jsonl",
            "mint",
            "raxx-ops-bot",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.is_empty(), "no token handed out unrecorded");
    assert!(
        r.stderr
            .contains("cannot write the audit log /nonexistent/dir/audit.jsonl"),
        "{}",
        r.stderr
    );
    assert!(
        world.github.issued_tokens().pop().unwrap().revoked,
        "the unrecorded token was revoked"
    );
}

#[test]
fn concurrent_cli_runs_each_leave_one_record() {
    let world = World::start_shared();
    let dir = Scratch::new("audit-cli");
    let log = dir.path("audit.jsonl");
    let children: Vec<_> = ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"]
        .iter()
        .cycle()
        .take(9)
        .map(|bot| {
            let mut cmd = host(Some(&world));
            cmd.env("RAXX_AUDIT_LOG", &log)
                .args(["mint", bot])
                .stdout(std::process::Stdio::null());
            cmd.spawn().unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let records = read_records(&log);
    assert_eq!(records.len(), 9);
    let mut fingerprints: Vec<&str> = records
        .iter()
        .map(|r| r["token_sha256"].as_str().unwrap())
        .collect();
    fingerprints.sort();
    fingerprints.dedup();
    assert_eq!(fingerprints.len(), 9, "nine distinct tokens recorded");
}

#[test]
fn a_log_someone_else_controls_stops_the_mint_instead_of_hanging_or_writing_elsewhere() {
    let world = World::start_shared();
    let dir = Scratch::new("audit-hostile");
    // A link planted where the log is expected: raxx would append to its target.
    let victim = dir.write("bashrc", "# the operator's shell startup\n");
    let link = dir.path("audit.jsonl");
    std::os::unix::fs::symlink(&victim, &link).unwrap();
    let r = raxx(
        &world,
        &[
            "--audit-log",
            link.to_str().unwrap(),
            "mint",
            "raxx-ops-bot",
        ],
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("it is a symbolic link"), "{}", r.stderr);
    assert_eq!(
        std::fs::read_to_string(&victim).unwrap(),
        "# the operator's shell startup\n"
    );
    // A lock held forever (an agent running flock on the log).
    let log = dir.path("held.jsonl");
    std::fs::write(&log, "").unwrap();
    let held = dir.path("held");
    let mut holder = std::process::Command::new("flock")
        .arg("-x")
        .arg(&log)
        .args(["-c", &format!("touch {}; exec sleep 30", held.display())])
        .spawn()
        .unwrap();
    let since = std::time::Instant::now();
    while !held.exists() {
        assert!(
            since.elapsed() < std::time::Duration::from_secs(30),
            "flock never took the lock"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let start = std::time::Instant::now();
    let r = raxx(
        &world,
        &["--audit-log", log.to_str().unwrap(), "mint", "raxx-ops-bot"],
    );
    let waited = start.elapsed();
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stderr.contains("held its lock for 5 s"), "{}", r.stderr);
    assert!(waited < std::time::Duration::from_secs(15), "{waited:?}");
    assert!(
        r.stdout.is_empty() && world.github.issued_tokens().iter().all(|t| t.revoked),
        "no token handed out unrecorded"
    );
    // A log another user owns.
    if crate::harness::root_or_skip(
        "a_log_someone_else_controls_stops_the_mint_instead_of_hanging_or_writing_elsewhere",
    ) {
        let theirs = dir.write("theirs.jsonl", "");
        crate::harness::chown(&theirs, crate::harness::OTHER_USER);
        let r = raxx(
            &world,
            &[
                "--audit-log",
                theirs.to_str().unwrap(),
                "mint",
                "raxx-ops-bot",
            ],
        );
        assert_eq!(r.code, 1);
        assert!(
            r.stderr
                .contains(&format!("belongs to uid {}", crate::harness::OTHER_USER)),
            "{}",
            r.stderr
        );
    }
}

/// A full disk during an append: the process's file-size limit
/// (`RLIMIT_FSIZE`, with `SIGXFSZ` ignored so the write fails with `EFBIG`
/// instead of killing it) lets only part of the record reach the log.
#[cfg(unix)]
#[test]
fn a_full_disk_leaves_no_torn_line_and_the_next_record_reads() {
    let world = World::start_shared();
    let dir = Scratch::new("audit-full");
    let log = dir.path("audit.jsonl");
    let mint = |limit: Option<u64>| {
        let mut cmd = host(Some(&world));
        cmd.env("RAXX_AUDIT_LOG", &log)
            .args(["mint", "raxx-ops-bot"]);
        let Some(bytes) = limit else { return run(cmd) };
        // The limit through util-linux's prlimit, SIGXFSZ ignored by the shell
        // (an ignored signal stays ignored across exec): the write past it
        // fails with EFBIG instead of killing raxx-host.
        let mut limited = std::process::Command::new("sh");
        limited
            .env_clear()
            .envs(cmd.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
        limited
            .args([
                "-c",
                "trap '' XFSZ; exec prlimit --fsize=\"$0\" -- \"$@\"",
                &bytes.to_string(),
            ])
            .arg(cmd.get_program())
            .args(cmd.get_args());
        run(limited)
    };
    assert_eq!(
        mint(None).code,
        0,
        "the first record (and the compiled-code cache) written without a limit"
    );
    // The limit binds every file the process writes, wasmtime's memory images
    // too (~100 KiB): the first record, padded with spaces (still one JSON
    // line), puts the log's end past them, so only the audit append meets it.
    let first = std::fs::read_to_string(&log).unwrap();
    std::fs::write(
        &log,
        format!("{}{}\n", first.trim_end(), " ".repeat(2 << 20)),
    )
    .unwrap();
    let before = std::fs::metadata(&log).unwrap().len();
    let r = mint(Some(before + 100));
    assert_eq!(
        r.code, 1,
        "a record that could not be written fails the command: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("cannot write the audit log"),
        "{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "no token handed out unrecorded");
    assert_eq!(
        std::fs::metadata(&log).unwrap().len(),
        before,
        "the part that was written is undone"
    );
    assert_eq!(mint(None).code, 0);
    assert_eq!(
        read_records(&log).len(),
        2,
        "every line of the log is a whole record"
    );

    // A line torn some other way (a crash mid-write, an undo that failed): the next record starts on a fresh line.
    let mut file = std::fs::OpenOptions::new().append(true).open(&log).unwrap();
    std::io::Write::write_all(&mut file, b"{\"time\":\"2026-").unwrap();
    assert_eq!(mint(None).code, 0);
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert_eq!(
        lines[2], "{\"time\":\"2026-",
        "the fragment stays a line of its own"
    );
    assert!(
        serde_json::from_str::<serde_json::Value>(lines[3]).is_ok(),
        "the next record reads: {}",
        lines[3]
    );
}
