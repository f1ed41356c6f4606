//! The session's private folder (mode 0700, in the user's runtime directory,
//! never in `$TMPDIR`: see [`location`]): the endpoint's
//! socket; the tools first on the child's `PATH` (`raxx-host`, the `gh` shim,
//! git's credential helper `git-credential-raxx`, all the raxx-host binary);
//! an empty gh configuration; the git configuration (the bot's commit
//! identity and credential helper); and, for an isolated agent, its home
//! and its clone of the project.
//! It holds no secret and is removed when the session ends.
//!
//! A live session holds an `flock` on its folder; a session killed before it
//! could remove its folder (SIGKILL) leaves one whose lock can be taken, and
//! the next session to start removes it. Creating and sweeping happen under a
//! lock on the whole location, so a folder being created is never swept.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};

use std::io::Write;
use std::path::{Path, PathBuf};

/// `user.name` and `user.email` that attribute commits to a bot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GitIdentity {
    pub name: String,
    pub email: String,
}

impl GitIdentity {
    /// `<bot>[bot]` and `<id>+<bot>[bot]@users.noreply.github.com` (without
    /// the id when it could not be looked up; GitHub then may not link commits).
    pub fn of_bot(bot: &str, user_id: Option<u64>) -> GitIdentity {
        let name = format!("{bot}[bot]");
        let email = match user_id {
            Some(id) => format!("{id}+{name}@users.noreply.github.com"),
            None => format!("{name}@users.noreply.github.com"),
        };
        GitIdentity { name, email }
    }
}

/// What the session's git configuration says.
#[derive(Clone, Copy, Debug)]
pub struct GitConfig<'a> {
    pub identity: &'a GitIdentity,
    /// The scheme and host (with its port) the bot's tokens are for.
    pub protocol: &'a str,
    pub host: &'a str,
    /// CAs to trust for https (`SSL_CERT_FILE`, the first `SSL_CERT_DIR` folder).
    pub ca_file: Option<&'a Path>,
    pub ca_dir: Option<&'a Path>,
}

/// A path as a git configuration value: double-quoted, `\` and `"` escaped.
fn quoted(path: &Path) -> String {
    format!(
        "\"{}\"",
        path.to_string_lossy()
            .replace('\\', "\\\\")
            .replace('"', "\\\"")
    )
}

/// The name git's credential helper is configured by (`git credential-raxx`).
pub const GIT_HELPER: &str = "raxx";

pub struct SessionDir {
    dir: tempfile::TempDir,
    /// The folder itself, locked for as long as the session lives.
    _alive: File,
}

/// How long to wait for another session's start to release the location.
const LOCK_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What session folders are named.
const PREFIX: &str = "raxx-session-";

/// Where session folders are made: `$XDG_RUNTIME_DIR/raxx` when
/// `XDG_RUNTIME_DIR` is a folder of this user's that no one else may enter
/// (as the login manager makes it), else `/tmp/raxx-<uid>`. Not `$TMPDIR`: it
/// may lie inside a project an isolated agent can write. The folder is made
/// 0700 and must be one: a link, something else than a folder, another
/// owner or access for group or others are refused, never repaired. The
/// path returned is canonical.
pub fn location() -> std::io::Result<PathBuf> {
    let me = rustix::process::geteuid().as_raw();
    let runtime = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|d| d.is_absolute() && private(d, me).is_ok());
    let base = match runtime {
        Some(dir) => dir.join("raxx"),
        None => PathBuf::from(format!("/tmp/raxx-{me}")),
    };
    match std::fs::DirBuilder::new().mode(0o700).create(&base) {
        Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    private(&base, me).map_err(|why| {
        std::io::Error::other(format!(
            "{} {why}; remove it or set XDG_RUNTIME_DIR to a private folder",
            base.display()
        ))
    })?;
    base.canonicalize()
}

