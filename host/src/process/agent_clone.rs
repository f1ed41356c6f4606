//! An isolated agent's own clone of the project: made before it starts, its
//! branches fetched back into the operator's repository when it ends.
//!
//! git runs programs named by what lies in a repository (`core.fsmonitor`,
//! hooks, `include.path`, filter and textconv drivers, `!` aliases, a `.git`
//! file or `commondir` pointing elsewhere, the configuration of a nested
//! repository or submodule), so an agent that can write the operator's
//! project can make the operator's next `git status` run its code. Under
//! `--isolate` it never can: the project folder is not mounted at all; the
//! agent gets a clone at the project's path instead.
//!
//! - The clone is made by the operator's git from the operator's repository
//!   before the agent starts (nothing of the agent's exists yet): `git init`,
//!   a fetch of every branch, tag and `origin/*` ref (objects copied, never
//!   hard-linked, alternates resolved), `origin`'s URL and the current
//!   branch's upstream copied, the operator's `HEAD` checked out (LFS content
//!   left as pointers). Uncommitted changes and submodules' contents are not
//!   in it.
//! - When the agent ends, every branch it created or moved is fetched into
//!   `refs/remotes/raxx/<class>/<branch>` of the operator's repository, never
//!   into the operator's own branches, with `fetch.fsckObjects`. The fetch
//!   runs in the operator's repository, which only reads objects and refs from
//!   the remote side; that side (`git upload-pack`, which reads the clone's
//!   `.git`, its configuration and alternates, all the agent's) runs in
//!   `isolate::reader_args`' sandbox, which shows it the clone and nothing
//!   else. No git of the operator's ever runs in the clone after the agent
//!   started.
//!   Only branches named with `[A-Za-z0-9._/-]` (and git's own rules) come
//!   back, at most [`MAX_BRANCHES`]; above that none do. `ls-remote` and
//!   `fetch` each have [`deadline`] to finish (an agent's FIFO or endless
//!   pack must not hold raxx), run in a process group of their own that is
//!   killed when it passes, and die with raxx (`PR_SET_PDEATHSIG`).
//! - The clone goes with the session; what the agent did not commit to a
//!   branch goes with it.
//!
//! git is driven as a program: the operator's own git, with its own
//! configuration, is what must read and write the operator's repository
//! (libgit2 bindings would be a second implementation of its format).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The most branches brought back from one session: an agent that moved
/// more gets none back (which hundred would be the agent's choice).
pub const MAX_BRANCHES: usize = 100;

/// The setting (seconds) for how long `ls-remote` and `fetch` may each take.
pub const TIMEOUT_VAR: &str = "RAXX_FETCH_BACK_TIMEOUT";

/// The most a git's standard output or error is read (20,000 refs fit).
const MAX_OUTPUT: u64 = 16 << 20;

/// How long `ls-remote` and `fetch` may each take: `RAXX_FETCH_BACK_TIMEOUT`
/// seconds (the operator's setting), 120 by default.
pub fn deadline() -> Duration {
    let secs = std::env::var(TIMEOUT_VAR)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0);
    Duration::from_secs(secs.unwrap_or(120))
}

/// Variables the operator's git keeps: what finds git and its configuration.
const GIT_ENV: [&str; 10] = [
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "XDG_CONFIG_HOME",
    "GIT_CONFIG_GLOBAL",
    "GIT_CONFIG_SYSTEM",
    "GIT_CONFIG_NOSYSTEM",
    "GIT_CEILING_DIRECTORIES",
];

/// Where the operator's checkout stands.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Head {
    Branch(String),
    Detached(String),
    /// A branch without a commit yet (a fresh `git init`).
    Unborn(String),
}

