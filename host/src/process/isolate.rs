//! `spawn --isolate`: the agent runs in a bubblewrap sandbox.
//!
//! Nothing is visible unless it is named: the system's own folders read-only
//! (`/usr`, `/etc`, `/opt`, the `/bin` and `/lib` links or folders, `/nix`),
//! the agent's own clone of the project read-write at the project's path, a
//! private home and `/tmp`, the session's folder, and read-only the few files
//! raxx and the agent need at their own paths (raxx-host, the component, the
//! policy files, the real gh, the agent's program, a CA bundle named by
//! `SSL_CERT_FILE`/`SSL_CERT_DIR`). Every home (`/home`, `/root`, `$HOME`,
//! the user database's home), `/run` (ssh and gpg agent sockets, the session
//! bus), `/srv`, `/mnt`, `/var`, other projects, raxx's caches and the
//! operator's project folder itself are simply not there. A vault login's
//! token file in a folder the sandbox does show has that folder covered
//! ([`credential_folders`]).
//!
//! The agent never writes the operator's project: git runs programs named by
//! what lies in a repository (`core.fsmonitor`, hooks, drivers, `include.path`,
//! a `.git` file or `commondir` pointing elsewhere, a nested repository's
//! configuration), and no set of read-only mounts closes that class. It works
//! in a clone raxx made for it (`agent_clone.rs`), whose branches raxx fetches
//! back when it ends, with git's upload side run in `reader_args`' sandbox.
//!
//! Its own PID namespace hides raxx (which holds the vault identity) and the
//! operator's other processes; the network is kept (so are abstract Unix
//! sockets: see docs/security.md). bwrap starts the agent in a new session (no
//! `TIOCSTI` into the operator's terminal) and kills it if raxx dies.
//!
//! Debian's `bubblewrap` (installed by `scripts/setup`) runs unprivileged
//! where user namespaces are allowed; where it cannot run, `spawn --isolate`
//! fails with exit code 7 before the agent starts.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// Why the sandbox cannot be had: one line.
#[derive(Debug)]
pub struct Unavailable(pub String);

/// Everything the sandbox is made of.
#[derive(Clone, Debug)]
pub struct Sandbox {
    /// The agent's working directory, inside `tree`'s mount.
    pub cwd: PathBuf,
    /// The agent's own clone of the project (`agent_clone.rs`), mounted
    /// read-write at the repository's top level (`(clone, top level)`): the
    /// operator's project folder itself is never mounted.
    pub tree: (PathBuf, PathBuf),
    /// The operator's homes (`$HOME` and the user database's): never mounted,
    /// and never inside the working directory.
    pub homes: Vec<PathBuf>,
    /// The session's folder, mounted read-write at the same path.
    pub session: PathBuf,
    /// Files (or folders) the agent must see at their own paths, read-only.
    pub files: Vec<PathBuf>,
    /// Folders covered by an empty tmpfs: where the vault identity's
    /// credential file lies inside a system folder the sandbox shows
    /// ([`credential_folders`]).
    pub hidden: Vec<PathBuf>,
}

/// The system's own folders, mounted read-only where they exist.
const SYSTEM: [&str; 10] = [
    "/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/nix",
];

/// The folders to hide so that the agent cannot read the file holding the
/// vault identity's credential (a Kubernetes service-account token, a JWT):
/// the folder of `file` and of what it links to (a projected token is a link
/// into a dated folder the kubelet replaces), where one of the system folders
/// the sandbox mounts would show it. A file lying directly in such a folder
/// (`/etc/token`) cannot be hidden without hiding the folder: refused. Elsewhere
/// (`/var/run/secrets/…`, a home) the sandbox does not show it anyway.
pub fn credential_folders(file: &Path) -> Result<Vec<PathBuf>, String> {
    let resolved = file.canonicalize().ok();
    let mut folders: Vec<PathBuf> = vec![];
    for path in std::iter::once(file).chain(resolved.as_deref()) {
        let Some(folder) = path.parent().filter(|_| path.is_absolute()) else {
            continue;
        };
        let shown = SYSTEM.iter().map(Path::new).find(|root| {
            folder.starts_with(root)
                || std::fs::canonicalize(root).is_ok_and(|real| folder.starts_with(real))
        });
        let Some(root) = shown else { continue };
        if folder == root || std::fs::canonicalize(root).is_ok_and(|real| folder == real) {
            return Err(format!("the vault identity's token file {} lies directly in {}, which the sandbox shows the agent; move it into a folder of its own", path.display(), folder.display()));
        }
        folders.push(folder.to_path_buf());
    }
    // A folder inside another hidden one is hidden with it (and could not be mounted on).
    folders.sort();
    folders.dedup();
    let outer = folders.clone();
    folders.retain(|f| !outer.iter().any(|o| o != f && f.starts_with(o)));
    Ok(folders)
}

