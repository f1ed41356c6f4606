//! `spawn --isolate`: the agent runs in a bubblewrap sandbox.
//!
//! Its own PID namespace (its parent's `/proc`, and so the raxx process
//! holding the vault identity, is out of sight), the whole system read-only,
//! the working directory read-write, a private home and `/tmp`; every home
//! folder (`/home`, `/root` and `$HOME`), `/run` (ssh and gpg agent sockets,
//! the session bus) and raxx's compiled-component cache are not mounted. The
//! network is kept. bwrap starts the agent in a new session (no `TIOCSTI`
//! into the operator's terminal) and kills it if raxx dies.
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
    /// The operator's home (hidden, and never the working directory's child's parent).
    pub home: Option<PathBuf>,
    /// Folders hidden on top of the defaults (raxx's cache).
    pub hide: Vec<PathBuf>,
    /// The session's folder, mounted read-write at the same path.
    pub session: PathBuf,
    /// Files the agent must see at their own paths (raxx-host, the component,
    /// the policy files, the real gh), read-only.
    pub files: Vec<PathBuf>,
}

/// Folders always hidden (tmpfs over them).
const HIDDEN: [&str; 6] = ["/home", "/root", "/run", "/tmp", "/var/tmp", "/dev/shm"];

/// The bwrap program, from the system's own folders (never the caller's PATH).
pub fn bwrap() -> Result<PathBuf, Unavailable> {
    ["/usr/bin/bwrap", "/bin/bwrap", "/usr/local/bin/bwrap"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| Unavailable("bubblewrap (bwrap) is not installed; install Debian's bubblewrap package (scripts/setup does), or run spawn without --isolate".into()))
}

impl Sandbox {
    /// Refuses a working directory that would expose what the sandbox hides.
    pub fn check(&self) -> Result<(), String> {
        if self.cwd == Path::new("/") {
            return Err("spawn --isolate: the working directory is /; start the agent in its project directory".into());
        }
        if let Some(home) = &self.home {
            if home.starts_with(&self.cwd) {
                return Err(format!("spawn --isolate: the working directory {} holds your home directory; start the agent in its project directory", self.cwd.display()));
            }
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
        add("--ro-bind", &[Path::new("/"), Path::new("/")]);
        add("--proc", &[Path::new("/proc")]);
        add("--dev", &[Path::new("/dev")]);
        let roots: Vec<PathBuf> = HIDDEN.iter().map(PathBuf::from).filter(|p| p.is_dir()).collect();
        let under_roots = |p: &Path| roots.iter().any(|r| p.starts_with(r));
        let home = self.home.as_ref().filter(|h| h.is_dir() && !under_roots(h));
        for dir in roots.iter().chain(home) {
            add("--tmpfs", &[dir]);
        }
        // /etc/resolv.conf may be a link into the hidden /run (systemd-resolved): keep DNS.
        if let Ok(resolv) = std::fs::canonicalize("/etc/resolv.conf") {
            if resolv.starts_with("/run") {
                add("--ro-bind", &[&resolv, &resolv]);
            }
        }
        add("--bind", &[&self.cwd, &self.cwd]);
        // What is hidden but would show again inside the working directory, or lies elsewhere.
        let hidden_already = |p: &Path| (under_roots(p) || self.home.as_ref().is_some_and(|h| p.starts_with(h))) && !p.starts_with(&self.cwd);
        for dir in self.hide.iter().filter(|d| d.is_dir() && !hidden_already(d)) {
            add("--tmpfs", &[dir]);
        }
        add("--bind", &[&self.session, &self.session]);
        for file in &self.files {
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
        Sandbox { cwd: cwd.into(), home: Some(home.into()), hide: vec![], session: "/tmp/raxx-session-x".into(), files: vec![] }
    }

    #[test]
    fn a_working_directory_holding_the_home_is_refused() {
        assert!(sandbox("/", "/home/op").check().unwrap_err().contains("is /"));
        assert!(sandbox("/home", "/home/op").check().unwrap_err().contains("holds your home"));
        assert!(sandbox("/home/op", "/home/op").check().unwrap_err().contains("holds your home"));
        assert!(sandbox("/home/op/src/app", "/home/op").check().is_ok());
    }

    #[test]
    fn the_working_directory_is_mounted_after_the_homes_are_hidden() {
        let args: Vec<String> = sandbox("/home/op/src/app", "/home/op").args().iter().map(|a| a.to_string_lossy().into_owned()).collect();
        let at = |needle: &[&str]| args.windows(needle.len()).position(|w| w == needle).unwrap_or_else(|| panic!("{needle:?} not in {args:?}"));
        assert!(at(&["--tmpfs", "/home"]) < at(&["--bind", "/home/op/src/app", "/home/op/src/app"]));
        assert!(at(&["--tmpfs", "/tmp"]) < at(&["--bind", "/tmp/raxx-session-x", "/tmp/raxx-session-x"]));
        assert!(args.contains(&"--unshare-pid".to_string()) && args.contains(&"--die-with-parent".to_string()));
        assert!(!args.iter().any(|a| a == "--unshare-net"), "the network is kept");
    }
}
