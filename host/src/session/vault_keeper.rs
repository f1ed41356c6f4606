//! One vault login per session: a [`VaultKeeper`] holds the Infisical access
//! token a session's logins produced, shared (`Arc`) by every token source of
//! the session, so a refresh costs two requests (the secrets read and the
//! token exchange) instead of three.
//!
//! The token is reused until 70 % of the lifetime the vault gave it has
//! passed (as Infisical's Kubernetes operator does; a token that does not
//! expire: until the vault refuses it), then the next mint logs in again. A
//! kept token the vault refuses (401, or 403 `TokenError`: revoked, expired
//! early, the machine slept) is dropped, and the mint logs in again and is
//! retried once. The token lives in this process's memory only (the process
//! is non-dumpable, `process/harden.rs`): it is never written, never in a
//! `Debug` output, and wiped when dropped or replaced.
//!
//! Logins happen under the keeper's lock, so sources refreshing at once log
//! in once: the second finds the first one's token.

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

/// Share of a token's lifetime after which it is replaced (Infisical's operator: 70 %).
const RENEW_AT: (u32, u32) = (7, 10);

/// How a mint got its vault access token: the audit record's `vault_login`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultLogin {
    /// It logged in for this mint.
    New,
    /// It used the token a login earlier in the session got.
    Reused,
    /// The access token was configured (`INFISICAL_TOKEN`): no login.
    Given,
}

impl VaultLogin {
    /// As the audit record spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            VaultLogin::New => "new",
            VaultLogin::Reused => "reused",
            VaultLogin::Given => "given",
        }
    }
}

/// What a login answered: the access token, and how long it lives (`None`:
/// it does not expire, or the vault did not say).
pub struct Access {
    pub token: Zeroizing<String>,
    pub lifetime: Option<Duration>,
}

/// A kept token and when it was obtained (this machine's monotonic clock).
struct Kept {
    token: Zeroizing<String>,
    obtained: Instant,
    lifetime: Option<Duration>,
}

impl Kept {
    /// 70 % of its lifetime has passed by `now`.
    fn due(&self, now: Instant) -> bool {
        self.lifetime.is_some_and(|lifetime| {
            now.saturating_duration_since(self.obtained)
                >= lifetime.saturating_mul(RENEW_AT.0) / RENEW_AT.1
        })
    }
}

/// A session's vault access token; see the module docs.
#[derive(Default)]
pub struct VaultKeeper {
    kept: Mutex<Option<Kept>>,
}

impl std::fmt::Debug for VaultKeeper {
    // Whether a token is kept, never the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultKeeper")
            .field("kept", &self.lock().is_some())
            .finish()
    }
}

impl VaultKeeper {
    pub fn new() -> VaultKeeper {
        VaultKeeper::default()
    }

    fn lock(&self) -> MutexGuard<'_, Option<Kept>> {
        self.kept.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The token to mint with: the kept one while it is not due, else a new
    /// one from `login` (kept for the next mints). A failed login keeps
    /// nothing and is the answer.
    pub fn token<E>(
        &self,
        login: impl FnOnce() -> Result<Access, E>,
    ) -> Result<(Zeroizing<String>, VaultLogin), E> {
        self.token_at(Instant::now(), login)
    }

    fn token_at<E>(
        &self,
        now: Instant,
        login: impl FnOnce() -> Result<Access, E>,
    ) -> Result<(Zeroizing<String>, VaultLogin), E> {
        let mut kept = self.lock();
        if let Some(k) = kept.as_ref().filter(|k| !k.due(now)) {
            return Ok((k.token.clone(), VaultLogin::Reused));
        }
        // A due token is dropped (and wiped) before the login, so a failed login keeps nothing stale.
        *kept = None;
        let access = login()?;
        let token = access.token.clone();
        *kept = Some(Kept {
            token: access.token,
            obtained: now,
            lifetime: access.lifetime,
        });
        Ok((token, VaultLogin::New))
    }

