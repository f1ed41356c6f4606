//! Settings whose vault login is an access token already issued: what a
//! session passes to `mint` after one `Runtime::vault_login`.

use crate::config::settings::Settings;
use crate::sandbox::bindings::exports::raxx::identity::types as wit;

impl Settings {
    /// The same settings with the `access-token(token)` login: the component
    /// sends no login and uses `token` as the vault's bearer. The original
    /// login's credential is not copied.
    pub fn with_access_token(&self, token: &str) -> Settings {
        let wit::VaultSettings::Infisical(vault) = &self.wit.vault;
        Settings {
            wit: wit::Settings {
                vault: wit::VaultSettings::Infisical(wit::InfisicalSettings {
                    api_url: vault.api_url.clone(),
                    project_id: vault.project_id.clone(),
                    environment: vault.environment.clone(),
                    path_prefix: vault.path_prefix.clone(),
                    login: wit::InfisicalLogin::AccessToken(token.to_string()),
                }),
                github: self.wit.github.clone(),
                network: self.wit.network,
            },
            allowlist: self.allowlist.clone(),
            // An access token is the login: there is nothing to read.
            jwt_source: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_becomes_the_token_and_nothing_else_changes() {
        let env = |k: &str| {
            [
                ("INFISICAL_CLIENT_ID", "id"),
                ("INFISICAL_CLIENT_SECRET", "s3cret"),
                ("INFISICAL_PROJECT_ID", "p"),
            ]
            .iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_string())
        };
        let settings = Settings::from_env(env).unwrap();
        let kept = settings.with_access_token("kept-token");
        let (wit::VaultSettings::Infisical(was), wit::VaultSettings::Infisical(now)) =
            (&settings.wit.vault, &kept.wit.vault);
        assert!(
            matches!(&now.login, wit::InfisicalLogin::AccessToken(t) if t == "kept-token"),
            "{:?}",
            now.login
        );
        assert_eq!(
            (
                &now.api_url,
                &now.project_id,
                &now.environment,
                &now.path_prefix
            ),
            (
                &was.api_url,
                &was.project_id,
                &was.environment,
                &was.path_prefix
            )
        );
        assert_eq!(
            format!("{:?} {:?}", kept.wit.github, kept.wit.network),
            format!("{:?} {:?}", settings.wit.github, settings.wit.network)
        );
        assert_eq!(kept.allowlist.origins(), settings.allowlist.origins());
        assert!(!format!("{kept:?}").contains("kept-token"));
    }
}
