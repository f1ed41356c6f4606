//! `spawn --isolate` and the operator's git: nothing an isolated agent writes
//! may make the operator's next `git status`, `git diff` or `git log -p` in
//! the project run a program. Each attack plants a marker program and a way
//! for git to run it; the marker writes a file only the operator's side can
//! reach (the sandbox never shows it), so it can only appear if the operator's
//! git ran it.

use crate::harness::{host, run, Run, Scratch};
use crate::isolate::outside_tmp;
use raxx_fakes::World;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The operator's git in `dir`, with the operator's own configuration (a home
/// of the test's) and nothing of the test process's environment.
fn operator_git(home: &Path, dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("HOME", home)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .unwrap()
}

fn ok_git(home: &Path, dir: &Path, args: &[&str]) -> String {
    let out = operator_git(home, dir, args);
    assert!(
        out.status.success(),
        "git {args:?} in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The operator's side: a home with a git identity, a project repository
/// with one commit on `main` and a submodule `lib` (absorbed into
/// `.git/modules/lib`), and the marker's path (outside the project).
struct Operator {
    dir: Scratch,
    home: PathBuf,
    project: PathBuf,
    marker: PathBuf,
}

impl Operator {
    fn new(name: &str) -> Operator {
        let dir = outside_tmp(name);
        let (home, project, upstream) = (
            dir.path("home"),
            dir.path("project"),
            dir.path("upstream-lib"),
        );
        for d in [&home, &project, &upstream] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(home.join(".gitconfig"), "[user]\n\tname = Operator\n\temail = op@example.test\n[init]\n\tdefaultBranch = main\n[protocol \"file\"]\n\tallow = always\n").unwrap();
        ok_git(&home, &upstream, &["init", "-q"]);
        std::fs::write(upstream.join("lib.txt"), "library\n").unwrap();
        ok_git(&home, &upstream, &["add", "lib.txt"]);
        ok_git(&home, &upstream, &["commit", "-qm", "lib"]);
        ok_git(&home, &project, &["init", "-q"]);
        ok_git(
            &home,
            &project,
            &[
                "remote",
                "add",
                "origin",
                "https://github.com/acme/project.git",
            ],
        );
        std::fs::write(project.join("README"), "the operator's project\n").unwrap();
        ok_git(&home, &project, &["add", "README"]);
        ok_git(
            &home,
            &project,
            &["submodule", "add", "-q", upstream.to_str().unwrap(), "lib"],
        );
        ok_git(&home, &project, &["commit", "-qm", "start"]);
        let marker = dir.path("MARKER-the-operators-git-ran-the-agents-program");
        Operator {
            home,
            project,
            marker,
            dir,
        }
    }

    /// `spawn --isolate` of `script` in the project, with `MARK` naming the marker's path.
    fn spawn(&self, world: &World, script: &str) -> Run {
        let mut cmd = host(Some(world));
        cmd.current_dir(&self.project)
            .env("HOME", &self.home)
            .args([
                "spawn",
                "--isolate",
                "--agent",
                "feature-developer",
                "--",
                "env",
            ]);
        cmd.arg(format!("MARK={}", self.marker.display())).args([
            "sh",
            "-c",
            &format!("{PLANT_MARKER}\n{script}"),
        ]);
        run(cmd)
    }

    /// What the operator does next in the project (and its submodule): every
    /// one of these must run nothing of the agent's.
    fn works_in_the_project(&self) {
        let lib = self.project.join("lib");
        for (dir, args) in [
            (&self.project, &["status"][..]),
            (&self.project, &["diff"]),
            (&self.project, &["diff", "HEAD"]),
            (&self.project, &["log", "-p", "-1"]),
            (&self.project, &["st"]),
            (&lib, &["status"]),
            (&lib, &["diff"]),
            (&lib, &["log", "-p", "-1"]),
            (&lib, &["st"]),
        ] {
            if dir.exists() {
                let _ = operator_git(&self.home, dir, args);
            }
        }
    }

    fn assert_nothing_ran(&self, r: &Run) {
        self.works_in_the_project();
        let ran = std::fs::read_to_string(&self.marker).unwrap_or_default();
        assert!(
            ran.is_empty(),
            "the operator's git ran the agent's program:\n{ran}\nagent said:\n{}\n{}",
            r.stdout,
            r.stderr
        );
        let _ = &self.dir;
    }
}

/// The agent's marker program, `.pwn/run` in its working directory: it appends
/// to `$MARK`, a path only the operator's side can write.
const PLANT_MARKER: &str = "mkdir -p .pwn && printf '#!/bin/sh\\necho \"ran: $0 $*\" >> \"%s\"\\n' \"$MARK\" > .pwn/run && chmod +x .pwn/run";

fn attack(name: &str, script: &str) {
    let world = World::start_shared();
    let op = Operator::new(name);
    let r = op.spawn(&world, script);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "the attack must have been carried out:\n{}\n{}",
        r.stdout,
        r.stderr
    );
    op.assert_nothing_ran(&r);
}

#[test]
fn an_agent_that_renames_git_and_makes_its_own_repository_runs_nothing_as_the_operator() {
    attack("git-rename", "set -e; mv .git .git-orig; git init -q; git config core.fsmonitor \"$PWD/.pwn/run\"; echo attack=done");
}

#[test]
fn an_agent_that_points_commondir_at_its_own_config_runs_nothing_as_the_operator() {
    attack(
        "git-commondir",
        "set -e; mkdir -p .pwn/common; cp -r .git/objects .git/refs .pwn/common/; \
         printf '[core]\\n\\trepositoryformatversion = 0\\n\\tbare = false\\n\\tfsmonitor = %s\\n' \"$PWD/.pwn/run\" > .pwn/common/config; \
         echo \"$PWD/.pwn/common\" > .git/commondir; echo attack=done",
    );
}

#[test]
fn an_agent_that_adds_a_gitlink_to_a_nested_repository_runs_nothing_as_the_operator() {
    attack(
        "git-gitlink",
        "set -e; git init -q --separate-git-dir=\"$PWD/.pwn/nested.git\" vendor/nested; \
         git -C vendor/nested commit -q --allow-empty -m nested 2>/dev/null; \
         git config -f .pwn/nested.git/config core.fsmonitor \"$PWD/.pwn/run\"; \
         git add vendor/nested 2>/dev/null; git ls-files -s vendor/nested | grep -q ^160000; echo attack=done",
    );
}

#[test]
fn an_agent_that_writes_every_git_config_it_can_reach_runs_nothing_as_the_operator() {
    // include.path, core.fsmonitor, core.hooksPath, filter and textconv
    // drivers, `!` aliases, core.sshCommand, credential.helper and
    // core.pager, in every configuration file git might read for the
    // project or its submodule; attributes to use the drivers; a change
    // in each tree for the filters to see.
    attack(
        "git-config",
        "run=\"$PWD/.pwn/run\"; printf '[core]\\n\\tfsmonitor = %s\\n' \"$run\" > .pwn/included; mkdir -p .pwn/hooks; \
         for h in pre-commit post-checkout post-index-change reference-transaction; do cp .pwn/run .pwn/hooks/$h; done; \
         for cfg in .git/config .git/config.worktree .git/modules/lib/config \"$HOME/.gitconfig\" \"$GIT_CONFIG_GLOBAL\"; do \
           git config -f \"$cfg\" include.path \"$PWD/.pwn/included\" 2>/dev/null || continue; \
           git config -f \"$cfg\" core.hooksPath \"$PWD/.pwn/hooks\"; git config -f \"$cfg\" core.fsmonitor \"$run\"; \
           git config -f \"$cfg\" filter.pwn.clean \"$run\"; git config -f \"$cfg\" filter.pwn.smudge \"$run\"; \
           git config -f \"$cfg\" diff.pwn.textconv \"$run\"; git config -f \"$cfg\" alias.st \"!$run\"; \
           git config -f \"$cfg\" core.sshCommand \"$run\"; git config -f \"$cfg\" credential.helper \"!$run\"; \
           git config -f \"$cfg\" core.pager \"$run\"; git config -f \"$cfg\" extensions.worktreeConfig true 2>/dev/null; \
           echo \"wrote=$cfg\"; done; \
         echo '* filter=pwn diff=pwn' > .gitattributes; mkdir -p .git/info && echo '* filter=pwn diff=pwn' > .git/info/attributes; \
         echo changed >> README; \
         if [ -d lib ]; then echo '* filter=pwn diff=pwn' > lib/.gitattributes; echo changed >> lib/lib.txt; fi; \
         echo attack=done",
    );
}

#[test]
fn the_fetch_back_reads_only_what_the_agent_could_read() {
    // The agent points its clone's `.git` at another repository of the
    // operator's (one it cannot see). git's upload side, run by the
    // operator's fetch outside a sandbox, would follow the link and hand
    // that repository's branches to the project.
    let world = World::start_shared();
    let op = Operator::new("git-fetch-back");
    let other = op.dir.path("other-project");
    std::fs::create_dir_all(&other).unwrap();
    ok_git(&op.home, &other, &["init", "-q"]);
    std::fs::write(other.join("secret"), "another project's\n").unwrap();
    ok_git(&op.home, &other, &["add", "secret"]);
    ok_git(&op.home, &other, &["commit", "-qm", "secret"]);
    ok_git(&op.home, &other, &["branch", "stolen"]);
    let script = format!(
        "set -e; test ! -e {other}/.git; git checkout -qb mine; git commit -q --allow-empty -m mine; \
         rm -rf .git; echo 'gitdir: {other}/.git' > .git; echo attack=done",
        other = other.display()
    );
    let r = op.spawn(&world, &script);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let refs = ok_git(
        &op.home,
        &op.project,
        &["for-each-ref", "--format=%(refname)", "refs/remotes/raxx/"],
    );
    assert!(
        refs.is_empty(),
        "nothing of the other repository arrived: {refs}"
    );
    assert!(
        operator_git(
            &op.home,
            &op.project,
            &[
                "cat-file",
                "-e",
                &ok_git(&op.home, &other, &["rev-parse", "stolen"])
            ]
        )
        .status
        .code()
            != Some(0),
        "its objects neither"
    );
    assert!(
        r.stderr.contains("could not be brought back"),
        "{}",
        r.stderr
    );
    op.assert_nothing_ran(&r);
}

#[test]
fn a_working_directory_outside_any_git_repository_is_refused_before_anything_starts() {
    let world = World::start_shared();
    let dir = outside_tmp("git-none");
    let marker = dir.path("started");
    // outside_tmp lies inside this checkout: make the folder a ceiling so git
    // looks no further up, as for a folder in no repository.
    let mut cmd = host(Some(&world));
    cmd.current_dir(&dir.0)
        .env("GIT_CEILING_DIRECTORIES", dir.0.parent().unwrap())
        .args([
            "spawn",
            "--isolate",
            "--agent",
            "feature-developer",
            "--",
            "touch",
        ])
        .arg(&marker);
    let r = run(cmd);
    assert_eq!(r.code, 64, "{}", r.stderr);
    crate::harness::assert_one_line_error(&r, "is not in a git work tree");
    assert!(
        !marker.exists() && world.infisical.requests().is_empty(),
        "nothing started, nothing minted"
    );
}

#[test]
fn a_sha256_repository_is_cloned_and_its_branches_come_back() {
    let world = World::start_shared();
    let dir = outside_tmp("git-sha256");
    let (home, project) = (dir.path("home"), dir.path("project"));
    for d in [&home, &project] {
        std::fs::create_dir_all(d).unwrap();
    }
    std::fs::write(
        home.join(".gitconfig"),
        "[user]\n\tname = Operator\n\temail = op@example.test\n",
    )
    .unwrap();
    ok_git(
        &home,
        &project,
        &["init", "-q", "--object-format=sha256", "-b", "main"],
    );
    ok_git(
        &home,
        &project,
        &["commit", "-q", "--allow-empty", "-m", "start"],
    );
    let mut cmd = host(Some(&world));
    cmd.current_dir(&project).env("HOME", &home).args([
        "spawn",
        "--isolate",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        "git checkout -qb work && git commit -q --allow-empty -m agent",
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        ok_git(
            &home,
            &project,
            &[
                "log",
                "-1",
                "--format=%s",
                "refs/remotes/raxx/feature-developer/work"
            ]
        ),
        "agent",
        "{}",
        r.stderr
    );
}

#[test]
fn a_linked_worktree_on_a_detached_head_is_cloned_at_that_commit() {
    let world = World::start_shared();
    let op = Operator::new("git-worktree");
    ok_git(
        &op.home,
        &op.project,
        &["commit", "-q", "--allow-empty", "-m", "second"],
    );
    let first = ok_git(&op.home, &op.project, &["rev-parse", "HEAD~1"]);
    let tree = op.dir.path("tree");
    ok_git(
        &op.home,
        &op.project,
        &[
            "worktree",
            "add",
            "-q",
            "--detach",
            tree.to_str().unwrap(),
            &first,
        ],
    );
    let mut cmd = host(Some(&world));
    cmd.current_dir(&tree).env("HOME", &op.home).args(["spawn", "--isolate", "--agent", "feature-developer", "--", "sh", "-c", "echo head=$(git rev-parse HEAD); echo top=$(git rev-parse --show-toplevel); git checkout -qb from-tree && git commit -q --allow-empty -m agent"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains(&format!("head={first}\n"))
            && r.stdout.contains(&format!("top={}\n", tree.display())),
        "{}",
        r.stdout
    );
    assert_eq!(
        ok_git(
            &op.home,
            &tree,
            &[
                "log",
                "-1",
                "--format=%s",
                "refs/remotes/raxx/feature-developer/from-tree"
            ]
        ),
        "agent"
    );
    assert_eq!(
        ok_git(
            &op.home,
            &op.project,
            &[
                "log",
                "-1",
                "--format=%s",
                "refs/remotes/raxx/feature-developer/from-tree"
            ]
        ),
        "agent",
        "one repository, seen from both"
    );
    op.assert_nothing_ran(&r);
}

#[test]
fn a_branch_carrying_a_hostile_gitmodules_is_checked_and_refused_on_the_way_back() {
    // A submodule URL that is an option (`--upload-pack=…`): fetch.fsckObjects
    // refuses the pack, so nothing of it lands in the operator's repository.
    let world = World::start_shared();
    let op = Operator::new("git-fsck");
    let script = "set -e; git checkout -qb hostile; \
        printf '[submodule \"lib\"]\\n\\tpath = lib\\n\\turl = --upload-pack=.pwn/run\\n' > .gitmodules; \
        git add .gitmodules; git commit -qm hostile; echo attack=done";
    let r = op.spawn(&world, script);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr.contains("could not be brought back") && r.stderr.contains("gitmodules"),
        "{}",
        r.stderr
    );
    assert_eq!(
        ok_git(
            &op.home,
            &op.project,
            &["for-each-ref", "refs/remotes/raxx/"]
        ),
        "",
        "{}",
        r.stderr
    );
    op.assert_nothing_ran(&r);
}

#[test]
fn an_agent_that_swaps_its_clone_for_a_link_to_another_repository_brings_nothing_back() {
    // The session folder is the agent's to write: it moves its clone away
    // and leaves a link to another repository of the operator's in its place.
    let world = World::start_shared();
    let op = Operator::new("git-swap");
    let other = op.dir.path("other-project");
    std::fs::create_dir_all(&other).unwrap();
    ok_git(&op.home, &other, &["init", "-q"]);
    ok_git(
        &op.home,
        &other,
        &["commit", "-q", "--allow-empty", "-m", "secret"],
    );
    ok_git(&op.home, &other, &["branch", "stolen"]);
    let script = format!(
        "set -e; s=$(dirname \"$RAXX_SESSION_SOCKET\"); mv \"$s/clone\" \"$s/moved\"; ln -s {} \"$s/clone\"; echo attack=done",
        other.display()
    );
    let r = op.spawn(&world, &script);
    assert_attack_ran_and_nothing_came_back(&op, &r);
    assert!(
        r.stderr.contains("replaced its clone's folder"),
        "{}",
        r.stderr
    );
    assert!(
        other.join(".git").is_dir(),
        "the link's target is untouched"
    );
    op.assert_nothing_ran(&r);
}

/// The agent's script ran to its end (`attack=done`, raxx exit 0) and no
/// branch came back into the operator's project.
fn assert_attack_ran_and_nothing_came_back(op: &Operator, r: &Run) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert_eq!(
        ok_git(
            &op.home,
            &op.project,
            &["for-each-ref", "refs/remotes/raxx/"]
        ),
        "",
        "{}",
        r.stderr
    );
}

/// `spawn --isolate` of `script` in the operator's project, with extra
/// environment for raxx-host; killed (and the test failed) if it has not
/// returned within `bound`.
fn spawn_bounded(
    op: &Operator,
    world: &World,
    env: &[(&str, &str)],
    script: &str,
    bound: std::time::Duration,
) -> Run {
    let mut cmd = host(Some(world));
    cmd.current_dir(&op.project)
        .env("HOME", &op.home)
        .envs(env.iter().copied());
    cmd.args([
        "spawn",
        "--isolate",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        script,
    ]);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .stdin(std::process::Stdio::null());
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > bound {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "spawn did not return within {bound:?}:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Run::from(child.wait_with_output().unwrap())
}

#[test]
fn an_agent_that_makes_packed_refs_a_fifo_cannot_keep_spawn_from_returning() {
    // upload-pack in the reader sandbox blocks opening the FIFO for ever: the
    // fetch-back has a deadline (3 s here, 120 s by default), then its whole
    // process group is killed and the clone removed.
    let world = World::start_shared();
    let op = Operator::new("git-fifo");
    let script = "set -e; git checkout -qb work; git commit -q --allow-empty -m agent; git pack-refs --all; rm -f .git/packed-refs; mkfifo .git/packed-refs; echo attack=done";
    let r = spawn_bounded(
        &op,
        &world,
        &[("RAXX_FETCH_BACK_TIMEOUT", "3")],
        script,
        std::time::Duration::from_secs(240),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    assert!(
        r.stderr.contains("did not finish within 3 s"),
        "{}",
        r.stderr
    );
    assert_eq!(
        ok_git(
            &op.home,
            &op.project,
            &["for-each-ref", "refs/remotes/raxx/"]
        ),
        "",
        "{}",
        r.stderr
    );
}

#[test]
fn branch_names_with_shell_or_invisible_characters_are_skipped_and_never_printed() {
    let world = World::start_shared();
    let op = Operator::new("git-names");
    let script = "set -e; git commit -q --allow-empty -m agent; git branch 'fix-$(touch${IFS}x)'; git branch \"$(printf 'main\\342\\200\\213')\"; git branch good/one; echo attack=done";
    let r = spawn_bounded(
        &op,
        &world,
        &[],
        script,
        std::time::Duration::from_secs(240),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.lines().any(|l| l == "attack=done"),
        "{}\n{}",
        r.stdout,
        r.stderr
    );
    let refs = ok_git(
        &op.home,
        &op.project,
        &["for-each-ref", "--format=%(refname)", "refs/remotes/raxx/"],
    );
    assert_eq!(
        refs,
        "refs/remotes/raxx/feature-developer/good/one\nrefs/remotes/raxx/feature-developer/main",
        "{}",
        r.stderr
    );
    assert!(
        !r.stderr.contains("touch") && !r.stderr.contains('\u{200b}'),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("2 branches skipped"), "{}", r.stderr);
}

#[test]
fn more_branches_than_the_cap_bring_none_back() {
    let world = World::start_shared();
    let op = Operator::new("git-many");
    let script = "set -e; for i in $(seq 101); do echo \"create refs/heads/b$i HEAD\"; done | git update-ref --stdin; echo attack=done";
    let r = spawn_bounded(
        &op,
        &world,
        &[],
        script,
        std::time::Duration::from_secs(240),
    );
    assert_attack_ran_and_nothing_came_back(&op, &r);
    assert!(
        r.stderr.contains("101 branches, more than the 100"),
        "{}",
        r.stderr
    );
}

/// The children of `pid` (from /proc), with their command lines.
fn children(pid: u32) -> Vec<(u32, String)> {
    let mut found = vec![];
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(child) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<u32>().ok())
        else {
            continue;
        };
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(") ")
            .and_then(|(_, rest)| rest.split(' ').nth(1))
            .and_then(|p| p.parse::<u32>().ok());
        if ppid == Some(pid) {
            let cmdline = std::fs::read(entry.path().join("cmdline")).unwrap_or_default();
            found.push((child, String::from_utf8_lossy(&cmdline).replace('\0', " ")));
        }
    }
    found
}

#[test]
fn sigterm_during_a_stuck_fetch_back_ends_raxx_and_its_git() {
    // The agent has ended; raxx waits on a fetch-back held by a FIFO (with
    // the default deadline): SIGTERM must end raxx, and its git with it.
    use std::os::unix::process::ExitStatusExt;
    let world = World::start_shared();
    let op = Operator::new("git-sigterm");
    let mut cmd = host(Some(&world));
    cmd.current_dir(&op.project).env("HOME", &op.home);
    cmd.args([
        "spawn",
        "--isolate",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        "rm -f .git/packed-refs; mkfifo .git/packed-refs",
    ]);
    let mut raxx = cmd
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let bound = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let git = loop {
        assert!(
            std::time::Instant::now() < bound,
            "raxx never ran git ls-remote"
        );
        assert!(
            raxx.try_wait().unwrap().is_none(),
            "raxx ended before its fetch-back"
        );
        if let Some((pid, _)) = children(raxx.id())
            .into_iter()
            .find(|(_, c)| c.contains("ls-remote"))
        {
            break pid;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let raxx_pid = rustix::process::Pid::from_raw(raxx.id() as i32).unwrap();
    rustix::process::kill_process(raxx_pid, rustix::process::Signal::TERM).unwrap();
    let status = loop {
        if let Some(status) = raxx.try_wait().unwrap() {
            break status;
        }
        if std::time::Instant::now() > bound {
            let _ = raxx.kill();
            panic!("SIGTERM did not end raxx during its fetch-back");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.signal(), Some(15));
    // Its git dies with it (PR_SET_PDEATHSIG), and the sandbox with its git.
    while std::fs::read_to_string(format!("/proc/{git}/stat")).is_ok_and(|s| !s.contains(") Z ")) {
        assert!(
            std::time::Instant::now() < bound,
            "raxx's git {git} outlived it"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
