//! The compiled-component cache.
//!
//! Compiling the component with Cranelift costs ~140 ms; loading a
//! precompiled artifact costs ~1 ms. Artifacts are keyed by the component's
//! SHA-256 and the engine's compatibility hash (wasmtime version and
//! settings), so a changed component or wasmtime is compiled afresh. They
//! hold compiled code only, never a secret.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Where artifacts live: `RAXX_CACHE_DIR`, else `$XDG_CACHE_HOME/raxx`, else `~/.cache/raxx`.
pub fn default_dir() -> Option<PathBuf> {
    let var = |n: &str| std::env::var_os(n).filter(|v| !v.is_empty()).map(PathBuf::from);
    var("RAXX_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("raxx")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("raxx")))
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// How a component was obtained (for timing reports and tests).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Cache,
    Compiled,
}

fn artifact_path(dir: &Path, engine: &Engine, component_sha: &str) -> PathBuf {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    dir.join(format!("minter-{}-{:016x}.cwasm", &component_sha[..32], h.finish()))
}

/// Loads `wasm` through the cache in `dir` (no cache when `dir` is `None`).
pub fn load(engine: &Engine, wasm: &[u8], component_sha: &str, dir: Option<&Path>) -> Result<(Component, Source)> {
    let Some(dir) = dir else {
        return Ok((Component::new(engine, wasm)?, Source::Compiled));
    };
    let path = artifact_path(dir, engine, component_sha);
    if path.is_file() {
        // SAFETY: the artifact was written by `Component::serialize` of this
        // engine configuration (the key includes its compatibility hash) into
        // the user's own cache directory; deserialize also checks the header.
        if let Ok(component) = unsafe { Component::deserialize_file(engine, &path) } {
            return Ok((component, Source::Cache));
        }
        let _ = std::fs::remove_file(&path);
    }
    let component = Component::new(engine, wasm).map_err(anyhow::Error::from).context("compiling the minter component")?;
    // A cache that cannot be written only costs speed.
    let _ = store(&component, dir, &path);
    Ok((component, Source::Compiled))
}

/// Writes atomically (temp file + rename) so concurrent runs never read half an artifact.
fn store(component: &Component, dir: &Path, path: &Path) -> Result<()> {
    create_private_dir(dir)?;
    let bytes = component.serialize()?;
    let tmp = dir.join(format!(".tmp-{}-{:?}", std::process::id(), std::thread::current().id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })?;
    evict(dir, KEEP);
    Ok(())
}

/// Compiled artifacts kept per cache directory (old components and wasmtime versions go).
pub const KEEP: usize = 4;

/// Removes all but the `keep` most recently written artifacts.
fn evict(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut artifacts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("minter-") && e.file_name().to_string_lossy().ends_with(".cwasm"))
        .filter_map(|e| Some((e.metadata().ok()?.modified().ok()?, e.path())))
        .collect();
    artifacts.sort_by(|a, b| b.0.cmp(&a.0));
    for (_, path) in artifacts.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

fn create_private_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
