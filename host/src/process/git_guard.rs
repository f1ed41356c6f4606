//! Without `--isolate` the child runs as the operator's uid, so nothing can
//! stop it from leaving configuration in the working directory's repository
//! that makes the operator's next `git status` run its program. What raxx
//! can do is notice and undo: [`Snapshot::take`] records, before the child
//! starts, what of the repository can make git run a program, and
//! [`Snapshot::check`] compares after it ends. Each added or changed entry is
//! one finding (one warning line, and the audit record); the original is
//! written back unless the operator keeps the change (`--keep-git-config`).
//!
//! Watched: the repository's `.git` itself (a folder replaced, a `.git` file
//! and where it points), `commondir`, `config` (and the common one),
//! `config.worktree`, each submodule's own git folder under `modules/`
//! (its `config`, `config.worktree` and hooks: git runs them on the
//! superproject's `git status`; at most 256), the files
//! `include.path`/`includeIf.*.path` name (reported, not restored: they may
//! lie anywhere), and the hooks folders, each itself (a folder made a link is
//! unlinked and put back) and its entries (a hook added, changed, or made
//! executable). A configuration file that is no longer a file git's reading
//! can be judged by (over 16 MiB, a FIFO, a folder, a link) is reported and
//! restored as such. In the configuration every key counts except those known
//! to run no program (an allowlist, [`runs_a_program`]; git-config(1),
//! <https://git-scm.com/docs/git-config>, keeps adding keys that run one:
//! `tar.<format>.command`, `gpg.ssh.defaultKeyCommand`, `guitool.<name>.cmd`,
//! `imap.tunnel`, `submodule.<name>.update = !cmd`, git-lfs's
//! `lfs.customtransfer.<name>.path`, …); every alias counts, since an
//! ordinary one can carry `-c core.fsmonitor=…`. Other changes (a remote
//! added, a branch's upstream) are the child's work and are left alone.
//!
//! Configuration is read by the real git as data only (`git config --file F
//! --no-includes --list -z`, which runs nothing the file names); the
//! repository is found by walking up from the working directory as git does,
//! without running git in it. Restoring writes the snapshot's bytes to a new
//! file beside the original and renames it over (a link the child planted is
//! replaced, never followed), and only into a folder that still resolves
//! where it did (a folder above replaced by a link is not written through).
//! Hand-written: no maintained crate snapshots a repository's executable
//! configuration; gix-config would replace only the
//! `git config` call, which is already git's own reading.

use std::collections::BTreeMap;
use std::io::Write;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Larger files are not read (a configuration file that grows past it is
/// reported and restored).
const MAX_FILE: u64 = 16 << 20;

/// One path as it was: absent, a link (its target), a folder (its inode), or
/// a file (its bytes and mode).
#[derive(Clone, Debug, PartialEq, Eq)]
enum State {
    Absent,
    Link(PathBuf),
    Dir {
        dev: u64,
        ino: u64,
    },
    File {
        bytes: Vec<u8>,
        mode: u32,
    },
    /// What could not be read: what it is.
    Other(&'static str),
}

/// `path` itself, never what a link there points to.
fn state(path: &Path) -> State {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return State::Absent;
    };
    let kind = meta.file_type();
    if kind.is_symlink() {
        return std::fs::read_link(path)
            .map(State::Link)
            .unwrap_or(State::Other("an unreadable link"));
    }
    if kind.is_dir() {
        return State::Dir {
            dev: meta.dev(),
            ino: meta.ino(),
        };
    }
    if !kind.is_file() {
        return State::Other("a FIFO, socket or device");
    }
    if meta.len() > MAX_FILE {
        return State::Other("a file over 16 MiB");
    }
    let read = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)
        .and_then(|mut f| {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut f, &mut bytes).map(|_| bytes)
        });
    match read {
        Ok(bytes) => State::File {
            bytes,
            mode: meta.mode() & 0o7777,
        },
        Err(_) => State::Other("an unreadable file"),
    }
}

/// The entries of a configuration file, `(key, value)` as git lists them
/// (section and name lower-cased), read without running anything.
fn entries(path: &Path) -> Vec<(String, String)> {
    let out = std::process::Command::new("git")
        .args(["config", "--no-includes", "--list", "-z", "--file"])
        .arg(path)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .current_dir("/")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output();
    let Ok(out) = out else { return vec![] };
    String::from_utf8_lossy(&out.stdout)
        .split('\0')
        .filter(|e| !e.is_empty())
        .map(|e| match e.split_once('\n') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (e.to_string(), String::new()),
        })
        .collect()
}

