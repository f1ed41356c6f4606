//! Every documented exit code, each with its one-line cause on stderr.

use crate::harness::{assert_one_line_error, host, raxx, raxx_env, run};
use raxx_fakes::github;
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::{Reply, World};

/// A loopback URL where nothing listens.
/// A URL nothing answers at; the port stays reserved while the test runs
/// (a released one could be taken by another test's fake and answer).
fn closed_port_url() -> (raxx_fakes::server::ClosedPort, String) {
    let port = raxx_fakes::server::ClosedPort::new().unwrap();
    let url = port.url();
    (port, url)
}

fn raxx_with(world: &World, var: &str, value: Option<&str>, args: &[&str]) -> crate::harness::Run {
    raxx_env(world, &[(var, value)], args)
}

#[test]
fn exit_2_when_an_infisical_variable_is_missing() {
    let world = World::start_shared();
    for var in [
        "INFISICAL_CLIENT_ID",
        "INFISICAL_CLIENT_SECRET",
        "INFISICAL_PROJECT_ID",
    ] {
        let r = raxx_with(&world, var, None, &["mint", "raxx-dev-bot"]);
        assert_eq!(r.code, 2, "{var}");
        assert_one_line_error(&r, &format!("{var} is not set"));
    }
    assert!(
        world.infisical.requests().is_empty(),
        "nothing is sent before the settings are complete"
    );
}

