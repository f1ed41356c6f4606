//! Issue 28's rows: a session's refresh with the vault login reused against
//! a full mint (requests and time, through the library), and the capacity
//! simulation (host/tests/all/capacity.rs, the file the CI test runs small)
//! run large, its counts written into docs/performance.md's capacity block.

#[path = "../../tests/all/capacity.rs"]
mod capacity;

use super::{dev_bot, median, ms, settings, SCENARIOS};
use capacity::{Counts, Plan, Tally};
use raxx_fakes::World;
use raxx_host::{Mint, PolicyDocuments, Runtime, RuntimeMint};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The fleet docs/performance.md's arithmetic is for.
const FLEET: usize = 5000;
/// Infisical's free tier, per minute and client IP (docs/performance.md).
const SECRET_READS_PER_MINUTE: f64 = 120.0;
const LOGINS_PER_MINUTE: f64 = 90.0;
const GLOBAL_PER_MINUTE: f64 = 600.0;

/// One latency's medians: a full mint and a refresh with the kept token.
struct Refresh {
    label: String,
    full_ms: f64,
    full_requests: f64,
    reused_ms: f64,
    reused_requests: f64,
}

/// Requests per mint the fakes saw between two tallies.
fn requests_per(after: Tally, before: Tally, mints: usize) -> f64 {
    let d = after.since(before);
    (d.logins + d.secret_reads + d.exchanges) as f64 / mints as f64
}

fn refresh_rows(
    runtime: &Arc<Runtime>,
    policy: &PolicyDocuments,
    keys: &[raxx_fakes::AppKey; 3],
    runs: usize,
) -> Vec<Refresh> {
    SCENARIOS
        .iter()
        .map(|&(latency, connect)| {
            let world = World::start_with_keys(keys.clone());
            world.set_latency(Duration::from_millis(latency));
            world.set_connect_latency(Duration::from_millis(connect));
            let settings = settings(&world);
            let resolved = runtime.resolve(policy, &dev_bot()).expect("resolve");
            let n = runs * 2;
            // Full mints (a one-shot `mint`: login, read, exchange) and
            // refreshes of one session (read, exchange), alternating.
            let minter = RuntimeMint::new(
                runtime.clone(),
                settings.clone(),
                resolved.clone(),
                policy.clone(),
                None,
            );
            minter.mint().expect("the session's first mint");
            let (mut full, mut reused) = (Vec::new(), Vec::new());
            let (mut full_requests, mut reused_requests) = (0.0, 0.0);
            for _ in 0..n {
                let before = Tally::of(&world);
                let start = Instant::now();
                runtime.mint(&settings, &resolved).result.expect("mint");
                full.push(ms(start.elapsed()));
                let middle = Tally::of(&world);
                full_requests += requests_per(middle, before, n);
                let start = Instant::now();
                minter.mint().expect("refresh");
                reused.push(ms(start.elapsed()));
                reused_requests += requests_per(Tally::of(&world), middle, n);
            }
            let label = match connect {
                0 => format!("{latency} ms per request"),
                c => format!("{latency} ms per request, +{c} ms per new connection"),
            };
            Refresh {
                label,
                full_ms: median(full),
                full_requests,
                reused_ms: median(reused),
                reused_requests,
            }
        })
        .collect()
}

