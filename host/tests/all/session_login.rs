//! One vault login per session: `spawn` logs in to Infisical once and
//! refreshes with the access token it keeps (two requests per refresh), and
//! logs in again only when the vault refuses that token.

use crate::harness::{host, Scratch};
use raxx_fakes::World;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Waits (at most 60 s) until `done`.
fn wait_until(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < Duration::from_secs(60), "{what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// (logins, secret reads) the fake Infisical received.
fn vault_requests(world: &World) -> (usize, usize) {
    (world.infisical.logins(), world.infisical.secret_reads())
}

/// A child's script: `each` every 0.2 s until `stop` exists (at most 120 s).
fn until(stop: &std::path::Path, each: &str) -> String {
    format!(
        "end=$(( $(date +%s) + 120 )); while [ ! -e {} ] && [ $(date +%s) -lt $end ]; do {each} sleep 0.2; done",
        stop.display()
    )
}

/// Each audit record's command and `vault_login`, as "refresh reused".
fn vault_logins(audit: &std::path::Path) -> Vec<String> {
    std::fs::read_to_string(audit)
        .unwrap()
        .lines()
        .map(|l| {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            format!("{} {}", r["command"].as_str().unwrap(), r["vault_login"]).replace('"', "")
        })
        .collect()
}

#[test]
fn a_session_logs_in_once_and_again_only_when_the_vault_refuses_its_token() {
    let world = World::start_shared();
    // Tokens of 4 s: a refresh every 3 s or so.
    world.github.set_token_lifetime(Duration::from_secs(4));
    let dir = Scratch::new("one-login");
    let (stop, seen, audit) = (dir.path("stop"), dir.path("seen"), dir.path("audit.jsonl"));
    let agent = until(
        &stop,
        &format!("raxx-host token >> {} || exit 9;", seen.display()),
    );
    let mut cmd = host(Some(&world));
    cmd.env("RAXX_AUDIT_LOG", &audit)
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
    let issued = || world.github.issued_tokens().len();
    wait_until("three refreshes", || issued() >= 4);
    assert_eq!(vault_requests(&world).0, 1, "one login for four mints");
    // The vault revokes the session's access token: the next refresh's read is refused.
    world.infisical.revoke_access_tokens();
    let refused_at = issued();
    wait_until("two refreshes after the refusal", || {
        issued() >= refused_at + 2
    });
    std::fs::write(&stop, "").unwrap();
    let (code, stderr) = crate::session::finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "a refused token is no failure: {stderr}");

    let tokens = issued();
    let (logins, reads) = vault_requests(&world);
    assert_eq!(logins, 2, "exactly one more login after the refusal");
    assert_eq!(reads, tokens + 1, "one read per mint, and the refused one");
    // The first mint: login, read, exchange; the refused refresh: read (401),
    // login, read, exchange; every other refresh: read and exchange.
    let refreshes = tokens - 1;
    assert_eq!(
        logins + reads + tokens,
        3 + 4 + 2 * (refreshes - 1),
        "two requests per refresh with the kept token"
    );
    let logins = vault_logins(&audit);
    assert_eq!(logins[0], "spawn new");
    assert_eq!(logins.len() - 1, refreshes, "one record per refresh");
    assert_eq!(
        logins[1..].iter().filter(|l| *l == "refresh new").count(),
        1,
        "{logins:?}"
    );
    assert!(
        logins[1..]
            .iter()
            .all(|l| l == "refresh new" || l == "refresh reused"),
        "{logins:?}"
    );
    assert!(world.github.live_tokens().is_empty());
    let seen = std::fs::read_to_string(&seen).unwrap();
    assert!(
        seen.lines()
            .collect::<std::collections::BTreeSet<_>>()
            .len()
            >= 3,
        "the agent saw the refreshed tokens"
    );
}

#[test]
fn two_sources_of_one_session_share_one_login() {
    use raxx_host::TokenSource;
    use std::sync::Arc;
    let world = World::start_shared();
    let library = crate::harness::Library::new(&world);
    // Two bots for one session (issue 30's shape), their first mints at once.
    let first = library.minter(library.resolve("card-groomer", false));
    let second = library
        .minter(library.resolve("feature-developer", false))
        .sharing(first.keeper());
    let sources: Vec<TokenSource> = std::thread::scope(|s| {
        [first, second]
            .map(|minter| s.spawn(move || TokenSource::begin(Arc::new(minter)).unwrap()))
            .map(|t| t.join().unwrap())
            .into()
    });
    let tokens: Vec<String> = sources.iter().map(|s| s.token().unwrap().bot).collect();
    assert_eq!(tokens, ["raxx-ops-bot", "raxx-dev-bot"]);
    assert_eq!(vault_requests(&world), (1, 2), "one login, a read per bot");
    for source in &sources {
        assert_eq!(source.end(), Vec::<String>::new());
    }
}