/// The operator's repository around the working directory.
#[derive(Clone, Debug)]
pub struct Project {
    /// The working directory (as the operator's process sees it).
    pub cwd: PathBuf,
    /// The work tree's top level: where the clone appears inside the sandbox.
    pub top: PathBuf,
    /// The working directory relative to `top`.
    pub prefix: PathBuf,
    /// The repository's common git folder (shared by its worktrees).
    common: PathBuf,
    /// `sha1` or `sha256`: the clone's must be the same.
    object_format: String,
    head: Head,
}

/// The operator's git, run in `dir` (never in the agent's clone once the
/// agent started): an allowlisted environment, no prompt, no LFS download.
fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(dir).env_clear().stdin(Stdio::null());
    cmd.envs(std::env::vars_os().filter(|(k, _)| {
        GIT_ENV.iter().any(|n| k == n) || k.to_str().is_some_and(|k| k.starts_with("LC_"))
    }));
    cmd.env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_LFS_SKIP_SMUDGE", "1");
    cmd
}

/// Runs `cmd`; its standard output, or git's own one-line reason.
fn output(mut cmd: Command) -> Result<String, String> {
    let out = cmd.output().map_err(|e| format!("cannot run git: {e}"))?;
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let line = said
        .lines()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| said.lines().next())
        .unwrap_or("git failed");
    Err(crate::support::display::one_line(line))
}

/// Runs `cmd` (a git reading the agent's clone through the sandbox) with
/// `input`, in a process group of its own that dies with raxx; the group is
/// killed when `limit` passes. Its standard output, or a one-line reason.
fn bounded(mut cmd: Command, input: Vec<u8>, limit: Duration) -> Result<String, String> {
    use std::os::unix::process::CommandExt;
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    // SAFETY: std has no safe way to set the parent-death signal of a child
    // (rustix's call is for the calling process). Between fork and exec the
    // closure makes one prctl system call through rustix and allocates
    // nothing (an error becomes an io::Error from its raw number), which is
    // what a forked child of a threaded process may do.
    #[allow(unsafe_code)]
    unsafe {
        cmd.pre_exec(|| {
            rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::KILL))
                .map_err(std::io::Error::from)
        });
    }
    let mut child = cmd.spawn().map_err(|e| format!("cannot run git: {e}"))?;
    let group = rustix::process::Pid::from_child(&child);
    let (stdin, stdout, stderr) = (child.stdin.take(), child.stdout.take(), child.stderr.take());
    let (tx, rx) = std::sync::mpsc::channel::<(bool, Vec<u8>)>();
    std::thread::spawn(move || stdin.map(|mut s| std::io::Write::write_all(&mut s, &input)));
    for (is_out, pipe) in [
        (
            true,
            stdout.map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ),
        (
            false,
            stderr.map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ),
    ] {
        let tx = tx.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(p) = pipe {
                let _ =
                    std::io::Read::read_to_end(&mut std::io::Read::take(p, MAX_OUTPUT), &mut bytes);
            }
            let _ = tx.send((is_out, bytes));
        });
    }
    drop(tx);
    let end = Instant::now() + limit;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() < end => std::thread::sleep(Duration::from_millis(50)),
            _ => break None,
        }
    };
    let Some(status) = status else {
        let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
        let _ = child.wait();
        return Err(format!(
            "git did not finish within {} s and was stopped",
            limit.as_secs()
        ));
    };
    // Whatever still holds the pipes (nothing should: the sandbox dies with its parent) is not waited for long.
    let (mut out, mut err) = (Vec::new(), Vec::new());
    for _ in 0..2 {
        match rx.recv_timeout(Duration::from_secs(10)) {
            Ok((true, b)) => out = b,
            Ok((false, b)) => err = b,
            Err(_) => break,
        }
    }
    if status.success() {
        return Ok(String::from_utf8_lossy(&out).into_owned());
    }
    let said = String::from_utf8_lossy(&err);
    let line = said
        .lines()
        .find(|l| l.starts_with("fatal:") || l.starts_with("error:"))
        .or_else(|| said.lines().next())
        .unwrap_or("git failed");
    Err(crate::support::display::one_line(line))
}