/// Refuses a credential file (or what it links to) that a folder or file the
/// sandbox binds for the agent would show again over the tmpfs that hid it:
/// `binds` are the variable naming each (`SSL_CERT_DIR`, …) and its path.
pub fn credential_not_bound(file: &Path, binds: &[(&str, PathBuf)]) -> Result<(), String> {
    let resolved = file.canonicalize().ok();
    for path in std::iter::once(file).chain(resolved.as_deref()) {
        for (name, bind) in binds {
            let real = bind.canonicalize().unwrap_or_else(|_| bind.clone());
            if path.starts_with(bind) || path.starts_with(&real) {
                return Err(format!("the vault identity's token file {} lies in {}, which {name} has the sandbox show the agent; keep the token out of that folder", path.display(), bind.display()));
            }
        }
    }
    Ok(())
}

/// Folders no working directory may contain (they hold other users' homes).
const HOMES: [&str; 2] = ["/home", "/root"];

/// The homes of the user raxx runs as: `$HOME` and the user database's.
pub fn homes() -> Vec<PathBuf> {
    let from_env = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    let from_db = nix::unistd::User::from_uid(nix::unistd::geteuid())
        .ok()
        .flatten()
        .map(|u| u.dir);
    let mut homes: Vec<PathBuf> = from_env
        .into_iter()
        .chain(from_db)
        .filter_map(|h| h.canonicalize().ok())
        .collect();
    homes.dedup();
    homes
}

/// The bwrap program, from the system's own folders (never the caller's PATH).
pub fn bwrap() -> Result<PathBuf, Unavailable> {
    ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| Unavailable("bubblewrap (bwrap) is not installed; install Debian's bubblewrap package (scripts/setup does), or run spawn without --isolate".into()))
}

/// The start of every sandbox's arguments: `namespaces`, then the system's
/// own folders read-only, a fresh `/proc` and `/dev`, empty `/tmp`, `/run`.
fn system(namespaces: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = namespaces.iter().map(OsString::from).collect();
    let mut add = |flag: &str, paths: &[&Path]| {
        args.push(flag.into());
        args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
    };
    for dir in SYSTEM.iter().map(Path::new) {
        match std::fs::read_link(dir) {
            Ok(target) => add("--symlink", &[&target, dir]),
            Err(_) if dir.is_dir() => add("--ro-bind", &[dir, dir]),
            Err(_) => {}
        }
    }
    add("--proc", &[Path::new("/proc")]);
    add("--dev", &[Path::new("/dev")]);
    for dir in ["/tmp", "/var/tmp", "/run", "/dev/shm"] {
        add("--tmpfs", &[Path::new(dir)]);
    }
    args
}

/// A sandbox that can only read `folder` (at its own path), `files` and the
/// system, with no network and an empty environment but `PATH`: where raxx
/// runs git's upload side on an agent's clone (whose configuration, `.git`
/// file, `commondir` and alternates are the agent's), so that it reads
/// nothing the agent could not.
pub fn reader_args(folder: &Path, files: &[PathBuf]) -> Vec<OsString> {
    let mut args = system(&[
        "--die-with-parent",
        "--new-session",
        "--unshare-all",
        "--clearenv",
    ]);
    args.extend(
        [
            "--setenv",
            "PATH",
            "/usr/local/bin:/usr/bin:/bin",
            "--setenv",
            "HOME",
            "/nonexistent",
        ]
        .map(OsString::from),
    );
    for path in std::iter::once(folder).chain(files.iter().map(PathBuf::as_path)) {
        args.extend([OsString::from("--ro-bind"), path.into(), path.into()]);
    }
    args.extend([OsString::from("--chdir"), folder.into()]);
    args
}

impl Sandbox {
    /// Refuses a working directory that would expose a home.
    pub fn check(&self) -> Result<(), String> {
        if self.cwd == Path::new("/") {
            return Err("spawn --isolate: the working directory is /; start the agent in its project directory".into());
        }
        let homes = self
            .homes
            .iter()
            .cloned()
            .chain(HOMES.iter().map(PathBuf::from));
        for dir in [&self.cwd, &self.tree.1] {
            if let Some(home) = homes.clone().find(|h| h.starts_with(dir)) {
                return Err(format!("spawn --isolate: the working directory {} holds {}; start the agent in its project directory", dir.display(), home.display()));
            }
        }
        Ok(())
    }

