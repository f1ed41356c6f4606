//! `spawn --isolate`: the agent runs in a bubblewrap sandbox.
//!
//! Nothing is visible unless it is named: the system's own folders read-only
//! (`/usr`, `/etc`, `/opt`, the `/bin` and `/lib` links or folders, `/nix`),
//! the working directory read-write, a private home and `/tmp`, the session's
//! folder, and read-only the few files raxx and the agent need at their own
//! paths (raxx-host, the component, the policy files, the real gh, the
//! agent's program, a CA bundle named by `SSL_CERT_FILE`/`SSL_CERT_DIR`).
//! Every home (`/home`, `/root`, `$HOME`, the user database's home), `/run`
//! (ssh and gpg agent sockets, the session bus), `/srv`, `/mnt`, `/var`,
//! other projects and raxx's caches are simply not there. In the working
//! directory, a git repository's `.git/config` and `.git/hooks` stay
//! read-only: git runs what they name on the operator's next `git status`,
//! outside the sandbox. Its own PID namespace hides raxx (which holds the
//! vault identity) and the operator's other processes; the network is kept
//! (so are abstract Unix sockets: see docs/security.md). bwrap starts the
//! agent in a new session (no `TIOCSTI` into the operator's terminal) and
//! kills it if raxx dies.
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
    /// The working directory, mounted read-write.
    pub cwd: PathBuf,
    /// The operator's homes (`$HOME` and the user database's): never mounted,
    /// and never inside the working directory.
    pub homes: Vec<PathBuf>,
    /// Folders hidden (an empty tmpfs) if they lie inside the working
    /// directory: raxx's compiled-component cache.
    pub hide: Vec<PathBuf>,
    /// The session's folder, mounted read-write at the same path.
    pub session: PathBuf,
    /// Files (or folders) the agent must see at their own paths, read-only.
    pub files: Vec<PathBuf>,
}

/// The system's own folders, mounted read-only where they exist.
const SYSTEM: [&str; 10] = ["/usr", "/etc", "/opt", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/nix"];

/// Folders no working directory may contain (they hold other users' homes).
const HOMES: [&str; 2] = ["/home", "/root"];

/// The homes of the user raxx runs as: `$HOME` and the user database's.
pub fn homes() -> Vec<PathBuf> {
    let from_env = std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from);
    let from_db = nix::unistd::User::from_uid(nix::unistd::geteuid()).ok().flatten().map(|u| u.dir);
    let mut homes: Vec<PathBuf> = from_env.into_iter().chain(from_db).filter_map(|h| h.canonicalize().ok()).collect();
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

impl Sandbox {
    /// Refuses a working directory that would expose a home.
    pub fn check(&self) -> Result<(), String> {
        if self.cwd == Path::new("/") {
            return Err("spawn --isolate: the working directory is /; start the agent in its project directory".into());
        }
        let homes = self.homes.iter().cloned().chain(HOMES.iter().map(PathBuf::from));
        if let Some(home) = homes.into_iter().find(|h| h.starts_with(&self.cwd)) {
            return Err(format!("spawn --isolate: the working directory {} holds {}; start the agent in its project directory", self.cwd.display(), home.display()));
        }
        Ok(())
    }

    /// The bwrap arguments before the agent's command: namespaces, then
    /// mounts in order (later ones go over earlier ones).
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = ["--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
            .map(OsString::from)
            .to_vec();
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
        // /etc/resolv.conf may be a link into /run (systemd-resolved): keep DNS.
        if let Ok(resolv) = std::fs::canonicalize("/etc/resolv.conf") {
            if resolv.starts_with("/run") {
                add("--ro-bind", &[&resolv, &resolv]);
            }
        }
        add("--bind", &[&self.cwd, &self.cwd]);
        for kept in [".git/config", ".git/hooks"].map(|p| self.cwd.join(p)).iter().filter(|p| p.exists()) {
            add("--ro-bind", &[kept, kept]);
        }
        for dir in self.hide.iter().filter(|d| d.starts_with(&self.cwd) && d.is_dir()) {
            add("--tmpfs", &[dir]);
        }
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
        let said = crate::display::one_line(&String::from_utf8_lossy(&out.stderr));
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

    fn sandbox(cwd: &str, home: &str) -> Sandbox {
        Sandbox { cwd: cwd.into(), homes: vec![home.into()], hide: vec![], session: "/tmp/raxx-session-x".into(), files: vec![] }
    }

    #[test]
    fn a_working_directory_holding_a_home_is_refused() {
        assert!(sandbox("/", "/srv/op").check().unwrap_err().contains("is /"));
        assert!(sandbox("/home", "/srv/op").check().unwrap_err().contains("holds /home"));
        assert!(sandbox("/srv", "/srv/op").check().unwrap_err().contains("holds /srv/op"));
        assert!(sandbox("/srv/op", "/srv/op").check().unwrap_err().contains("holds /srv/op"));
        assert!(sandbox("/srv/op/src/app", "/srv/op").check().is_ok());
    }

    #[test]
    fn only_named_folders_are_mounted_and_the_working_directory_after_the_tmpfs() {
        let args: Vec<String> = sandbox("/srv/op/src/app", "/srv/op").args().iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let at = |needle: &[&str]| args.windows(needle.len()).position(|w| w == needle).unwrap_or_else(|| panic!("{needle:?} not in {args:?}"));
        assert!(at(&["--tmpfs", "/tmp"]) < at(&["--bind", "/tmp/raxx-session-x", "/tmp/raxx-session-x"]));
        assert!(!args.iter().any(|a| a == "/home" || a == "/root" || a == "/srv/op" || a == "/"), "nothing but what is named: {args:?}");
        assert!(args.contains(&"/usr".to_string()) && args.contains(&"--unshare-pid".to_string()) && args.contains(&"--die-with-parent".to_string()));
        assert!(!args.iter().any(|a| a == "--unshare-net"), "the network is kept");
    }
}