#[test]
fn the_infisical_cli_variable_names_work_too() {
    let world = World::start_shared();
    let mut cmd = host(Some(&world));
    cmd.env_remove("INFISICAL_CLIENT_ID")
        .env_remove("INFISICAL_CLIENT_SECRET");
    cmd.env("INFISICAL_UNIVERSAL_AUTH_CLIENT_ID", &world.client_id)
        .env(
            "INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET",
            &world.client_secret,
        );
    cmd.args(["mint", "raxx-dev-bot"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn exit_2_when_the_login_is_refused() {
    let world = World::start_shared();
    let r = raxx_with(
        &world,
        "INFISICAL_CLIENT_SECRET",
        Some("wrong-secret"),
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 2);
    assert_one_line_error(
        &r,
        "Infisical refused the machine identity login (401 UnauthorizedError: Invalid credentials)",
    );
    assert!(r.stderr.contains("INFISICAL_CLIENT_SECRET"));
    assert!(!r.stderr.contains("wrong-secret"));
}

#[test]
fn exit_2_when_the_bot_folder_is_missing() {
    let world = World::start_shared();
    world
        .infisical
        .remove_folder(ENVIRONMENT, &folder("raxx-pm-bot"));
    let r = raxx(&world, &["mint", "raxx-pm-bot"]);
    assert_eq!(r.code, 2);
    assert_one_line_error(&r, "404 SecretPathNotFound");
    assert!(
        r.stderr
            .contains("create the folder /MooseQuest/raxx-pm-bot in environment 'prod'"),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_2_when_a_secret_is_missing_or_unusable() {
    let world = World::start_shared();
    let dir = folder("raxx-ops-bot");
    world
        .infisical
        .remove_secret(ENVIRONMENT, &dir, "INSTALLATION_ID");
    let r = raxx(&world, &["mint", "raxx-ops-bot"]);
    assert_eq!(r.code, 2);
    assert_one_line_error(&r, "lacks INSTALLATION_ID");

    world
        .infisical
        .set_secret(ENVIRONMENT, &dir, "INSTALLATION_ID", "not-a-number");
    let r = raxx(&world, &["mint", "raxx-ops-bot"]);
    assert_eq!(r.code, 2);
    assert_one_line_error(
        &r,
        "INSTALLATION_ID at /MooseQuest/raxx-ops-bot is not a number",
    );

    world.infisical.set_secret(
        ENVIRONMENT,
        &dir,
        "INSTALLATION_ID",
        &world.bot("raxx-ops-bot").installation_id.to_string(),
    );
    let pem = world.bot("raxx-ops-bot").key.pkcs1_pem();
    world
        .infisical
        .set_secret(ENVIRONMENT, &dir, "PRIVATE_KEY_PEM", &pem[..pem.len() / 2]);
    let r = raxx(&world, &["mint", "raxx-ops-bot"]);
    assert_eq!(r.code, 2);
    assert_one_line_error(&r, "PRIVATE_KEY_PEM is truncated");
    assert!(
        world.github.requests().is_empty(),
        "GitHub is not asked with unusable secrets"
    );
}

#[test]
fn exit_2_when_infisical_is_unreachable_or_not_https() {
    let world = World::start_shared();
    let r = raxx_with(
        &world,
        "INFISICAL_API_URL",
        Some(&closed_port_url().1),
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 2);
    assert_one_line_error(&r, "could not be reached");
    let r = raxx_with(
        &world,
        "INFISICAL_API_URL",
        Some("http://vault.example.com"),
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 2);
    assert_one_line_error(&r, "plain http to a non-loopback host; use https");
}

#[test]
fn exit_3_with_githubs_status_and_message() {
    let cases = [
        (
            github::error(403, "Resource not accessible by integration"),
            "403 Resource not accessible by integration",
        ),
        (
            github::error(
                422,
                "The permissions requested are not granted to this installation.",
            ),
            "422 The permissions requested",
        ),
        (github::error(500, "Server Error"), "500 Server Error"),
    ];
    for (reply, needle) in cases {
        let world = World::start_shared();
        // Three times: a 5xx is retried twice before it counts (a 4xx is not retried).
        world
            .github
            .inject("access_tokens", vec![reply.clone(), reply.clone(), reply]);
        let r = raxx(&world, &["mint", "raxx-dev-bot"]);
        assert_eq!(r.code, 3, "{needle}");
        assert_one_line_error(&r, needle);
    }
}

#[test]
fn exit_3_when_the_installation_is_gone_says_what_to_update() {
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "404 Not Found");
    assert!(
        r.stderr
            .contains("update INSTALLATION_ID in Infisical at /MooseQuest/raxx-dev-bot/"),
        "{}",
        r.stderr
    );
}

#[test]
fn exit_3_when_the_key_belongs_to_another_app() {
    let world = World::start_shared();
    let other = world.bot("raxx-pm-bot").key.pkcs1_pem();
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder("raxx-dev-bot"),
        "PRIVATE_KEY_PEM",
        &other,
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "401 A JSON web token could not be decoded");
    assert!(r.stderr.contains("APP_ID and PRIVATE_KEY_PEM"));
}

#[test]
fn exit_3_when_github_is_unreachable_or_not_https() {
    let world = World::start_shared();
    let r = raxx_with(
        &world,
        "GITHUB_API_URL",
        Some(&closed_port_url().1),
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "GitHub at http://127.0.0.1");
    let r = raxx_with(
        &world,
        "GITHUB_API_URL",
        Some("http://github.example.com"),
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "GITHUB_API_URL");
}

#[test]
fn exit_3_when_the_token_answer_is_not_json() {
    let world = World::start_shared();
    world.github.inject(
        "access_tokens",
        vec![Reply::Respond(raxx_fakes::HttpResponse::text(
            201,
            "<html>ok</html>",
        ))],
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 3);
    assert_one_line_error(&r, "was not JSON");
}

#[test]
fn exit_64_on_usage_errors() {
    let world = World::start_shared();
    for args in [
        &["mint", "raxx-dev-bot", "--bogus"][..],
        &["mint"],
        &["frobnicate"],
        &["mint", "raxx-dev-bot", "--json", "--export"],
        &["mint", "../etc"],
    ] {
        let r = raxx(&world, args);
        assert_eq!(r.code, 64, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(r.stdout.is_empty());
    }
    let r = raxx(&world, &["mint", "../etc"]);
    assert!(r.stderr.contains("invalid bot name"), "{}", r.stderr);
    assert!(
        world.infisical.requests().is_empty(),
        "usage errors send nothing"
    );
}

#[test]
fn exit_1_when_the_component_is_missing_or_not_a_component() {
    let world = World::start_shared();
    let r = raxx(
        &world,
        &[
            "mint",
            "raxx-dev-bot",
            "--component",
            "/nonexistent/minter.wasm",
        ],
    );
    assert_eq!(r.code, 1);
    assert_one_line_error(&r, "/nonexistent/minter.wasm");
    let junk = std::env::temp_dir().join(format!("raxx-junk-{}.wasm", std::process::id()));
    std::fs::write(&junk, b"not wasm").unwrap();
    let r = raxx(
        &world,
        &[
            "mint",
            "raxx-dev-bot",
            "--component",
            junk.to_str().unwrap(),
        ],
    );
    assert_eq!(r.code, 1);
    assert_one_line_error(&r, "loading the minter component");
    let _ = std::fs::remove_file(junk);
}
