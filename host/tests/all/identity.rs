//! Traceability: the PR header, verify, commit identity with real git, the git
//! credential helper with real git, and the org-migration diagnosis.

use crate::harness::{assert_no_secrets, assert_one_line_error, host, raxx, run, Run, Scratch};
use raxx_fakes::github::Installation;
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::World;
use std::process::Command;

#[test]
fn pr_header_prints_the_design_block_with_the_bot_from_the_policy() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "pr-header",
            "--agent",
            "feature-developer",
            "--workflow-uuid",
            "wfl_2070abc",
            "--refs",
            "2150",
            "--session",
            "2026-05-16T14:03:00Z",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Agent: feature-developer\nBot identity: raxx-dev-bot\nWorkflow UUID: wfl_2070abc\nOrchestrator session: 2026-05-16T14:03:00Z\nRefs #2150\n"
    );
    let r = raxx(&world, &["pr-header", "--agent", "card-groomer"]);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        &lines[..3],
        [
            "Agent: card-groomer",
            "Bot identity: raxx-ops-bot",
            "Workflow UUID: n/a"
        ]
    );
    assert!(
        lines[3].starts_with("Orchestrator session: 20")
            && lines[3].ends_with('Z')
            && lines.len() == 4,
        "{lines:?}"
    );
    assert!(world.github.requests().is_empty(), "no network");
}

#[test]
fn pr_header_takes_the_values_spawn_exports() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "spawn",
            "--agent",
            "software-architect",
            "--workflow-uuid",
            "wfl_9",
            "--refs",
            "7",
            "--",
            env!("CARGO_BIN_EXE_raxx-host"),
            "pr-header",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.starts_with("Agent: software-architect\nBot identity: raxx-pm-bot\nWorkflow UUID: wfl_9\nOrchestrator session: "), "{}", r.stdout);
    assert!(r.stdout.ends_with("Refs #7\n"));
}

#[test]
fn pr_header_refuses_unknown_classes_and_bad_values() {
    let world = World::start_shared();
    assert_eq!(raxx(&world, &["pr-header", "--agent", "intern"]).code, 5);
    assert_eq!(
        raxx(
            &world,
            &[
                "pr-header",
                "--agent",
                "card-groomer",
                "--session",
                "yesterday"
            ]
        )
        .code,
        64
    );
    assert_eq!(
        raxx(
            &world,
            &[
                "pr-header",
                "--agent",
                "card-groomer",
                "--workflow-uuid",
                "abc"
            ]
        )
        .code,
        64
    );
}

#[test]
fn verify_all_prints_one_ok_row_per_bot_and_revokes_its_tokens() {
    let world = World::start_shared();
    let r = raxx(&world, &["verify", "--all"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("BOT")
            && lines[0].contains("APP SLUG")
            && lines[0].contains("TOKEN EXPIRES"),
        "{}",
        lines[0]
    );
    assert_eq!(lines.len(), 4, "{}", r.stdout);
    for bot in ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"] {
        let b = world.bot(bot);
        let row = lines.iter().find(|l| l.starts_with(bot)).unwrap();
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            &cells[..4],
            [
                bot,
                bot,
                &b.app_id.to_string(),
                &b.installation_id.to_string()
            ],
            "{row}"
        );
        assert!(
            row.contains("2 (TradeMasterAPI, raxx-docs)") && row.ends_with("ok"),
            "{row}"
        );
    }
    assert!(
        world.github.issued_tokens().iter().all(|t| t.revoked),
        "verify leaves no live token behind"
    );
    assert!(world.github.requests().iter().any(|q| q.path == "/app"));
}

#[test]
fn verify_catches_secrets_stored_under_the_wrong_bot() {
    let world = World::start_shared();
    let ops = world.bot("raxx-ops-bot").clone();
    let dev_folder = folder("raxx-dev-bot");
    world
        .infisical
        .set_secret(ENVIRONMENT, &dev_folder, "APP_ID", &ops.app_id.to_string());
    world.infisical.set_secret(
        ENVIRONMENT,
        &dev_folder,
        "INSTALLATION_ID",
        &ops.installation_id.to_string(),
    );
    world.infisical.set_secret(
        ENVIRONMENT,
        &dev_folder,
        "PRIVATE_KEY_PEM",
        &ops.key.pkcs1_pem(),
    );
    let r = raxx(&world, &["verify", "raxx-dev-bot"]);
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("MISMATCH: the App's slug is 'raxx-ops-bot', not 'raxx-dev-bot': the secrets at /MooseQuest/raxx-dev-bot belong to another App"), "{}", r.stdout);
}

#[test]
fn verify_refuses_a_personal_access_token() {
    let world = World::start_shared();
    world.github.inject("access_tokens", vec![raxx_fakes::Reply::Respond(raxx_fakes::HttpResponse::json(201, serde_json::json!({"token": "ghp_personalAccessTokenLooksLikeThis00", "expires_at": "2026-11-23T00:00:00Z"})))]);
    let r = raxx(&world, &["verify", "raxx-pm-bot"]);
    assert_eq!(r.code, 3);
    assert!(
        r.stdout
            .contains("not an installation token (expected ghs_)"),
        "{}",
        r.stdout
    );
    assert!(
        !r.stdout.contains("ghp_personal"),
        "the PAT itself is not printed"
    );
}

