//! Compiled code for the component, and why a planted artifact never runs.
//!
//! Compiling the component with Cranelift costs ~140 ms; loading compiled code
//! costs a few. But compiled code is native code: deserializing an artifact
//! somebody else wrote runs their code in this process, next to the vault
//! identity's secret. So an artifact is used only when raxx can tell that it
//! wrote it itself:
//!
//! - **installed** (`scripts/install`): `raxx_minter.<sha>.cwasm` beside the
//!   component, trusted as the binary is: the file and its folder must be
//!   owned by root and writable by nobody else, which a same-user agent cannot
//!   arrange.
//! - **the user cache** (`RAXX_CACHE_DIR`, else `$XDG_CACHE_HOME/raxx`, else
//!   `~/.cache/raxx`): every artifact carries a BLAKE3 MAC (keyed mode) under
//!   a key derived (BLAKE3's `derive_key`) from the vault identity's client secret, which no child of raxx
//!   ever sees (`child_env`, `harden`). A planted or edited artifact fails the
//!   check and the component is compiled afresh. The folder must be a real
//!   folder owned by this user and writable by nobody else; artifacts are
//!   opened without following links and written through exclusive temp
//!   files. Without the secret (commands that need no vault) the user cache
//!   is not used at all.
//!
//! Keys include the component's SHA-256 and wasmtime's compatibility hash, so
//! a changed component or wasmtime compiles afresh. Artifacts hold compiled
//! code only, never a secret. The SHA-256 of the compiled code that runs is
//! reported for the audit record.

use anyhow::{Context, Result};
use raxx_core::cache_key::{CacheKey, Tag};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use wasmtime::component::Component;
use wasmtime::Engine;

/// Compiled artifacts kept per cache folder (old components and wasmtime versions go).
pub const KEEP: usize = 4;

/// Largest artifact read (the minter's is a few MiB).
const MAX_ARTIFACT_BYTES: u64 = 256 << 20;

/// A user-cache file: the MAC tag, then the compiled code's SHA-256 (raw),
/// then the compiled code. The tag covers the other two, so the SHA-256 the
/// audit reports is read, not computed again, once the tag checks out.
use raxx_core::cache_key::TAG_BYTES;
const SHA_BYTES: usize = 32;

/// Where the user cache lives: `RAXX_CACHE_DIR`, else `$XDG_CACHE_HOME/raxx`, else `~/.cache/raxx`.
pub fn default_dir() -> Option<PathBuf> {
    let var = |n: &str| {
        std::env::var_os(n)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    var("RAXX_CACHE_DIR")
        .or_else(|| var("XDG_CACHE_HOME").map(|d| d.join("raxx")))
        .or_else(|| var("HOME").map(|h| h.join(".cache").join("raxx")))
}

/// Hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the compiled code came from (for timing reports, tests and audits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// Installed beside the component, root-owned.
    Installed,
    /// The user cache, its MAC checked.
    Cache,
    /// Compiled in this process.
    Compiled,
}

/// The user cache: a folder and the key its artifacts are authenticated with
/// (the key, key id and tag are the host core's rule, `raxx_core::cache_key`).
pub struct UserCache {
    dir: PathBuf,
    key: CacheKey,
}

impl UserCache {
    /// The cache in `dir`, keyed from the vault identity's client secret.
    pub fn new(dir: PathBuf, client_secret: &str) -> UserCache {
        UserCache {
            dir,
            key: CacheKey::derive(client_secret),
        }
    }

    fn artifact_name(&self, engine_hash: u64, component_sha: &str) -> String {
        format!(
            "minter-{}-{engine_hash:016x}-{}.cwasm",
            &component_sha[..32],
            self.key.key_id()
        )
    }

    /// The tag of a file's content after the tag (`compiled_sha256 ‖ artifact`),
    /// bound to the component and the engine it was compiled for.
    fn tag(&self, component_sha: &str, engine_hash: u64, content: &[u8]) -> Tag {
        self.key.compiled_tag(component_sha, engine_hash, content)
    }
}

