//! Without `--isolate`, what a child leaves in the working directory's git
//! that would run a program as the operator is reported (one warning each,
//! an audit record) and undone unless `--keep-git-config`.

use crate::harness::{host, run, Run, Scratch};
use raxx_fakes::World;

/// A repository with one commit, and its `.git/config` as it was.
fn repo(dir: &Scratch) -> (std::path::PathBuf, Vec<u8>) {
    let repo = dir.path("repo");
    std::fs::create_dir(&repo).unwrap();
    let out = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    let config = std::fs::read(repo.join(".git/config")).unwrap();
    (repo, config)
}

fn exec_in(
    world: &World,
    dir: &Scratch,
    repo: &std::path::Path,
    extra: &[&str],
    script: &str,
) -> Run {
    let mut cmd = host(Some(world));
    cmd.current_dir(repo)
        .env("RAXX_AUDIT_LOG", dir.path("audit.jsonl"))
        .args(["exec"])
        .args(extra)
        .args(["raxx-dev-bot", "--", "sh", "-c", script]);
    run(cmd)
}

const PLANT: &str = "git config --file .git/config core.fsmonitor 'touch pwned' && \
    printf '#!/bin/sh\\ntouch pwned\\n' > .git/hooks/post-checkout && chmod +x .git/hooks/post-checkout && \
    printf '[core]\\n\\tsshCommand = touch pwned\\n' > .git/config.worktree";

fn warnings(r: &Run) -> Vec<&str> {
    r.stderr
        .lines()
        .filter(|l| l.starts_with("raxx-host: warning: git: "))
        .collect()
}