fn git(dir: &std::path::Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .current_dir(dir)
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn git_identity_apply_makes_real_commits_author_as_the_bot() {
    let world = World::start_shared();
    let repo = Scratch::new("git-identity");
    git(&repo.0, &["init", "-q"]);
    let mut cmd = host(Some(&world));
    cmd.current_dir(&repo.0)
        .env("HOME", &repo.0)
        .args(["git-identity", "raxx-dev-bot", "--apply"]);
    let r = run(cmd);
    assert_no_secrets(&world, &r);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let id = world.bot("raxx-dev-bot").user_id;
    assert_eq!(r.stdout, format!("user.name \"raxx-dev-bot[bot]\"\nuser.email \"{id}+raxx-dev-bot[bot]@users.noreply.github.com\"\n"));
    git(
        &repo.0,
        &["commit", "-q", "--allow-empty", "-m", "agent work"],
    );
    assert_eq!(
        git(&repo.0, &["log", "-1", "--format=%an <%ae>|%cn"]).trim(),
        format!(
            "raxx-dev-bot[bot] <{id}+raxx-dev-bot[bot]@users.noreply.github.com>|raxx-dev-bot[bot]"
        )
    );
    assert!(world.github.issued_tokens().iter().all(|t| t.revoked));
    let lookup = world
        .github
        .requests()
        .into_iter()
        .find(|q| q.path.starts_with("/users/"))
        .unwrap();
    assert_eq!(lookup.path, "/users/raxx-dev-bot%5Bbot%5D");
}

#[test]
fn git_identity_apply_outside_a_repository_says_so() {
    let world = World::start_shared();
    let dir = Scratch::new("not-a-repo");
    let mut cmd = host(Some(&world));
    cmd.current_dir(&dir.0)
        .env("HOME", &dir.0)
        .env("GIT_CEILING_DIRECTORIES", &dir.0)
        .args(["git-identity", "raxx-pm-bot", "--apply"]);
    let r = run(cmd);
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert_one_line_error(&r, "run --apply inside the repository");
}

fn credential_fill(world: &World, repo: &Scratch, input: &str) -> std::process::Output {
    use std::io::Write;
    let mut cmd = Command::new("git");
    cmd.current_dir(&repo.0)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", &repo.0)
        .env("GIT_CONFIG_NOSYSTEM", "1");
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("RAXX_CACHE_DIR", crate::harness::cache_dir())
        .envs(world.env());
    cmd.args(["credential", "fill"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn the_credential_helper_gives_git_a_bot_token_for_the_github_host_only() {
    let world = World::start_shared();
    let repo = Scratch::new("git-credential");
    git(&repo.0, &["init", "-q"]);
    let helper = format!(
        "!'{}' git-credential raxx-dev-bot",
        env!("CARGO_BIN_EXE_raxx-host")
    );
    git(&repo.0, &["config", "credential.helper", &helper]);
    let host_port = world.github_url().trim_start_matches("http://").to_string();
    let out = credential_fill(
        &world,
        &repo,
        &format!("protocol=http\nhost={host_port}\npath=raxx-app/TradeMasterAPI.git\n\n"),
    );
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = world
        .github
        .issued_tokens()
        .pop()
        .expect("a token was minted")
        .token;
    assert!(stdout.contains("username=x-access-token\n"), "{stdout}");
    assert!(stdout.contains(&format!("password={token}\n")), "{stdout}");
    let minted = world.github.issued_tokens().len();
    let out = credential_fill(&world, &repo, "protocol=https\nhost=gitlab.example.com\n\n");
    assert!(
        !out.status.success(),
        "git gets no credential for another host"
    );
    assert_eq!(
        world.github.issued_tokens().len(),
        minted,
        "nothing minted for another host"
    );
}

#[test]
fn the_credential_helper_ignores_store_and_erase() {
    let world = World::start_shared();
    for op in ["store", "erase"] {
        let mut cmd = host(Some(&world));
        cmd.args(["git-credential", "raxx-dev-bot", op])
            .stdin(std::process::Stdio::null());
        let r: Run = run(cmd);
        assert_eq!((r.code, r.stdout.as_str()), (0, ""), "{op}");
    }
    assert!(world.github.issued_tokens().is_empty());
}

#[test]
fn a_404_after_an_org_move_names_the_installations_and_what_to_update() {
    let world = World::start_shared();
    let dev = world.bot("raxx-dev-bot").clone();
    world.github.remove_installation(dev.installation_id);
    world.github.add_installation(Installation {
        id: 66_000_001,
        app_id: dev.app_id,
        account: "raxx-app-new".into(),
        permissions: [("contents".to_string(), "write".to_string())]
            .into_iter()
            .collect(),
        repositories: vec!["TradeMasterAPI".into()],
    });
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "the App is installed on: raxx-app-new (66000001)");
    assert!(r.stderr.contains("update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/ from 55000001 to 66000001"), "{}", r.stderr);
}

#[test]
fn without_installation_id_an_owner_or_repo_finds_the_installation() {
    let world = World::start_shared();
    world
        .infisical
        .remove_secret(ENVIRONMENT, &folder("raxx-dev-bot"), "INSTALLATION_ID");
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 2);
    assert_one_line_error(
        &r,
        "lacks INSTALLATION_ID; add it there, or pass --owner ORG or --repo OWNER/REPO",
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot", "--owner", "raxx-app"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        world.github.issued_tokens().pop().unwrap().installation_id,
        55_000_001
    );
    let r = raxx(
        &world,
        &[
            "mint",
            "--agent",
            "feature-developer",
            "--repo",
            "raxx-app/TradeMasterAPI",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(world
        .github
        .requests()
        .iter()
        .any(|q| q.path == "/repos/raxx-app/TradeMasterAPI/installation"));
    assert_eq!(
        world.github.token_requests().pop().unwrap().1["repositories"],
        serde_json::json!(["TradeMasterAPI"])
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot", "--owner", "someone-else"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "the App is not installed on someone-else");
}