    /// The vault refused `token`: drop it, unless another source has
    /// replaced it already (then the newer one stays).
    pub fn refused(&self, token: &str) {
        let mut kept = self.lock();
        if kept.as_ref().is_some_and(|k| k.token.as_str() == token) {
            *kept = None;
        }
    }

    /// One mint with the keeper's token (`mint` gets the access token and
    /// answers `R`): when the vault refused a kept token (`refused` says
    /// which answers mean that), the token is dropped and the mint retried
    /// once after a new login. The mint's answer and how its vault login
    /// went, or why the login failed.
    pub fn mint<R, E>(
        &self,
        login: impl Fn() -> Result<Access, E>,
        mint: impl Fn(&str) -> R,
        refused: impl Fn(&R) -> bool,
    ) -> Result<(R, VaultLogin), E> {
        let (token, how) = self.token(&login)?;
        let minted = mint(&token);
        if how != VaultLogin::Reused || !refused(&minted) {
            return Ok((minted, how));
        }
        self.refused(&token);
        drop(token);
        let (token, how) = self.token(&login)?;
        Ok((mint(&token), how))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A vault that counts its logins and issues `at-N` tokens living `lifetime`.
    struct Vault {
        logins: AtomicUsize,
        lifetime: Option<Duration>,
        /// Login takes this long (for the concurrency test).
        slow: Duration,
    }

    impl Vault {
        fn new(lifetime: Option<Duration>) -> Vault {
            Vault {
                logins: AtomicUsize::new(0),
                lifetime,
                slow: Duration::ZERO,
            }
        }

        fn login(&self) -> Result<Access, String> {
            std::thread::sleep(self.slow);
            let n = self.logins.fetch_add(1, Ordering::SeqCst) + 1;
            Ok(Access {
                token: Zeroizing::new(format!("at-{n}")),
                lifetime: self.lifetime,
            })
        }

        fn logins(&self) -> usize {
            self.logins.load(Ordering::SeqCst)
        }
    }

    #[test]
    fn a_token_is_reused_until_seventy_percent_of_its_lifetime_has_passed() {
        let vault = Vault::new(Some(Duration::from_secs(100)));
        let keeper = VaultKeeper::new();
        let start = Instant::now();
        let at = |secs: u64| start + Duration::from_secs(secs);
        let (token, how) = keeper.token_at(at(0), || vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-1", VaultLogin::New));
        let (token, how) = keeper.token_at(at(69), || vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-1", VaultLogin::Reused));
        let (token, how) = keeper.token_at(at(70), || vault.login()).unwrap();
        assert_eq!(
            (token.as_str(), how),
            ("at-2", VaultLogin::New),
            "70 s of 100: a new login"
        );
        assert_eq!(vault.logins(), 2);
    }

    #[test]
    fn a_lifetime_of_any_size_is_judged_without_panicking() {
        // expiresIn is the vault's (or a hostile build's) u64 of seconds.
        let vault = Vault::new(Some(Duration::from_secs(u64::MAX)));
        let keeper = VaultKeeper::new();
        keeper.token(|| vault.login()).unwrap();
        let (token, how) = keeper.token(|| vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-1", VaultLogin::Reused));
    }

    #[test]
    fn a_token_that_does_not_expire_is_reused_until_refused() {
        let vault = Vault::new(None);
        let keeper = VaultKeeper::new();
        let far = Instant::now() + Duration::from_secs(400 * 24 * 3600);
        keeper.token(|| vault.login()).unwrap();
        let (token, how) = keeper.token_at(far, || vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-1", VaultLogin::Reused));
        keeper.refused("at-1");
        let (token, how) = keeper.token(|| vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-2", VaultLogin::New));
    }

    #[test]
    fn a_refused_kept_token_is_replaced_and_the_mint_retried_once() {
        let vault = Vault::new(Some(Duration::from_secs(3600)));
        let keeper = VaultKeeper::new();
        // The vault refuses at-1 (revoked mid-session) and accepts later tokens.
        let mint = |token: &str| {
            if token == "at-1" {
                Err("401".to_string())
            } else {
                Ok(format!("ghs_with_{token}"))
            }
        };
        let refused = |r: &Result<String, String>| r.as_ref().is_err_and(|e| e == "401");
        keeper.token(|| vault.login()).unwrap();
        let (minted, how) = keeper.mint(|| vault.login(), mint, refused).unwrap();
        assert_eq!(minted.unwrap(), "ghs_with_at-2");
        assert_eq!(how, VaultLogin::New);
        assert_eq!(vault.logins(), 2, "exactly one more login");
        let (minted, how) = keeper.mint(|| vault.login(), mint, refused).unwrap();
        assert_eq!(
            (minted.unwrap().as_str(), how),
            ("ghs_with_at-2", VaultLogin::Reused)
        );
        assert_eq!(vault.logins(), 2);
    }

    #[test]
    fn a_fresh_token_refused_is_not_retried() {
        // A token just issued and refused is the identity's problem (its
        // permissions), not a stale token: one login, the failure stands.
        let vault = Vault::new(Some(Duration::from_secs(3600)));
        let keeper = VaultKeeper::new();
        let (minted, how) = keeper
            .mint(
                || vault.login(),
                |_| Err::<String, _>("403".to_string()),
                |_| true,
            )
            .unwrap();
        assert_eq!(minted.unwrap_err(), "403");
        assert_eq!(how, VaultLogin::New);
        assert_eq!(vault.logins(), 1);
    }

    #[test]
    fn a_failed_login_keeps_nothing_and_the_next_mint_logs_in() {
        let vault = Vault::new(Some(Duration::from_secs(3600)));
        let keeper = VaultKeeper::new();
        let failed = keeper.mint(
            || Err::<Access, _>("429".to_string()),
            |t: &str| t.to_string(),
            |_| true,
        );
        assert_eq!(failed.unwrap_err(), "429");
        let (minted, how) = keeper
            .mint(|| vault.login(), |t| t.to_string(), |_| false)
            .unwrap();
        assert_eq!((minted.as_str(), how), ("at-1", VaultLogin::New));
    }

    #[test]
    fn a_token_replaced_by_another_source_is_not_dropped_when_the_old_one_is_refused() {
        let vault = Vault::new(Some(Duration::from_secs(3600)));
        let keeper = VaultKeeper::new();
        keeper.token(|| vault.login()).unwrap();
        keeper.refused("at-1");
        keeper.token(|| vault.login()).unwrap();
        // A second source reports at-1 refused late: at-2 stays.
        keeper.refused("at-1");
        let (token, how) = keeper.token(|| vault.login()).unwrap();
        assert_eq!((token.as_str(), how), ("at-2", VaultLogin::Reused));
    }

    #[test]
    fn sources_refreshing_at_once_log_in_once() {
        let vault = Arc::new(Vault {
            slow: Duration::from_millis(200),
            ..Vault::new(Some(Duration::from_secs(3600)))
        });
        let keeper = Arc::new(VaultKeeper::new());
        let barrier = Arc::new(std::sync::Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (vault, keeper, barrier) = (vault.clone(), keeper.clone(), barrier.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    let (token, _) = keeper.token(|| vault.login()).unwrap();
                    token.to_string()
                })
            })
            .collect();
        let tokens: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        assert_eq!(vault.logins(), 1, "one login for eight sources");
        assert!(tokens.iter().all(|t| t == "at-1"), "{tokens:?}");
    }

    #[test]
    fn the_token_is_never_in_debug_output() {
        let vault = Vault::new(None);
        let keeper = VaultKeeper::new();
        keeper.token(|| vault.login()).unwrap();
        let shown = format!("{keeper:?}");
        assert!(!shown.contains("at-1"), "{shown}");
        assert_eq!(shown, "VaultKeeper { kept: true }");
    }
}
