//! The fault matrix (docs/fault-matrix.md): every way Infisical, GitHub or the
//! stored secrets can go wrong, each with its exit code, its one-line cause,
//! and nothing secret printed (the harness checks output and audit record).
//! Transient faults that succeed on retry must succeed.

use crate::harness::{assert_one_line_error, host, raxx, raxx_env, run, Run};
use raxx_fakes::server::Reply;
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::{github, infisical, HttpResponse, World};
use std::time::Duration;

fn times(reply: Reply, n: usize) -> Vec<Reply> {
    vec![reply; n]
}

/// A reply that comes long after the short per-request timeout of [`mint`].
fn slow() -> Reply {
    Reply::Delay(
        Duration::from_secs(6),
        Box::new(Reply::Respond(HttpResponse::text(200, "late"))),
    )
}

/// Runs a mint with a short per-request timeout so timeout cases stay quick,
/// yet one that a loaded machine's answered requests stay well inside.
fn mint(world: &World) -> Run {
    raxx_env(
        world,
        &[("RAXX_TIMEOUT_MS", Some("1500"))],
        &["mint", "raxx-dev-bot"],
    )
}

fn expect(r: &Run, code: i32, needle: &str) {
    assert_eq!(r.code, code, "{needle}: {}", r.stderr);
    assert_one_line_error(r, needle);
}

fn set(world: &World, key: &str, value: &str) {
    world
        .infisical
        .set_secret(ENVIRONMENT, &folder("raxx-dev-bot"), key, value);
}

#[test]
fn infisical_login_failures_exit_2() {
    let cases: [(Vec<Reply>, &str); 8] = [
        (vec![infisical::error(401, "UnauthorizedError", "Invalid credentials")], "401 UnauthorizedError: Invalid credentials); check INFISICAL_CLIENT_ID and INFISICAL_CLIENT_SECRET"),
        (vec![infisical::error(403, "ForbiddenError", "You are not allowed to access this resource from the current IP address")], "403 ForbiddenError"),
        (vec![infisical::error(422, "ValidationFailure", "Required")], "422 ValidationFailure: Required"),
        (times(infisical::error(429, "RateLimitExceeded", "Rate limit exceeded. Please try again in 60 seconds"), 3), "429 RateLimitExceeded"),
        (times(infisical::error(500, "InternalServerError", "Something went wrong"), 3), "500 InternalServerError"),
        (times(slow(), 3), "did not answer in time"),
        (times(Reply::Reset, 3), "could not be reached"),
        (vec![Reply::Respond(HttpResponse::text(200, "<html>maintenance</html>"))], "Infisical's login answer was not JSON"),
    ];
    for (replies, needle) in cases {
        let world = World::start_shared();
        world.infisical.inject("login", replies);
        expect(&mint(&world), 2, needle);
        assert!(
            world.github.requests().is_empty(),
            "{needle}: GitHub is not asked"
        );
    }
}

/// A case: its name, how it breaks the world, and the text the error must hold.
type Breakage = (&'static str, fn(&World), &'static str);