/// Where compiled code may come from.
#[derive(Default)]
pub struct Cache {
    /// The folder an installed artifact would be in (the component's).
    pub installed_dir: Option<PathBuf>,
    pub user: Option<UserCache>,
}

impl Cache {
    /// How many compiled artifacts the user cache keeps (the newest).
    pub const KEEP: usize = KEEP;

    /// Only the user cache in `dir`, keyed from `client_secret` (tests, embedders).
    pub fn in_dir(dir: PathBuf, client_secret: &str) -> Cache {
        Cache {
            installed_dir: None,
            user: Some(UserCache::new(dir, client_secret)),
        }
    }

    /// The caches of this process: an installed artifact beside `component`,
    /// and the user cache when the login method has a stable secret in the
    /// environment (the core's rule: Universal Auth's client secret, the token
    /// method's access token; none for kubernetes, oidc and jwt).
    pub fn from_env(component: &Path) -> Cache {
        let secret = raxx_core::settings::cache_secret(&|n: &str| std::env::var(n).ok())
            .map(zeroize::Zeroizing::new);
        let user = match (default_dir(), secret) {
            (Some(dir), Some(secret)) => Some(UserCache::new(dir, &secret)),
            _ => None,
        };
        Cache {
            installed_dir: component.parent().map(Path::to_path_buf),
            user,
        }
    }
}

/// Compiled code ready to instantiate.
pub struct Loaded {
    pub component: Component,
    pub source: Source,
    /// SHA-256 of the compiled code (the serialized artifact).
    pub compiled_sha256: String,
    /// Caches that were skipped, and why (one line each, for stderr).
    pub warnings: Vec<String>,
}

fn engine_hash(engine: &Engine) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    h.finish()
}

/// What `raxx-host compile` records beside an installed artifact (one
/// `name hex` line each), so that an installed run neither reads nor hashes
/// the component nor its compiled code: it maps the artifact the digests name.
pub const DIGESTS_FILE: &str = "raxx_minter.digests";

/// The digests recorded at install (`DIGESTS_FILE`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    pub component_sha256: String,
    pub compiled_sha256: String,
    /// The portable build of the same source, when one was installed beside it.
    pub portable_component_sha256: Option<String>,
}

impl Digests {
    pub fn render(&self) -> String {
        let mut text = format!(
            "component_sha256 {}\ncompiled_sha256 {}\n",
            self.component_sha256, self.compiled_sha256
        );
        if let Some(portable) = &self.portable_component_sha256 {
            text += &format!("portable_component_sha256 {portable}\n");
        }
        text
    }

    /// `None` unless every line is a known name and a SHA-256 in lower-case hex.
    pub fn parse(text: &str) -> Option<Digests> {
        let (mut component, mut compiled, mut portable) = (None, None, None);
        for line in text.lines() {
            let (name, hex) = line.split_once(' ')?;
            if hex.len() != 64 || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                return None;
            }
            let slot = match name {
                "component_sha256" => &mut component,
                "compiled_sha256" => &mut compiled,
                "portable_component_sha256" => &mut portable,
                _ => return None,
            };
            *slot = Some(hex.to_string());
        }
        Some(Digests {
            component_sha256: component?,
            compiled_sha256: compiled?,
            portable_component_sha256: portable,
        })
    }
}

/// Owned by root and writable by nobody else.
fn root_only(meta: &std::fs::Metadata) -> bool {
    owner_mode(meta).is_some_and(|(uid, mode)| uid == 0 && mode & 0o022 == 0)
}