    /// The bwrap arguments before the agent's command: namespaces, then
    /// mounts in order (later ones go over earlier ones).
    pub fn args(&self) -> Vec<OsString> {
        let mut args = system(&[
            "--die-with-parent",
            "--new-session",
            "--unshare-pid",
            "--unshare-ipc",
            "--unshare-uts",
            "--unshare-cgroup-try",
        ]);
        let mut add = |flag: &str, paths: &[&Path]| {
            args.push(flag.into());
            args.extend(paths.iter().map(|p| p.as_os_str().to_owned()));
        };
        // /etc/resolv.conf may be a link into /run (systemd-resolved): keep DNS.
        if let Ok(resolv) = std::fs::canonicalize("/etc/resolv.conf") {
            if resolv.starts_with("/run") {
                add("--ro-bind", &[&resolv, &resolv]);
            }
        }
        for folder in &self.hidden {
            add("--tmpfs", &[folder]);
        }
        let (clone, top) = &self.tree;
        add("--bind", &[clone, top]);
        add("--bind", &[&self.session, &self.session]);
        for file in self.files.iter().filter(|f| f.exists()) {
            add("--ro-bind", &[file, file]);
        }
        add("--chdir", &[&self.cwd]);
        args
    }

    /// Runs `bwrap … true` once with these namespaces, so a machine where the
    /// sandbox cannot be made says so in one line before the agent starts.
    pub fn probe(&self, bwrap: &Path) -> Result<(), Unavailable> {
        let out = std::process::Command::new(bwrap)
            .args(self.args())
            .arg("--")
            .arg("true")
            .env_clear()
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| Unavailable(format!("cannot run {}: {e}", bwrap.display())))?;
        if out.status.success() {
            return Ok(());
        }
        let said = crate::support::display::one_line(&String::from_utf8_lossy(&out.stderr));
        Err(Unavailable(format!("bubblewrap cannot make the sandbox here ({said}); user namespaces may be disabled (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces)")))
    }
}