#[test]
fn what_an_exec_child_leaves_in_git_that_runs_programs_is_reported_and_undone() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard");
    let (repo, config) = repo(&dir);
    let r = exec_in(&world, &dir, &repo, &[], PLANT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert_eq!(warned.len(), 3, "one warning per entry:\n{}", r.stderr);
    assert!(
        warned
            .iter()
            .any(|l| l.contains(".git/config now sets core.fsmonitor = touch pwned (restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned
            .iter()
            .any(|l| l.contains("hook added: ") && l.contains("post-checkout (restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned.iter().any(
            |l| l.contains("config.worktree now sets core.sshcommand = touch pwned (restored)")
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(repo.join(".git/config")).unwrap(),
        config,
        "the configuration is restored byte for byte"
    );
    assert!(
        !repo.join(".git/hooks/post-checkout").exists()
            && !repo.join(".git/config.worktree").exists()
    );
    let audit = std::fs::read_to_string(dir.path("audit.jsonl")).unwrap();
    let record: serde_json::Value = audit
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|r| r["command"] == "git-config")
        .expect(&audit);
    let subject = record["subject"].as_str().unwrap();
    assert!(
        subject.contains("core.fsmonitor")
            && subject.contains("post-checkout")
            && subject.contains("core.sshcommand"),
        "{subject}"
    );
    assert_eq!(record["bot"], "raxx-dev-bot");
}

#[test]
fn keep_git_config_keeps_what_the_child_left_and_still_warns() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-keep");
    let (repo, _) = repo(&dir);
    let r = exec_in(&world, &dir, &repo, &["--keep-git-config"], PLANT);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert_eq!(warned.len(), 3, "{}", r.stderr);
    assert!(
        warned
            .iter()
            .all(|l| l.ends_with("(kept: --keep-git-config)")),
        "{}",
        r.stderr
    );
    assert!(std::fs::read_to_string(repo.join(".git/config"))
        .unwrap()
        .contains("fsmonitor"));
    assert!(
        repo.join(".git/hooks/post-checkout").exists()
            && repo.join(".git/config.worktree").exists()
    );
}

#[test]
fn a_replaced_git_folder_or_a_commondir_is_put_back() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-dotgit");
    let (repo, config) = repo(&dir);
    let r = exec_in(&world, &dir, &repo, &[], "mv .git .git-orig && git init -q && git config --file .git/config core.fsmonitor 'touch pwned'");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        warnings(&r)
            .iter()
            .any(|l| l.contains(".git") && l.contains("was replaced by another folder (restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(repo.join(".git/config")).unwrap(),
        config,
        "the original .git is back"
    );
    assert!(
        !repo.join(".git-orig").exists(),
        "moved back from where the child put it"
    );
    let aside = std::fs::read_dir(&repo)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".git.raxx-planted-"))
        .expect("the planted .git moved aside");
    assert!(
        !aside.join("HEAD").exists(),
        "no longer a repository git would discover"
    );
    let status = std::process::Command::new("git")
        .args(["status", "--porcelain"])
        .current_dir(&aside)
        .env("GIT_CEILING_DIRECTORIES", &repo)
        .output()
        .unwrap();
    assert!(
        !status.status.success() && !aside.join("pwned").exists(),
        "git does not run the planted configuration inside it"
    );
    let r = exec_in(
        &world,
        &dir,
        &repo,
        &[],
        &format!(
            "mkdir {common} && echo {common} > .git/commondir",
            common = dir.path("common").display()
        ),
    );
    assert!(
        warnings(&r)
            .iter()
            .any(|l| l.contains("commondir now points to") && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert!(!repo.join(".git/commondir").exists());
    // Changes that run nothing are the child's work: no warning, kept.
    let r = exec_in(
        &world,
        &dir,
        &repo,
        &[],
        "git config --file .git/config remote.origin.url https://example.com/o/r",
    );
    assert!(warnings(&r).is_empty(), "{}", r.stderr);
    assert!(std::fs::read_to_string(repo.join(".git/config"))
        .unwrap()
        .contains("example.com"));
}

#[test]
fn spawn_reports_a_git_file_pointed_elsewhere_and_a_hooks_path() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-gitfile");
    let work = dir.path("work");
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--separate-git-dir"])
        .arg(dir.path("sep"))
        .arg(&work)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dotgit = std::fs::read(work.join(".git")).unwrap();
    let script = format!(
        "git config --file {sep}/config core.hooksPath /tmp && git init -q --bare {planted} && git config --file {planted}/config core.fsmonitor 'touch pwned' && echo 'gitdir: {planted}' > .git",
        sep = dir.path("sep").display(),
        planted = dir.path("planted").display()
    );
    let mut cmd = host(Some(&world));
    cmd.current_dir(&work).args([
        "spawn",
        "--agent",
        "feature-developer",
        "--",
        "sh",
        "-c",
        &script,
    ]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert!(
        warned.iter().any(|l| l.contains(".git file")
            && l.contains("now points to")
            && l.contains("planted")
            && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned
            .iter()
            .any(|l| l.contains("core.hookspath = /tmp (restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(work.join(".git")).unwrap(),
        dotgit,
        "the .git file is restored"
    );
    assert!(!std::fs::read_to_string(dir.path("sep/config"))
        .unwrap()
        .contains("hooksPath"));
}

#[test]
fn a_config_padded_past_the_size_limit_or_made_a_fifo_is_still_reported_and_restored() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-padded");
    let (repo, config) = repo(&dir);
    // 17 MiB of comment, then core.fsmonitor: past the guard's 16 MiB read limit.
    let r = exec_in(&world, &dir, &repo, &[], "{ printf '#'; head -c 17000000 /dev/zero | tr '\\0' x; printf '\\n[core]\\n\\tfsmonitor = touch pwned\\n'; } >> .git/config && mkfifo .git/config.worktree");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert!(
        warned
            .iter()
            .any(|l| l.contains(".git/config is now") && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned
            .iter()
            .any(|l| l.contains("config.worktree is now") && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(repo.join(".git/config")).unwrap(),
        config,
        "the configuration is restored byte for byte"
    );
    assert!(
        std::fs::symlink_metadata(repo.join(".git/config.worktree")).is_err(),
        "the FIFO is removed"
    );
}

#[test]
fn any_alias_added_is_reported_since_an_alias_can_set_configuration() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-alias");
    let (repo, config) = repo(&dir);
    let r = exec_in(&world, &dir, &repo, &[], "git config --file .git/config alias.st '-c core.fsmonitor=touch\\ pwned status' && git config --file .git/config tar.tgz.command 'touch pwned'");
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert!(
        warned
            .iter()
            .any(|l| l.contains("now sets alias.st = -c core.fsmonitor")
                && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned
            .iter()
            .any(|l| l.contains("now sets tar.tgz.command = touch pwned")
                && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(repo.join(".git/config")).unwrap(), config);
}

#[test]
fn a_submodules_own_config_and_hooks_are_watched() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-modules");
    let (repo, _) = repo(&dir);
    // Submodule git folders as `git submodule add` leaves them (a name may hold slashes).
    for module in ["sub", "lib/nested"] {
        let git = repo.join(".git/modules").join(module);
        let out = std::process::Command::new("git")
            .args(["init", "-q", "--bare"])
            .arg(&git)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    let sub = std::fs::read(repo.join(".git/modules/sub/config")).unwrap();
    let nested = std::fs::read(repo.join(".git/modules/lib/nested/config")).unwrap();
    let r = exec_in(
        &world,
        &dir,
        &repo,
        &[],
        "git config --file .git/modules/sub/config core.fsmonitor 'touch pwned' && git config --file .git/modules/lib/nested/config core.sshCommand 'touch pwned' && \
         printf '#!/bin/sh\\ntouch pwned\\n' > .git/modules/sub/hooks/post-checkout && chmod +x .git/modules/sub/hooks/post-checkout",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let warned = warnings(&r);
    assert!(
        warned
            .iter()
            .any(|l| l
                .contains("modules/sub/config now sets core.fsmonitor = touch pwned (restored)")),
        "{}",
        r.stderr
    );
    assert!(
        warned.iter().any(|l| l.contains(
            "modules/lib/nested/config now sets core.sshcommand = touch pwned (restored)"
        )),
        "{}",
        r.stderr
    );
    assert!(
        warned.iter().any(|l| l.contains("hook added: ")
            && l.contains("modules/sub/hooks/post-checkout (restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read(repo.join(".git/modules/sub/config")).unwrap(),
        sub
    );
    assert_eq!(
        std::fs::read(repo.join(".git/modules/lib/nested/config")).unwrap(),
        nested
    );
    assert!(!repo.join(".git/modules/sub/hooks/post-checkout").exists());
}

#[test]
fn a_hooks_folder_replaced_by_a_link_is_unlinked_and_nothing_is_removed_through_it() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-hooks-link");
    let (repo, _) = repo(&dir);
    std::fs::write(repo.join(".git/hooks/pre-commit"), "#!/bin/sh\nexit 0\n").unwrap();
    let operator = dir.path("operator");
    std::fs::create_dir(&operator).unwrap();
    std::fs::write(operator.join("notes.txt"), "the operator's").unwrap();
    std::fs::write(operator.join("post-checkout"), "#!/bin/sh\n").unwrap();
    let r = exec_in(
        &world,
        &dir,
        &repo,
        &[],
        &format!(
            "rm -rf .git/hooks && ln -s {} .git/hooks",
            operator.display()
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        warnings(&r).iter().any(|l| l.contains(".git/hooks")
            && l.contains("is now a link to")
            && l.ends_with("(restored)")),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(operator.join("notes.txt")).unwrap(),
        "the operator's",
        "nothing removed through the link"
    );
    assert!(
        operator.join("post-checkout").exists(),
        "nothing removed through the link"
    );
    let hooks = std::fs::symlink_metadata(repo.join(".git/hooks")).unwrap();
    assert!(
        hooks.is_dir() && !hooks.file_type().is_symlink(),
        "the folder is back"
    );
    assert_eq!(
        std::fs::read_to_string(repo.join(".git/hooks/pre-commit")).unwrap(),
        "#!/bin/sh\nexit 0\n",
        "with its hooks"
    );
}

#[test]
fn nothing_is_restored_into_a_folder_above_which_a_link_was_planted() {
    let world = World::start_shared();
    let dir = Scratch::new("git-guard-modules-link");
    let (repo, _) = repo(&dir);
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(repo.join(".git/modules/sub"))
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success());
    // An operator's folder shaped like `modules`, whose config has an alias.
    let operator = dir.path("operator");
    std::fs::create_dir_all(operator.join("sub/hooks")).unwrap();
    std::fs::write(operator.join("sub/config"), "[alias]\n\tst = status\n").unwrap();
    std::fs::write(operator.join("sub/hooks/post-checkout"), "#!/bin/sh\n").unwrap();
    let r = exec_in(
        &world,
        &dir,
        &repo,
        &[],
        &format!(
            "mv .git/modules .git/modules-old && ln -s {} .git/modules",
            operator.display()
        ),
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        warnings(&r).iter().any(
            |l| l.contains("modules/sub/config now sets alias.st = status")
                && l.contains("could not be restored")
                && l.contains("not followed")
        ),
        "{}",
        r.stderr
    );
    assert_eq!(
        std::fs::read_to_string(operator.join("sub/config")).unwrap(),
        "[alias]\n\tst = status\n",
        "nothing written through the link"
    );
    assert!(
        operator.join("sub/hooks/post-checkout").exists(),
        "nothing removed through the link"
    );
}