/// The installed compiled code by the digests recorded at install, mapped
/// rather than read, nothing hashed. `None` (the caller reads and hashes, as
/// before) unless the digests file, the artifact it names, their folder and
/// every folder above it are root's: no other user can then change or swap
/// what is mapped, for as long as it is mapped. A folder above may be
/// writable by others only when sticky (`/tmp`): then they cannot rename
/// root's entries.
pub fn load_recorded(engine: &Engine, dir: &Path) -> Option<(Component, Digests)> {
    let dir = dir.canonicalize().ok()?;
    let mut above = Some(dir.as_path());
    while let Some(folder) = above {
        let meta = std::fs::symlink_metadata(folder).ok()?;
        let sticky = owner_mode(&meta).is_some_and(|(uid, mode)| uid == 0 && mode & 0o1000 != 0);
        if !meta.is_dir() || !(root_only(&meta) || sticky && folder != dir) {
            return None;
        }
        above = folder.parent();
    }
    let file = open_no_follow(&dir.join(DIGESTS_FILE)).ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || !root_only(&meta) || user_mountable(&file) {
        return None;
    }
    let mut text = String::new();
    file.take(4096).read_to_string(&mut text).ok()?;
    let digests = Digests::parse(&text)?;
    let artifact = open_no_follow(&dir.join(installed_name(&digests.component_sha256))).ok()?;
    let meta = artifact.metadata().ok()?;
    if !meta.is_file() || !root_only(&meta) || user_mountable(&artifact) {
        return None;
    }
    // Mapped through the descriptor checked above: the inode mapped is the
    // one whose owner and file system were checked, whatever the path names now.
    #[cfg(unix)]
    let mapped = {
        use std::os::fd::AsRawFd;
        PathBuf::from(format!("/proc/self/fd/{}", artifact.as_raw_fd()))
    };
    #[cfg(not(unix))]
    let mapped = dir.join(installed_name(&digests.component_sha256));
    // SAFETY: the artifact, its folder and the folders above are root's and
    // writable by nobody else, as the binary is (scripts/install writes both),
    // on a file system no user mounted, so the mapped file cannot change;
    // wasmtime checks that it was compiled by this engine configuration.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize_file(engine, &mapped) }.ok()?;
    drop(artifact);
    Some((component, digests))
}

/// File name of an installed artifact for a component.
pub fn installed_name(component_sha: &str) -> String {
    format!("raxx_minter.{}.cwasm", &component_sha[..32])
}

/// Loads compiled code for `wasm`: installed, else the user cache, else compiled (and cached).
pub fn load(engine: &Engine, wasm: &[u8], component_sha: &str, cache: &Cache) -> Result<Loaded> {
    let mut warnings = Vec::new();
    if let Some(dir) = &cache.installed_dir {
        match load_installed(engine, &dir.join(installed_name(component_sha))) {
            Ok(Some(loaded)) => return Ok(loaded),
            Ok(None) => {}
            Err(why) => warnings.push(why),
        }
    }
    let engine_hash = engine_hash(engine);
    let user = cache
        .user
        .as_ref()
        .and_then(|user| match usable_dir(&user.dir) {
            Ok(()) => Some(user),
            Err(why) => {
                warnings.push(format!(
                    "not using the compiled-component cache {}: {why}; compiling in memory",
                    user.dir.display()
                ));
                None
            }
        });
    if let Some(user) = user {
        let path = user
            .dir
            .join(user.artifact_name(engine_hash, component_sha));
        match load_cached(engine, user, &path, component_sha, engine_hash) {
            Ok(Some((component, compiled_sha256))) => {
                return Ok(Loaded {
                    component,
                    source: Source::Cache,
                    compiled_sha256,
                    warnings,
                })
            }
            Ok(None) => {}
            Err(why) => warnings.push(format!(
                "not using {}: {why}; compiling it afresh",
                path.display()
            )),
        }
    }
    let component = Component::new(engine, wasm)
        .map_err(anyhow::Error::from)
        .context("compiling the minter component")?;
    let artifact = component.serialize()?;
    let compiled_sha256 = sha256_hex(&artifact);
    if let Some(user) = user {
        // A cache that cannot be written only costs speed.
        let _ = store(user, component_sha, engine_hash, &artifact);
    }
    Ok(Loaded {
        component,
        source: Source::Compiled,
        compiled_sha256,
        warnings,
    })
}

