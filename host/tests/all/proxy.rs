//! Proxies as curl reads them: `HTTPS_PROXY` / `https_proxy` / `ALL_PROXY` /
//! `all_proxy` tunnel both services through CONNECT, `NO_PROXY` bypasses it,
//! and the proxy's credentials reach the proxy and nothing else (the harness
//! checks every output and audit record for them). The egress allowlist still
//! judges the origin the component asked for, never the proxy.

use crate::harness::{assert_one_line_error, raxx_env, Run};
use raxx_fakes::proxy::{password, Proxy};
use raxx_fakes::tls::Ca;
use raxx_fakes::World;

/// A mint over TLS (the run's CA trusted) with `env` on top.
fn mint(world: &World, env: &[(&str, Option<&str>)]) -> Run {
    let ca = Ca::run().file();
    let mut all = vec![("SSL_CERT_FILE", ca.to_str())];
    all.extend_from_slice(env);
    raxx_env(world, &all, &["mint", "raxx-dev-bot"])
}

fn minted(world: &World, r: &Run) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(
        r.stdout.trim(),
        world.github.issued_tokens().pop().unwrap().token
    );
}

/// The services' `host:port`, as a CONNECT names them, sorted.
fn services(world: &World) -> Vec<String> {
    let mut all: Vec<String> = [world.infisical_url(), world.github_url()]
        .iter()
        .map(|u| u.trim_start_matches("https://").to_string())
        .collect();
    all.sort();
    all
}

fn tunnelled(proxy: &Proxy) -> Vec<String> {
    let mut targets: Vec<String> = proxy
        .tunnels()
        .into_iter()
        .filter(|t| t.opened)
        .map(|t| t.target)
        .collect();
    targets.sort();
    targets
}

#[test]
fn a_mint_tunnels_to_both_services_through_the_proxy() {
    for variable in ["HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy"] {
        let (world, proxy) = (World::start_tls(), Proxy::start());
        minted(&world, &mint(&world, &[(variable, Some(&proxy.url()))]));
        assert_eq!(
            tunnelled(&proxy),
            services(&world),
            "{variable}: one tunnel per service"
        );
    }
}

#[test]
fn no_proxy_bypasses_the_proxy() {
    for no_proxy in ["127.0.0.1", "*", "localhost, 127.0.0.0/8"] {
        let (world, proxy) = (World::start_tls(), Proxy::start());
        minted(
            &world,
            &mint(
                &world,
                &[
                    ("HTTPS_PROXY", Some(&proxy.url())),
                    ("NO_PROXY", Some(no_proxy)),
                ],
            ),
        );
        assert!(
            proxy.tunnels().is_empty(),
            "NO_PROXY={no_proxy}: {:?}",
            proxy.tunnels()
        );
    }
}

#[test]
fn the_proxys_credentials_reach_the_proxy_and_no_output() {
    let (world, proxy) = (World::start_tls(), Proxy::with_credentials());
    let url = proxy.url_with_password(&password());
    let audit_and_timing = [
        ("HTTPS_PROXY", Some(url.as_str())),
        ("RAXX_TIMING", Some("1")),
    ];
    minted(&world, &mint(&world, &audit_and_timing));
    assert_eq!(tunnelled(&proxy), services(&world));
    assert!(
        proxy.tunnels().iter().all(|t| t.authorized),
        "{:?}",
        proxy.tunnels()
    );
    // A failing mint through the same proxy: its error and audit record are checked too.
    world.infisical.inject(
        "login",
        vec![raxx_fakes::infisical::error(
            401,
            "UnauthorizedError",
            "Invalid credentials",
        )],
    );
    let r = mint(&world, &audit_and_timing);
    assert_eq!(r.code, 2, "{}", r.stderr);
}

