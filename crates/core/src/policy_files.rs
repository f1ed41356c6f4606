//! Where the agent map and the policy are found. The host reads the text;
//! the component parses and evaluates it. Pure: the host passes the
//! candidate folders and an `exists` oracle (a file test).

use std::path::{Path, PathBuf};

pub const MAP_FILE: &str = "agent_bot_map.yaml";
pub const POLICY_FILE: &str = "policy.yaml";

/// The shipped `policies/` folder: the first candidate that holds both files.
pub fn default_dir<P: AsRef<Path>>(
    candidates: impl IntoIterator<Item = P>,
    exists: impl Fn(&Path) -> bool,
) -> Option<PathBuf> {
    candidates
        .into_iter()
        .map(|d| d.as_ref().to_path_buf())
        .find(|d| exists(&d.join(MAP_FILE)) && exists(&d.join(POLICY_FILE)))
}

/// The two files in force.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyFiles {
    pub agent_map: PathBuf,
    pub policy: PathBuf,
}

/// Explicit paths win; otherwise the default folder's files. `next_to`
/// names where the host looked ("this binary", "this package") in the
/// message for a file found nowhere.
pub fn locate(
    agent_map: Option<PathBuf>,
    policy: Option<PathBuf>,
    dir: Option<&Path>,
    next_to: &str,
) -> Result<PolicyFiles, String> {
    let pick = |given: Option<PathBuf>, file: &str, flag: &str| {
        given.or_else(|| dir.map(|d| d.join(file))).ok_or_else(|| {
            format!("no {file} found next to {next_to}; pass {flag} PATH (the repository's policies/ folder holds the defaults)")
        })
    };
    Ok(PolicyFiles {
        agent_map: pick(agent_map, MAP_FILE, "--agent-map")?,
        policy: pick(policy, POLICY_FILE, "--policy")?,
    })
}
