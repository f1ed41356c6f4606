//! The sandbox against a hostile component (tests/hostile): every escape
//! attempt is refused, none reaches a listener, and the host survives.

use crate::harness::cache;
use raxx_fakes::World;
use raxx_host::Settings;
use raxx_host::{CallError, Runtime};
use raxx_host::{MintError, MintRequest, PolicyDocuments};
use std::net::TcpListener;
use std::time::{Duration, Instant};

pub(crate) fn hostile() -> Runtime {
    let path = crate::harness::component_path().with_file_name("raxx_hostile.wasm");
    assert!(
        path.is_file(),
        "the hostile test component is not built at {}: run scripts/build",
        path.display()
    );
    Runtime::load(&path, &cache()).unwrap()
}

pub(crate) fn settings(world: &World) -> Settings {
    let env = world.env();
    Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())).unwrap()
}

fn no_policy() -> PolicyDocuments {
    PolicyDocuments {
        agent_map: String::new(),
        agent_map_name: String::new(),
        policy: String::new(),
        policy_name: String::new(),
    }
}

/// Runs one attack (the hostile `resolve` echoes the request: `bot` names the
/// attack, `owner` its target); returns what the component saw.
fn attack(runtime: &Runtime, world: &World, name: &str, target: &str) -> Result<String, CallError> {
    attack_with(runtime, &settings(world), name, target)
}

/// Runs one attack with these settings (what the host lets it reach).
pub(crate) fn attack_with(
    runtime: &Runtime,
    settings: &Settings,
    name: &str,
    target: &str,
) -> Result<String, CallError> {
    let request = MintRequest {
        bot: Some(name.into()),
        agent: None,
        owner: Some(target.into()),
        repositories: vec![],
        permissions: vec![],
    };
    let resolved = runtime.resolve(&no_policy(), &request)?;
    match runtime.mint(settings, &resolved).result {
        Err(CallError::Failed(MintError::InvalidRequest(report))) => Ok(report),
        Err(e @ CallError::Host(_)) => Err(e),
        other => panic!("unexpected {other:?}"),
    }
}

/// A loopback listener that must never see a connection.
struct Tripwire(TcpListener);

impl Tripwire {
    fn new() -> Tripwire {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.set_nonblocking(true).unwrap();
        Tripwire(l)
    }
    fn port(&self) -> u16 {
        self.0.local_addr().unwrap().port()
    }
    fn assert_untouched(&self, what: &str) {
        match self.0.accept() {
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            other => panic!("{what} reached a listener: {other:?}"),
        }
    }
}

#[test]
fn http_to_anything_off_the_allowlist_is_denied_and_reaches_nobody() {
    let world = World::start_shared();
    let runtime = hostile();
    let wire = Tripwire::new();
    let github = world.github_url();
    let github_port = github.rsplit(':').next().unwrap().to_string();
    let cases = [
        (
            "unlisted host",
            format!("http://localhost:{}/", wire.port()),
        ),
        (
            "listed host, other port",
            format!("http://127.0.0.1:{}/", wire.port()),
        ),
        (
            "listed host, other scheme",
            format!("https://127.0.0.1:{github_port}/app"),
        ),
        (
            "cloud metadata IP literal",
            "http://169.254.169.254/latest/meta-data/".to_string(),
        ),
        (
            "IPv6 loopback literal",
            format!("http://[::1]:{}/", wire.port()),
        ),
    ];
    for (what, url) in cases {
        let report = attack(&runtime, &world, "fetch", &url).unwrap();
        assert_eq!(report, "fetch: denied", "{what}: {url}");
    }
    wire.assert_untouched("a denied request");
    assert!(
        world.github.requests().is_empty(),
        "nothing reached GitHub over another scheme"
    );
    // A listed request on a listed origin is reachable (the fake answers 403: this component sends no User-Agent).
    assert_eq!(
        attack(
            &runtime,
            &world,
            "fetch",
            &format!("{github}/app/installations")
        )
        .unwrap(),
        "fetch: status 403"
    );
}

#[test]
fn a_host_header_cannot_redirect_a_request() {
    let world = World::start_shared();
    let report = attack(&hostile(), &world, "host-header", "").unwrap();
    assert!(
        report.starts_with("host-header: header refused"),
        "{report}"
    );
    assert!(world
        .github
        .requests()
        .iter()
        .all(|q| q.header("host") != Some("evil.example")));
}

/// The request headers a guest may not set: wasmtime's `DEFAULT_FORBIDDEN_HEADERS`,
/// entry by entry the list the Node host refuses (`host/node/src/egress.mjs`).
const FORBIDDEN_HEADERS: [&str; 9] = [
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "host",
    "http2-settings",
];

#[test]
fn hop_by_hop_and_proxy_headers_are_refused_before_anything_is_sent() {
    let world = World::start_shared();
    let wasmtime: Vec<String> = wasmtime_wasi_http::DEFAULT_FORBIDDEN_HEADERS
        .iter()
        .map(|h| h.to_string())
        .collect();
    assert_eq!(
        FORBIDDEN_HEADERS.to_vec(),
        wasmtime,
        "the list the hook refuses changed: update host/node/src/egress.mjs too"
    );
    let runtime = hostile();
    for name in FORBIDDEN_HEADERS
        .iter()
        .copied()
        .chain(["Proxy-Authorization", "TRANSFER-ENCODING"])
    {
        let report = attack(&runtime, &world, "header", &format!("{name}: x")).unwrap();
        assert!(
            report.starts_with("header: header refused"),
            "{name}: {report}"
        );
    }
    assert!(world
        .github
        .requests()
        .iter()
        .all(|q| FORBIDDEN_HEADERS.iter().all(|h| q.header(h) != Some("x"))));
    // Any other header is the guest's to set (the fake answers 403: this component sends no User-Agent).
    assert_eq!(
        attack(&runtime, &world, "header", "x-raxx-test: x").unwrap(),
        "header: status 403"
    );
}

#[test]
fn no_files_no_environment_no_sockets() {
    let world = World::start_shared();
    let runtime = hostile();
    let report = attack(&runtime, &world, "read-file", "/etc/hostname").unwrap();
    assert!(report.starts_with("read-file: error:"), "{report}");
    // The test process has variables (PATH at least); the component sees none.
    assert_eq!(
        attack(&runtime, &world, "read-env", "").unwrap(),
        "read-env: 0 variables: "
    );
    let wire = Tripwire::new();
    let report = attack(
        &runtime,
        &world,
        "open-socket",
        &format!("127.0.0.1:{}", wire.port()),
    )
    .unwrap();
    assert!(report.starts_with("open-socket: refused"), "{report}");
    wire.assert_untouched("a socket");
}

#[test]
fn a_runaway_component_is_stopped_and_the_host_survives() {
    let world = World::start_shared();
    let mut runtime = hostile();
    runtime.set_deadline(Duration::from_millis(500));
    let start = Instant::now();
    let err = attack(&runtime, &world, "spin", "").unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "stopped in {:?}",
        start.elapsed()
    );
    assert!(
        format!("{err:#}").contains("ran past its deadline of 500 ms"),
        "{err:#}"
    );
    let err = attack(&runtime, &world, "balloon", "").unwrap_err();
    assert!(
        format!("{err:#}").contains("trapped") || format!("{err:#}").contains("memory limit"),
        "{err:#}"
    );
    assert_eq!(
        attack(&runtime, &world, "read-env", "").unwrap(),
        "read-env: 0 variables: ",
        "the same runtime still works"
    );
}