fn run(dir: &Path, args: &[&OsStr]) -> Result<String, String> {
    let mut cmd = git(dir);
    cmd.args(args);
    output(cmd)
}

fn os<'a>(args: &[&'a str]) -> Vec<&'a OsStr> {
    args.iter().map(|a| OsStr::new(*a)).collect()
}

impl Project {
    /// The repository the working directory is in; `Err` (one line) when it
    /// is in none: an isolated agent then has no clone to work in.
    pub fn find(cwd: &Path) -> Result<Project, String> {
        let not_in_one = |why: String| {
            format!("spawn --isolate: {} is not in a git work tree ({why}); an isolated agent works in its own clone of the project's repository: start it inside one (git init creates one)", cwd.display())
        };
        let out = run(
            cwd,
            &os(&[
                "rev-parse",
                "--path-format=absolute",
                "--show-toplevel",
                "--git-common-dir",
                "--show-object-format",
                "--show-prefix",
            ]),
        )
        .map_err(not_in_one)?;
        let lines: Vec<&str> = out.split('\n').collect();
        let [top, common, format, prefix, ""] = lines[..] else {
            return Err(not_in_one("git named folders raxx cannot read".into()));
        };
        let symbolic = run(cwd, &os(&["symbolic-ref", "-q", "HEAD"])).ok();
        let commit = run(cwd, &os(&["rev-parse", "-q", "--verify", "HEAD^{commit}"]))
            .ok()
            .map(|c| c.trim().to_string());
        let branch = symbolic
            .as_deref()
            .and_then(|s| s.trim().strip_prefix("refs/heads/"))
            .map(str::to_string);
        let head = match (branch, commit) {
            (Some(b), Some(_)) => Head::Branch(b),
            (Some(b), None) => Head::Unborn(b),
            (None, Some(c)) => Head::Detached(c),
            (None, None) => return Err(not_in_one("HEAD names no branch and no commit".into())),
        };
        let prefix = Path::new(prefix.trim_end_matches('/')).to_path_buf();
        Ok(Project {
            cwd: cwd.to_path_buf(),
            top: top.into(),
            prefix,
            common: common.into(),
            object_format: format.to_string(),
            head,
        })
    }

    /// The agent's working directory, inside its clone (at `top`).
    pub fn agent_cwd(&self) -> PathBuf {
        self.top
            .components()
            .chain(self.prefix.components())
            .collect()
    }

    fn config(&self, key: &str) -> Option<String> {
        run(&self.cwd, &os(&["config", "--get", key]))
            .ok()
            .map(|v| v.trim_end_matches('\n').to_string())
    }
}

/// The agent's clone, and the branches it started with.
pub struct AgentClone {
    pub path: PathBuf,
    start: Vec<(String, String)>,
    /// The folder's device and inode: the agent can write the session folder,
    /// so it could put a link to another repository at `path`.
    id: (u64, u64),
}

/// The device and inode of the folder at `path` itself (a link is not one).
fn folder_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(path).ok()?;
    meta.is_dir().then(|| (meta.dev(), meta.ino()))
}

/// `refs/heads/` branches and their commits, from `git for-each-ref` or
/// `git ls-remote` output (`<id> <ref>` or `<id>\t<ref>`).
fn branches(listing: &str) -> Vec<(String, String)> {
    listing
        .lines()
        .filter_map(|l| l.split_once(['\t', ' ']))
        .filter_map(|(id, r)| Some((r.strip_prefix("refs/heads/")?.to_string(), id.to_string())))
        .collect()
}

/// A branch name raxx brings back (and prints): only `[A-Za-z0-9._/-]`, and
/// git's own rules for those characters (no `..`, no empty part or one
/// starting with `.` or ending in `.lock`, no leading `-`, no trailing `.`).
fn plain(name: &str) -> bool {
    name.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b))
        && !name.is_empty()
        && !name.starts_with('-')
        && !name.ends_with('.')
        && !name.contains("..")
        && name != "HEAD"
        && name
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

