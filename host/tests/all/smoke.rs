//! `raxx-host smoke`: one issue per agent class, each authored by its bot,
//! read back and closed; a class whose secrets are another App's fails it.

use crate::harness::{raxx, raxx_env, Scratch};
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::World;

fn classes() -> Vec<String> {
    let map = std::fs::read_to_string(crate::harness::shipped("agent_bot_map.yaml")).unwrap();
    let mut classes: Vec<String> = map
        .lines()
        .filter_map(|l| {
            l.trim()
                .split_once(": ")
                .filter(|_| l.starts_with("  ") && !l.trim().starts_with('#'))
                .map(|(c, _)| c.to_string())
        })
        .collect();
    classes.sort();
    classes
}

#[test]
fn every_agent_class_opens_an_issue_as_its_own_bot_and_closes_it() {
    let world = World::start_shared();
    let dir = Scratch::new("smoke");
    let log = dir.path("audit.jsonl");
    let r = raxx_env(
        &world,
        &[("RAXX_AUDIT_LOG", Some(log.to_str().unwrap()))],
        &["smoke", "--repo", "raxx-app/TradeMasterAPI"],
    );
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let classes = classes();
    let issues = world.github.issues();
    assert_eq!(issues.len(), classes.len(), "one issue per agent class");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert!(
        lines[0].starts_with("AGENT CLASS") && lines.len() == classes.len() + 1,
        "{}",
        r.stdout
    );
    for (class, issue) in classes.iter().zip(&issues) {
        assert!(issue.title.ends_with(class.as_str()), "{}", issue.title);
        assert!(
            issue.body.starts_with(&format!("Agent: {class}\n")),
            "the body is the class's audit header: {}",
            issue.body
        );
        let expected = issue
            .body
            .lines()
            .nth(1)
            .unwrap()
            .strip_prefix("Bot identity: ")
            .unwrap();
        assert_eq!(issue.author, format!("{expected}[bot]"), "{class}");
        assert!(!issue.open, "closed again");
        let row = lines
            .iter()
            .find(|l| l.starts_with(class.as_str()))
            .unwrap();
        assert!(
            row.contains(&format!("#{}", issue.number))
                && row.contains(&issue.author)
                && row.trim_end().ends_with("ok"),
            "{row}"
        );
    }
    assert!(
        world.github.issued_tokens().iter().all(|t| t.revoked),
        "every token revoked"
    );
    // Scoped to the repository, as narrow as the class allows.
    assert!(world
        .github
        .token_requests()
        .iter()
        .all(|(_, body)| body["repositories"] == serde_json::json!(["TradeMasterAPI"])));
    let records: Vec<serde_json::Value> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for step in [
        "smoke",
        "smoke-issue-create",
        "smoke-issue-read",
        "smoke-issue-close",
    ] {
        assert_eq!(
            records.iter().filter(|r| r["command"] == step).count(),
            classes.len(),
            "{step} records"
        );
    }
    let read = records
        .iter()
        .find(|r| r["command"] == "smoke-issue-read")
        .unwrap();
    assert!(
        read["subject"]
            .as_str()
            .unwrap()
            .starts_with("raxx-app/TradeMasterAPI#"),
        "{read}"
    );
}

#[test]
fn a_class_whose_bot_folder_holds_another_apps_secrets_fails_the_smoke_test() {
    let world = World::start_shared();
    // raxx-ops-bot's folder holds raxx-dev-bot's App: card-groomer (issues only,
    // which that installation grants) acts as raxx-dev-bot[bot].
    let dev = world.bot("raxx-dev-bot").clone();
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder("raxx-ops-bot"),
        "APP_ID",
        &dev.app_id.to_string(),
    );
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder("raxx-ops-bot"),
        "INSTALLATION_ID",
        &dev.installation_id.to_string(),
    );
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder("raxx-ops-bot"),
        "PRIVATE_KEY_PEM",
        &dev.key.pkcs1_pem(),
    );
    let r = raxx(&world, &["smoke", "--repo", "raxx-app/TradeMasterAPI"]);
    assert_eq!(r.code, 6, "{}{}", r.stdout, r.stderr);
    let groomer = r
        .stdout
        .lines()
        .find(|l| l.starts_with("card-groomer"))
        .unwrap();
    assert!(
        groomer.contains("raxx-dev-bot[bot]") && groomer.contains("MISMATCH"),
        "{groomer}"
    );
    let dev_row = r
        .stdout
        .lines()
        .find(|l| l.starts_with("feature-developer"))
        .unwrap();
    assert!(dev_row.trim_end().ends_with("ok"), "{dev_row}");
    assert!(
        world.github.issues().iter().all(|i| !i.open),
        "mismatched issues are closed too"
    );
}

#[test]
fn smoke_checks_its_repository_argument() {
    let world = World::start_shared();
    let r = raxx(&world, &["smoke", "--repo", "not-a-repo"]);
    assert_eq!(r.code, 64, "{}", r.stderr);
    assert!(r.stderr.contains("is not OWNER/REPO"), "{}", r.stderr);
}