/// Whether a configuration entry may make git run a program (or change
/// which program, file or URL it runs one for): every key not on a list of
/// keys known to run none. An allowlist, since git keeps adding keys that
/// run programs (`tar.<format>.command`, `gpg.ssh.defaultKeyCommand`,
/// `lfs.customtransfer.<name>.path`, `imap.tunnel`, `guitool.<name>.cmd`,
/// `submodule.<name>.update = !cmd`, …); a key missing here costs a warning
/// and a restore, one missing from a denylist a program run. Every alias
/// counts: an ordinary one can carry `-c core.fsmonitor=…`. A value that is
/// a `<transport>::` URL (git-remote-<transport>; `ext::` runs any command)
/// or starts with `!` counts under any key.
pub fn runs_a_program(key: &str, value: &str) -> bool {
    let value = value.trim_start();
    let helper_url = value.find("::").is_some_and(|i| {
        i > 0
            && value[..i]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    });
    !(known_to_run_none(key) && !helper_url && !value.starts_with('!'))
}

fn known_to_run_none(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    let (section, rest) = key.split_once('.').unwrap_or((&key, ""));
    let name = rest.rsplit('.').next().unwrap_or(rest);
    let sub = rest.len() > name.len();
    match section {
        "user" | "author" | "committer" | "color" | "column" | "advice" | "i18n" | "status"
        | "log" | "pretty" | "format" | "gc" | "pack" | "repack" | "index" | "feature"
        | "fetch" | "push" | "rerere" | "rebase" | "stash" | "checkout" | "clone" | "am"
        | "apply" | "blame" | "grep" | "fsck" | "transfer" | "receive" | "worktree"
        | "maintenance" | "versionsort" | "splitindex" | "mailmap" | "notes" | "http"
        | "commit" | "tag" => true,
        "core" => {
            !sub && matches!(
                name,
                "repositoryformatversion"
                    | "filemode"
                    | "bare"
                    | "logallrefupdates"
                    | "ignorecase"
                    | "precomposeunicode"
                    | "symlinks"
                    | "autocrlf"
                    | "eol"
                    | "safecrlf"
                    | "checkstat"
                    | "trustctime"
                    | "quotepath"
                    | "sparsecheckout"
                    | "sparsecheckoutcone"
                    | "splitindex"
                    | "untrackedcache"
                    | "commitgraph"
                    | "multipackindex"
                    | "abbrev"
                    | "compression"
                    | "loosecompression"
                    | "bigfilethreshold"
                    | "preloadindex"
                    | "whitespace"
                    | "commentchar"
                    | "commentstring"
                    | "warnambiguousrefs"
                    | "sharedrepository"
                    | "protecthfs"
                    | "protectntfs"
                    | "deltabasecachelimit"
                    | "packedgitlimit"
                    | "packedgitwindowsize"
                    | "fsync"
                    | "fsyncmethod"
                    | "fsyncobjectfiles"
                    | "filesreflocktimeout"
                    | "packedrefstimeout"
                    | "excludesfile"
                    | "fsmonitorhookversion"
                    | "notesref"
                    | "checkroundtripencoding"
                    | "longpaths"
            )
        }
        "branch" => {
            if sub {
                matches!(
                    name,
                    "remote" | "pushremote" | "merge" | "rebase" | "description"
                )
            } else {
                matches!(name, "autosetupmerge" | "autosetuprebase" | "sort")
            }
        }
        "remote" => {
            if sub {
                matches!(
                    name,
                    "url"
                        | "pushurl"
                        | "fetch"
                        | "push"
                        | "tagopt"
                        | "prune"
                        | "prunetags"
                        | "mirror"
                        | "skipdefaultupdate"
                        | "skipfetchall"
                        | "promisor"
                        | "partialclonefilter"
                        | "followremotehead"
                )
            } else {
                name == "pushdefault"
            }
        }
        "submodule" => {
            if sub {
                matches!(
                    name,
                    "url" | "active" | "branch" | "fetchrecursesubmodules" | "ignore" | "shallow"
                )
            } else {
                matches!(
                    name,
                    "recurse"
                        | "active"
                        | "fetchjobs"
                        | "propagatebranches"
                        | "alternatelocation"
                        | "alternateerrorstrategy"
                )
            }
        }
        "diff" => {
            if sub {
                matches!(
                    name,
                    "xfuncname" | "funcname" | "binary" | "wordregex" | "cachetextconv"
                )
            } else {
                matches!(
                    name,
                    "renames"
                        | "algorithm"
                        | "mnemonicprefix"
                        | "noprefix"
                        | "srcprefix"
                        | "dstprefix"
                        | "relative"
                        | "colormoved"
                        | "colormovedws"
                        | "context"
                        | "interhunkcontext"
                        | "submodule"
                        | "ignoresubmodules"
                        | "wserrorhighlight"
                        | "indentheuristic"
                        | "orderfile"
                        | "statgraphwidth"
                        | "statnamewidth"
                        | "dirstat"
                        | "renamelimit"
                        | "suppressblankempty"
                        | "autorefreshindex"
                )
            }
        }
        "merge" => {
            if sub {
                matches!(name, "name" | "recursive")
            } else {
                matches!(
                    name,
                    "ff" | "conflictstyle"
                        | "log"
                        | "renamelimit"
                        | "renames"
                        | "directoryrenames"
                        | "autostash"
                        | "verbosity"
                        | "stat"
                        | "branchdesc"
                        | "defaulttoupstream"
                        | "suppressdest"
                        | "renormalize"
                )
            }
        }
        "pull" => !sub && matches!(name, "rebase" | "ff"),
        "init" => {
            !sub && matches!(
                name,
                "defaultbranch" | "defaultobjectformat" | "defaultrefformat"
            )
        }
        "lfs" => matches!(
            name,
            "repositoryformatversion"
                | "url"
                | "access"
                | "locksverify"
                | "fetchinclude"
                | "fetchexclude"
        ),
        "extensions" => {
            !sub && matches!(
                name,
                "worktreeconfig"
                    | "objectformat"
                    | "compatobjectformat"
                    | "refstorage"
                    | "partialclone"
                    | "preciousobjects"
                    | "noop"
            )
        }
        "credential" => matches!(name, "username" | "usehttppath"),
        "help" => !sub && name == "autocorrect",
        "uploadpack" => name != "packobjectshook",
        "interactive" => !sub && name == "singlekey",
        _ => false,
    }
}