/// What came back from an agent's clone.
#[derive(Debug, Default)]
pub struct Brought {
    /// The refs made, `raxx/<label>/<branch>`.
    pub branches: Vec<String>,
    /// Branches the agent created or moved whose names raxx does not bring back.
    pub skipped: usize,
}

impl AgentClone {
    /// Makes the clone at `path` (a new folder) from `project`.
    pub fn make(project: &Project, path: &Path) -> Result<AgentClone, String> {
        let fail = |e: String| {
            format!(
                "cannot clone {} for the isolated agent: {e}",
                project.top.display()
            )
        };
        let mut builder = std::fs::DirBuilder::new();
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(path).map_err(|e| fail(e.to_string()))?;
        let parent = path.parent().unwrap_or(Path::new("/"));
        let format = format!("--object-format={}", project.object_format);
        run(
            parent,
            &[
                OsStr::new("init"),
                OsStr::new("-q"),
                OsStr::new(&format),
                path.as_os_str(),
            ],
        )
        .map_err(fail)?;
        let fetch = os(&[
            "fetch",
            "-q",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "--update-head-ok",
        ]);
        let refspecs = os(&[
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
            "+refs/remotes/origin/*:refs/remotes/origin/*",
        ]);
        run(
            path,
            &[&fetch[..], &[project.common.as_os_str()], &refspecs[..]].concat(),
        )
        .map_err(fail)?;
        let set = |key: &str, value: &str| run(path, &os(&["config", key, value])).map_err(fail);
        if let Some(url) = project.config("remote.origin.url") {
            set("remote.origin.url", &url)?;
            set("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*")?;
        }
        match &project.head {
            Head::Branch(b) => {
                if let (Some(remote), Some(merge)) = (
                    project.config(&format!("branch.{b}.remote")),
                    project.config(&format!("branch.{b}.merge")),
                ) {
                    if remote == "origin" {
                        set(&format!("branch.{b}.remote"), &remote)?;
                        set(&format!("branch.{b}.merge"), &merge)?;
                    }
                }
                run(path, &os(&["checkout", "-q", b])).map_err(fail)?;
            }
            Head::Detached(c) => {
                run(path, &os(&["checkout", "-q", "--detach", c])).map_err(fail)?;
            }
            Head::Unborn(b) => {
                run(
                    path,
                    &os(&["symbolic-ref", "HEAD", &format!("refs/heads/{b}")]),
                )
                .map_err(fail)?;
            }
        }
        let start = branches(
            &run(
                path,
                &os(&[
                    "for-each-ref",
                    "--format=%(objectname) %(refname)",
                    "refs/heads/",
                ]),
            )
            .map_err(fail)?,
        );
        let id = folder_id(path).ok_or_else(|| fail("the new folder is gone".into()))?;
        Ok(AgentClone {
            path: path.to_path_buf(),
            start,
            id,
        })
    }

    /// git's upload side on the clone, inside the reader sandbox: the
    /// `--upload-pack` command (git runs it through `sh`, the clone's path
    /// appended).
    fn upload_pack(&self, bwrap: &Path, git_program: &Path) -> Result<OsString, String> {
        let mut words: Vec<OsString> = vec![bwrap.into()];
        words.extend(crate::process::isolate::reader_args(
            &self.path,
            &[git_program.to_path_buf()],
        ));
        words.extend([
            OsString::from("--"),
            git_program.into(),
            "upload-pack".into(),
        ]);
        // `exec`: sh becomes bwrap, whose --die-with-parent then follows git.
        let bytes: Vec<&[u8]> = words
            .iter()
            .map(|w| std::os::unix::ffi::OsStrExt::as_bytes(w.as_os_str()))
            .collect();
        let joined = shlex::bytes::try_join(bytes)
            .map_err(|e| format!("cannot quote the sandbox's command: {e}"))?;
        Ok(std::os::unix::ffi::OsStringExt::from_vec(
            [&b"exec "[..], &joined].concat(),
        ))
    }

