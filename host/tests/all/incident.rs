//! Incident response: the kill switch (suspend, unsuspend, `--all`), its audit
//! trail joined to GitHub's (`hashed_token`), permission drift in verify, and
//! the 404 diagnosis over more than one page of installations.

use crate::harness::{
    assert_no_secrets, assert_one_line_error, edited_shipped, host, raxx, run, shipped, Run,
    Scratch,
};
use base64::Engine as _;
use raxx_fakes::github::Installation;
use raxx_fakes::server::HttpRequest;
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::World;
use sha2::Digest as _;
use std::path::Path;

/// `raxx-host ARGS` appending to the audit log `log`, checked for leaks.
fn logged(world: &World, log: &Path, args: &[&str]) -> Run {
    let mut cmd = host(Some(world));
    cmd.env("RAXX_AUDIT_LOG", log).args(args);
    let r = run(cmd);
    assert_no_secrets(world, &r);
    r
}

fn records(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// GitHub's audit-log `hashed_token`, computed here as GitHub's docs do
/// (`openssl dgst -sha256 -binary | base64`), not with raxx's code.
fn githubs_hash(token: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(token.as_bytes()))
}

/// What the fake GitHub answers `GET /installation/repositories` with this token.
fn status_with_token(world: &World, token: &str) -> u16 {
    let req = HttpRequest {
        method: "GET".into(),
        path: "/installation/repositories".into(),
        query: Default::default(),
        headers: [
            ("authorization", format!("Bearer {token}")),
            ("user-agent", "test".into()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect(),
        body: vec![],
    };
    match world.github.handle(&req) {
        raxx_fakes::Reply::Respond(r) => r.status,
        other => panic!("{other:?}"),
    }
}

#[test]
fn suspend_stops_mints_with_the_cause_until_unsuspend_and_each_step_is_audited() {
    let world = World::start_shared();
    let dev = world.bot("raxx-dev-bot").clone();
    let dir = Scratch::new("kill-switch");
    let log = dir.path("audit.jsonl");

    let before = logged(&world, &log, &["mint", "raxx-dev-bot"]);
    assert_eq!(before.code, 0, "{}", before.stderr);
    let issued = before.stdout.trim().to_string();
    assert_eq!(status_with_token(&world, &issued), 200);

    let r = logged(&world, &log, &["suspend", "raxx-dev-bot"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .starts_with("raxx-dev-bot: installation 55000001 (App 900001) suspended: "),
        "{}",
        r.stdout
    );
    assert!(world.github.is_suspended(dev.installation_id));
    assert_eq!(
        status_with_token(&world, &issued),
        401,
        "a token issued before the suspension stops working"
    );

    let r = logged(&world, &log, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "GitHub refused the token mint (403 This installation has been suspended); installation 55000001 of raxx-dev-bot is suspended (kill switch): lift it with `raxx-host unsuspend raxx-dev-bot`, or in the App's installation settings on GitHub if the account's owner suspended it");
    let r = logged(&world, &log, &["verify", "raxx-dev-bot"]);
    assert_eq!(r.code, 6, "{}", r.stdout);
    assert!(
        r.stdout.contains("SUSPENDED since 20")
            && r.stdout
                .contains("by raxx-dev-bot[bot]: lift with raxx-host unsuspend raxx-dev-bot"),
        "{}",
        r.stdout
    );
    let other = logged(&world, &log, &["mint", "raxx-ops-bot"]);
    assert_eq!(other.code, 0, "other bots are untouched: {}", other.stderr);

    let r = logged(&world, &log, &["unsuspend", "raxx-dev-bot"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (
            0,
            "raxx-dev-bot: installation 55000001 (App 900001) unsuspended: mints work again\n"
        ),
        "{}",
        r.stderr
    );
    assert!(!world.github.is_suspended(dev.installation_id));
    let after = logged(&world, &log, &["mint", "raxx-dev-bot"]);
    assert_eq!(after.code, 0, "{}", after.stderr);
    assert_eq!(
        status_with_token(&world, &issued),
        200,
        "the fake, like the runbook, assumes lifting a suspension revives unexpired tokens"
    );

    let records = records(&log);
    let steps: Vec<(&str, &str, i64)> = records
        .iter()
        .map(|r| {
            (
                r["command"].as_str().unwrap(),
                r["bot"].as_str().unwrap(),
                r["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("mint", "raxx-dev-bot", 0),
            ("suspend", "raxx-dev-bot", 0),
            ("mint", "raxx-dev-bot", 3),
            ("verify", "raxx-dev-bot", 6),
            ("mint", "raxx-ops-bot", 0),
            ("unsuspend", "raxx-dev-bot", 0),
            ("mint", "raxx-dev-bot", 0)
        ]
    );
    for r in [&records[1], &records[5]] {
        assert_eq!(
            (
                r["app_id"].as_str(),
                r["installation_id"].as_str(),
                r["outcome"].as_str()
            ),
            (Some("900001"), Some("55000001"), Some("ok")),
            "{r}"
        );
        assert!(
            r["hashed_token"].is_null() && r["token_sha256"].is_null(),
            "no token in a suspension record"
        );
    }
    assert!(records[2]["error"]
        .as_str()
        .unwrap()
        .contains("is suspended (kill switch)"));
    assert!(records[3]["error"]
        .as_str()
        .unwrap()
        .starts_with("SUSPENDED since"));
    for (record, token) in [
        (&records[0], issued.as_str()),
        (&records[6], after.stdout.trim()),
    ] {
        let hashed = record["hashed_token"].as_str().unwrap();
        assert_eq!(hashed, githubs_hash(token));
        assert_eq!(
            (hashed.len(), hashed.ends_with('=')),
            (44, true),
            "standard base64 with padding: {hashed}"
        );
        assert_eq!(
            record["token_sha256"],
            crate::harness::sha256_hex(token.as_bytes()).as_str(),
            "the hex fingerprint stays"
        );
    }
}

#[test]
fn all_acts_on_every_bot_reports_each_and_exits_with_the_first_failure() {
    let world = World::start_shared();
    let dir = Scratch::new("kill-switch-all");
    let log = dir.path("audit.jsonl");
    let r = logged(&world, &log, &["suspend", "--all"]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    for (line, bot) in lines
        .iter()
        .zip(["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"])
    {
        assert!(
            line.starts_with(&format!("{bot}: installation ")) && line.contains(") suspended: "),
            "{line}"
        );
        assert!(world.github.is_suspended(world.bot(bot).installation_id));
        assert_eq!(raxx(&world, &["mint", bot]).code, 3);
    }

    // The ops bot's installation is gone and the pm bot's folder lacks its id: both fail, the dev bot is still lifted.
    world
        .github
        .remove_installation(world.bot("raxx-ops-bot").installation_id);
    world
        .infisical
        .remove_secret(ENVIRONMENT, &folder("raxx-pm-bot"), "INSTALLATION_ID");
    let r = logged(&world, &log, &["unsuspend", "--all"]);
    assert_eq!(r.code, 3, "the first failure's code: {}", r.stdout);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "raxx-dev-bot: installation 55000001 (App 900001) unsuspended: mints work again"
    );
    assert!(lines[1].starts_with("raxx-ops-bot: FAILED (exit 3): GitHub did not unsuspend installation 55000002 (404 Not Found)"), "{}", lines[1]);
    assert!(lines[2].starts_with("raxx-pm-bot: FAILED (exit 2): Infisical folder /MooseQuest/raxx-pm-bot lacks INSTALLATION_ID"), "{}", lines[2]);
    assert_eq!(raxx(&world, &["mint", "raxx-dev-bot"]).code, 0);

    let records = records(&log);
    assert_eq!(records.len(), 6);
    let outcomes: Vec<(&str, &str, &str)> = records
        .iter()
        .map(|r| {
            (
                r["command"].as_str().unwrap(),
                r["bot"].as_str().unwrap(),
                r["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        &outcomes[3..],
        [
            ("unsuspend", "raxx-dev-bot", "ok"),
            ("unsuspend", "raxx-ops-bot", "error"),
            ("unsuspend", "raxx-pm-bot", "error")
        ]
    );
    assert_eq!(records[4]["exit_code"], 3);
}

#[test]
fn a_single_failed_suspend_is_one_line_and_recorded() {
    let world = World::start_shared();
    let dir = Scratch::new("kill-switch-fail");
    let log = dir.path("audit.jsonl");
    world
        .github
        .remove_installation(world.bot("raxx-pm-bot").installation_id);
    let r = logged(&world, &log, &["suspend", "raxx-pm-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "suspend raxx-pm-bot: GitHub did not suspend installation 55000003 (404 Not Found); installation 55000003 does not exist for this App");
    assert_eq!(records(&log)[0]["outcome"], "error");
    assert_eq!(
        raxx(&world, &["suspend", "no-such-bot"]).code,
        4,
        "a bot without a policy entry"
    );
    assert_eq!(raxx(&world, &["suspend"]).code, 64, "BOT or --all");
    assert_eq!(
        raxx(&world, &["unsuspend", "raxx-pm-bot", "--all"]).code,
        64
    );
}

/// The shipped policy with `edit` applied, and the shipped agent map.
fn scratch_policy(dir: &Scratch, edit: impl FnOnce(&str) -> String) -> (String, String) {
    (
        edited_shipped(dir, "policy.yaml", edit),
        shipped("agent_bot_map.yaml").display().to_string(),
    )
}

#[test]
fn verify_shows_permission_drift_missing_fails_excess_warns() {
    let world = World::start_shared();
    let dir = Scratch::new("drift");
    // raxx-dev-bot now asks actions=read (not granted) and no longer workflows=write (still granted);
    // ux-designer is narrowed to what it uses, so the missing permission does not touch it.
    let (policy, map) = scratch_policy(&dir, |p| {
        let p = p.replacen(
            "      workflows: write\n      metadata: read\n    fallback: allow\n",
            "      actions: read\n      metadata: read\n    fallback: allow\n",
            1,
        );
        p.replacen("agents:\n", "agents:\n  ux-designer:\n    permissions:\n      contents: write\n      metadata: read\n", 1)
    });
    let r = raxx(
        &world,
        &["--policy", &policy, "--agent-map", &map, "verify", "--all"],
    );
    assert_eq!(r.code, 6, "{}\n{}", r.stdout, r.stderr);
    let row = |bot: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(bot))
            .unwrap()
            .to_string()
    };
    assert!(
        row("raxx-dev-bot").ends_with("MISSING PERMISSIONS (see drift below)"),
        "{}",
        r.stdout
    );
    assert!(
        row("raxx-ops-bot").ends_with("ok") && row("raxx-pm-bot").ends_with("ok"),
        "{}",
        r.stdout
    );
    let drift: Vec<&str> = r
        .stdout
        .split("Permission drift (the installation's grant on GitHub against the policy):\n")
        .nth(1)
        .unwrap()
        .lines()
        .collect();
    assert_eq!(
        drift,
        [
            "  raxx-dev-bot  MISSING  actions=read asked, none granted, by raxx-dev-bot (its policy entry), feature-developer, ux-polisher: their mints fail; grant it to the App on GitHub, or drop it from the policy",
            "  raxx-dev-bot  EXCESS   workflows=write granted, asked by no user of the bot: least privilege says remove it from the App on GitHub",
        ]
    );
    let dev = world.bot("raxx-dev-bot").installation_id;
    assert!(
        world
            .github
            .token_requests()
            .iter()
            .all(|(id, _)| *id != dev),
        "no mint tried where it must fail"
    );

    // Excess alone is a warning: the row is ok and so is the exit code.
    let dir = Scratch::new("drift-excess");
    let (policy, map) = scratch_policy(&dir, |p| p.replacen("      workflows: write\n", "", 1));
    let r = raxx(
        &world,
        &[
            "--policy",
            &policy,
            "--agent-map",
            &map,
            "verify",
            "raxx-dev-bot",
        ],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .lines()
            .nth(1)
            .unwrap()
            .ends_with("ok, excess grants (see drift below)"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with("  raxx-dev-bot  EXCESS   workflows=write granted, asked by no user of the bot: least privilege says remove it from the App on GitHub\n"), "{}", r.stdout);
}

#[test]
fn the_404_diagnosis_reads_past_the_first_page_of_installations() {
    let world = World::start_shared();
    let dev = world.bot("raxx-dev-bot").clone();
    world.github.remove_installation(dev.installation_id);
    world
        .github
        .add_installations(dev.app_id, 70_000_001..70_000_150);
    let moved = Installation {
        id: 79_999_999,
        app_id: dev.app_id,
        account: "raxx-app-new".into(),
        permissions: [("contents".to_string(), "write".to_string())]
            .into_iter()
            .collect(),
        repositories: vec!["TradeMasterAPI".into()],
    };
    world.github.add_installation(moved);

    let r = raxx(&world, &["mint", "raxx-dev-bot", "--owner", "raxx-app-new"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "; the App is installed on raxx-app-new as 79999999 — update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/ from 55000001 to 79999999");
    let pages: Vec<String> = world
        .github
        .requests()
        .iter()
        .filter(|q| q.path == "/app/installations")
        .map(|q| q.query.get("page").cloned().unwrap_or_default())
        .collect();
    assert_eq!(pages, ["", "2"], "150 installations, 100 a page");

    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_one_line_error(
        &r,
        "the App is installed on 150 accounts (org-70000001 (70000001), org-70000002 (70000002)",
    );
    assert!(
        r.stderr
            .contains("pass --owner ORG (or --repo OWNER/NAME) to find yours"),
        "{}",
        r.stderr
    );
}