/// A configuration file as it was, and its entries that run programs.
#[derive(Debug)]
struct Config {
    path: PathBuf,
    state: State,
    runs: Vec<(String, String)>,
}

fn config(path: PathBuf) -> Config {
    let state = state(&path);
    let runs = if matches!(state, State::File { .. }) {
        entries(&path)
            .into_iter()
            .filter(|(k, v)| runs_a_program(k, v))
            .collect()
    } else {
        vec![]
    };
    Config { path, state, runs }
}

/// The repository a working directory belongs to, found as git finds it:
/// the nearest folder upwards holding `.git` (a folder or a file).
fn top_of(cwd: &Path) -> Option<PathBuf> {
    cwd.ancestors()
        .find(|d| std::fs::symlink_metadata(d.join(".git")).is_ok())
        .map(Path::to_path_buf)
}

/// Where a `.git` file (`gitdir: …`) or a `commondir` file points.
fn pointed(state: &State, base: &Path, prefix: &str) -> Option<PathBuf> {
    let State::File { bytes, .. } = state else {
        return None;
    };
    let text = String::from_utf8_lossy(bytes);
    let target = text
        .trim_end_matches(['\n', '\r'])
        .strip_prefix(prefix)?
        .trim();
    (!target.is_empty()).then(|| base.join(target))
}

/// What of one repository can make git run a program, before the child ran.
#[derive(Debug)]
pub struct Snapshot {
    top: PathBuf,
    dotgit: State,
    /// `commondir` of the repository's git folder.
    commondir: (PathBuf, State),
    configs: Vec<Config>,
    /// Files the configuration includes.
    included: Vec<(PathBuf, State)>,
    /// Each hooks folder, the folder itself (a folder, a link, absent)
    /// and its entries.
    hooks: Vec<(PathBuf, State, BTreeMap<std::ffi::OsString, State>)>,
    /// Where each folder holding a watched path really was: nothing is
    /// restored into a folder that now resolves elsewhere (a folder above
    /// it replaced by a link).
    real: BTreeMap<PathBuf, PathBuf>,
}

