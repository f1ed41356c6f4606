//! Sessions that outlive a token: a [`TokenSource`] always has a valid
//! installation token for one bot and scope, re-minting before the current one
//! expires.
//!
//! When the current token has less than a quarter of its lifetime left (at
//! most 10 minutes; judged from GitHub's `expires_at`), a background thread
//! mints a new one: the bot's secrets are read from the vault again, so a
//! rotated key takes effect (with the vault access token the session keeps,
//! [`VaultKeeper`]: one login per session). A refresh that fails is retried with
//! backoff (1 s doubling, at most 30 s) while the current token stays in
//! use; past its expiry, [`TokenSource::token`] fails with the cause. A
//! replaced token is revoked after a grace period (60 s, or half of what it
//! has left if less) so a call already under way is not cut off; when the
//! source ends, every token it minted is revoked.
//!
//! `spawn` and `exec` serve a source to their child through a private Unix
//! socket ([`endpoint`]); an orchestrator embedding the library uses it
//! directly.

pub mod dir;
pub mod endpoint;
mod minter;
mod vault_keeper;

pub use minter::{keeper_for, mint_with_keeper, AuditTo, RuntimeMint};
pub use vault_keeper::{VaultKeeper, VaultLogin};

use crate::error::Error;
use crate::exit::Exit;
use crate::InstallationToken;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

/// The variables gh reads its token from, for the GitHub host the session's
/// tokens are for: `GH_TOKEN`/`GITHUB_TOKEN` always; for a GitHub Enterprise
/// Server (any host but github.com), gh reads `GH_ENTERPRISE_TOKEN` instead,
/// and `GH_HOST` tells it which host that is.
pub fn gh_token_vars(git_host: &str, token: &str) -> Vec<(&'static str, String)> {
    let mut vars = vec![
        ("GH_TOKEN", token.to_string()),
        ("GITHUB_TOKEN", token.to_string()),
    ];
    if !git_host.eq_ignore_ascii_case("github.com") {
        vars.extend([
            ("GH_ENTERPRISE_TOKEN", token.to_string()),
            ("GITHUB_ENTERPRISE_TOKEN", token.to_string()),
            ("GH_HOST", git_host.to_string()),
        ]);
    }
    vars
}

/// What a source needs from the outside world: minting, revoking, recording.
pub trait Mint: Send + Sync {
    /// Mints a fresh token (the vault read live).
    fn mint(&self) -> Result<InstallationToken, Error>;
    /// Revokes a token (one GitHub no longer accepts is retired already); the error is one line for a warning.
    fn revoke(&self, token: &str) -> Result<(), String>;
    /// Records a refresh (the audit log). A refreshed token whose record
    /// cannot be written is revoked unused, as a failed refresh.
    fn record(&self, refreshed: Result<&InstallationToken, &Error>) -> Result<(), String>;
}

/// Never wait longer than this before refreshing, whatever the lifetime.
const MAX_LEAD: Duration = Duration::from_secs(600);
/// A replaced token stays valid this long (or half of what it has left).
const GRACE: Duration = Duration::from_secs(60);
const BACKOFF_START: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How long `token()` waits for a refresh under way before giving up.
const WAIT_FOR_REFRESH: Duration = Duration::from_secs(10);
/// A token is not handed out in the last 30 s of its life (or the last tenth).
const MARGIN: Duration = Duration::from_secs(30);

/// A token and when, by this machine's clock, it expires.
#[derive(Clone)]
struct Held {
    token: InstallationToken,
    expires: SystemTime,
    lifetime: Duration,
}

impl Held {
    fn new(token: InstallationToken) -> Held {
        let now = SystemTime::now();
        let remaining = expires_at(&token.expires_at).and_then(|t| t.duration_since(now).ok());
        // A clock far off GitHub's makes expires_at meaningless here: use GitHub's documented hour.
        let lifetime = remaining
            .filter(|d| !d.is_zero() && *d <= Duration::from_secs(24 * 3600))
            .unwrap_or(Duration::from_secs(3600));
        Held {
            token,
            expires: now + lifetime,
            lifetime,
        }
    }

    fn refresh_at(&self) -> SystemTime {
        self.expires - (self.lifetime / 4).min(MAX_LEAD)
    }

    fn usable(&self, now: SystemTime) -> bool {
        now + (self.lifetime / 10).min(MARGIN) < self.expires
    }
}