/// The installed artifact, if there is one raxx may trust.
fn load_installed(engine: &Engine, path: &Path) -> Result<Option<Loaded>, String> {
    let Ok(dir_meta) = std::fs::symlink_metadata(path.parent().unwrap_or(Path::new("/"))) else {
        return Ok(None);
    };
    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(format!(
                "not using the installed compiled component {}: {e}",
                path.display()
            ))
        }
    };
    let trusted = |m: &std::fs::Metadata| {
        owner_mode(m).is_some_and(|(uid, mode)| uid == 0 && mode & 0o022 == 0)
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file()
        || !trusted(&meta)
        || !dir_meta.is_dir()
        || !trusted(&dir_meta)
        || user_mountable(&file)
    {
        return Err(format!(
            "not using the installed compiled component {}: it and its folder must be owned by root and writable by nobody else (reinstall with scripts/install)",
            path.display()
        ));
    }
    let bytes =
        read_bounded(file, meta.len()).map_err(|e| format!("not using {}: {e}", path.display()))?;
    // SAFETY: the artifact is owned by root and writable by nobody else, as the
    // binary itself is (scripts/install writes both); wasmtime checks that it
    // was compiled by this engine configuration.
    #[allow(unsafe_code)]
    match unsafe { Component::deserialize(engine, &bytes) } {
        Ok(component) => Ok(Some(Loaded { component, source: Source::Installed, compiled_sha256: sha256_hex(&bytes), warnings: Vec::new() })),
        Err(_) => Err(format!("not using the installed compiled component {}: it was built by another raxx-host; reinstall", path.display())),
    }
}

/// A user-cache artifact whose HMAC checks out: the component and its compiled SHA-256.
fn load_cached(
    engine: &Engine,
    user: &UserCache,
    path: &Path,
    component_sha: &str,
    engine_hash: u64,
) -> Result<Option<(Component, String)>, String> {
    let file = match open_no_follow(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot open it without following links ({e})")),
    };
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file()
        || owner_mode(&meta).is_some_and(|(uid, mode)| uid != euid() || mode & 0o022 != 0)
    {
        return Err(
            "it is not a regular file owned by this user and writable by nobody else".into(),
        );
    }
    // Read once into memory: what is checked is what runs (a same-user writer
    // could change a mapped file after the check).
    let bytes = read_bounded(file, meta.len()).map_err(|e| e.to_string())?;
    if bytes.len() < TAG_BYTES + SHA_BYTES {
        return Err("it is truncated".into());
    }
    let (tag, content) = bytes.split_at(TAG_BYTES);
    // Compared in constant time.
    if !user.tag(component_sha, engine_hash, content).matches(tag) {
        return Err("raxx did not write it (its authentication tag does not match)".to_string());
    }
    let (compiled_sha, artifact) = content.split_at(SHA_BYTES);
    // SAFETY: the MAC proves raxx wrote these bytes with a key derived from the
    // vault identity's secret (which no other process of raxx's making holds);
    // wasmtime checks that it was compiled by this engine configuration.
    #[allow(unsafe_code)]
    let component = unsafe { Component::deserialize(engine, artifact) }
        .map_err(|_| "wasmtime refused it".to_string())?;
    Ok(Some((
        component,
        compiled_sha.iter().map(|b| format!("{b:02x}")).collect(),
    )))
}

/// Writes tag + SHA-256 + artifact through an exclusive temp file (O_EXCL, mode 0600,
/// random name: a planted link is never followed), then renames it in place.
fn store(
    user: &UserCache,
    component_sha: &str,
    engine_hash: u64,
    artifact: &[u8],
) -> std::io::Result<()> {
    let content = [Sha256::digest(artifact).as_slice(), artifact].concat();
    let tag = *user.tag(component_sha, engine_hash, &content).as_bytes();
    let mut tmp = tempfile::Builder::new()
        .prefix(".tmp-")
        .suffix(".cwasm")
        .tempfile_in(&user.dir)?;
    tmp.write_all(&tag)?;
    tmp.write_all(&content)?;
    tmp.as_file().sync_data()?;
    tmp.persist(
        user.dir
            .join(user.artifact_name(engine_hash, component_sha)),
    )
    .map_err(|e| e.error)?;
    evict(&user.dir, KEEP);
    Ok(())
}

/// Removes all but the `keep` most recently written artifacts (regular files only).
fn evict(dir: &Path, keep: usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut artifacts: Vec<(std::time::SystemTime, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name().to_string_lossy().starts_with("minter-")
                && e.file_name().to_string_lossy().ends_with(".cwasm")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
            Some((meta.modified().ok()?, e.path()))
        })
        .collect();
    artifacts.sort_by_key(|a| std::cmp::Reverse(a.0));
    for (_, path) in artifacts.into_iter().skip(keep) {
        let _ = std::fs::remove_file(path);
    }
}