/// The git folders of submodules under `common` (`modules/<name>`, a name
/// may hold slashes; nested submodules under theirs), links not followed:
/// at most 256, among at most 4096 folders looked at.
fn modules(common: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut todo = vec![common.join("modules")];
    let mut looked = 0;
    while let Some(dir) = todo.pop() {
        looked += 1;
        if looked > 4096 || found.len() >= 256 {
            break;
        }
        if !std::fs::symlink_metadata(&dir).is_ok_and(|m| m.is_dir()) {
            continue;
        }
        if std::fs::symlink_metadata(dir.join("config")).is_ok() {
            todo.push(dir.join("modules"));
            found.push(dir);
            continue;
        }
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        todo.extend(entries.flatten().take(4096).map(|e| e.path()));
    }
    found
}

fn hooks(dir: &Path) -> BTreeMap<std::ffi::OsString, State> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .map(|e| e.file_name())
        .filter(|n| !n.to_string_lossy().ends_with(".sample"))
        .take(4096)
        .map(|n| (n.clone(), state(&dir.join(&n))))
        .collect()
}

impl Snapshot {
    /// The snapshot of the repository `cwd` lies in; `None` outside one.
    pub fn take(cwd: &Path) -> Option<Snapshot> {
        let top = top_of(cwd)?;
        let dotgit = state(&top.join(".git"));
        let gitdir = match &dotgit {
            State::File { .. } => pointed(&dotgit, &top, "gitdir:")?,
            _ => top.join(".git"),
        };
        let commondir = (gitdir.join("commondir"), state(&gitdir.join("commondir")));
        let common = pointed(&commondir.1, &gitdir, "").unwrap_or_else(|| gitdir.clone());
        let mut configs = vec![
            config(gitdir.join("config")),
            config(gitdir.join("config.worktree")),
        ];
        if common != gitdir {
            configs.push(config(common.join("config")));
        }
        let included = configs
            .iter()
            .flat_map(|c| {
                c.runs
                    .iter()
                    .filter(|(k, _)| {
                        k == "include.path" || k.ends_with(".path") && k.starts_with("includeif.")
                    })
                    .map(move |(_, v)| (c, v))
            })
            .map(|(c, v)| {
                let home = std::env::var_os("HOME")
                    .map(PathBuf::from)
                    .unwrap_or_default();
                let path = match v.strip_prefix("~/") {
                    Some(rest) => home.join(rest),
                    None => c.path.parent().unwrap_or(Path::new("/")).join(v),
                };
                let was = state(&path);
                (path, was)
            })
            .collect();
        let mut hook_dirs: Vec<PathBuf> = if common == gitdir {
            vec![gitdir.join("hooks")]
        } else {
            vec![gitdir.join("hooks"), common.join("hooks")]
        };
        // A submodule's own configuration and hooks run on the superproject's `git status`.
        for module in modules(&common) {
            configs.push(config(module.join("config")));
            configs.push(config(module.join("config.worktree")));
            hook_dirs.push(module.join("hooks"));
        }
        let hooks: Vec<_> = hook_dirs
            .into_iter()
            .map(|d| {
                let entries = hooks(&d);
                let was = state(&d);
                (d, was, entries)
            })
            .collect();
        let folders = configs
            .iter()
            .filter_map(|c| c.path.parent())
            .chain(
                hooks
                    .iter()
                    .flat_map(|(d, _, _)| [d.as_path(), d.parent().unwrap_or(d)]),
            )
            .chain([gitdir.as_path()]);
        let real = folders
            .filter_map(|f| Some((f.to_path_buf(), f.canonicalize().ok()?)))
            .collect();
        Some(Snapshot {
            top,
            dotgit,
            commondir,
            configs,
            included,
            hooks,
            real,
        })
    }