    /// Fetches every branch the agent created or moved into
    /// `refs/remotes/raxx/<label>/` of the operator's repository (none when
    /// more than [`MAX_BRANCHES`]); each git has `limit` to finish.
    pub fn bring_back(
        &self,
        project: &Project,
        bwrap: &Path,
        label: &str,
        limit: Duration,
    ) -> Result<Brought, String> {
        // The agent is gone (its PID namespace with it): nothing moves the folder after this check.
        if folder_id(&self.path) != Some(self.id) {
            return Err("the agent replaced its clone's folder".into());
        }
        let git_program = crate::process::find(
            "git",
            &[("PATH".into(), std::env::var_os("PATH").unwrap_or_default())],
        )
        .and_then(|g| g.canonicalize().ok())
        .ok_or("git is not on the PATH")?;
        let upload = self.upload_pack(bwrap, &git_program)?;
        let mut listing = git(&project.cwd);
        listing
            .arg("ls-remote")
            .arg("--upload-pack")
            .arg(&upload)
            .arg("--heads")
            .arg(&self.path);
        let now = branches(&bounded(listing, vec![], limit)?);
        let (moved, odd): (Vec<&String>, Vec<&String>) = now
            .iter()
            .filter(|b| !self.start.contains(b))
            .map(|(name, _)| name)
            .partition(|n| plain(n));
        if moved.len() > MAX_BRANCHES {
            return Err(format!("the agent created or moved {} branches, more than the {MAX_BRANCHES} raxx brings back; none were brought back", moved.len()));
        }
        let mut brought = Brought {
            branches: vec![],
            skipped: odd.len(),
        };
        if moved.is_empty() {
            return Ok(brought);
        }
        let mut fetch = git(&project.cwd);
        for setting in [
            "fetch.fsckObjects=true",
            "transfer.fsckObjects=true",
            "fetch.recurseSubmodules=false",
            "gc.auto=0",
            "maintenance.auto=false",
        ] {
            fetch.args(["-c", setting]);
        }
        fetch
            .args([
                "fetch",
                "-q",
                "--no-tags",
                "--no-prune",
                "--no-write-fetch-head",
                "--no-recurse-submodules",
                "--stdin",
                "--upload-pack",
            ])
            .arg(&upload)
            .arg(&self.path);
        let refspecs: String = moved
            .iter()
            .map(|b| format!("+refs/heads/{b}:refs/remotes/raxx/{label}/{b}\n"))
            .collect();
        bounded(fetch, refspecs.into_bytes(), limit)?;
        brought.branches = moved
            .into_iter()
            .map(|b| format!("raxx/{label}/{b}"))
            .collect();
        Ok(brought)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listings_give_branches_and_odd_names_stay_out_of_refspecs() {
        let listing = "aaa\trefs/heads/main\nbbb\trefs/heads/feat/x\nccc\trefs/tags/v1\nddd refs/heads/topic\n";
        assert_eq!(
            branches(listing),
            [("main", "aaa"), ("feat/x", "bbb"), ("topic", "ddd")]
                .map(|(a, b)| (a.to_string(), b.to_string()))
        );
        assert!(plain("feat/x") && plain("fix-1.2_b"));
        for odd in [
            "",
            "-x",
            "a/../b",
            "a:b",
            "a*",
            "a b",
            "a\u{1b}[2J",
            "a^",
            "a~1",
            "a?",
            "a[",
            "a\\b",
            "ünïcode",
            "main\u{200b}",
            "fix-$(touch${IFS}x)",
            "a.lock",
            "a/.b",
            "a//b",
            "a/",
            "a.",
            "HEAD",
        ] {
            assert!(!plain(odd), "{odd:?}");
        }
    }
}
