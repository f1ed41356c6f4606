//! What the command line asks for, shared by several commands: who to mint
//! for (`Target`), how to narrow the scope (`Narrow`), the value checks of
//! shared options, and the mint requests they make.

use crate::error::Error;
use crate::exit::Exit;
use crate::MintRequest;
use clap::Args;

/// Who to mint for, and how to narrow the policy's scope.
#[derive(Args)]
#[command(group(clap::ArgGroup::new("who").args(["bot", "agent"]).required(true).multiple(false)))]
pub struct Target {
    /// Bot whose App credentials live at {INFISICAL_PATH_PREFIX}/{BOT} in Infisical.
    #[arg(value_name = "BOT")]
    pub bot: Option<String>,

    /// Agent class (resolved to its bot by the agent map; its policy scope applies).
    #[arg(long, value_name = "CLASS")]
    pub agent: Option<String>,

    #[command(flatten)]
    pub narrow: Narrow,
}

/// Narrowing beyond the policy (never widening).
#[derive(Args)]
pub struct Narrow {
    /// Restrict the token to this repository; repeatable. OWNER/NAME also finds
    /// the installation when the vault has no INSTALLATION_ID.
    #[arg(long = "repo", value_name = "[OWNER/]NAME")]
    pub repos: Vec<String>,

    /// Find the installation on this organization or user when the vault has no INSTALLATION_ID.
    #[arg(long, value_name = "ORG")]
    pub owner: Option<String>,

    /// Ask for this permission only, e.g. contents=read; repeatable.
    #[arg(long = "permission", value_name = "NAME=LEVEL", value_parser = parse_permission)]
    pub permissions: Vec<(String, String)>,
}

pub fn parse_workflow_uuid_or_na(s: &str) -> Result<String, String> {
    crate::pr::header::check_workflow_uuid_or_none(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

pub fn parse_session(s: &str) -> Result<String, String> {
    crate::pr::header::check_session(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

/// `NAME=LEVEL`, as written: the level becomes the WIT enum when the request
/// is made (`request`), which refuses one GitHub does not have.
pub fn parse_permission(s: &str) -> Result<(String, String), String> {
    let (name, level) = s
        .split_once('=')
        .ok_or("expected NAME=LEVEL, e.g. contents=read")?;
    Ok((name.trim().to_string(), level.trim().to_string()))
}

pub fn parse_workflow_uuid(s: &str) -> Result<String, String> {
    crate::pr::header::check_workflow_uuid(s)
        .map(|()| s.to_string())
        .map_err(str::to_string)
}

/// The request a command's arguments name; a permission level GitHub does
/// not have is a usage error here, before any call.
pub fn request(
    bot: Option<String>,
    agent: Option<String>,
    narrow: Narrow,
) -> Result<MintRequest, Error> {
    let permissions = narrow
        .permissions
        .iter()
        .map(|(name, level)| crate::sandbox::wit_text::permission(name, level))
        .collect::<Result<_, _>>()
        .map_err(|message| Error::new(Exit::Usage, message))?;
    Ok(MintRequest {
        bot,
        agent,
        owner: narrow.owner,
        repositories: narrow.repos,
        permissions,
    })
}

pub fn target_request(target: Target) -> Result<MintRequest, Error> {
    request(target.bot, target.agent, target.narrow)
}

pub fn bot_request(bot: &str) -> MintRequest {
    MintRequest {
        bot: Some(bot.to_string()),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    }
}

/// A request naming only an agent class (no narrowing).
pub fn agent_request(class: &str) -> MintRequest {
    MintRequest {
        bot: None,
        agent: Some(class.to_string()),
        owner: None,
        repositories: vec![],
        permissions: vec![],
    }
}
