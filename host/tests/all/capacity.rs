//! The capacity simulation behind docs/performance.md's arithmetic: many
//! sessions in one process, each a real [`TokenSource`] over a
//! [`RuntimeMint`] (its own vault keeper), all sharing one [`Runtime`],
//! against the loopback fakes, with GitHub's token lifetime scaled down so a
//! short run covers several refresh rounds. It counts the vault logins and
//! secret reads the fakes received, in the steady state after every session
//! started, and extrapolates them to a fleet at real token lifetimes.
//!
//! `scripts/bench` runs it large (host/benches/mint includes this file); the
//! test below runs it small and asserts counts, never times: one login per
//! session, one secret read per mint, two requests per refresh.

use raxx_fakes::World;
use raxx_host::{PolicyDocuments, Resolved, Runtime, RuntimeMint, Settings, TokenSource};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// GitHub's real installation-token lifetime, which the plan's lifetime stands for.
pub const REAL_LIFETIME: Duration = Duration::from_secs(3600);

/// What to simulate.
pub struct Plan {
    pub sessions: usize,
    /// GitHub's token lifetime in the run, standing for its real hour.
    pub token_lifetime: Duration,
    /// Refresh rounds to run once every session has started.
    pub rounds: usize,
    /// Give up waiting for the rounds after this long (the counts say how far it got).
    pub limit: Duration,
}

/// The fakes' counters at one moment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Vault logins (any method).
    pub logins: usize,
    /// Secret reads (`GET /api/v4/secrets`), answered or refused.
    pub secret_reads: usize,
    /// Installation tokens GitHub issued: one per mint.
    pub exchanges: usize,
}

impl Tally {
    pub fn of(world: &World) -> Tally {
        Tally {
            logins: world.infisical.logins(),
            secret_reads: world.infisical.secret_reads(),
            exchanges: world.github.issued_tokens().len(),
        }
    }

    pub fn since(self, before: Tally) -> Tally {
        Tally {
            logins: self.logins - before.logins,
            secret_reads: self.secret_reads - before.secret_reads,
            exchanges: self.exchanges - before.exchanges,
        }
    }
}

/// What a run counted.
#[derive(Debug)]
pub struct Counts {
    pub sessions: usize,
    pub token_lifetime: Duration,
    /// From the first session's start to the last session's end.
    pub total: Tally,
    /// Once every session had started: the counts and how long it lasted.
    pub steady: Tally,
    pub steady_elapsed: Duration,
    /// Revocations that failed when the sessions ended.
    pub revoke_warnings: usize,
}

impl Counts {
    /// Real minutes the steady part stands for (the run's seconds scaled by
    /// the real lifetime over the run's).
    #[allow(dead_code)] // the bench's extrapolation
    pub fn real_minutes(&self) -> f64 {
        self.steady_elapsed.as_secs_f64() * REAL_LIFETIME.as_secs_f64()
            / self.token_lifetime.as_secs_f64()
            / 60.0
    }

    /// A steady count per real minute, for `fleet` sessions.
    #[allow(dead_code)] // the bench's extrapolation
    pub fn per_minute(&self, count: usize, fleet: usize) -> f64 {
        count as f64 / self.real_minutes() * fleet as f64 / self.sessions as f64
    }

    /// Requests to the vault and GitHub per refresh in the steady part (the
    /// token exchange, the secrets read, and logins if any).
    pub fn requests_per_refresh(&self) -> f64 {
        let s = self.steady;
        (s.logins + s.secret_reads + s.exchanges) as f64 / s.exchanges.max(1) as f64
    }
}

/// Runs `plan`: starts the sessions spread over one refresh period (as a
/// fleet's starts spread over time), waits for `rounds` refreshes of each,
/// ends them all (every token revoked).
pub fn simulate(
    world: &World,
    runtime: &Arc<Runtime>,
    settings: &Settings,
    resolved: &Resolved,
    policy: &PolicyDocuments,
    plan: &Plan,
) -> Counts {
    world.github.set_token_lifetime(plan.token_lifetime);
    let before = Tally::of(world);
    // A session refreshes when a quarter of its token's lifetime is left.
    let period = plan.token_lifetime * 3 / 4;
    let start = Instant::now();
    let mut sources = Vec::with_capacity(plan.sessions);
    for i in 0..plan.sessions {
        let due = start + period.mul_f64(i as f64 / plan.sessions as f64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        let minter = RuntimeMint::new(
            runtime.clone(),
            settings.clone(),
            resolved.clone(),
            policy.clone(),
            None,
        );
        sources.push(TokenSource::begin(Arc::new(minter)).expect("a session starts"));
    }
    let started = Tally::of(world);
    let steady_start = Instant::now();
    let want = started.exchanges + plan.rounds * plan.sessions;
    while Tally::of(world).exchanges < want && steady_start.elapsed() < plan.limit {
        std::thread::sleep(Duration::from_millis(50));
    }
    let steady = Tally::of(world).since(started);
    let steady_elapsed = steady_start.elapsed();
    let revoke_warnings = sources.iter().map(|s| s.end().len()).sum();
    Counts {
        sessions: plan.sessions,
        token_lifetime: plan.token_lifetime,
        total: Tally::of(world).since(before),
        steady,
        steady_elapsed,
        revoke_warnings,
    }
}

#[test]
fn twenty_sessions_log_in_once_each_and_read_the_vault_once_per_refresh() {
    let world = World::start_shared();
    let library = crate::harness::Library::new(&world);
    let resolved = library.resolve("raxx-dev-bot", true);
    let plan = Plan {
        sessions: 20,
        token_lifetime: Duration::from_secs(4),
        rounds: 3,
        limit: Duration::from_secs(120),
    };
    let counts = simulate(
        &world,
        &library.runtime,
        &library.settings,
        &resolved,
        &library.policy,
        &plan,
    );
    let (total, steady) = (counts.total, counts.steady);
    assert!(
        steady.exchanges >= plan.rounds * plan.sessions,
        "three refresh rounds within the limit: {counts:?}"
    );
    assert_eq!(
        total.logins, plan.sessions,
        "one login per session: {counts:?}"
    );
    assert_eq!(
        total.secret_reads, total.exchanges,
        "one secret read per mint: {counts:?}"
    );
    assert_eq!(steady.logins, 0, "no refresh logged in: {counts:?}");
    assert_eq!(
        steady.secret_reads, steady.exchanges,
        "one read per refresh: {counts:?}"
    );
    assert_eq!(
        counts.requests_per_refresh(),
        2.0,
        "two requests per refresh: {counts:?}"
    );
    assert_eq!(counts.revoke_warnings, 0);
    assert!(world.github.live_tokens().is_empty());
}
