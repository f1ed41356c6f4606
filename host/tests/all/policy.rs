//! The agent map, policy scoping, and bad or swapped policy files.

use crate::harness::{assert_one_line_error, raxx, shipped, Scratch};
use raxx_fakes::World;

const CLASSES: [(&str, &str); 11] = [
    ("feature-developer", "raxx-dev-bot"),
    ("ux-polisher", "raxx-dev-bot"),
    ("ux-designer", "raxx-dev-bot"),
    ("sre-agent", "raxx-ops-bot"),
    ("security-agent", "raxx-ops-bot"),
    ("card-groomer", "raxx-ops-bot"),
    ("product-manager", "raxx-pm-bot"),
    ("software-architect", "raxx-pm-bot"),
    ("marketing-strategist", "raxx-pm-bot"),
    ("business-legal-researcher", "raxx-pm-bot"),
    ("data-scientist", "raxx-pm-bot"),
];

#[test]
fn every_agent_class_of_the_design_resolves_to_its_bot() {
    let world = World::start_shared();
    for (class, bot) in CLASSES {
        let r = raxx(&world, &["resolve", class]);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (0, format!("{bot}\n").as_str()),
            "{class}: {}",
            r.stderr
        );
    }
    assert!(
        world.infisical.requests().is_empty() && world.github.requests().is_empty(),
        "resolve makes no network call"
    );
}

#[test]
fn an_unknown_agent_class_gets_nothing_exit_5() {
    let world = World::start_shared();
    for args in [
        &["resolve", "intern"][..],
        &["mint", "--agent", "intern"],
        &["exec", "--agent", "intern", "--", "true"],
    ] {
        let r = raxx(&world, args);
        assert_eq!(r.code, 5, "{args:?}");
        assert_one_line_error(&r, "agent class 'intern' is not in the agent map");
    }
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn resolve_json_shows_the_class_scope() {
    let world = World::start_shared();
    let r = raxx(&world, &["resolve", "card-groomer", "--json"]);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "agent": "card-groomer", "bot": "raxx-ops-bot",
            "permissions": {"issues": "write", "metadata": "read"}, "repositories": [], "fallback": "allow", "isolate": false
        })
    );
}

