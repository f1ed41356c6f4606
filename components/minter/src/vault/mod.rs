//! The secret stores that hold the bots' GitHub App credentials. A store is
//! one module implementing [`Vault`]; [`VaultSettings`] (the WIT
//! `vault-settings` variant) has one arm per store and [`VaultSettings::store`]
//! is the one place that dispatches on it. Adding a store is one module here,
//! one arm there, one WIT arm and one `reach.json` section.

pub mod infisical;
#[cfg(test)]
mod login_tests;

use crate::error::ServiceFailure;
use crate::transport::Transport;
use zeroize::Zeroize;

/// Which store holds the bots' secrets, and how to reach it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VaultSettings {
    Infisical(infisical::InfisicalSettings),
}

impl VaultSettings {
    /// The store these settings name.
    pub fn store(&self) -> &dyn Vault {
        match self {
            VaultSettings::Infisical(s) => s,
        }
    }
}

/// A secret store, as the mint uses it.
///
/// Its failures are [`ServiceFailure`]s (the caller reports them as
/// `mint-error::vault`): `config` for unusable settings, the transport's kinds
/// (`denied`, `unreachable`, `timeout`), the kind of an HTTP status the store
/// answered with (`refused`, `not-found`, `rejected`, `rate-limited`,
/// `server`), `protocol` for an answer that is not what the store documents,
/// and `bad-secret` for a folder that lacks APP_ID or PRIVATE_KEY_PEM. Each
/// message is one line naming what to fix, and never holds a secret.
pub trait Vault {
    /// Checks the settings before anything is sent (`config` failures).
    fn check(&self) -> Result<(), ServiceFailure>;

    /// Where the bot's secrets live, as messages name it (e.g. `/prefix/bot`).
    fn location(&self, bot: &str) -> String;

    /// Logs in once and hands the access token back, for a caller that keeps
    /// it (`vault-login`); reads no secret.
    fn login(&self, t: &dyn Transport, user_agent: &str) -> Result<VaultAccess, ServiceFailure>;

    /// Reads the bot's App credentials live; nothing is kept after the call.
    fn fetch_app_secrets(
        &self,
        t: &dyn Transport,
        user_agent: &str,
        bot: &str,
    ) -> Result<AppSecrets, ServiceFailure>;
}

/// A store's access token and how many seconds it lives (none: it does not
/// expire, or the store did not say). Wiped on drop, never shown by `Debug`.
pub struct VaultAccess {
    pub access_token: String,
    pub expires_in: Option<u64>,
}

impl std::fmt::Debug for VaultAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultAccess")
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl Drop for VaultAccess {
    fn drop(&mut self) {
        self.access_token.zeroize();
    }
}

/// The secrets of one bot, as stored. INSTALLATION_ID may be absent when the
/// caller names an owner or repository to look the installation up.
pub struct AppSecrets {
    pub app_id: String,
    pub installation_id: Option<String>,
    pub private_key_pem: String,
}

impl Drop for AppSecrets {
    fn drop(&mut self) {
        self.private_key_pem.zeroize();
    }
}

/// The names of the secrets in a bot's folder.
pub const APP_ID: &str = "APP_ID";
pub const INSTALLATION_ID: &str = "INSTALLATION_ID";
pub const PRIVATE_KEY_PEM: &str = "PRIVATE_KEY_PEM";