/// The capacity simulation at bench size: `RAXX_BENCH_SESSIONS` sessions
/// (default 500), tokens of 20 s standing for GitHub's hour, 4 rounds.
fn simulate(
    runtime: &Arc<Runtime>,
    policy: &PolicyDocuments,
    keys: &[raxx_fakes::AppKey; 3],
) -> Counts {
    let sessions = std::env::var("RAXX_BENCH_SESSIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(500);
    let world = World::start_with_keys(keys.clone());
    let settings = settings(&world);
    let resolved = runtime.resolve(policy, &dev_bot()).expect("resolve");
    let plan = Plan {
        sessions,
        token_lifetime: Duration::from_secs(20),
        rounds: 4,
        limit: Duration::from_secs(240),
    };
    capacity::simulate(&world, runtime, &settings, &resolved, policy, &plan)
}

/// The capacity block of docs/performance.md from a simulation's counts.
fn capacity_block(c: &Counts) -> String {
    let s = c.steady;
    let reads = c.per_minute(s.secret_reads, FLEET);
    let logins = c.per_minute(s.logins, FLEET);
    let exchanges = c.per_minute(s.exchanges, FLEET);
    let refresh_minutes = c.real_minutes() * c.sessions as f64 / s.exchanges.max(1) as f64;
    format!(
        "| the latest simulation | counted | per real minute, scaled to {FLEET} sessions | free-tier limit |\n|---|---|---|---|\n\
         | sessions (one process, one shared `Runtime`) | {sessions} | | |\n\
         | logins at the sessions' start | {start_logins} (one per session) | | |\n\
         | refreshes in the steady part ({steady_s:.0} s, standing for {real_min:.0} min: one per session every {refresh_minutes:.0} min) | {refreshes} | {exchanges:.0} token exchanges | GitHub: see below |\n\
         | secret reads in the steady part | {reads_n} | {reads:.0} | 120 (Secret) |\n\
         | logins in the steady part | {logins_n} | {logins:.0} | 90 (Write) |\n\
         | all Infisical requests in the steady part | {vault_n} | {vault:.0} | 600 (global) |\n\
         | requests per refresh (vault + GitHub) | {per_refresh:.2} | | |\n\n\
         Tokens of {lifetime} s stood for GitHub's hour (×{scale:.0}); the sessions started spread over one refresh period, then ran {rounds} rounds.\n\
         Within the limits: secret reads {reads_ok}, logins {logins_ok}, all requests {global_ok} (`scripts/bench`, `RAXX_BENCH_SESSIONS` sets the count).\n",
        sessions = c.sessions,
        start_logins = c.total.logins - s.logins,
        steady_s = c.steady_elapsed.as_secs_f64(),
        real_min = c.real_minutes(),
        refreshes = s.exchanges,
        reads_n = s.secret_reads,
        logins_n = s.logins,
        vault_n = s.secret_reads + s.logins,
        vault = reads + logins,
        per_refresh = c.requests_per_refresh(),
        lifetime = c.token_lifetime.as_secs(),
        scale = capacity::REAL_LIFETIME.as_secs_f64() / c.token_lifetime.as_secs_f64(),
        rounds = s.exchanges / c.sessions.max(1),
        reads_ok = verdict(reads, SECRET_READS_PER_MINUTE),
        logins_ok = verdict(logins, LOGINS_PER_MINUTE),
        global_ok = verdict(reads + logins, GLOBAL_PER_MINUTE),
    )
}

fn verdict(rate: f64, limit: f64) -> String {
    let pct = rate / limit * 100.0;
    if rate <= limit {
        format!("{pct:.0} % of theirs")
    } else {
        format!("OVER ({pct:.0} %)")
    }
}

/// benchmark.md's section for issue 28, and docs/performance.md's capacity block.
pub fn section(
    runtime: &Arc<Runtime>,
    policy: &PolicyDocuments,
    keys: &[raxx_fakes::AppKey; 3],
    runs: usize,
) -> (String, String) {
    let rows = refresh_rows(runtime, policy, keys, runs);
    let counts = simulate(runtime, policy, keys);
    println!("capacity: {counts:?}");
    assert_eq!(counts.revoke_warnings, 0, "every session's tokens revoked");
    let mut md = String::from("\n## A session's refresh: the vault login reused (issue 28)\n\n");
    md.push_str(&format!("One library process, medians of {} each, alternating: a full mint as a one-shot `mint` makes it (Infisical login, secrets read, token\nexchange) and a session's refresh (`RuntimeMint` with its vault keeper: the access token its first mint logged in for, so the read and the exchange).\nRequests as the fakes counted them.\n\n", runs * 2));
    md.push_str("| latency | full mint | requests | refresh, login reused | requests | saved |\n|---|---|---|---|---|---|\n");
    for r in &rows {
        md.push_str(&format!(
            "| {} | {:.1} ms | {:.0} | {:.1} ms | {:.0} | {:.1} ms |\n",
            r.label,
            r.full_ms,
            r.full_requests,
            r.reused_ms,
            r.reused_requests,
            r.full_ms - r.reused_ms
        ));
    }
    let block = capacity_block(&counts);
    md.push_str("\nThe capacity simulation (host/tests/all/capacity.rs at bench size; the arithmetic is in [performance.md](performance.md#capacity-one-machine-identity-many-sessions)):\n\n");
    md.push_str(&block);
    (md, block)
}