/// Seconds since the epoch of an RFC 3339 time such as GitHub's `2026-11-22T23:00:00Z`.
fn expires_at(text: &str) -> Option<SystemTime> {
    let t =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339).ok()?;
    Some(
        SystemTime::UNIX_EPOCH
            + Duration::from_nanos(u64::try_from(t.unix_timestamp_nanos()).ok()?),
    )
}

#[derive(Default)]
struct State {
    current: Option<Held>,
    /// Replaced tokens and when to revoke them.
    retiring: Vec<(Held, SystemTime)>,
    /// Why the last refresh failed (cleared by a success).
    failing: Option<Error>,
    /// When to try again after a failure.
    retry_at: Option<SystemTime>,
    backoff: Duration,
    /// Refresh attempts finished so far.
    attempts: u64,
    /// `token()` found the token expired and asks for a refresh now.
    urgent: bool,
    ended: bool,
}

struct Shared {
    state: Mutex<State>,
    changed: Condvar,
    minter: Arc<dyn Mint>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Always a valid token for one bot and scope; see the module docs.
pub struct TokenSource {
    shared: Arc<Shared>,
    refresher: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl TokenSource {
    /// Mints the first token and starts refreshing.
    pub fn begin(minter: Arc<dyn Mint>) -> Result<TokenSource, Error> {
        let first = minter.mint()?;
        Ok(TokenSource::start(minter, first))
    }

    /// Starts refreshing from a token already minted.
    pub fn start(minter: Arc<dyn Mint>, first: InstallationToken) -> TokenSource {
        let state = State {
            current: Some(Held::new(first)),
            backoff: BACKOFF_START,
            ..State::default()
        };
        let shared = Arc::new(Shared {
            state: Mutex::new(state),
            changed: Condvar::new(),
            minter,
        });
        let worker = shared.clone();
        let refresher = std::thread::Builder::new()
            .name("raxx-refresh".into())
            .spawn(move || refresh_loop(&worker))
            .ok();
        TokenSource {
            shared,
            refresher: Mutex::new(refresher),
        }
    }

    /// The current token; waits briefly for a refresh when it has expired.
    /// Fails (exit code 3, with the refresh's cause) once it has expired and
    /// refreshing keeps failing.
    pub fn token(&self) -> Result<InstallationToken, Error> {
        let mut state = self.shared.lock();
        let give_up = SystemTime::now() + WAIT_FOR_REFRESH;
        let expired = |cause: &str| {
            Error::new(
                Exit::Github,
                format!("the session's token expired and could not be refreshed: {cause}"),
            )
        };
        let mut asked: Option<u64> = None;
        loop {
            let now = SystemTime::now();
            if let Some(held) = state.current.as_ref().filter(|h| h.usable(now)) {
                return Ok(held.token.clone());
            }
            if state.ended {
                return Err(Error::new(Exit::NoSession, "the session has ended"));
            }
            // Refreshing is failing (the refresher keeps trying on its schedule): say why.
            if let Some(failing) = &state.failing {
                return Err(expired(&failing.message));
            }
            if asked.is_some_and(|n| state.attempts > n) || now >= give_up {
                return Err(expired("no refresh finished in time"));
            }
            // Expired with no failure known (the machine slept?): ask for a refresh now.
            if asked.is_none() {
                asked = Some(state.attempts);
                state.urgent = true;
                self.shared.changed.notify_all();
            }
            let wait = give_up.duration_since(now).unwrap_or_default();
            state = self
                .shared
                .changed
                .wait_timeout(state, wait)
                .map(|(s, _)| s)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Stops refreshing and revokes every token still alive; returns one
    /// warning line per token GitHub did not revoke. Later calls do nothing.
    pub fn end(&self) -> Vec<String> {
        {
            let mut state = self.shared.lock();
            state.ended = true;
            self.shared.changed.notify_all();
        }
        let refresher = self
            .refresher
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(thread) = refresher {
            let _ = thread.join();
        }
        let alive: Vec<Held> = {
            let mut state = self.shared.lock();
            let retiring = std::mem::take(&mut state.retiring)
                .into_iter()
                .map(|(h, _)| h);
            state.current.take().into_iter().chain(retiring).collect()
        };
        alive
            .iter()
            .filter_map(|h| revoke(&*self.shared.minter, h).err())
            .collect()
    }
}

impl Drop for TokenSource {
    fn drop(&mut self) {
        for warning in self.end() {
            eprintln!(
                "raxx-host: warning: {}",
                crate::support::display::one_line(&warning)
            );
        }
    }
}

/// Revokes a token unless it has expired already (GitHub would only refuse
/// the call: an expired token authenticates nothing).
fn revoke(minter: &dyn Mint, held: &Held) -> Result<(), String> {
    if held.expires <= SystemTime::now() {
        return Ok(());
    }
    minter.revoke(&held.token.token)
}

/// The refresher: sleeps until something is due, then refreshes or revokes.
fn refresh_loop(shared: &Shared) {
    let mut warned = false;
    loop {
        let mut state = shared.lock();
        let now = SystemTime::now();
        if state.ended {
            return;
        }
        let refresh_due = state.urgent
            || match state.retry_at {
                Some(at) => at <= now,
                None => state.current.as_ref().is_none_or(|h| h.refresh_at() <= now),
            };
        let due: Vec<Held> = {
            let (due, keep) = std::mem::take(&mut state.retiring)
                .into_iter()
                .partition(|(_, at)| *at <= now);
            state.retiring = keep;
            due.into_iter().map(|(h, _)| h).collect()
        };
        if !refresh_due && due.is_empty() {
            let next_refresh = state
                .retry_at
                .or_else(|| state.current.as_ref().map(Held::refresh_at));
            let next = state
                .retiring
                .iter()
                .map(|(_, at)| *at)
                .chain(next_refresh)
                .min();
            let wait = next
                .and_then(|t| t.duration_since(now).ok())
                .unwrap_or(Duration::from_secs(60));
            drop(shared.changed.wait_timeout(state, wait));
            continue;
        }
        state.urgent = false;
        drop(state);
        for held in due {
            if let Err(warning) = revoke(&*shared.minter, &held) {
                eprintln!(
                    "raxx-host: warning: {}",
                    crate::support::display::one_line(&warning)
                );
            }
        }
        if !refresh_due {
            continue;
        }
        let outcome =
            shared
                .minter
                .mint()
                .and_then(|token| match shared.minter.record(Ok(&token)) {
                    Ok(()) => Ok(token),
                    Err(why) => {
                        let _ = shared.minter.revoke(&token.token);
                        Err(Error::new(
                            Exit::Host,
                            format!("cannot write the audit log: {why}"),
                        ))
                    }
                });
        let mut state = shared.lock();
        let now = SystemTime::now();
        state.attempts += 1;
        match outcome {
            Ok(token) => {
                if let Some(old) = state.current.replace(Held::new(token)) {
                    let left = old.expires.duration_since(now).unwrap_or_default();
                    state.retiring.push((old, now + GRACE.min(left / 2)));
                }
                if warned {
                    eprintln!("raxx-host: session: the token was refreshed again");
                    warned = false;
                }
                (state.failing, state.retry_at, state.backoff) = (None, None, BACKOFF_START);
            }
            Err(failure) => {
                let _ = shared.minter.record(Err(&failure));
                if !warned {
                    eprintln!("raxx-host: warning: session: refreshing the token failed (retrying while the current one is valid): {}", crate::support::display::one_line(&failure.message));
                    warned = true;
                }
                state.retry_at = Some(now + state.backoff);
                state.backoff = (state.backoff * 2).min(BACKOFF_MAX);
                state.failing = Some(failure);
            }
        }
        shared.changed.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    /// Issues tokens that live `lifetime`; can be made to fail.
    struct Fake {
        lifetime: Duration,
        minted: AtomicUsize,
        down: AtomicBool,
        revoked: Mutex<Vec<String>>,
        records: Mutex<Vec<Result<String, String>>>,
    }

    impl Fake {
        fn new(lifetime: Duration) -> Arc<Fake> {
            Arc::new(Fake {
                lifetime,
                minted: AtomicUsize::new(0),
                down: AtomicBool::new(false),
                revoked: Mutex::default(),
                records: Mutex::default(),
            })
        }
    }

    impl Mint for Fake {
        fn mint(&self) -> Result<InstallationToken, Error> {
            if self.down.load(Ordering::SeqCst) {
                return Err(Error::new(Exit::Vault, "Infisical could not be reached"));
            }
            let n = self.minted.fetch_add(1, Ordering::SeqCst);
            let expires = time::OffsetDateTime::now_utc() + self.lifetime;
            let expires_at = expires
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap();
            Ok(InstallationToken {
                token: format!("ghs_{n}"),
                expires_at,
                bot: "b".into(),
                agent: None,
                app: crate::AppRef::Id(1),
                installation_id: 2,
                permissions: vec![],
                repository_selection: None,
                repositories: vec![],
            })
        }
        fn revoke(&self, token: &str) -> Result<(), String> {
            self.revoked.lock().unwrap().push(token.to_string());
            Ok(())
        }
        fn record(&self, refreshed: Result<&InstallationToken, &Error>) -> Result<(), String> {
            self.records.lock().unwrap().push(
                refreshed
                    .map(|t| t.token.clone())
                    .map_err(|e| e.message.clone()),
            );
            Ok(())
        }
    }

    #[test]
    fn tokens_are_refreshed_before_they_expire_and_all_revoked_at_the_end() {
        // 4 s lifetimes: a replaced token is revoked 0.5 s after the refresh,
        // 0.5 s before it expires, a margin a loaded machine keeps.
        let fake = Fake::new(Duration::from_secs(4));
        let source = TokenSource::begin(fake.clone()).unwrap();
        let mut seen = std::collections::BTreeSet::new();
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(10500) {
            seen.insert(source.token().unwrap().token);
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            seen.len() >= 3,
            "refreshed at three quarters of each 4 s lifetime: {seen:?}"
        );
        drop(source.end());
        drop(source);
        let mut revoked = fake.revoked.lock().unwrap().clone();
        revoked.sort();
        revoked.dedup();
        assert_eq!(
            revoked.len(),
            fake.minted.load(Ordering::SeqCst),
            "every minted token is revoked: {revoked:?}"
        );
        let refreshes = fake
            .records
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.is_ok())
            .count();
        assert_eq!(
            refreshes + 1,
            fake.minted.load(Ordering::SeqCst),
            "one record per refresh"
        );
    }

    #[test]
    fn an_outage_keeps_the_current_token_until_it_expires_then_fails_with_the_cause() {
        let fake = Fake::new(Duration::from_secs(2));
        let source = TokenSource::begin(fake.clone()).unwrap();
        fake.down.store(true, Ordering::SeqCst);
        assert_eq!(source.token().unwrap().token, "ghs_0");
        std::thread::sleep(Duration::from_millis(1900));
        let err = source.token().unwrap_err();
        assert_eq!(err.exit, Exit::Github);
        assert!(
            err.message.contains("Infisical could not be reached"),
            "{}",
            err.message
        );
        assert!(
            fake.records.lock().unwrap().iter().any(Result::is_err),
            "failed refreshes are recorded"
        );
        fake.down.store(false, Ordering::SeqCst);
        let start = std::time::Instant::now();
        let token = loop {
            match source.token() {
                Ok(t) => break t,
                Err(_) if start.elapsed() < Duration::from_secs(20) => {
                    std::thread::sleep(Duration::from_millis(50))
                }
                Err(e) => panic!("never recovered: {e:?}"),
            }
        };
        assert_ne!(token.token, "ghs_0", "recovered with a fresh token");
    }

    #[test]
    fn a_token_that_expired_is_not_revoked() {
        let fake = Fake::new(Duration::from_millis(300));
        let source = TokenSource::begin(fake.clone()).unwrap();
        fake.down.store(true, Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(400));
        assert_eq!(source.end(), Vec::<String>::new());
        assert_eq!(
            fake.revoked.lock().unwrap().as_slice(),
            [] as [String; 0],
            "GitHub is not asked to revoke a dead token"
        );
    }

    #[test]
    fn gh_reads_an_enterprise_hosts_token_from_its_own_variables() {
        let names = |host: &str| {
            gh_token_vars(host, "ghs_x")
                .into_iter()
                .map(|(n, _)| n)
                .collect::<Vec<_>>()
        };
        assert_eq!(names("github.com"), ["GH_TOKEN", "GITHUB_TOKEN"]);
        assert_eq!(
            names("ghe.example.com:8443"),
            [
                "GH_TOKEN",
                "GITHUB_TOKEN",
                "GH_ENTERPRISE_TOKEN",
                "GITHUB_ENTERPRISE_TOKEN",
                "GH_HOST"
            ]
        );
        assert!(gh_token_vars("ghe.example.com:8443", "ghs_x")
            .contains(&("GH_HOST", "ghe.example.com:8443".into())));
    }

    #[test]
    fn expiry_comes_from_github_not_an_assumed_hour() {
        let fake = Fake::new(Duration::from_secs(1200));
        let held = Held::new(fake.mint().unwrap());
        let lead = held.expires.duration_since(held.refresh_at()).unwrap();
        assert!(
            lead > Duration::from_secs(299) && lead <= Duration::from_secs(300),
            "a quarter of 20 minutes: {lead:?}"
        );
        let held = Held::new(Fake::new(Duration::from_secs(3600)).mint().unwrap());
        assert_eq!(
            held.expires.duration_since(held.refresh_at()).unwrap(),
            MAX_LEAD,
            "at most 10 minutes"
        );
    }
}
