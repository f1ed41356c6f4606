//! Finding and reading the agent map and policy. The host only reads the
//! text; the component parses and evaluates it, so every embedder of the
//! component applies the same rules.

use crate::sandbox::bindings::exports::raxx::identity::types::PolicyDocuments;
use anyhow::Result;
use std::path::{Path, PathBuf};

/// The shipped `policies/` folder: next to the binary (installed), or at the
/// root of the source tree the binary was built in (`target/release/../../policies`).
pub fn default_dir() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    raxx_core::policy_files::default_dir(
        [
            dir.join("policies"),
            dir.join("../../policies"),
            dir.join("../share/raxx/policies"),
        ],
        Path::is_file,
    )
}

/// The two files in force, read fresh on every run (swapping them needs no rebuild).
#[derive(Clone, Debug)]
pub struct PolicyFiles {
    pub agent_map: PathBuf,
    pub policy: PathBuf,
}

impl PolicyFiles {
    /// Explicit paths win; otherwise the default folder's files.
    pub fn locate(
        agent_map: Option<PathBuf>,
        policy: Option<PathBuf>,
    ) -> Result<PolicyFiles, String> {
        let found = raxx_core::policy_files::locate(
            agent_map,
            policy,
            default_dir().as_deref(),
            "this binary",
        )?;
        Ok(PolicyFiles {
            agent_map: found.agent_map,
            policy: found.policy,
        })
    }

    /// Reads both files (regular files of at most 1 MiB).
    pub fn read(&self) -> Result<PolicyDocuments> {
        let read = |p: &Path| {
            crate::support::files::read_text(p, crate::support::files::MAX_POLICY_BYTES)
                .map_err(|why| anyhow::anyhow!("{why}"))
        };
        Ok(PolicyDocuments {
            agent_map: read(&self.agent_map)?,
            agent_map_name: self.agent_map.display().to_string(),
            policy: read(&self.policy)?,
            policy_name: self.policy.display().to_string(),
        })
    }
}
