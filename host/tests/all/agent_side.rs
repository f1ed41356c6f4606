//! The agent side: identity preambles in agent definitions (`preamble`).
//! It runs without network and without
//! any Infisical variable: most tests run the binary with an empty environment.

use crate::harness::{assert_one_line_error, host, raxx, run, shipped, Run, Scratch};
use raxx_fakes::World;
use raxx_host::preamble::BEGIN_LINE;
use std::path::Path;

const BEGIN: &str = "<!-- raxx-identity-preamble: begin";
const END: &str = "<!-- raxx-identity-preamble: end -->";

/// `raxx-host ARGS` with nothing in the environment but PATH and the cache.
fn cli(args: &[&str]) -> Run {
    let mut cmd = host(None);
    cmd.args(args);
    run(cmd)
}

/// The shipped map with `edit` applied, in `scratch`.
fn edited_map(scratch: &Scratch, edit: impl Fn(String) -> String) -> String {
    let text = std::fs::read_to_string(shipped("agent_bot_map.yaml")).unwrap();
    let edited = edit(text.clone());
    assert_ne!(edited, text, "the edit must change the map");
    scratch.write("agent_bot_map.yaml", &edited).to_str().unwrap().to_string()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// The file's text with its preamble block (and the blank line `--write`
/// puts after an inserted one) taken out.
fn without_block(text: &str, inserted: bool) -> String {
    let start = text.find(BEGIN).expect("a block");
    let mut end = text.find(END).unwrap() + END.len();
    end += text[end..].find('\n').unwrap() + 1;
    if inserted {
        end += if text[end..].starts_with("\r\n") { 2 } else { 1 };
    }
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn preamble_names_each_class_bot_from_the_map_without_network_or_vault_variables() {
    for (class, bot) in [("feature-developer", "raxx-dev-bot"), ("sre-agent", "raxx-ops-bot"), ("card-groomer", "raxx-ops-bot"), ("software-architect", "raxx-pm-bot")] {
        let r = cli(&["preamble", "--agent", class]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert!((5..=8).contains(&lines.len()), "{}", r.stdout);
        assert_eq!(lines[0], "## GitHub identity");
        assert!(lines[2].contains(&format!(" as **{bot}** (`{bot}[bot]`), the bot the agent map gives `{class}`")), "{}", lines[2]);
        for needle in ["three or more `gh` calls", "`raxx-host spawn`", "`raxx-host token`", &format!("`raxx-host exec --agent {class} -- gh …`"), &format!("`Agent: {class}`, `Bot identity: {bot}`"), "`raxx-host pr-header`"] {
            assert!(r.stdout.contains(needle), "{class}: lacks {needle:?}\n{}", r.stdout);
        }
    }
    assert!(cli(&["preamble", "--agent", "sre-agent"]).stdout.contains("copy that line verbatim into your final output"));
    assert!(cli(&["preamble", "--agent", "security-agent"]).stdout.contains("never falls back to the operator's credentials for `security-agent`"));
    assert!(cli(&["preamble", "--agent", "card-groomer"]).stdout.contains("- You file issues as **raxx-ops-bot**"), "the policy gives card-groomer issues only");
    let world = World::start_shared();
    let r = raxx(&world, &["preamble", "--agent", "feature-developer"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(world.github.requests().is_empty() && world.infisical.requests().is_empty(), "no network");
}

#[test]
fn preamble_follows_a_changed_map_and_policy() {
    let scratch = Scratch::new("preamble-map");
    let map = edited_map(&scratch, |t| t.replace("feature-developer: raxx-dev-bot", "feature-developer: raxx-pm-bot"));
    let r = cli(&["--agent-map", &map, "preamble", "--agent", "feature-developer"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("as **raxx-pm-bot** (`raxx-pm-bot[bot]`)") && r.stdout.contains("`Bot identity: raxx-pm-bot`"), "{}", r.stdout);
    assert!(r.stdout.contains("discussions: write"), "the scope follows the new bot's policy:\n{}", r.stdout);
    let policy = std::fs::read_to_string(shipped("policy.yaml")).unwrap().replace("  security-agent:\n    fallback: refuse\n", "  sre-agent:\n    fallback: refuse\n");
    let policy = scratch.write("policy.yaml", &policy);
    let r = cli(&["--policy", policy.to_str().unwrap(), "preamble", "--agent", "sre-agent"]);
    assert!(r.stdout.contains("never falls back to the operator's credentials for `sre-agent`"), "{}", r.stdout);
    let unmapped = edited_map(&scratch, |t| t.replace("  ux-designer: raxx-dev-bot\n", ""));
    let r = cli(&["--agent-map", &unmapped, "preamble", "--agent", "ux-designer"]);
    assert_eq!(r.code, 5);
    assert_one_line_error(&r, "agent class 'ux-designer' is not in the agent map");
}

/// A folder of definitions in every shape `--write` meets.
fn definitions(scratch: &Scratch) -> Vec<(&'static str, String)> {
    std::fs::create_dir_all(scratch.path("agents/team")).unwrap();
    let files = vec![
        ("agents/feature-developer.md", "---\nname: feature-developer\ndescription: \"Use for: features, fixes\"\ntools: [Read, Edit, Bash]\n---\n# Feature developer\n\nYou build features.   \nTrailing spaces and no final newline".to_string()),
        ("agents/sre-agent.md", "# SRE agent\r\n\r\nYou keep production up.\r\n".to_string()),
        ("agents/team/card-groomer.md", "---\r\nname: card-groomer\r\n---\r\nGroom the backlog.\r\n".to_string()),
        ("agents/product-manager.md", format!("# PM\n\nIntro kept above the block.\n\n{BEGIN} (old wording) -->\n## GitHub identity\n\n- You open PRs as raxx-dev-bot.\n{END}\n\nRest of the prompt.\n")),
    ];
    for (name, text) in &files {
        scratch.write(name, text);
    }
    scratch.write("agents/notes.txt", "not a definition");
    files
}

#[test]
fn write_inserts_or_refreshes_the_block_and_keeps_every_other_byte() {
    let scratch = Scratch::new("preamble-write");
    let files = definitions(&scratch);
    let dir = scratch.path("agents");
    let r = cli(&["preamble", "--write", dir.to_str().unwrap()]);
    assert_eq!(r.code, 0, "{}\n{}", r.stdout, r.stderr);
    assert!(r.stdout.contains("feature-developer.md`: inserted the preamble (feature-developer → raxx-dev-bot)"), "{}", r.stdout);
    assert!(r.stdout.contains("product-manager.md`: refreshed the preamble (product-manager → raxx-pm-bot)"), "{}", r.stdout);
    assert!(r.stdout.ends_with(&format!("preamble --write: 4 agent definition(s) under `{}`, 4 updated, every preamble current\n", dir.display())), "{}", r.stdout);
    for (name, original) in &files {
        let text = read(&scratch.path(name));
        let class = Path::new(name).file_stem().unwrap().to_str().unwrap();
        let preamble = cli(&["preamble", "--agent", class]).stdout;
        let newline = if original.contains("\r\n") { "\r\n" } else { "\n" };
        let block = format!("{BEGIN_LINE}{newline}{}{END}{newline}", preamble.replace('\n', newline));
        assert!(text.contains(&block), "{name}: the block is the class's preamble between the markers:\n{text}");
        let refreshed = original.contains(BEGIN);
        if refreshed {
            assert_eq!(without_block(&text, false), without_block(original, false), "{name}: bytes outside the block changed");
        } else {
            assert_eq!(without_block(&text, true), *original, "{name}: bytes outside the block changed");
        }
    }
    assert!(read(&scratch.path("agents/feature-developer.md")).starts_with("---\nname: feature-developer\ndescription: \"Use for: features, fixes\"\ntools: [Read, Edit, Bash]\n---\n<!-- raxx-identity-preamble: begin"));
    assert!(read(&scratch.path("agents/sre-agent.md")).starts_with(BEGIN), "no front matter: the block opens the file");
    assert!(read(&scratch.path("agents/product-manager.md")).starts_with("# PM\n\nIntro kept above the block.\n\n<!-- raxx-identity-preamble: begin"), "an existing block stays where it is");
    assert_eq!(read(&scratch.path("agents/notes.txt")), "not a definition");

    let before: Vec<Vec<u8>> = files.iter().map(|(n, _)| std::fs::read(scratch.path(n)).unwrap()).collect();
    let again = cli(&["preamble", "--write", dir.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(again.stdout.ends_with(", 0 updated, every preamble current\n"), "{}", again.stdout);
    let after: Vec<Vec<u8>> = files.iter().map(|(n, _)| std::fs::read(scratch.path(n)).unwrap()).collect();
    assert_eq!(before, after, "a second --write changes no byte");
    assert_eq!(cli(&["preamble", "--check", dir.to_str().unwrap()]).code, 0);
}

#[cfg(unix)]
#[test]
fn write_keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let scratch = Scratch::new("preamble-mode");
    std::fs::create_dir_all(scratch.path("agents")).unwrap();
    let path = scratch.write("agents/sre-agent.md", "SRE.\n");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    assert_eq!(cli(&["preamble", "--write", scratch.path("agents").to_str().unwrap()]).code, 0);
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
    assert_eq!(std::fs::read_dir(scratch.path("agents")).unwrap().count(), 1, "no temporary file left behind");
}

#[test]
fn check_lists_missing_stale_and_unmapped_definitions_and_changes_nothing() {
    let scratch = Scratch::new("preamble-check");
    std::fs::create_dir_all(scratch.path("agents")).unwrap();
    let dir = scratch.path("agents");
    let dir = dir.to_str().unwrap();
    scratch.write("agents/feature-developer.md", "Build.\n");
    scratch.write("agents/sre-agent.md", "Operate.\n");
    assert_eq!(cli(&["preamble", "--write", dir]).code, 0);
    assert_eq!(cli(&["preamble", "--check", dir]).code, 0);

    scratch.write("agents/card-groomer.md", "Groom.\n");
    let sre = read(&scratch.path("agents/sre-agent.md")).replace("**raxx-ops-bot**", "**raxx-dev-bot**");
    scratch.write("agents/sre-agent.md", &sre);
    scratch.write("agents/intern.md", "---\nname: intern\n---\nLearn.\n");
    let snapshot = |names: &[&str]| -> Vec<String> { names.iter().map(|n| read(&scratch.path(&format!("agents/{n}")))).collect() };
    let names = ["card-groomer.md", "sre-agent.md", "intern.md", "feature-developer.md"];
    let before = snapshot(&names);
    let r = cli(&["preamble", "--check", dir]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert_eq!(snapshot(&names), before, "--check changes nothing");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(lines[0].ends_with(&format!("card-groomer.md`: no identity preamble; run raxx-host preamble --write `{dir}`")), "{}", lines[0]);
    assert!(lines[1].ends_with("intern.md`: agent class `intern` is not in the agent map; map it (a new class must be mapped before its first PR) or move this file out of the folder"), "{}", lines[1]);
    assert!(lines[2].contains("sre-agent.md`: its identity preamble is stale"), "{}", lines[2]);
    assert_eq!(r.stderr, format!("raxx-host: preamble --check: 3 problem(s) in 4 agent definition(s) under `{dir}`, listed on stdout\n"));

    // A map change makes a current preamble stale: the check follows the map.
    assert_eq!(cli(&["preamble", "--write", dir]).code, 6, "intern is still unmapped");
    std::fs::remove_file(scratch.path("agents/intern.md")).unwrap();
    assert_eq!(cli(&["preamble", "--check", dir]).code, 0);
    let map = edited_map(&scratch, |t| t.replace("card-groomer: raxx-ops-bot", "card-groomer: raxx-pm-bot"));
    let r = cli(&["--agent-map", &map, "preamble", "--check", dir]);
    assert_eq!(r.code, 6);
    assert!(r.stdout.contains("card-groomer.md`: its identity preamble is stale") && r.stdout.lines().count() == 1, "{}", r.stdout);
}

#[test]
fn check_reports_definitions_it_cannot_trust() {
    let scratch = Scratch::new("preamble-odd");
    let dir = scratch.path("agents");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    scratch.write("agents/groomer.md", "---\nname: card-groomer\n---\n");
    scratch.write("agents/sre-agent.md", "---\nname: [sre\n---\n");
    scratch.write("agents/ux-designer.md", &format!("{BEGIN} -->\nhalf a block\n"));
    std::fs::create_dir_all(scratch.path("agents/copy")).unwrap();
    scratch.write("agents/copy/ux-polisher.md", "x\n");
    scratch.write("agents/ux-polisher.md", "y\n");
    scratch.write("agents/evil\x1b[31m.md", "z\n");
    std::fs::write(scratch.path("agents/data-scientist.md"), b"\xff\xfe").unwrap();
    let r = cli(&["preamble", "--check", dir]);
    assert_eq!(r.code, 6);
    for needle in [
        "groomer.md`: its front matter says name: `card-groomer` but its file name says `groomer`; make them agree",
        "sre-agent.md`: its front matter is not valid YAML",
        "ux-designer.md`: the preamble's begin marker has no end marker",
        "agents/ux-polisher.md`: defines agent class ux-polisher again (`",
        "data-scientist.md`: not UTF-8 text",
        "evil[31m.md`: `evil[31m` is not an agent class name",
    ] {
        assert!(r.stdout.contains(needle), "lacks {needle:?}:\n{}", r.stdout);
    }
    assert!(!r.stdout.contains('\x1b') && !r.stderr.contains('\x1b'), "control characters in names are never echoed");
    let empty = Scratch::new("preamble-empty");
    let r = cli(&["preamble", "--check", empty.0.to_str().unwrap()]);
    assert_eq!(r.code, 6, "a check of nothing is a misconfigured check");
    assert_one_line_error(&r, "no agent definitions (*.md) under");
    let r = cli(&["preamble", "--check", scratch.path("nowhere").to_str().unwrap()]);
    assert_eq!(r.code, 64);
    assert_one_line_error(&r, "cannot read the folder");
}