/// Whether `dir` itself (not what a link there points to) is a folder of
/// `uid`'s that no one else may enter; why not otherwise.
fn private(dir: &Path, uid: u32) -> Result<(), String> {
    let meta = std::fs::symlink_metadata(dir).map_err(|e| format!("cannot be read ({e})"))?;
    if meta.file_type().is_symlink() {
        return Err("is a link".into());
    }
    if !meta.is_dir() {
        return Err("is not a folder".into());
    }
    if meta.uid() != uid {
        return Err(format!("belongs to uid {}, not to this user", meta.uid()));
    }
    if meta.mode() & 0o077 != 0 {
        return Err(format!(
            "is open to group or others (mode {:o})",
            meta.mode() & 0o777
        ));
    }
    Ok(())
}

/// Removes `path`, a session's folder, whatever its agent left there (an
/// isolated agent writes its home and its clone in it): folders it made
/// unreadable are opened up first (links are never followed). At most `MAX`
/// folders.
fn remove_tree(path: &Path) -> std::io::Result<()> {
    const MAX: usize = 1_000_000;
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return Ok(());
    }
    use std::os::unix::fs::PermissionsExt;
    let mut folders = vec![path.to_path_buf()];
    for _ in 0..MAX {
        let Some(dir) = folders.pop() else { break };
        let _ = std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700));
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(entry.path());
            }
        }
    }
    std::fs::remove_dir_all(path)
}

/// `path` opened as a folder, never through a link.
fn open_dir(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_NOFOLLOW)
        .open(path)
}

/// Removes the folders of sessions that died without removing them: those
/// whose lock can be taken. A live session's is kept; a link or anything but
/// a folder is left alone (removal never follows a link inside either).
fn sweep(base: &Path) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    for entry in entries
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with(PREFIX))
    {
        let path = entry.path();
        let Ok(dir) = open_dir(&path) else { continue };
        if dir.try_lock().is_ok() {
            let _ = remove_tree(&path);
        }
    }
}