    /// Compares with now: one line per entry added or changed that can make
    /// git run a program. Unless `keep`, each is undone (the configuration
    /// file, hook or `.git` written back as it was); a line says what could
    /// not be.
    pub fn check(&self, keep: bool) -> Vec<String> {
        let mut found = Vec::new();
        let undo = |what: &str, done: Result<(), String>| match (keep, done) {
            (true, _) => format!("{what} (kept: --keep-git-config)"),
            (false, Ok(())) => format!("{what} (restored)"),
            (false, Err(e)) => format!("{what} (could not be restored: {e})"),
        };
        let dotgit_path = self.top.join(".git");
        let dotgit_now = state(&dotgit_path);
        if dotgit_now != self.dotgit {
            let what = match (&self.dotgit, &dotgit_now) {
                (State::Dir { .. }, State::Dir { .. }) => format!(
                    "the repository's .git at {} was replaced by another folder",
                    dotgit_path.display()
                ),
                (State::File { .. }, State::File { .. }) => format!(
                    "the repository's .git file {} now points to {}",
                    dotgit_path.display(),
                    pointed(&dotgit_now, Path::new(""), "gitdir:")
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ),
                (was, now) => format!(
                    "the repository's .git at {} was {} and is now {}",
                    dotgit_path.display(),
                    describe(was),
                    describe(now)
                ),
            };
            found.push(undo(
                &what,
                if keep {
                    Ok(())
                } else {
                    self.restore_dotgit(&dotgit_now).map_err(|e| e.to_string())
                },
            ));
            // Its contents are judged against the original, now back in place.
        }
        let now = state(&self.commondir.0);
        if now != self.commondir.1 {
            let what = format!(
                "{} now points to {}",
                self.commondir.0.display(),
                pointed(&now, Path::new(""), "")
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| describe(&now))
            );
            found.push(undo(
                &what,
                if keep {
                    Ok(())
                } else {
                    self.put_back(&self.commondir.0, &self.commondir.1)
                        .map_err(|e| e.to_string())
                },
            ));
        }
        for was in &self.configs {
            let now = config(was.path.clone());
            let mut before = was.runs.clone();
            let added: Vec<(String, String)> = now
                .runs
                .into_iter()
                .filter(|e| match before.iter().position(|b| b == e) {
                    Some(i) => {
                        before.remove(i);
                        false
                    }
                    None => true,
                })
                .collect();
            // Over the size limit, a FIFO, a folder or a link: its entries
            // are not read, so it is reported and restored as such.
            let unread =
                !matches!(now.state, State::File { .. } | State::Absent) && now.state != was.state;
            if added.is_empty() && !unread {
                continue;
            }
            let done = if keep {
                Ok(())
            } else {
                self.put_back(&was.path, &was.state)
                    .map_err(|e| e.to_string())
            };
            let done_line = |what: String| undo(&what, done.clone());
            if unread {
                found.push(done_line(format!(
                    "{} is now {}",
                    was.path.display(),
                    describe(&now.state)
                )));
            }
            for (key, value) in added {
                found.push(done_line(format!(
                    "{} now sets {} = {}",
                    was.path.display(),
                    without_userinfo(&key),
                    crate::support::display::one_line(&without_userinfo(&value))
                )));
            }
        }
        for (path, was) in &self.included {
            if state(path) != *was {
                found.push(format!("{}, which the repository's configuration includes, changed (not restored: check it)", path.display()));
            }
        }
        for (dir, was_dir, was) in &self.hooks {
            let dir_now = state(dir);
            if dir_now != *was_dir && !matches!(dir_now, State::Dir { .. } | State::Absent) {
                // A link (to a folder of the operator's, say), a file: the
                // entry itself is removed, never what it points to.
                let what = format!(
                    "the hooks folder {} was {} and is now {}",
                    dir.display(),
                    describe(was_dir),
                    describe(&dir_now)
                );
                found.push(undo(
                    &what,
                    if keep {
                        Ok(())
                    } else {
                        self.put_back_folder(dir, was_dir, was)
                            .map_err(|e| e.to_string())
                    },
                ));
                continue;
            }
            // The operator's own link: read through, nothing removed through it.
            let through_link = matches!(dir_now, State::Link(_));
            let now = hooks(dir);
            for (name, state_now) in &now {
                let path = dir.join(name);
                let what = match was.get(name) {
                    None => format!("hook added: {}", path.display()),
                    Some(before) if before == state_now => continue,
                    Some(State::File { bytes, mode }) if matches!(state_now, State::File { bytes: b, .. } if b == bytes) =>
                    {
                        let State::File { mode: now_mode, .. } = state_now else {
                            continue;
                        };
                        format!(
                            "hook {} changed mode {:o} -> {:o}",
                            path.display(),
                            mode,
                            now_mode
                        )
                    }
                    Some(_) => format!("hook changed: {}", path.display()),
                };
                let before = was.get(name).cloned().unwrap_or(State::Absent);
                let done = if keep {
                    Ok(())
                } else if through_link {
                    Err("the hooks folder is a link; nothing is removed through it".to_string())
                } else {
                    self.put_back(&path, &before).map_err(|e| e.to_string())
                };
                found.push(undo(&what, done));
            }
        }
        found
    }

    /// [`put_back`], unless the folder `path` lies in now resolves
    /// elsewhere than it did (a folder above it replaced by a link).
    fn put_back(&self, path: &Path, was: &State) -> std::io::Result<()> {
        let folder = path.parent().unwrap_or(Path::new("/"));
        if let Some(real) = self.real.get(folder) {
            if folder.canonicalize().ok().as_ref() != Some(real) {
                return Err(std::io::Error::other(format!(
                    "{} now resolves elsewhere (a link?); not followed",
                    folder.display()
                )));
            }
        }
        put_back(path, was)
    }

    /// A hooks folder that became a link, a file or something else: that
    /// entry is unlinked (never followed) and the folder put back as it
    /// was, with its hooks (files and links).
    fn put_back_folder(
        &self,
        dir: &Path,
        was: &State,
        entries: &BTreeMap<std::ffi::OsString, State>,
    ) -> std::io::Result<()> {
        self.put_back(dir, &State::Absent)?;
        match was {
            State::Absent => Ok(()),
            State::Dir { .. } => {
                std::fs::create_dir(dir)?;
                entries
                    .iter()
                    .filter(|(_, s)| matches!(s, State::File { .. } | State::Link(_)))
                    .try_for_each(|(name, s)| self.put_back(&dir.join(name), s))
            }
            was => self.put_back(dir, was),
        }
    }

    /// `.git` was replaced: the planted one is moved aside (`.git.raxx-planted-<pid>`,
    /// a folder's `HEAD` renamed so git no longer takes it for a repository
    /// when someone works inside it) and the original put back, found by its
    /// inode among the top's entries when it was a folder, rewritten when it
    /// was a file.
    fn restore_dotgit(&self, now: &State) -> std::io::Result<()> {
        let path = self.top.join(".git");
        if *now != State::Absent {
            let aside = self
                .top
                .join(format!(".git.raxx-planted-{}", std::process::id()));
            std::fs::rename(&path, &aside)?;
            if matches!(now, State::Dir { .. }) {
                let _ = std::fs::rename(aside.join("HEAD"), aside.join("HEAD.raxx-disabled"));
            }
        }
        match &self.dotgit {
            State::Dir { dev, ino } => {
                let moved = std::fs::read_dir(&self.top)?
                    .flatten()
                    .map(|e| e.path())
                    .find(|p| {
                        std::fs::symlink_metadata(p)
                            .is_ok_and(|m| m.is_dir() && m.dev() == *dev && m.ino() == *ino)
                    });
                match moved {
                    Some(original) => std::fs::rename(original, &path),
                    None => Err(std::io::Error::other(
                        "the original folder was not found beside it",
                    )),
                }
            }
            was => put_back(&path, was),
        }
    }
}