#[test]
fn missing_or_unusable_secrets_exit_2() {
    let cases: [Breakage; 13] = [
        (
            "folder 404",
            |w| {
                w.infisical
                    .remove_folder(ENVIRONMENT, &folder("raxx-dev-bot"))
            },
            "404 SecretPathNotFound",
        ),
        (
            "APP_ID missing",
            |w| {
                w.infisical
                    .remove_secret(ENVIRONMENT, &folder("raxx-dev-bot"), "APP_ID")
            },
            "lacks APP_ID",
        ),
        (
            "PEM missing",
            |w| {
                w.infisical
                    .remove_secret(ENVIRONMENT, &folder("raxx-dev-bot"), "PRIVATE_KEY_PEM")
            },
            "lacks PRIVATE_KEY_PEM",
        ),
        (
            "APP_ID not a number",
            |w| set(w, "APP_ID", "raxx-dev-bot"),
            "APP_ID at /MooseQuest/raxx-dev-bot is neither a numeric App ID nor a Client ID",
        ),
        (
            "INSTALLATION_ID not a number",
            |w| set(w, "INSTALLATION_ID", "55-000"),
            "INSTALLATION_ID at /MooseQuest/raxx-dev-bot is not a number",
        ),
        (
            "PEM truncated",
            |w| {
                let p = w.bot("raxx-dev-bot").key.pkcs1_pem();
                set(w, "PRIVATE_KEY_PEM", &p[..p.len() - 60])
            },
            "PRIVATE_KEY_PEM is truncated",
        ),
        (
            "certificate",
            |w| {
                set(w, "PRIVATE_KEY_PEM", "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----\n")
            },
            "PRIVATE_KEY_PEM is a certificate",
        ),
        (
            "OpenSSH key",
            |w| {
                set(w, "PRIVATE_KEY_PEM", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n")
            },
            "PRIVATE_KEY_PEM is an OpenSSH key",
        ),
        (
            "EC key",
            |w| {
                set(w, "PRIVATE_KEY_PEM", "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIByLh8Ho\n-----END EC PRIVATE KEY-----\n")
            },
            "PRIVATE_KEY_PEM is an EC key, not an RSA key",
        ),
        (
            "encrypted key",
            |w| {
                set(w, "PRIVATE_KEY_PEM", "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHzBJBgkqhkiG9w0BBQ0w\n-----END ENCRYPTED PRIVATE KEY-----\n")
            },
            "PRIVATE_KEY_PEM is an encrypted key",
        ),
        // A valid key the rsa crate would not generate: OpenSSL made it (components/minter/testdata/kat/generate).
        (
            "768-bit key",
            |w| {
                set(
                    w,
                    "PRIVATE_KEY_PEM",
                    include_str!("../../../components/minter/testdata/kat/rsa768.pem"),
                )
            },
            "PRIVATE_KEY_PEM is an RSA key of 768 bits, too short to use",
        ),
        (
            "1024-bit key",
            |w| {
                set(
                    w,
                    "PRIVATE_KEY_PEM",
                    include_str!("../../../components/minter/testdata/kat/rsa1024.pem"),
                )
            },
            "PRIVATE_KEY_PEM is an RSA key of 1024 bits, too short to use (at least 2048 bits)",
        ),
        (
            "8320-bit key",
            |w| {
                set(
                    w,
                    "PRIVATE_KEY_PEM",
                    include_str!("../../../components/minter/testdata/kat/rsa8320.pem"),
                )
            },
            "PRIVATE_KEY_PEM is an RSA key of 8320 bits, longer than the 8192 bits allowed",
        ),
    ];
    for (name, setup, needle) in cases {
        let world = World::start_shared();
        setup(&world);
        let r = mint(&world);
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert_one_line_error(&r, needle);
    }
}

#[test]
fn github_failures_exit_3_with_status_and_message() {
    let rate_limited = || {
        let reset = (raxx_fakes::time::now() + 3600).to_string();
        Reply::Respond(
            HttpResponse::json(403, serde_json::json!({"message": "API rate limit exceeded for installation ID 55000001.", "documentation_url": "https://docs.github.com/rest"}))
                .with_header("x-ratelimit-remaining", "0")
                .with_header("x-ratelimit-reset", &reset),
        )
    };
    let cases: [(Vec<Reply>, &str); 8] = [
        (
            times(
                github::error(
                    401,
                    "'Expiration time' claim ('exp') is too far in the future",
                ),
                2,
            ),
            "401 'Expiration time' claim ('exp') is too far in the future",
        ),
        (
            vec![github::error(403, "Resource not accessible by integration")],
            "403 Resource not accessible by integration); the App lacks a permission",
        ),
        (
            vec![rate_limited()],
            "403 API rate limit exceeded for installation ID 55000001.); rate limited",
        ),
        (
            vec![github::error(
                422,
                "The permissions requested are not granted to this installation.",
            )],
            "422 The permissions requested are not granted",
        ),
        (
            times(
                github::error(429, "You have exceeded a secondary rate limit."),
                3,
            ),
            "429 You have exceeded a secondary rate limit.); rate limited",
        ),
        (
            times(github::error(502, "Server Error"), 3),
            "502 Server Error); GitHub failed; try again later",
        ),
        (times(slow(), 3), "did not answer in time"),
        (
            vec![Reply::Respond(HttpResponse::text(201, "Created"))],
            "GitHub's access_tokens answer was not JSON",
        ),
    ];
    for (replies, needle) in cases {
        let world = World::start_shared();
        world.github.inject("access_tokens", replies);
        expect(&mint(&world), 3, needle);
    }
    let world = World::start_shared();
    world
        .github
        .remove_installation(world.bot("raxx-dev-bot").installation_id);
    expect(&mint(&world), 3, "404 Not Found");
    let world = World::start_shared();
    set(
        &world,
        "PRIVATE_KEY_PEM",
        &world.bot("raxx-ops-bot").key.pkcs8_pem(),
    );
    expect(
        &mint(&world),
        3,
        "401 A JSON web token could not be decoded",
    );
}

#[test]
fn unknown_routes_answer_501_and_are_reported() {
    let world = World::start_shared();
    let mut cmd = host(Some(&world));
    cmd.env("INFISICAL_API_URL", world.github_url())
        .args(["mint", "raxx-dev-bot"]);
    let r = run(cmd);
    expect(
        &r,
        2,
        "501 non-JSON body: POST /api/v1/auth/universal-auth/login not implemented",
    );
}

#[test]
fn transient_faults_succeed_on_retry() {
    let cases: [(&'static str, Vec<Reply>); 4] = [
        ("login", vec![infisical::error(500, "InternalServerError", "Something went wrong")]),
        ("login", vec![Reply::Reset]),
        ("login", vec![Reply::Respond(HttpResponse::json(429, serde_json::json!({"statusCode": 429, "message": "Rate limit exceeded. Please try again in 1 seconds", "error": "RateLimitExceeded"})).with_header("retry-after", "1"))]),
        ("secrets", vec![slow()]),
    ];
    for (route, replies) in cases {
        let world = World::start_shared();
        world.infisical.inject(route, replies);
        let r = mint(&world);
        assert_eq!(r.code, 0, "{route}: {}", r.stderr);
        assert_eq!(
            r.stdout.trim(),
            world.github.issued_tokens().pop().unwrap().token
        );
    }
    for replies in [
        vec![github::error(502, "Bad Gateway")],
        vec![github::error(429, "secondary rate limit")],
        vec![Reply::Reset],
        vec![slow()],
    ] {
        let world = World::start_shared();
        world.github.inject("access_tokens", replies);
        let r = mint(&world);
        assert_eq!(r.code, 0, "{}", r.stderr);
        assert_eq!(world.github.issued_tokens().len(), 1);
    }
}

#[test]
fn an_expired_infisical_token_triggers_one_fresh_login() {
    let world = World::start_shared();
    world.infisical.inject(
        "secrets",
        vec![infisical::error(
            403,
            "TokenError",
            "Your token has expired. Please re-authenticate.",
        )],
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let logins = world
        .infisical
        .requests()
        .iter()
        .filter(|q| q.path.ends_with("/login"))
        .count();
    assert_eq!(logins, 2);
    let world = World::start_shared();
    world.infisical.inject(
        "secrets",
        times(
            infisical::error(
                403,
                "TokenError",
                "Your token has expired. Please re-authenticate.",
            ),
            2,
        ),
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 2, "only once");
    assert_one_line_error(&r, "403 TokenError");
}

#[test]
fn a_skewed_clock_is_corrected_from_githubs_date_header() {
    for offset in [700, -700] {
        let world = World::start_shared();
        world.github.set_clock_offset(offset);
        let r = raxx(&world, &["mint", "raxx-pm-bot"]);
        assert_eq!(r.code, 0, "offset {offset}: {}", r.stderr);
        let attempts = world
            .github
            .requests()
            .iter()
            .filter(|q| q.path.ends_with("/access_tokens"))
            .count();
        assert_eq!(
            attempts, 2,
            "one rejected JWT, one re-signed on GitHub's clock"
        );
    }
}