#[test]
fn a_proxy_that_refuses_is_named_without_its_credentials() {
    let world = World::start_tls();
    let proxy = Proxy::with_credentials();
    let port = proxy.url().rsplit(':').next().unwrap().to_string();
    let wrong = "CANARY-wrong-proxy-password";
    let r = mint(
        &world,
        &[("HTTPS_PROXY", Some(&proxy.url_with_password(wrong)))],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!("the proxy http://127.0.0.1:{port} (HTTPS_PROXY) refused its credentials (407)"),
    );
    assert!(
        !r.stderr.contains(wrong) && !r.stderr.contains(raxx_fakes::proxy::USER),
        "{}",
        r.stderr
    );
    let r = mint(&world, &[("https_proxy", Some(&proxy.url()))]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!("the proxy http://127.0.0.1:{port} (https_proxy) asks for credentials (407)"),
    );
    assert!(world.infisical.requests().is_empty(), "nothing got through");
    assert!(proxy.tunnels().iter().all(|t| !t.opened));
}

#[test]
fn unusable_network_variables_are_usage_errors_that_echo_no_credentials() {
    let world = World::start_tls();
    let cases = [
        (
            "ALL_PROXY",
            "socks5://raxx:CANARY-socks-password@127.0.0.1:1080",
            "ALL_PROXY is not a proxy raxx can use: SOCKS proxies are not supported",
        ),
        (
            "HTTPS_PROXY",
            "https://raxx:CANARY-socks-password@127.0.0.1:3128",
            "HTTPS_PROXY is not a proxy raxx can use: https:// proxies",
        ),
        (
            "SSL_CERT_FILE",
            "/raxx-no-such-folder/ca.pem",
            "SSL_CERT_FILE=/raxx-no-such-folder/ca.pem is not a file",
        ),
        (
            "SSL_CERT_DIR",
            "/raxx-no-such-folder",
            "SSL_CERT_DIR names /raxx-no-such-folder, which is not a folder",
        ),
    ];
    for (variable, value, needle) in cases {
        let r = raxx_env(
            &world,
            &[(variable, Some(value))],
            &["mint", "raxx-dev-bot"],
        );
        assert_eq!(r.code, 64, "{variable}: {}", r.stderr);
        assert_one_line_error(&r, needle);
        assert!(!r.stderr.contains("CANARY-socks-password"), "{}", r.stderr);
    }
}

#[test]
fn the_allowlist_judges_the_origin_not_the_proxy() {
    use raxx_host::Allowlist;
    use raxx_host::{CallError, Runtime};
    let (world, proxy) = (World::start_tls(), Proxy::start());
    let env = [
        ("HTTPS_PROXY".to_string(), proxy.url()),
        (
            "SSL_CERT_FILE".to_string(),
            Ca::run().file().display().to_string(),
        ),
    ];
    let network =
        raxx_host::Network::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let mut runtime =
        Runtime::load(&crate::harness::component_path(), &crate::harness::cache()).unwrap();
    runtime.set_network(network);
    // Allow Infisical only: GitHub is refused before any tunnel is asked for.
    let mut s = crate::sandbox::settings(&world);
    s.allowlist = Allowlist::new(vec![s.allowlist.bases()[0].clone()]);
    let outcome = runtime.mint(&s, &crate::egress::resolved(&runtime, "raxx-dev-bot"));
    let Err(CallError::Failed(raxx_host::MintError::Github(f))) = outcome.result else {
        panic!("expected a GitHub failure")
    };
    assert_eq!(f.kind, raxx_host::FailureKind::Denied);
    assert_eq!(
        tunnelled(&proxy),
        vec![world
            .infisical_url()
            .trim_start_matches("https://")
            .to_string()],
        "only the allowed origin was tunnelled to"
    );
    // The proxy's own address is no destination either.
    let hostile = crate::sandbox::hostile();
    let report = crate::sandbox::attack_with(
        &hostile,
        &crate::sandbox::settings(&world),
        "fetch",
        &format!("{}/app/installations", proxy.url()),
    )
    .unwrap();
    assert_eq!(report, "fetch: denied");
}
