//! `preamble --write` writes the files named, nothing else: an agent that
//! plants `.claude/agents/feature-developer.md → ~/.bashrc` (or a hard link,
//! or a linked folder) gets one line naming the link, and the target keeps
//! every byte (host/src/support/files.rs `Folder`).

use crate::harness::{host, run, Run, Scratch};
use std::path::Path;

fn cli(args: &[&str]) -> Run {
    let mut cmd = host(None);
    cmd.args(args);
    run(cmd)
}

#[cfg(unix)]
#[test]
fn write_never_follows_a_planted_link_nor_writes_outside_the_folder() {
    use std::os::unix::fs::symlink;
    let scratch = Scratch::new("preamble-links");
    for folder in ["home", "elsewhere", "agents"] {
        std::fs::create_dir_all(scratch.path(folder)).unwrap();
    }
    let bashrc = scratch.write("home/.bashrc", "export PS1='$ '\n");
    let profile = scratch.write("home/.profile", "umask 022\n");
    scratch.write("elsewhere/card-groomer.md", "Groom.\n");
    scratch.write("agents/sre-agent.md", "Operate.\n");
    let agents = scratch.path("agents");
    symlink(&bashrc, agents.join("feature-developer.md")).unwrap();
    symlink(scratch.path("elsewhere"), agents.join("team")).unwrap();
    std::fs::hard_link(&profile, agents.join("software-architect.md")).unwrap();
    let dir = agents.to_str().unwrap();

    for verb in ["--write", "--check"] {
        let r = cli(&["preamble", verb, dir]);
        assert_eq!(r.code, 6, "{verb}: {}\n{}", r.stdout, r.stderr);
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains("feature-developer.md"))
            .unwrap_or_else(|| panic!("{verb}: no line names the link:\n{}", r.stdout));
        assert!(line.contains("is a link"), "{verb}: {line}");
        let line = r
            .stdout
            .lines()
            .find(|l| l.contains("software-architect.md"))
            .unwrap_or_else(|| panic!("{verb}: no line names the hard link:\n{}", r.stdout));
        assert!(line.contains("other names"), "{verb}: {line}");
    }
    assert_eq!(
        std::fs::read_to_string(&bashrc).unwrap(),
        "export PS1='$ '\n",
        "the link's target was rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(&profile).unwrap(),
        "umask 022\n",
        "the hard link's other name was rewritten"
    );
    assert_eq!(
        std::fs::read_to_string(scratch.path("elsewhere/card-groomer.md")).unwrap(),
        "Groom.\n",
        "a file behind a linked folder was written"
    );
    assert!(
        std::fs::symlink_metadata(agents.join("feature-developer.md"))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link itself stays"
    );
    assert!(
        std::fs::read_to_string(agents.join("sre-agent.md"))
            .unwrap()
            .contains("raxx-ops-bot"),
        "the real definition was still written"
    );
    let names: Vec<String> = std::fs::read_dir(&agents)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.iter().all(|n| !n.starts_with('.')),
        "no temporary file left behind: {names:?}"
    );
    assert!(
        Path::new(&bashrc)
            .parent()
            .unwrap()
            .read_dir()
            .unwrap()
            .count()
            == 2,
        "nothing new beside the target"
    );
}

/// The folder named may itself be a link (`.claude/agents` → a shared
/// folder): only what lies below it is held to never following one.
#[cfg(unix)]
#[test]
fn the_folder_named_may_be_a_link() {
    let scratch = Scratch::new("preamble-linked-folder");
    std::fs::create_dir_all(scratch.path("real")).unwrap();
    scratch.write("real/sre-agent.md", "Operate.\n");
    std::os::unix::fs::symlink(scratch.path("real"), scratch.path("agents")).unwrap();
    let r = cli(&[
        "preamble",
        "--write",
        scratch.path("agents").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(std::fs::read_to_string(scratch.path("real/sre-agent.md"))
        .unwrap()
        .contains("raxx-ops-bot"));
}
