//! Successful mints, in every output form and every PEM encoding.

use crate::harness::{assert_one_line_error, raxx};
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::{PemVariant, World};

#[test]
fn mint_prints_exactly_the_token_github_issued_for_each_pem_variant() {
    let world = World::start_shared();
    for variant in PemVariant::ALL {
        world.store_pem("raxx-dev-bot", variant);
        let r = raxx(&world, &["mint", "raxx-dev-bot"]);
        assert_eq!(r.code, 0, "{variant:?}: {}", r.stderr);
        let issued = world.github.issued_tokens();
        let last = issued.last().expect("a token was issued");
        assert_eq!(r.stdout, format!("{}\n", last.token), "{variant:?}");
        assert!(r.stderr.is_empty(), "{variant:?}: {}", r.stderr);
    }
    assert_eq!(world.github.issued_tokens().len(), 4);
}

#[test]
fn each_bot_gets_its_own_installation_token() {
    let world = World::start_shared();
    for bot in ["raxx-dev-bot", "raxx-ops-bot", "raxx-pm-bot"] {
        let r = raxx(&world, &["mint", bot]);
        assert_eq!(r.code, 0, "{bot}: {}", r.stderr);
        let t = world.github.issued_tokens().pop().unwrap();
        assert_eq!(t.installation_id, world.bot(bot).installation_id);
        assert_eq!(r.stdout.trim(), t.token);
    }
}

#[test]
fn the_jwt_carries_the_design_claims_and_requests_carry_the_github_headers() {
    let world = World::start_shared();
    assert_eq!(raxx(&world, &["mint", "raxx-ops-bot"]).code, 0);
    let claims = world.github.accepted_claims().pop().unwrap();
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 600, "iat = now-60, exp = now+540");
    let now = raxx_fakes::time::now() as i64;
    assert!(
        (now - 65..=now - 55).contains(&iat),
        "iat {iat} vs now {now}"
    );
    assert_eq!(
        claims["iss"],
        serde_json::json!(world.bot("raxx-ops-bot").app_id),
        "numeric App ID as an integer"
    );
    let req = world.github.requests().pop().unwrap();
    assert_eq!(req.header("accept"), Some("application/vnd.github+json"));
    assert_eq!(req.header("x-github-api-version"), Some("2022-11-28"));
    assert_eq!(
        req.header("user-agent"),
        Some(concat!("raxx-host/", env!("CARGO_PKG_VERSION")))
    );
    assert!(req
        .header("authorization")
        .unwrap()
        .starts_with("Bearer ey"));
}

#[test]
fn a_client_id_in_app_id_is_sent_as_a_string_issuer() {
    let world = World::start_shared();
    let bot = world.bot("raxx-pm-bot").clone();
    world
        .infisical
        .set_secret(ENVIRONMENT, &folder(bot.name), "APP_ID", &bot.client_id);
    let r = raxx(&world, &["mint", bot.name]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        world.github.accepted_claims().pop().unwrap()["iss"],
        serde_json::json!(bot.client_id)
    );
}

#[test]
fn export_prints_one_safely_quoted_eval_line() {
    let world = World::start_shared();
    let r = raxx(&world, &["mint", "raxx-ops-bot", "--export"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let token = world.github.issued_tokens().pop().unwrap().token;
    assert_eq!(r.stdout, format!("export GH_TOKEN='{token}'\n"));
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{}\nprintf %s \"$GH_TOKEN\"", r.stdout))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        token,
        "eval of the line sets GH_TOKEN to the token"
    );
}

#[test]
fn json_output_has_token_expiry_bot_and_permissions() {
    let world = World::start_shared();
    let r = raxx(&world, &["mint", "raxx-dev-bot", "--json"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let issued = world.github.issued_tokens().pop().unwrap();
    assert_eq!(json["token"], issued.token.as_str());
    assert_eq!(
        json["expires_at"],
        raxx_fakes::time::iso8601(issued.expires_at).as_str()
    );
    assert_eq!(json["bot"], "raxx-dev-bot");
    assert_eq!(json["permissions"]["contents"], "write");
    assert_eq!(json["permissions"]["workflows"], "write");
    assert_eq!(json["repository_selection"], "all");
    assert_eq!(r.stdout.lines().count(), 1);
}

#[test]
fn rotating_the_key_takes_effect_on_the_next_mint() {
    let world = World::start_shared();
    assert_eq!(raxx(&world, &["mint", "raxx-dev-bot"]).code, 0);
    let bot = world.bot("raxx-dev-bot").clone();
    let new_key = raxx_fakes::AppKey::generate();
    world.github.set_public_key(bot.app_id, new_key.public());
    let stale = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(
        stale.code, 3,
        "GitHub must reject the old key: {}",
        stale.stderr
    );
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder(bot.name),
        "PRIVATE_KEY_PEM",
        &new_key.pkcs1_pem(),
    );
    let r = raxx(&world, &["mint", "raxx-dev-bot"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in new_key
        .pkcs1_pem()
        .lines()
        .filter(|l| !l.starts_with("-----"))
    {
        assert!(!r.stdout.contains(line) && !r.stderr.contains(line));
    }
}

#[test]
fn keys_of_other_sizes_sign_in_the_sandbox() {
    // GitHub issues 2048-bit App keys; the fake GitHub checks the others too.
    let world = World::start_shared();
    let bot = world.bot("raxx-ops-bot").clone();
    // Below 2048 bits: refused in one line, before any request to GitHub.
    let short = raxx_fakes::AppKey::generate_bits(1024);
    world.infisical.set_secret(
        ENVIRONMENT,
        &folder(bot.name),
        "PRIVATE_KEY_PEM",
        &short.pkcs1_pem(),
    );
    let issued = world.github.issued_tokens().len();
    let r = raxx(&world, &["mint", "raxx-ops-bot"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        "is an RSA key of 1024 bits, too short to use (at least 2048 bits)",
    );
    assert_eq!(world.github.issued_tokens().len(), issued);
    for bits in [3072, 4096] {
        let key = raxx_fakes::AppKey::generate_bits(bits);
        world.github.set_public_key(bot.app_id, key.public());
        world.infisical.set_secret(
            ENVIRONMENT,
            &folder(bot.name),
            "PRIVATE_KEY_PEM",
            &key.pkcs1_pem(),
        );
        let r = raxx(&world, &["mint", "raxx-ops-bot"]);
        assert_eq!(r.code, 0, "{bits}-bit key: {}", r.stderr);
        assert_eq!(
            r.stdout.trim(),
            world.github.issued_tokens().pop().unwrap().token
        );
    }
}

#[test]
fn long_and_legacy_token_formats_are_both_passed_through_opaque() {
    let world = World::start_shared();
    for legacy in [false, true] {
        world.github.use_legacy_token_format(legacy);
        let r = raxx(&world, &["mint", "raxx-pm-bot"]);
        assert_eq!(r.code, 0, "{}", r.stderr);
        let token = world.github.issued_tokens().pop().unwrap().token;
        assert_eq!(r.stdout.trim(), token);
        assert_eq!(token.len() > 500, !legacy, "{}", token.len());
    }
}

#[test]
fn github_enterprise_base_urls_with_a_path_work() {
    let world = World::start_shared();
    world.github.set_path_prefix("/api/v3");
    let mut cmd = crate::harness::host(Some(&world));
    cmd.env("GITHUB_API_URL", format!("{}/api/v3/", world.github_url()))
        .args(["mint", "raxx-dev-bot"]);
    let r = crate::harness::run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        world.github.requests().pop().unwrap().path,
        "/api/v3/app/installations/55000001/access_tokens"
    );
}