/// `text` with the user and password of every URL in it (`://user:secret@`)
/// replaced by `***`: a URL in a key or value may carry a token, which must
/// reach neither the terminal nor the audit log.
fn without_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        let end = tail.find(['/', ' ', '\t']).unwrap_or(tail.len());
        match tail[..end].rfind('@') {
            Some(i) => {
                out.push_str("***");
                rest = &tail[i..];
            }
            None => rest = tail,
        }
    }
    out.push_str(rest);
    out
}

fn describe(state: &State) -> String {
    match state {
        State::Absent => "absent".into(),
        State::Link(to) => format!("a link to {}", to.display()),
        State::Dir { .. } => "a folder".into(),
        State::File { .. } => "a file".into(),
        State::Other(what) => (*what).into(),
    }
}

/// Writes `path` back as it was: a file's bytes and mode through a new file
/// renamed over it (whatever is there now, a link included, is replaced, not
/// followed); what was absent is removed. Folders and links are not recreated.
fn put_back(path: &Path, was: &State) -> std::io::Result<()> {
    match was {
        State::Absent => match std::fs::symlink_metadata(path) {
            Ok(m) if m.is_dir() => std::fs::remove_dir_all(path),
            Ok(_) => std::fs::remove_file(path),
            Err(_) => Ok(()),
        },
        State::File { bytes, mode } => {
            let dir = path.parent().unwrap_or(Path::new("."));
            let mut new = tempfile::Builder::new()
                .prefix(".raxx-restore-")
                .tempfile_in(dir)?;
            new.write_all(bytes)?;
            new.as_file()
                .set_permissions(std::fs::Permissions::from_mode(*mode))?;
            if std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir()) {
                std::fs::remove_dir_all(path)?;
            }
            new.persist(path).map(|_| ()).map_err(|e| e.error)
        }
        State::Link(to) => {
            let _ = std::fs::remove_file(path);
            std::os::unix::fs::symlink(to, path)
        }
        State::Dir { .. } | State::Other(_) => Err(std::io::Error::other("it was not a file")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_urls_user_and_password_are_not_shown() {
        assert_eq!(
            without_userinfo("url.https://x-access-token:ghs_secret@github.com/.insteadof"),
            "url.https://***@github.com/.insteadof"
        );
        assert_eq!(
            without_userinfo("ext::sh -c x https://a@b/c and ssh://u@h"),
            "ext::sh -c x https://***@b/c and ssh://***@h"
        );
        assert_eq!(
            without_userinfo("https://github.com/o/r"),
            "https://github.com/o/r"
        );
    }

    #[test]
    fn keys_that_run_programs_are_told_from_those_that_do_not() {
        for (key, value) in [
            ("core.fsmonitor", "x"),
            ("core.hooksPath", "h"),
            ("credential.https://example.com.helper", "x"),
            ("filter.lfs.process", "x"),
            ("diff.pdf.textconv", "x"),
            ("diff.external", "x"),
            ("merge.ours.driver", "x"),
            ("alias.st", "!sh -c x"),
            ("includeIf.gitdir:/x/.path", "f"),
            ("remote.origin.url", "ext::sh -c x"),
            ("remote.origin.uploadpack", "x"),
            ("url.ext::sh -c x.insteadOf", "https://"),
            ("pager.log", "x"),
            ("gpg.ssh.program", "x"),
            ("uploadpack.packObjectsHook", "x"),
            ("alias.st", "-c core.fsmonitor=x status"),
            ("alias.st", "status"),
            ("tar.tgz.command", "x"),
            ("gpg.ssh.defaultKeyCommand", "x"),
            ("submodule.m.update", "!x"),
            ("submodule.m.update", "checkout"),
            ("lfs.customtransfer.t.path", "x"),
            ("lfs.standalonetransferagent", "t"),
            ("imap.tunnel", "x"),
            ("guitool.t.cmd", "x"),
            ("help.browser", "x"),
            ("init.templateDir", "/t"),
            ("core.attributesFile", "a"),
            ("pull.twohead", "x"),
            ("remote.origin.vcs", "x"),
            ("remote.origin.url", "foo::https://h/r"),
            ("submodule.m.url", "fd::3"),
            ("branch.main.remote", "!x"),
            ("some.future.key", "x"),
        ] {
            assert!(runs_a_program(key, value), "{key}");
        }
        for (key, value) in [
            ("remote.origin.url", "https://github.com/o/r"),
            ("remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"),
            ("user.name", "x"),
            ("diff.renames", "true"),
            ("branch.main.remote", "origin"),
            ("branch.main.merge", "refs/heads/main"),
            ("core.filemode", "true"),
            ("core.repositoryformatversion", "0"),
            ("core.bare", "false"),
            ("core.logallrefupdates", "true"),
            ("submodule.m.url", "https://github.com/o/m"),
            ("submodule.m.active", "true"),
            ("lfs.repositoryformatversion", "0"),
            ("extensions.worktreeConfig", "true"),
            ("pull.rebase", "true"),
        ] {
            assert!(!runs_a_program(key, value), "{key}");
        }
    }
}
