//! TLS trust like every other tool on the machine: the system's store, or
//! `SSL_CERT_FILE` / `SSL_CERT_DIR`. A refused certificate fails with the
//! service's exit code (2 Infisical, 3 GitHub) and one line naming the
//! certificate and how to trust its CA. The fakes serve HTTPS with a CA made
//! for this run (`raxx_fakes::tls`).

use crate::harness::{assert_one_line_error, raxx_env, Run};
use raxx_fakes::tls::{Ca, SERVER_NAME};
use raxx_fakes::World;

fn mint(world: &World, trust: &[(&str, Option<&str>)]) -> Run {
    raxx_env(world, trust, &["mint", "raxx-dev-bot"])
}

fn minted(world: &World, r: &Run) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        world.github.issued_tokens().pop().unwrap().token
    );
}

fn port(url: &str) -> &str {
    url.rsplit(':').next().unwrap()
}

#[test]
fn a_mint_over_tls_trusts_the_runs_ca_through_ssl_cert_file() {
    let world = World::start_tls();
    assert!(
        world.infisical_url().starts_with("https://") && world.github_url().starts_with("https://")
    );
    let ca = Ca::run().file();
    minted(&world, &mint(&world, &[("SSL_CERT_FILE", ca.to_str())]));
    assert_eq!(
        world.connections(),
        (1, 1),
        "one TLS session per service: Infisical's two requests share theirs"
    );
}

#[test]
fn a_mint_over_tls_trusts_the_runs_ca_through_ssl_cert_dir() {
    let world = World::start_tls();
    minted(
        &world,
        &mint(&world, &[("SSL_CERT_DIR", Ca::run().dir().to_str())]),
    );
}

#[test]
fn an_untrusted_infisical_certificate_exits_2_naming_it_and_how_to_trust_its_ca() {
    let world = World::start_tls();
    let other = Ca::generate("another CA");
    let r = mint(&world, &[("SSL_CERT_FILE", other.file().to_str())]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    let origin = format!("127.0.0.1:{}", port(&world.infisical_url()));
    assert_one_line_error(
        &r,
        &format!("Infisical at https://{origin}: the TLS certificate of {origin} "),
    );
    for needle in [
        format!("CN={SERVER_NAME}"),
        format!("CN={}", Ca::run().name()),
        "is not signed by a CA this machine trusts".into(),
        "set SSL_CERT_FILE".into(),
        format!("(trusted now: SSL_CERT_FILE={})", other.file().display()),
    ] {
        assert!(
            r.stderr.contains(&needle),
            "{needle:?} missing: {}",
            r.stderr
        );
    }
    assert!(
        world.infisical.requests().is_empty() && world.github.requests().is_empty(),
        "nothing was sent over an untrusted connection"
    );
}

#[test]
fn an_untrusted_github_certificate_exits_3() {
    let rogue = Ca::generate("rogue CA");
    let world = World::start_tls_with(Ca::run(), &rogue);
    let r = mint(&world, &[("SSL_CERT_FILE", Ca::run().file().to_str())]);
    assert_eq!(r.code, 3, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!(
            "GitHub at https://127.0.0.1:{}: the TLS certificate of",
            port(&world.github_url())
        ),
    );
    assert!(
        r.stderr
            .contains(&format!("issued by \"CN={},O=raxx fakes\"", rogue.name()))
            || r.stderr.contains(&format!("CN={}", rogue.name())),
        "{}",
        r.stderr
    );
    assert_eq!(
        world.infisical.requests().len(),
        2,
        "Infisical, trusted, answered"
    );
    assert!(
        world.github.requests().is_empty(),
        "nothing was sent to the untrusted GitHub"
    );
}

#[test]
fn without_ssl_cert_file_the_systems_store_decides() {
    let world = World::start_tls();
    let r = mint(&world, &[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    // The run's CA is in no system store; a machine without CA certificates says so instead.
    let refused = r
        .stderr
        .contains("is not signed by a CA this machine trusts")
        && r.stderr.contains("(trusted now: the system's trust store)");
    let none = r
        .stderr
        .contains("no CA certificate could be read from the system's trust store");
    assert!(refused || none, "{}", r.stderr);
    assert_one_line_error(&r, "SSL_CERT_FILE");
}
