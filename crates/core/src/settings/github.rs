//! GitHub's settings: the API's base URL (`GITHUB_API_URL`, as GitHub's
//! Actions set it) and the host's User-Agent.

use super::{get, ConfigError, Env, Side};
use crate::reach::Base;

pub const DEFAULT_GITHUB_URL: &str = "https://api.github.com";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GithubSettings {
    pub api_url: String,
    pub user_agent: String,
}

/// GitHub's settings and the base URL its requests are judged against.
pub fn read(var: &impl Env, user_agent: &str) -> Result<(GithubSettings, Base), ConfigError> {
    let api_url = get(var, &["GITHUB_API_URL"])
        .unwrap_or_else(|| DEFAULT_GITHUB_URL.into())
        .trim_end_matches('/')
        .to_string();
    let base = Base::new("github", &api_url)
        .map_err(|e| ConfigError::new(Side::Github, format!("GITHUB_API_URL {e}")))?;
    Ok((
        GithubSettings {
            api_url,
            user_agent: user_agent.to_string(),
        },
        base,
    ))
}
