//! The agent side: identity preambles in agent definitions (`preamble`) and
//! the PR authorship gate (`pr-check`). Both run without network and without
//! any Infisical variable: most tests run the binary with an empty environment.

use crate::harness::{assert_one_line_error, edited_shipped, host, raxx, run, Run, Scratch};
use raxx_fakes::World;
use raxx_host::preamble::BEGIN_LINE;
use std::io::Write;
use std::path::Path;
use std::process::Stdio;

const BEGIN: &str = "<!-- raxx-identity-preamble: begin";
const END: &str = "<!-- raxx-identity-preamble: end -->";

/// `raxx-host ARGS` with nothing in the environment but PATH and the cache.
fn cli(args: &[&str]) -> Run {
    let mut cmd = host(None);
    cmd.args(args);
    run(cmd)
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
        end += if text[end..].starts_with("\r\n") {
            2
        } else {
            1
        };
    }
    format!("{}{}", &text[..start], &text[end..])
}

#[test]
fn preamble_names_each_class_bot_from_the_map_without_network_or_vault_variables() {
    for (class, bot) in [
        ("feature-developer", "raxx-dev-bot"),
        ("sre-agent", "raxx-ops-bot"),
        ("card-groomer", "raxx-ops-bot"),
        ("software-architect", "raxx-pm-bot"),
    ] {
        let r = cli(&["preamble", "--agent", class]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert!((5..=8).contains(&lines.len()), "{}", r.stdout);
        assert_eq!(lines[0], "## GitHub identity");
        assert!(
            lines[2].contains(&format!(
                " as **{bot}** (`{bot}[bot]`), the bot the agent map gives `{class}`"
            )),
            "{}",
            lines[2]
        );
        for needle in [
            "three or more `gh` calls",
            "`raxx-host spawn`",
            "`raxx-host token`",
            &format!("`raxx-host exec --agent {class} -- gh …`"),
            &format!("`Agent: {class}`, `Bot identity: {bot}`"),
            "`raxx-host pr-header`",
        ] {
            assert!(
                r.stdout.contains(needle),
                "{class}: lacks {needle:?}\n{}",
                r.stdout
            );
        }
    }
    assert!(cli(&["preamble", "--agent", "sre-agent"])
        .stdout
        .contains("copy that line verbatim into your final output"));
    assert!(cli(&["preamble", "--agent", "security-agent"])
        .stdout
        .contains("never falls back to the operator's credentials for `security-agent`"));
    assert!(
        cli(&["preamble", "--agent", "card-groomer"])
            .stdout
            .contains("- You file issues as **raxx-ops-bot**"),
        "the policy gives card-groomer issues only"
    );
    let world = World::start_shared();
    let r = raxx(&world, &["preamble", "--agent", "feature-developer"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        world.github.requests().is_empty() && world.infisical.requests().is_empty(),
        "no network"
    );
}

#[test]
fn preamble_follows_a_changed_map_and_policy() {
    let scratch = Scratch::new("preamble-map");
    let map = edited_shipped(&scratch, "agent_bot_map.yaml", |t| {
        t.replace(
            "feature-developer: raxx-dev-bot",
            "feature-developer: raxx-pm-bot",
        )
    });
    let r = cli(&[
        "--agent-map",
        &map,
        "preamble",
        "--agent",
        "feature-developer",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("as **raxx-pm-bot** (`raxx-pm-bot[bot]`)")
            && r.stdout.contains("`Bot identity: raxx-pm-bot`"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("discussions: write"),
        "the scope follows the new bot's policy:\n{}",
        r.stdout
    );
    let policy = edited_shipped(&scratch, "policy.yaml", |t| {
        t.replace(
            "  security-agent:\n    fallback: refuse\n",
            "  sre-agent:\n    fallback: refuse\n",
        )
    });
    let r = cli(&["--policy", &policy, "preamble", "--agent", "sre-agent"]);
    assert!(
        r.stdout
            .contains("never falls back to the operator's credentials for `sre-agent`"),
        "{}",
        r.stdout
    );
    let unmapped = edited_shipped(&scratch, "agent_bot_map.yaml", |t| {
        t.replace("  ux-designer: raxx-dev-bot\n", "")
    });
    let r = cli(&[
        "--agent-map",
        &unmapped,
        "preamble",
        "--agent",
        "ux-designer",
    ]);
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
    assert!(
        r.stdout.contains(
            "feature-developer.md`: inserted the preamble (feature-developer → raxx-dev-bot)"
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(
            "product-manager.md`: refreshed the preamble (product-manager → raxx-pm-bot)"
        ),
        "{}",
        r.stdout
    );
    assert!(r.stdout.ends_with(&format!("preamble --write: 4 agent definition(s) under `{}`, 4 updated, every preamble current\n", dir.display())), "{}", r.stdout);
    for (name, original) in &files {
        let text = read(&scratch.path(name));
        let class = Path::new(name).file_stem().unwrap().to_str().unwrap();
        let preamble = cli(&["preamble", "--agent", class]).stdout;
        let newline = if original.contains("\r\n") {
            "\r\n"
        } else {
            "\n"
        };
        let block = format!(
            "{BEGIN_LINE}{newline}{}{END}{newline}",
            preamble.replace('\n', newline)
        );
        assert!(
            text.contains(&block),
            "{name}: the block is the class's preamble between the markers:\n{text}"
        );
        let refreshed = original.contains(BEGIN);
        if refreshed {
            assert_eq!(
                without_block(&text, false),
                without_block(original, false),
                "{name}: bytes outside the block changed"
            );
        } else {
            assert_eq!(
                without_block(&text, true),
                *original,
                "{name}: bytes outside the block changed"
            );
        }
    }
    assert!(read(&scratch.path("agents/feature-developer.md")).starts_with("---\nname: feature-developer\ndescription: \"Use for: features, fixes\"\ntools: [Read, Edit, Bash]\n---\n<!-- raxx-identity-preamble: begin"));
    assert!(
        read(&scratch.path("agents/sre-agent.md")).starts_with(BEGIN),
        "no front matter: the block opens the file"
    );
    assert!(
        read(&scratch.path("agents/product-manager.md")).starts_with(
            "# PM\n\nIntro kept above the block.\n\n<!-- raxx-identity-preamble: begin"
        ),
        "an existing block stays where it is"
    );
    assert_eq!(read(&scratch.path("agents/notes.txt")), "not a definition");

    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|(n, _)| std::fs::read(scratch.path(n)).unwrap())
        .collect();
    let again = cli(&["preamble", "--write", dir.to_str().unwrap()]);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(
        again
            .stdout
            .ends_with(", 0 updated, every preamble current\n"),
        "{}",
        again.stdout
    );
    let after: Vec<Vec<u8>> = files
        .iter()
        .map(|(n, _)| std::fs::read(scratch.path(n)).unwrap())
        .collect();
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
    assert_eq!(
        cli(&[
            "preamble",
            "--write",
            scratch.path("agents").to_str().unwrap()
        ])
        .code,
        0
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::read_dir(scratch.path("agents")).unwrap().count(),
        1,
        "no temporary file left behind"
    );
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
    let sre =
        read(&scratch.path("agents/sre-agent.md")).replace("**raxx-ops-bot**", "**raxx-dev-bot**");
    scratch.write("agents/sre-agent.md", &sre);
    scratch.write("agents/intern.md", "---\nname: intern\n---\nLearn.\n");
    let snapshot = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| read(&scratch.path(&format!("agents/{n}"))))
            .collect()
    };
    let names = [
        "card-groomer.md",
        "sre-agent.md",
        "intern.md",
        "feature-developer.md",
    ];
    let before = snapshot(&names);
    let r = cli(&["preamble", "--check", dir]);
    assert_eq!(r.code, 6, "{}", r.stderr);
    assert_eq!(snapshot(&names), before, "--check changes nothing");
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", r.stdout);
    assert!(
        lines[0].ends_with(&format!(
            "card-groomer.md`: no identity preamble; run raxx-host preamble --write `{dir}`"
        )),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with("intern.md`: agent class `intern` is not in the agent map; map it (a new class must be mapped before its first PR) or move this file out of the folder"), "{}", lines[1]);
    assert!(
        lines[2].contains("sre-agent.md`: its identity preamble is stale"),
        "{}",
        lines[2]
    );
    assert_eq!(r.stderr, format!("raxx-host: preamble --check: 3 problem(s) in 4 agent definition(s) under `{dir}`, listed on stdout\n"));

    // A map change makes a current preamble stale: the check follows the map.
    assert_eq!(
        cli(&["preamble", "--write", dir]).code,
        6,
        "intern is still unmapped"
    );
    std::fs::remove_file(scratch.path("agents/intern.md")).unwrap();
    assert_eq!(cli(&["preamble", "--check", dir]).code, 0);
    let map = edited_shipped(&scratch, "agent_bot_map.yaml", |t| {
        t.replace("card-groomer: raxx-ops-bot", "card-groomer: raxx-pm-bot")
    });
    let r = cli(&["--agent-map", &map, "preamble", "--check", dir]);
    assert_eq!(r.code, 6);
    assert!(
        r.stdout
            .contains("card-groomer.md`: its identity preamble is stale")
            && r.stdout.lines().count() == 1,
        "{}",
        r.stdout
    );
}

#[test]
fn check_reports_definitions_it_cannot_trust() {
    let scratch = Scratch::new("preamble-odd");
    let dir = scratch.path("agents");
    std::fs::create_dir_all(&dir).unwrap();
    let dir = dir.to_str().unwrap();
    scratch.write("agents/groomer.md", "---\nname: card-groomer\n---\n");
    scratch.write("agents/sre-agent.md", "---\nname: [sre\n---\n");
    scratch.write(
        "agents/ux-designer.md",
        &format!("{BEGIN} -->\nhalf a block\n"),
    );
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
    assert!(
        !r.stdout.contains('\x1b') && !r.stderr.contains('\x1b'),
        "control characters in names are never echoed"
    );
    let empty = Scratch::new("preamble-empty");
    let r = cli(&["preamble", "--check", empty.0.to_str().unwrap()]);
    assert_eq!(r.code, 6, "a check of nothing is a misconfigured check");
    assert_one_line_error(&r, "no agent definitions (*.md) under");
    let r = cli(&[
        "preamble",
        "--check",
        scratch.path("nowhere").to_str().unwrap(),
    ]);
    assert_eq!(r.code, 64);
    assert_one_line_error(&r, "cannot read the folder");
}

/// `raxx-host pr-check --author AUTHOR` with `body` on stdin, plus `extra` arguments first.
fn pr_check_with(extra: &[&str], author: &str, body: &[u8]) -> Run {
    let mut cmd = host(None);
    cmd.args(extra)
        .args(["pr-check", "--author", author])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run raxx-host");
    let mut stdin = child.stdin.take().unwrap();
    // A refused body may not be read to its end: a broken pipe is fine.
    let _ = stdin.write_all(body);
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into(),
        stderr: String::from_utf8_lossy(&out.stderr).into(),
    }
}

fn pr_check(author: &str, body: &str) -> Run {
    pr_check_with(&[], author, body.as_bytes())
}

/// The header `pr-header` prints for `class`, then a blank line and some prose.
fn body_for(class: &str) -> String {
    let r = cli(&[
        "pr-header",
        "--agent",
        class,
        "--workflow-uuid",
        "wfl_2070abc",
        "--refs",
        "2150",
        "--session",
        "2026-05-16T14:03:00Z",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    format!("{}\n## Summary\n\nAdds the thing.\n", r.stdout)
}

#[test]
fn pr_check_passes_the_header_pr_header_prints_on_its_bots_pr() {
    let r = pr_check("raxx-dev-bot[bot]", &body_for("feature-developer"));
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "pr-check: ok: raxx-dev-bot[bot] is the bot the agent map gives feature-developer, and the audit header is well formed\n");
    let scratch = Scratch::new("pr-body");
    let file = scratch.write("body.md", &body_for("card-groomer").replace('\n', "\r\n"));
    let r = cli(&[
        "pr-check",
        "--author",
        "raxx-ops-bot[bot]",
        "--body-file",
        file.to_str().unwrap(),
    ]);
    assert_eq!(r.code, 0, "GitHub's CRLF bodies pass: {}", r.stderr);
    assert_eq!(
        pr_check("MooseQuest", "The operator's own change.\n").code,
        0
    );
    assert_eq!(
        pr_check("dependabot[bot]", "Bumps serde from 1.0.1 to 1.0.2.").code,
        0
    );

    // What a spawned agent prints with no flags is what the gate accepts, and nothing goes over the network.
    let world = World::start_shared();
    let spawned = raxx(
        &world,
        &[
            "spawn",
            "--agent",
            "sre-agent",
            "--workflow-uuid",
            "wfl_9",
            "--refs",
            "7",
            "--",
            env!("CARGO_BIN_EXE_raxx-host"),
            "pr-header",
        ],
    );
    assert_eq!(spawned.code, 0, "{}", spawned.stderr);
    let requests = world.github.requests().len();
    let file = scratch.write("spawned.md", &spawned.stdout);
    let r = raxx(
        &world,
        &[
            "pr-check",
            "--author",
            "raxx-ops-bot[bot]",
            "--body-file",
            file.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        world.github.requests().len(),
        requests,
        "pr-check makes no request"
    );
}

#[test]
fn pr_check_refuses_each_mismatch_with_one_line_and_exit_6() {
    let good = body_for("feature-developer");
    let cases = [
        ("raxx-dev-bot[bot]", "Adds the thing.\n".to_string(), "this PR by raxx-dev-bot[bot] has no audit header"),
        ("raxx-ops-bot[bot]", good.clone(), "the header claims feature-developer, whose bot is raxx-dev-bot[bot], but this PR is by raxx-ops-bot[bot]"),
        // Edited to claim another class, bot field and all.
        ("raxx-dev-bot[bot]", good.replace("feature-developer", "sre-agent").replace("raxx-dev-bot", "raxx-ops-bot"), "the header claims sre-agent, whose bot is raxx-ops-bot[bot], but this PR is by raxx-dev-bot[bot]"),
        // Edited to claim another class, bot field left alone.
        ("raxx-dev-bot[bot]", good.replace("Agent: feature-developer", "Agent: security-agent"), "the header says `Bot identity: raxx-dev-bot`, but the agent map gives security-agent the bot raxx-ops-bot"),
        ("raxx-dev-bot[bot]", good.replace("feature-developer", "intern"), "the header's agent class `intern` is not in the agent map"),
        ("MooseQuest", good.clone(), "authored by MooseQuest, who is not a bot"),
        ("raxx-dev-bot", good.clone(), "authored by raxx-dev-bot, who is not a bot"),
        ("MooseQuest", format!("Context first.\n\n{good}"), "authored by MooseQuest, who is not a bot"),
        ("raxx-dev-bot[bot]", format!("Context first.\n\n{good}"), "is not well formed: line 3: `Agent: feature-developer` looks like a header field, but the header must open the body"),
        ("raxx-dev-bot[bot]", format!("{good}\n> Agent: sre-agent\n"), "is not well formed: line 11: a second header field below the header"),
        ("raxx-dev-bot[bot]", good.replace("Workflow UUID: wfl_2070abc", "Workflow-UUID: wfl_2070abc"), "line 3: expected the header's `Workflow UUID:` line here"),
        ("raxx-dev-bot[bot]", good.replace("2026-05-16T14:03:00Z", "2026-02-30T14:03:00Z"), "line 4: `Orchestrator session:` `2026-02-30T14:03:00Z`: not a real date"),
        ("raxx-dev-bot[bot]", good.replace("Refs #2150", "Refs #2150, #2151"), "line 5: expected `Refs #N`"),
    ];
    for (author, body, reason) in cases {
        let r = pr_check(author, &body);
        assert_eq!(r.code, 6, "{author}: {body:?}\n{}", r.stderr);
        assert_one_line_error(&r, "raxx-host: pr-check refused the PR: ");
        assert!(
            r.stderr.contains(reason),
            "{author}: expected {reason:?}, got {}",
            r.stderr
        );
    }
}

#[test]
fn pr_check_refuses_control_characters_and_markdown_in_fields_without_echoing_them() {
    let good = body_for("feature-developer");
    // (the line as pr-header printed it, the line as a hostile body has it)
    let hostile: [(&str, &str); 9] = [
        (
            "Agent: feature-developer",
            "Agent: feature-developer\x1b[2K\x1b]0;owned\x07",
        ),
        ("Agent: feature-developer", "Agent: **feature-developer**"),
        ("Agent: feature-developer", "Agent: `feature-developer`"),
        (
            "Agent: feature-developer",
            "Agent: feature-developer<!-- -->",
        ),
        ("Agent: feature-developer", "# Agent: feature-developer"),
        (
            "Agent: feature-developer",
            "Agent: feature-developer\rBot identity: raxx-ops-bot",
        ),
        (
            "Bot identity: raxx-dev-bot",
            "Bot identity: [raxx-dev-bot](https://evil.example/x)",
        ),
        (
            "Bot identity: raxx-dev-bot",
            "Bot identity: raxx-dev-bot\u{202e}",
        ),
        ("Workflow UUID: wfl_2070abc", "Workflow UUID: wfl_2070abc\0"),
    ];
    let hostile = hostile.map(|(line, evil)| good.replace(line, evil));
    for body in hostile {
        let r = pr_check("raxx-dev-bot[bot]", &body);
        assert_eq!(r.code, 6, "{body:?}: {}", r.stderr);
        assert_one_line_error(&r, "is not well formed: line ");
        assert!(
            r.stderr
                .chars()
                .all(|c| c == '\n' || (!c.is_control() && (c.is_ascii() || c == '…'))),
            "raw bytes echoed: {:?}",
            r.stderr
        );
        assert!(
            !r.stderr.contains("](https")
                || r.stderr
                    .contains("`[raxx-dev-bot](https://evil.example/x)`"),
            "Markdown only inside a code span: {}",
            r.stderr
        );
    }
}

#[test]
fn pr_check_input_errors_are_usage_errors() {
    let good = body_for("feature-developer");
    for author in ["", "raxx dev", "raxx-dev-bot[bot]\x1b[31m", "[bot]"] {
        let r = pr_check(author, &good);
        assert_eq!(r.code, 64, "{author:?}");
        assert_one_line_error(
            &r,
            "is not a GitHub login (NAME or NAME[bot]; pass github.event.pull_request.user.login)",
        );
        assert!(!r.stderr.contains('\x1b'));
    }
    let r = cli(&[
        "pr-check",
        "--author",
        "raxx-dev-bot[bot]",
        "--body-file",
        "/nonexistent/body.md",
    ]);
    assert_eq!(r.code, 64);
    assert_one_line_error(&r, "cannot read the body file `/nonexistent/body.md`");
    let r = pr_check_with(&[], "raxx-dev-bot[bot]", b"Agent: \xff\n");
    assert_eq!(r.code, 64);
    assert_one_line_error(&r, "the body from stdin is not UTF-8 text");
    let r = pr_check_with(&[], "raxx-dev-bot[bot]", &vec![b'a'; (1 << 20) + 1]);
    assert_eq!(r.code, 64);
    assert_one_line_error(&r, "the body from stdin is over 1 MiB");
    let r = cli(&["pr-check", "--body-file", "x"]);
    assert_eq!(r.code, 64, "--author is required");
}

#[test]
fn pr_check_with_a_broken_map_is_a_policy_error_not_a_verdict() {
    let scratch = Scratch::new("pr-check-map");
    let map = edited_shipped(&scratch, "agent_bot_map.yaml", |t| {
        t.replace(
            "feature-developer: raxx-dev-bot",
            "feature-developer: raxx-nobody-bot",
        )
    });
    let r = pr_check_with(
        &["--agent-map", &map],
        "raxx-dev-bot[bot]",
        body_for("feature-developer").as_bytes(),
    );
    assert_eq!(r.code, 4, "{}", r.stderr);
    assert_one_line_error(&r, "raxx-nobody-bot");
}

#[test]
fn the_docs_show_the_preamble_and_exit_codes_the_binary_has() {
    let docs =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/agents.md"))
            .unwrap();
    let preamble = cli(&["preamble", "--agent", "feature-developer"]).stdout;
    assert!(docs.contains(&format!("```markdown\n{preamble}```\n")), "docs/agents.md's example preamble is not what `preamble --agent feature-developer` prints:\n{preamble}");
    assert!(
        docs.contains(&format!("  {BEGIN_LINE}\n  …the preamble…\n  {END}\n")),
        "docs/agents.md's markers"
    );
    for command in ["preamble", "pr-check"] {
        let r = cli(&[command, "--help"]);
        assert!(
            r.stdout
                .contains("6   a check failed: verify found a mismatch")
                && r.stdout.contains("pr-check refused the PR"),
            "{command} --help:\n{}",
            r.stdout
        );
    }
}