/// The agent inside a running sandbox: bwrap's init (pid 1 inside) is the
/// child of `bwrap`, and the agent is its child. Signals go to the agent.
pub fn agent_pid(bwrap_pid: u32) -> Option<u32> {
    let child = |pid: u32| -> Option<u32> {
        let text = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).ok()?;
        text.split_whitespace().next()?.parse().ok()
    };
    child(child(bwrap_pid)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sandbox(cwd: &str, top: &str, home: &str) -> Sandbox {
        Sandbox {
            cwd: cwd.into(),
            tree: ("/tmp/raxx-session-x/clone".into(), top.into()),
            homes: vec![home.into()],
            session: "/tmp/raxx-session-x".into(),
            files: vec![],
            hidden: vec![],
        }
    }

    #[test]
    fn a_credential_file_in_a_shown_system_folder_has_its_folder_hidden() {
        let hidden = |p: &str| credential_folders(Path::new(p));
        assert_eq!(
            hidden("/etc/raxx-no-such-folder/token").unwrap(),
            vec![PathBuf::from("/etc/raxx-no-such-folder")]
        );
        assert_eq!(
            hidden("/opt/infisical/deep/token").unwrap(),
            vec![PathBuf::from("/opt/infisical/deep")]
        );
        let direct = hidden("/etc/infisical-token").unwrap_err();
        assert!(direct.contains("lies directly in /etc"), "{direct}");
        // Not shown by the sandbox at all.
        assert!(hidden("/var/run/secrets/infisical/token")
            .unwrap()
            .is_empty());
        assert!(hidden("/srv/tokens/token").unwrap().is_empty());
        assert!(hidden("relative-token-that-does-not-exist")
            .unwrap()
            .is_empty());
        let mut s = sandbox("/srv/p", "/srv/p", "/home/op");
        s.hidden = vec!["/etc/infisical".into()];
        let args: Vec<String> = s
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into())
            .collect();
        let tmpfs = args
            .windows(2)
            .position(|w| w == ["--tmpfs", "/etc/infisical"]);
        let etc = args
            .windows(3)
            .position(|w| w == ["--ro-bind", "/etc", "/etc"]);
        let tree = args.iter().position(|a| a == "--bind");
        assert!(
            matches!((etc, tmpfs, tree), (Some(o), Some(t), Some(b)) if o < t && t < b),
            "the token's folder is covered after /etc is mounted, before the agent's own mounts: {args:?}"
        );
    }

    #[test]
    fn a_credential_file_inside_a_folder_the_sandbox_binds_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let token = dir.path().join("token");
        std::fs::write(&token, "jwt").unwrap();
        let bind = |name, p: &Path| vec![(name, p.to_path_buf())];
        let err = credential_not_bound(&token, &bind("SSL_CERT_DIR", dir.path())).unwrap_err();
        assert!(
            err.contains("which SSL_CERT_DIR has the sandbox show the agent"),
            "{err}"
        );
        assert!(credential_not_bound(&token, &bind("SSL_CERT_FILE", &token)).is_err());
        // Through a link to the folder, and a link to the file.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&token, &link).unwrap();
        let other = tempfile::tempdir().unwrap();
        assert!(credential_not_bound(&link, &bind("SSL_CERT_DIR", dir.path())).is_err());
        let ca_link = other.path().join("cas");
        std::os::unix::fs::symlink(dir.path(), &ca_link).unwrap();
        assert!(credential_not_bound(&token, &bind("SSL_CERT_DIR", &ca_link)).is_err());
        // A sibling folder, or a CA file beside the token, shows nothing of it.
        assert!(credential_not_bound(&token, &bind("SSL_CERT_DIR", other.path())).is_ok());
        let ca = dir.path().join("ca.pem");
        assert!(credential_not_bound(&token, &bind("SSL_CERT_FILE", &ca)).is_ok());
    }

    #[test]
    fn a_working_directory_or_repository_holding_a_home_is_refused() {
        assert!(sandbox("/", "/", "/srv/op")
            .check()
            .unwrap_err()
            .contains("is /"));
        assert!(sandbox("/home", "/home", "/srv/op")
            .check()
            .unwrap_err()
            .contains("holds /home"));
        assert!(sandbox("/srv", "/srv", "/srv/op")
            .check()
            .unwrap_err()
            .contains("holds /srv/op"));
        assert!(sandbox("/srv/op", "/srv/op", "/srv/op")
            .check()
            .unwrap_err()
            .contains("holds /srv/op"));
        // A dotfiles repository at the home: the agent would get a clone of it.
        assert!(sandbox("/srv/op/src/app", "/srv/op", "/srv/op")
            .check()
            .unwrap_err()
            .contains("holds /srv/op"));
        assert!(sandbox("/srv/op/src/app", "/srv/op/src/app", "/srv/op")
            .check()
            .is_ok());
    }

    #[test]
    fn only_named_folders_are_mounted_and_the_clone_stands_where_the_project_is() {
        let args: Vec<String> = sandbox("/srv/op/src/app/sub", "/srv/op/src/app", "/srv/op")
            .args()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let at = |needle: &[&str]| {
            args.windows(needle.len())
                .position(|w| w == needle)
                .unwrap_or_else(|| panic!("{needle:?} not in {args:?}"))
        };
        assert!(
            at(&["--tmpfs", "/tmp"])
                < at(&["--bind", "/tmp/raxx-session-x", "/tmp/raxx-session-x"])
        );
        assert!(
            at(&["--tmpfs", "/tmp"])
                < at(&["--bind", "/tmp/raxx-session-x/clone", "/srv/op/src/app"])
        );
        assert!(at(&["--chdir", "/srv/op/src/app/sub"]) > 0);
        assert_eq!(
            args.iter()
                .filter(|a| a.starts_with("/srv/op/src/app"))
                .count(),
            2,
            "the project's folder is never a source: {args:?}"
        );
        assert!(
            !args
                .iter()
                .any(|a| a == "/home" || a == "/root" || a == "/srv/op" || a == "/"),
            "nothing but what is named: {args:?}"
        );
        assert!(
            args.contains(&"/usr".to_string())
                && args.contains(&"--unshare-pid".to_string())
                && args.contains(&"--die-with-parent".to_string())
        );
        assert!(
            !args
                .iter()
                .any(|a| a == "--unshare-net" || a == "--unshare-all"),
            "the network is kept"
        );
    }

    #[test]
    fn the_reader_sees_one_folder_without_network_or_environment() {
        let args: Vec<String> =
            reader_args(Path::new("/s/clone"), &[PathBuf::from("/usr/bin/git")])
                .iter()
                .map(|a| a.to_string_lossy().into_owned())
                .collect();
        let has = |needle: &[&str]| args.windows(needle.len()).any(|w| w == needle);
        assert!(
            has(&["--ro-bind", "/s/clone", "/s/clone"])
                && has(&["--ro-bind", "/usr/bin/git", "/usr/bin/git"])
                && has(&["--chdir", "/s/clone"])
        );
        assert!(
            has(&["--unshare-all"])
                && has(&["--clearenv"])
                && !has(&["--share-net"])
                && !has(&["--bind"]),
            "{args:?}"
        );
    }
}