/// Creates the cache folder (0700) when missing; refuses one that is a link,
/// not ours, or writable by others.
fn usable_dir(dir: &Path) -> Result<(), String> {
    if std::fs::symlink_metadata(dir).is_err() {
        if let Some(parent) = dir.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("cannot create it ({e})"))?;
        }
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        if let Err(e) = builder.create(dir) {
            if e.kind() != std::io::ErrorKind::AlreadyExists {
                return Err(format!("cannot create it ({e})"));
            }
        }
    }
    let meta = std::fs::symlink_metadata(dir).map_err(|e| e.to_string())?;
    if meta.file_type().is_symlink() {
        return Err("it is a symbolic link".into());
    }
    if !meta.is_dir() {
        return Err("it is not a folder".into());
    }
    match owner_mode(&meta) {
        Some((uid, _)) if uid != euid() => {
            Err(format!("it belongs to uid {uid}, not to this user"))
        }
        Some((_, mode)) if mode & 0o022 != 0 => Err(format!(
            "others may write to it (mode {:o}); chmod 700 it",
            mode & 0o777
        )),
        _ => Ok(()),
    }
}

/// On a file system mounted `nosuid`, as every mount an unprivileged user can
/// make is (FUSE through `fusermount`, disk images through udisks): there the
/// owner a file reports is whatever the mounter chose, so "root's" proves
/// nothing. (Also true of a `nosuid` `/tmp`: an installation there is read
/// and hashed, which costs speed only.)
#[cfg(unix)]
fn user_mountable(file: &std::fs::File) -> bool {
    rustix::fs::fstatvfs(file).map_or(true, |vfs| {
        vfs.f_flag.contains(rustix::fs::StatVfsMountFlags::NOSUID)
    })
}

#[cfg(not(unix))]
fn user_mountable(_: &std::fs::File) -> bool {
    true
}

fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    options.open(path)
}

/// Reads at most `MAX_ARTIFACT_BYTES`, in one allocation of the size the file had.
fn read_bounded(file: std::fs::File, len: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len.min(MAX_ARTIFACT_BYTES) as usize + 1);
    file.take(MAX_ARTIFACT_BYTES).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn owner_mode(meta: &std::fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.uid(), meta.mode()))
}

#[cfg(not(unix))]
fn owner_mode(_: &std::fs::Metadata) -> Option<(u32, u32)> {
    None
}

#[cfg(unix)]
fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

#[cfg(not(unix))]
fn euid() -> u32 {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// tests/vectors/cache_key.json's `compiled` tags and key ids were made by
    /// this file's code before the rule moved to the core: the same bytes,
    /// so caches written before stay valid.
    #[test]
    fn existing_caches_stay_valid() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/vectors/cache_key.json"
        );
        let file: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        for c in file["keys"].as_array().unwrap() {
            let user = UserCache::new(PathBuf::new(), c["secret"].as_str().unwrap());
            let id = c["key_id"].as_str().unwrap();
            assert_eq!(
                user.artifact_name(0x0123456789abcdef, sha),
                format!("minter-{}-0123456789abcdef-{id}.cwasm", &sha[..32])
            );
        }
        for c in file["compiled"].as_array().unwrap() {
            let user = UserCache::new(PathBuf::new(), c["secret"].as_str().unwrap());
            let times = c["content"]["repeat"].as_u64().unwrap_or(1) as usize;
            let content = c["content"]["text"].as_str().unwrap().repeat(times);
            let engine = u64::from_str_radix(c["engine_hash"].as_str().unwrap(), 16).unwrap();
            let tag = user.tag(
                c["component_sha256"].as_str().unwrap(),
                engine,
                content.as_bytes(),
            );
            let want = c["tag"].as_str().unwrap();
            assert_eq!(
                blake3::Hash::from_bytes(*tag.as_bytes()).to_hex().as_str(),
                want
            );
        }
    }
}