impl SessionDir {
    /// A new private folder in [`location`]: mode 0700, a random name,
    /// created exclusively, locked while it lives; dead sessions' folders
    /// there are removed first.
    pub fn create() -> std::io::Result<SessionDir> {
        use std::os::unix::fs::PermissionsExt;
        let base = location()?;
        let all = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(base.join(".lock"))?;
        let waiting = std::time::Instant::now();
        loop {
            match all.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if waiting.elapsed() < LOCK_WAIT => {
                    std::thread::sleep(std::time::Duration::from_millis(20))
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(std::io::Error::other(format!(
                        "another process has held {} for 5 s",
                        base.join(".lock").display()
                    )))
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(e),
            }
        }
        sweep(&base);
        let dir = tempfile::Builder::new()
            .prefix(PREFIX)
            .permissions(std::fs::Permissions::from_mode(0o700))
            .tempdir_in(&base)?;
        let alive = open_dir(dir.path())?;
        alive.try_lock().map_err(|e| {
            std::io::Error::other(format!("cannot lock {}: {e}", dir.path().display()))
        })?;
        Ok(SessionDir { dir, _alive: alive })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Removes the folder, with whatever the agent left in it.
    pub fn remove(self) -> std::io::Result<()> {
        remove_tree(self.path())
    }

    pub fn socket(&self) -> PathBuf {
        self.path().join("socket")
    }

    /// Goes first on the child's PATH.
    pub fn bin(&self) -> PathBuf {
        self.path().join("bin")
    }

    /// `GH_CONFIG_DIR`: empty, so gh without the token finds no login.
    pub fn gh_config(&self) -> PathBuf {
        self.path().join("gh")
    }

    /// `GIT_CONFIG_GLOBAL`.
    pub fn git_config(&self) -> PathBuf {
        self.path().join("gitconfig")
    }

    /// An isolated agent's `HOME`.
    pub fn home(&self) -> PathBuf {
        self.path().join("home")
    }

    /// An isolated agent's clone of its project (`agent_clone.rs`): it goes
    /// with the session, and with a stale session's folder.
    pub fn agent_clone(&self) -> PathBuf {
        self.path().join("clone")
    }

    /// Lays the folder out: the tools (links to `exe`), the gh and home
    /// folders, and a git configuration whose credential helper answers for
    /// `protocol://host` only, which sends ssh remotes of that host over it too
    /// (so a push never falls to the operator's ssh keys), and which trusts the
    /// CAs raxx was told to (`SSL_CERT_FILE`/`SSL_CERT_DIR`: git's curl may not
    /// read them itself).
    pub fn prepare(&self, exe: &Path, git: &GitConfig<'_>, gh_shim: bool) -> std::io::Result<()> {
        let GitConfig {
            identity,
            protocol,
            host,
            ca_file,
            ca_dir,
        } = *git;
        for dir in [self.bin(), self.gh_config(), self.home()] {
            std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
        }
        std::os::unix::fs::symlink(exe, self.bin().join("raxx-host"))?;
        std::os::unix::fs::symlink(
            "raxx-host",
            self.bin().join(format!("git-credential-{GIT_HELPER}")),
        )?;
        if gh_shim {
            std::os::unix::fs::symlink("raxx-host", self.bin().join("gh"))?;
        }
        let base = format!("{protocol}://{host}/");
        let bare_host = host.split(':').next().unwrap_or(host);
        let mut config = format!(
            "# Written by raxx-host for one session and removed with it. Holds no secret.\n\
             [user]\n\tname = {}\n\temail = {}\n\
             [credential]\n\thelper =\n\thelper = {GIT_HELPER}\n\
             [url \"{base}\"]\n\tinsteadOf = git@{bare_host}:\n\tinsteadOf = ssh://git@{bare_host}/\n",
            identity.name, identity.email
        );
        if ca_file.is_some() || ca_dir.is_some() {
            config.push_str("[http]\n");
            for (key, path) in [("sslCAInfo", ca_file), ("sslCAPath", ca_dir)] {
                if let Some(path) = path {
                    config.push_str(&format!("\t{key} = {}\n", quoted(path)));
                }
            }
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.git_config())?;
        file.write_all(config.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_is_private_and_holds_the_tools_and_configuration() {
        use std::os::unix::fs::PermissionsExt;
        let dir = SessionDir::create().unwrap();
        let path = dir.path().to_path_buf();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let identity = GitIdentity::of_bot("raxx-dev-bot", Some(7));
        let ca = Path::new("/tmp/odd \"ca\".pem");
        let git = GitConfig {
            identity: &identity,
            protocol: "https",
            host: "github.com",
            ca_file: Some(ca),
            ca_dir: None,
        };
        dir.prepare(Path::new("/usr/bin/raxx-host"), &git, true)
            .unwrap();
        assert_eq!(
            std::fs::read_link(dir.bin().join("gh")).unwrap(),
            Path::new("raxx-host")
        );
        assert!(
            std::fs::read_dir(dir.gh_config()).unwrap().next().is_none(),
            "gh finds no login"
        );
        let git = std::process::Command::new("git")
            .args(["config", "--file"])
            .arg(dir.git_config())
            .arg("--list")
            .output()
            .unwrap();
        let list = String::from_utf8_lossy(&git.stdout);
        for line in [
            "user.name=raxx-dev-bot[bot]",
            "user.email=7+raxx-dev-bot[bot]@users.noreply.github.com",
            "credential.helper=\n",
            "credential.helper=raxx",
            "url.https://github.com/.insteadof=git@github.com:",
            "http.sslcainfo=/tmp/odd \"ca\".pem",
        ] {
            assert!(list.contains(line), "{line:?} missing from:\n{list}");
        }
        drop(dir);
        assert!(!path.exists(), "removed with the session");
    }

    #[test]
    fn removing_a_session_folder_never_follows_a_link_out_of_it() {
        let dir = tempfile::tempdir().unwrap();
        let clone = dir.path().join("clone");
        std::fs::create_dir_all(clone.join("a/b")).unwrap();
        std::fs::write(dir.path().join("kept"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path(), clone.join("a/out")).unwrap();
        remove_tree(&clone).unwrap();
        assert!(
            !clone.exists() && dir.path().join("kept").exists(),
            "the clone is gone, the link's target is not"
        );
    }
}