#[test]
fn a_session_with_a_given_access_token_never_logs_in_and_records_given() {
    let world = World::start_shared();
    world.github.set_token_lifetime(Duration::from_secs(4));
    // An access token issued beforehand, as INFISICAL_TOKEN holds one.
    let library = crate::harness::Library::new(&world);
    let token = library
        .runtime
        .vault_login(&library.settings)
        .unwrap()
        .access_token;
    let dir = Scratch::new("given");
    let (stop, audit) = (dir.path("stop"), dir.path("audit.jsonl"));
    let agent = until(&stop, "");
    let mut cmd = host(Some(&world));
    cmd.env_remove("INFISICAL_CLIENT_ID")
        .env_remove("INFISICAL_CLIENT_SECRET")
        .env("INFISICAL_TOKEN", &token)
        .env("RAXX_AUDIT_LOG", &audit)
        .args(["exec", "raxx-dev-bot", "--", "sh", "-c", &agent])
        .stderr(Stdio::piped());
    let child = cmd.spawn().unwrap();
    wait_until("two refreshes", || world.github.issued_tokens().len() >= 3);
    std::fs::write(&stop, "").unwrap();
    let (code, stderr) = crate::session::finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(!stderr.contains(&token));
    let tokens = world.github.issued_tokens().len();
    assert_eq!(
        vault_requests(&world),
        (1, tokens),
        "no login but the one that issued the token"
    );
    assert!(!std::fs::read_to_string(&audit).unwrap().contains(&token));
    let logins = vault_logins(&audit);
    assert_eq!(logins.len(), tokens, "{logins:?}");
    assert_eq!(logins[0], "exec given");
    assert!(
        logins[1..].iter().all(|l| l == "refresh given"),
        "{logins:?}"
    );
}

#[test]
fn a_session_logs_in_again_at_seventy_percent_of_the_access_tokens_lifetime() {
    let world = World::start_shared();
    // Access tokens of 10 s (renewed from 7 s on), GitHub tokens of 4 s
    // (a refresh every 3 s or so).
    world.infisical.set_expires_in(10);
    world.github.set_token_lifetime(Duration::from_secs(4));
    let dir = Scratch::new("relogin");
    let (stop, audit) = (dir.path("stop"), dir.path("audit.jsonl"));
    let agent = until(&stop, "");
    let mut cmd = host(Some(&world));
    cmd.env("RAXX_AUDIT_LOG", &audit)
        .args(["exec", "raxx-dev-bot", "--", "sh", "-c", &agent])
        .stderr(Stdio::piped());
    let started = Instant::now();
    let child = cmd.spawn().unwrap();
    wait_until("a second login", || world.infisical.logins() >= 2);
    let relogin = started.elapsed();
    let at_relogin = world.github.issued_tokens().len();
    wait_until("a refresh after it", || {
        world.github.issued_tokens().len() > at_relogin
    });
    std::fs::write(&stop, "").unwrap();
    let (code, stderr) = crate::session::finish(child);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert!(
        relogin >= Duration::from_secs(7),
        "not before 70 % of 10 s: {relogin:?}"
    );
    let tokens = world.github.issued_tokens().len();
    assert_eq!(
        world.infisical.secret_reads(),
        tokens,
        "renewed before the vault refused anything"
    );
    let logins = vault_logins(&audit);
    assert_eq!(logins.len(), tokens, "{logins:?}");
    assert_eq!(logins[0], "exec new");
    let renewed = logins.iter().position(|l| l == "refresh new").unwrap();
    assert!(
        renewed >= 1
            && logins[1..renewed].iter().all(|l| l == "refresh reused")
            && logins[renewed + 1..].iter().all(|l| l == "refresh reused"),
        "reused until 70 %, then one login: {logins:?}"
    );
}

#[test]
fn attack_a_vault_lifetime_of_any_size_does_not_stop_the_sessions_refreshes() {
    // Infisical's expiresIn is a u64 of seconds: one above u64::MAX / 7 made
    // the session's 70 % rule overflow (a panic at the first refresh). (The
    // fake's own clock cannot hold u64::MAX seconds.)
    let world = World::start_shared();
    world.infisical.set_expires_in(3_000_000_000_000_000_000);
    world.github.set_token_lifetime(Duration::from_secs(4));
    let dir = Scratch::new("huge-lifetime");
    let stop = dir.path("stop");
    let agent = until(&stop, "");
    let mut cmd = host(Some(&world));
    cmd.args(["exec", "raxx-dev-bot", "--", "sh", "-c", &agent])
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let start = Instant::now();
    while world.github.issued_tokens().len() < 3
        && start.elapsed() < Duration::from_secs(60)
        && child.try_wait().unwrap().is_none()
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::fs::write(&stop, "").unwrap();
    let (code, stderr) = crate::session::finish(child);
    assert!(
        world.github.issued_tokens().len() >= 3,
        "two refreshes: {stderr}"
    );
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(world.infisical.logins(), 1, "the token is kept, not due");
}