#[test]
fn tokens_ask_github_for_exactly_the_policy_scope() {
    let world = World::start_shared();
    let cases: [(&[&str], serde_json::Value); 4] = [
        (
            &["mint", "raxx-dev-bot"],
            serde_json::json!({"permissions": {"contents": "write", "issues": "write", "metadata": "read", "pull_requests": "write", "workflows": "write"}}),
        ),
        (
            &["mint", "--agent", "card-groomer"],
            serde_json::json!({"permissions": {"issues": "write", "metadata": "read"}}),
        ),
        (
            &[
                "mint",
                "--agent",
                "sre-agent",
                "--permission",
                "contents=read",
                "--repo",
                "TradeMasterAPI",
            ],
            serde_json::json!({"permissions": {"contents": "read"}, "repositories": ["TradeMasterAPI"]}),
        ),
        (
            &[
                "mint",
                "--agent",
                "product-manager",
                "--permission",
                "discussions=read",
                "--permission",
                "issues=write",
            ],
            serde_json::json!({"permissions": {"discussions": "read", "issues": "write"}}),
        ),
    ];
    for (args, body) in cases {
        let r = raxx(&world, args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(
            world.github.token_requests().pop().unwrap().1,
            body,
            "{args:?}"
        );
    }
}

#[test]
fn asking_for_more_than_the_policy_grants_is_refused_before_any_call() {
    let world = World::start_shared();
    for (args, needle) in [
        (
            &[
                "mint",
                "--agent",
                "card-groomer",
                "--permission",
                "contents=read",
            ][..],
            "permission contents=read is not in the policy",
        ),
        (
            &[
                "mint",
                "--agent",
                "sre-agent",
                "--permission",
                "contents=write",
            ],
            "permission contents=write exceeds contents=read",
        ),
        (
            &[
                "mint",
                "raxx-ops-bot",
                "--permission",
                "administration=write",
            ],
            "administration=write is not in the policy",
        ),
    ] {
        let r = raxx(&world, args);
        assert_eq!(r.code, 4, "{args:?}");
        assert_one_line_error(&r, needle);
    }
    // Not GitHub's permissions or levels: a usage error, before any call (not a 422 from GitHub).
    for (permission, needle) in [
        (
            "contents=owner",
            "level 'owner' is not one of read, write, admin",
        ),
        (
            "pull_request=write",
            "'pull_request' is not a GitHub permission name; did you mean 'pull_requests'?",
        ),
        (
            "workflows=read",
            "level 'read' is not offered for workflows; it takes write",
        ),
    ] {
        let r = raxx(
            &world,
            &["mint", "raxx-ops-bot", "--permission", permission],
        );
        assert_eq!(r.code, 64, "{permission}: {}", r.stderr);
        assert_one_line_error(&r, needle);
    }
    assert!(
        world.infisical.requests().is_empty(),
        "refused before any network call"
    );
}

fn with_policy(world: &World, policy: &str, args: &[&str]) -> crate::harness::Run {
    let dir = Scratch::new("policy");
    let path = dir.write("policy.yaml", policy);
    let mut full = vec!["--policy", path.to_str().unwrap()];
    full.extend_from_slice(args);
    raxx(world, &full)
}

#[test]
fn bad_policies_are_refused_with_file_line_and_key() {
    let world = World::start_shared();
    let shipped_policy = std::fs::read_to_string(shipped("policy.yaml")).unwrap();
    let line_of = |needle: &str| {
        shipped_policy
            .lines()
            .position(|l| l.contains(needle))
            .unwrap()
            + 1
    };
    let cases = [
        (
            shipped_policy.replacen("    fallback: allow", "    fallbak: allow", 1),
            format!("line {}: unknown key 'fallbak' in bots.raxx-dev-bot; expected one of: permissions, repositories, fallback", line_of("    fallback: allow")),
        ),
        (
            shipped_policy.replacen("contents: read", "contents: rw", 1),
            format!("line {}: bots.raxx-ops-bot.permissions.contents: level 'rw' is not one of read, write, admin", line_of("contents: read")),
        ),
        (shipped_policy.replacen("bots:\n", "bots:\n  raxx-qa-bot:\n    permissions:\n      issues: read\n", 1), "bot 'raxx-qa-bot' has no agent class in".to_string()),
        (shipped_policy.replacen("pull_requests: write", "pull requests: write", 1), "'pull requests' is not a GitHub permission name".to_string()),
        (
            shipped_policy.replacen("pull_requests: write", "pull_request: write", 1),
            format!("line {}: bots.raxx-dev-bot.permissions: 'pull_request' is not a GitHub permission name; did you mean 'pull_requests'?", line_of("pull_requests: write")),
        ),
    ];
    for (policy, needle) in cases {
        let r = with_policy(&world, &policy, &["mint", "raxx-dev-bot"]);
        assert_eq!(r.code, 4, "{needle}: {}", r.stderr);
        assert_one_line_error(&r, &needle);
        assert!(r.stderr.contains("policy.yaml line"), "{}", r.stderr);
    }
    let dir = Scratch::new("map");
    let map = dir.write(
        "agent_bot_map.yaml",
        "agents:\n  feature-developer: raxx-dev-bot\n  qa-agent: raxx-qa-bot\n",
    );
    let r = raxx(
        &world,
        &[
            "--agent-map",
            map.to_str().unwrap(),
            "resolve",
            "feature-developer",
        ],
    );
    assert_eq!(r.code, 4);
    assert_one_line_error(&r, "agent_bot_map.yaml line 3: agent class 'qa-agent' maps to bot 'raxx-qa-bot', which has no entry under bots:");
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn a_missing_policy_file_is_named() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "--policy",
            "/nonexistent/policy.yaml",
            "mint",
            "raxx-dev-bot",
        ],
    );
    assert_eq!(r.code, 4);
    assert_one_line_error(&r, "cannot read /nonexistent/policy.yaml");
}

#[test]
fn swapping_the_policy_file_changes_behaviour_with_the_same_binary() {
    let world = World::start_shared();
    assert_eq!(
        raxx(&world, &["mint", "--agent", "feature-developer"]).code,
        0
    );
    assert_eq!(
        world.github.token_requests().pop().unwrap().1["permissions"]["contents"],
        "write"
    );
    let read_only = std::fs::read_to_string(shipped("policy.yaml"))
        .unwrap()
        .replacen("contents: write", "contents: read", 1);
    let r = with_policy(
        &world,
        &read_only,
        &["mint", "--agent", "feature-developer"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        world.github.token_requests().pop().unwrap().1["permissions"]["contents"],
        "read"
    );
    let env_dir = Scratch::new("policy-env");
    let path = env_dir.write(
        "policy.yaml",
        &read_only.replacen("issues: write", "issues: read", 1),
    );
    let mut cmd = crate::harness::host(Some(&world));
    cmd.env("RAXX_POLICY", &path).args(["mint", "raxx-dev-bot"]);
    assert_eq!(crate::harness::run(cmd).code, 0);
    assert_eq!(
        world.github.token_requests().pop().unwrap().1["permissions"]["issues"],
        "read",
        "RAXX_POLICY selects the policy too"
    );
}
