//! The vault's login methods through the CLI (`INFISICAL_AUTH_METHOD`):
//! choosing one, where a JWT login's token is read or asked for at each
//! mint, every failure's exit code and line, and that no token, request
//! token or client secret is printed or reaches a child.

use crate::harness::{assert_one_line_error, raxx_env, Run, Scratch};
use raxx_fakes::actions::FakeActions;
use raxx_fakes::jwt::{service_account_subject, FakeIssuer};
use raxx_fakes::tls::Ca;
use raxx_fakes::World;

/// Variables that must not be inherited from the world: its Universal Auth identity.
const NO_UNIVERSAL: [(&str, Option<&str>); 2] = [
    ("INFISICAL_CLIENT_ID", None),
    ("INFISICAL_CLIENT_SECRET", None),
];

/// A mint with the world's settings, less Universal Auth, plus `env`.
fn mint_with(world: &World, env: &[(&str, Option<&str>)]) -> Run {
    let all: Vec<_> = NO_UNIVERSAL.iter().chain(env).copied().collect();
    raxx_env(world, &all, &["mint", "raxx-dev-bot"])
}

/// None of `secrets` appears in the run's output.
fn assert_hidden(r: &Run, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !r.stdout.contains(s) && !r.stderr.contains(s),
            "{s} printed:\n{}{}",
            r.stdout,
            r.stderr
        );
    }
}

/// An https URL nothing answers at (the port stays reserved while it lives).
fn closed_https() -> (raxx_fakes::server::ClosedPort, String) {
    let port = raxx_fakes::server::ClosedPort::new().unwrap();
    let url = port.url().replacen("http://", "https://", 1);
    (port, url)
}

#[test]
fn a_missing_service_account_token_is_one_line_naming_the_file_and_the_fix() {
    let world = World::start_shared();
    let dir = Scratch::new("k8s-missing");
    let path = dir.path("token");
    let path = path.to_str().unwrap();
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_AUTH_METHOD", Some("kubernetes")),
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-k8s")),
            (
                "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
                Some(path),
            ),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!("INFISICAL_AUTH_METHOD=kubernetes: cannot read the service-account token {path} (No such file or directory): mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH"),
    );
    assert!(
        world.infisical.requests().is_empty(),
        "no login is sent without its token"
    );
}

#[test]
fn an_empty_token_file_and_a_fifo_are_refused_without_hanging() {
    let world = World::start_shared();
    let dir = Scratch::new("jwt-odd");
    let empty = dir.write("empty", "\n  \n");
    let fifo = dir.path("fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    for (path, what) in [(&empty, "is empty"), (&fifo, "is not a regular file")] {
        let path = path.to_str().unwrap();
        let r = mint_with(
            &world,
            &[
                ("INFISICAL_AUTH_METHOD", Some("jwt")),
                ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-jwt")),
                ("INFISICAL_AUTH_JWT_PATH", Some(path)),
            ],
        );
        assert_eq!(r.code, 2, "{}", r.stderr);
        assert_one_line_error(
            &r,
            &format!("INFISICAL_AUTH_METHOD=jwt: the JWT file {path} {what}: fix INFISICAL_AUTH_JWT_PATH or set INFISICAL_AUTH_JWT"),
        );
    }
}

#[test]
fn two_methods_at_once_and_an_unknown_method_are_refused_before_anything_is_sent() {
    let world = World::start_shared();
    let r = raxx_env(
        &world,
        &[("INFISICAL_TOKEN", Some("tok-secret-value"))],
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        "two login methods are configured, universal (INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET) and token (INFISICAL_TOKEN): unset one, or set INFISICAL_AUTH_METHOD to the one to use",
    );
    assert_hidden(&r, &["tok-secret-value"]);
    let r = raxx_env(
        &world,
        &[("INFISICAL_AUTH_METHOD", Some("aws-iam"))],
        &["mint", "raxx-dev-bot"],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        "INFISICAL_AUTH_METHOD=\"aws-iam\" is not a login method: use universal, kubernetes, oidc, jwt or token",
    );
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn an_unreachable_actions_endpoint_is_one_line_without_the_request_token() {
    let world = World::start_shared();
    let (_port, url) = closed_https();
    let request_url = format!("{url}/idtoken?api-version=2.0");
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_AUTH_METHOD", Some("oidc")),
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-oidc")),
            ("ACTIONS_ID_TOKEN_REQUEST_URL", Some(&request_url)),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                Some("runner-request-secret"),
            ),
            ("INFISICAL_OIDC_AUDIENCE", Some("https://infisical.example")),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!(
            "INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint {url} is unreachable ("
        ),
    );
    assert!(
        r.stderr.contains("or set INFISICAL_AUTH_JWT"),
        "{}",
        r.stderr
    );
    assert_hidden(&r, &["runner-request-secret"]);
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn a_plain_http_actions_endpoint_is_refused() {
    let world = World::start_shared();
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_AUTH_METHOD", Some("oidc")),
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-oidc")),
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL",
                Some("http://127.0.0.1:9/idtoken?api-version=2.0"),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
                Some("runner-request-secret"),
            ),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        "ACTIONS_ID_TOKEN_REQUEST_URL \"http://127.0.0.1:9/idtoken?api-version=2.0\" is refused (must start with https://)",
    );
    assert_hidden(&r, &["runner-request-secret"]);
}

/// Every login method's variables, set at once (the explicit method decides).
fn every_methods_variables(dir: &Scratch) -> Vec<(&'static str, String)> {
    let file = dir.write("other-token", "file-jwt-secret");
    let file = file.to_str().unwrap().to_string();
    vec![
        ("INFISICAL_TOKEN", "token-secret".into()),
        (
            "INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN",
            "token-secret".into(),
        ),
        ("INFISICAL_MACHINE_IDENTITY_ID", "identity-any".into()),
        (
            "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN",
            "sa-jwt-secret".into(),
        ),
        (
            "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
            file.clone(),
        ),
        ("INFISICAL_AUTH_JWT", "given-jwt-secret".into()),
        ("INFISICAL_AUTH_JWT_PATH", file),
        (
            "INFISICAL_OIDC_AUDIENCE",
            "https://infisical.example".into(),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_URL",
            "https://runner.invalid/idtoken?api-version=2.0".into(),
        ),
        (
            "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            "runner-request-secret".into(),
        ),
    ]
}

/// The variables a child of `exec` printed (`env -0`).
fn child_names(stdout: &str) -> Vec<String> {
    stdout
        .split('\0')
        .filter_map(|kv| kv.split_once('=').map(|(k, _)| k.to_string()))
        .collect()
}

#[test]
fn attack_a_child_of_exec_sees_no_login_variable_of_any_method() {
    let world = World::start_shared();
    let dir = Scratch::new("exec-env");
    let vars = every_methods_variables(&dir);
    let mut env: Vec<(&str, Option<&str>)> =
        vars.iter().map(|(k, v)| (*k, Some(v.as_str()))).collect();
    env.push(("INFISICAL_AUTH_METHOD", Some("universal")));
    let r = raxx_env(
        &world,
        &env,
        &["exec", "--agent", "feature-developer", "--", "env", "-0"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let names = child_names(&r.stdout);
    assert!(names.iter().any(|n| n == "GH_TOKEN"), "{names:?}");
    for (name, value) in &vars {
        assert!(!names.iter().any(|n| n == name), "{name} reached the child");
        assert!(
            !r.stdout.contains(value.as_str()),
            "{name}'s value reached the child"
        );
    }
    for name in raxx_host::VAULT_CREDENTIAL_VARS {
        assert!(!names.iter().any(|n| n == name), "{name} reached the child");
    }
    assert!(
        !names.iter().any(|n| n.starts_with("INFISICAL_")),
        "{names:?}"
    );
}

/// Where the fake identities' tokens must be aimed (`aud`).
const AUDIENCE: &str = "https://infisical.example";

/// A Kubernetes cluster's token issuer, its identity registered with the
/// world's Infisical, and a service-account token for it in `dir`.
fn kubernetes(world: &World, dir: &Scratch, identity: &str) -> (FakeIssuer, std::path::PathBuf) {
    let issuer = FakeIssuer::new("https://kubernetes.default.svc.cluster.local");
    world.infisical.add_jwt_identity(
        identity,
        "kubernetes",
        issuer.public(),
        AUDIENCE,
        Some(&service_account_subject("agents", "raxx")),
    );
    let path = issuer
        .service_account_token(&dir.0, AUDIENCE, "agents", "raxx", 600)
        .unwrap();
    (issuer, path)
}

/// The `jwt` of the last login the fake Infisical received.
fn last_login_jwt(world: &World) -> String {
    world
        .infisical
        .requests()
        .iter()
        .rev()
        .find(|r| r.path.contains("/auth/"))
        .and_then(|r| r.json())
        .and_then(|b| b["jwt"].as_str().map(str::to_string))
        .expect("a JWT login")
}

/// A mint succeeded: the token on stdout is one GitHub issued.
fn minted(world: &World, r: &Run) {
    assert_eq!(r.code, 0, "{}", r.stderr);
    let printed = r.stdout.trim();
    assert!(
        world
            .github
            .issued_tokens()
            .iter()
            .any(|t| t.token == printed),
        "{printed}"
    );
}

#[test]
fn kubernetes_mints_with_the_token_from_the_file_raxx_was_told() {
    let world = World::start_shared();
    let dir = Scratch::new("k8s-mint");
    let (_issuer, path) = kubernetes(&world, &dir, "identity-k8s");
    let sa_token = std::fs::read_to_string(&path).unwrap();
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-k8s")),
            (
                "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
                path.to_str(),
            ),
        ],
    );
    minted(&world, &r);
    assert_eq!(world.infisical.logins_by("kubernetes"), 1);
    assert_eq!(last_login_jwt(&world), sa_token);
    assert_hidden(&r, &[&sa_token]);
}

#[test]
fn a_rotated_token_file_is_read_again_at_the_next_mint_of_the_same_settings() {
    let world = World::start_shared();
    let dir = Scratch::new("k8s-rotate");
    let (issuer, path) = kubernetes(&world, &dir, "identity-k8s");
    let mut env = world.env();
    env.retain(|(k, _)| !k.starts_with("INFISICAL_CLIENT_"));
    env.push(("INFISICAL_AUTH_METHOD".into(), "kubernetes".into()));
    env.push((
        "INFISICAL_MACHINE_IDENTITY_ID".into(),
        "identity-k8s".into(),
    ));
    env.push((
        "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH".into(),
        path.display().to_string(),
    ));
    let settings =
        raxx_host::Settings::from_env(|k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
            .unwrap();
    let runtime =
        raxx_host::Runtime::load(&crate::harness::component_path(), &crate::harness::cache())
            .unwrap();
    let policy = raxx_host::PolicyFiles::locate(
        Some(crate::harness::shipped("agent_bot_map.yaml")),
        Some(crate::harness::shipped("policy.yaml")),
    )
    .unwrap()
    .read()
    .unwrap();
    let request = raxx_host::MintRequest {
        bot: Some("raxx-dev-bot".into()),
        agent: None,
        owner: None,
        repositories: vec![],
        permissions: vec![],
    };
    let resolved = runtime.resolve(&policy, &request).unwrap();
    runtime.mint(&settings, &resolved).result.unwrap();
    let first = last_login_jwt(&world);
    // The kubelet rotates the projected token: the next login presents the new one.
    issuer
        .service_account_token(&dir.0, AUDIENCE, "agents", "raxx", 900)
        .unwrap();
    let rotated = std::fs::read_to_string(&path).unwrap();
    assert_ne!(first, rotated);
    runtime.mint(&settings, &resolved).result.unwrap();
    assert_eq!(last_login_jwt(&world), rotated);
    // A token the identity does not accept (another audience) is refused at the next mint.
    issuer
        .service_account_token(&dir.0, "https://other.example", "agents", "raxx", 900)
        .unwrap();
    let e = runtime.mint(&settings, &resolved).result.unwrap_err();
    assert_eq!(e.exit(), raxx_host::Exit::Vault, "{e}");
    assert!(
        e.to_string().contains("INFISICAL_AUTH_METHOD=kubernetes"),
        "{e}"
    );
    assert_eq!(world.infisical.logins_by("kubernetes"), 3);
}

#[test]
fn a_wrong_identity_id_is_refused_with_exit_2_naming_the_method() {
    let world = World::start_shared();
    let dir = Scratch::new("k8s-wrong-id");
    let (_issuer, path) = kubernetes(&world, &dir, "identity-k8s");
    let sa_token = std::fs::read_to_string(&path).unwrap();
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_AUTH_METHOD", Some("kubernetes")),
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-unknown")),
            (
                "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
                path.to_str(),
            ),
        ],
    );
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(&r, "INFISICAL_AUTH_METHOD=kubernetes");
    assert!(
        r.stderr.contains("INFISICAL_MACHINE_IDENTITY_ID"),
        "{}",
        r.stderr
    );
    assert_hidden(&r, &[&sa_token]);
}

/// The fake runner, and an OIDC identity that trusts its ID tokens for `AUDIENCE`.
fn actions(world: &World) -> FakeActions {
    let actions = FakeActions::start();
    world.infisical.add_jwt_identity(
        "identity-oidc",
        "oidc",
        actions.issuer().public(),
        AUDIENCE,
        Some(raxx_fakes::actions::SUBJECT),
    );
    actions
}

fn oidc_env<'a>(
    actions: &'a [(&'static str, String); 2],
    ca: &'a str,
    audience: Option<&'a str>,
) -> Vec<(&'a str, Option<&'a str>)> {
    vec![
        ("INFISICAL_AUTH_METHOD", Some("oidc")),
        ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-oidc")),
        (actions[0].0, Some(actions[0].1.as_str())),
        (actions[1].0, Some(actions[1].1.as_str())),
        ("INFISICAL_OIDC_AUDIENCE", audience),
        ("SSL_CERT_FILE", Some(ca)),
    ]
}

#[test]
fn oidc_on_github_actions_asks_the_runner_for_an_id_token_with_the_audience() {
    let world = World::start_shared();
    let actions = actions(&world);
    let ca = Ca::run().file().display().to_string();
    let vars = actions.env();
    let r = mint_with(&world, &oidc_env(&vars, &ca, Some(AUDIENCE)));
    minted(&world, &r);
    let asked = actions.requests();
    assert_eq!(asked.len(), 1, "one ID token per login");
    assert_eq!(
        asked[0].query.get("audience").map(String::as_str),
        Some(AUDIENCE)
    );
    assert_eq!(
        asked[0].query.get("api-version").map(String::as_str),
        Some("2.0")
    );
    assert_eq!(
        asked[0].header("authorization"),
        Some(format!("Bearer {}", actions.request_token()).as_str())
    );
    assert_eq!(world.infisical.logins_by("oidc"), 1);
    let id_token = last_login_jwt(&world);
    assert_hidden(&r, &[&id_token, actions.request_token()]);
}

#[test]
fn oidc_with_the_wrong_audience_is_refused_with_exit_2() {
    let world = World::start_shared();
    let actions = actions(&world);
    let ca = Ca::run().file().display().to_string();
    let vars = actions.env();
    // No audience asked: the runner's default (the owner's URL) is not the identity's.
    let r = mint_with(&world, &oidc_env(&vars, &ca, None));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(&r, "INFISICAL_AUTH_METHOD=oidc");
    assert!(r.stderr.contains("audience"), "{}", r.stderr);
    assert!(!actions.requests()[0].query.contains_key("audience"));
    assert_hidden(&r, &[actions.request_token()]);
}

#[test]
fn a_runner_that_refuses_the_request_token_is_one_line_with_exit_2() {
    let world = World::start_shared();
    let actions = actions(&world);
    let ca = Ca::run().file().display().to_string();
    let mut vars = actions.env();
    vars[1].1 = "stale-request-secret".into();
    let r = mint_with(&world, &oidc_env(&vars, &ca, Some(AUDIENCE)));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!(
            "INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint {} refused the request (HTTP 401)",
            vars[0].1.split("/_apis").next().unwrap()
        ),
    );
    assert_hidden(&r, &["stale-request-secret", actions.request_token()]);
    assert!(world.infisical.requests().is_empty());
}

#[test]
fn jwt_mints_with_the_token_given_and_never_prints_it() {
    let world = World::start_shared();
    let issuer = FakeIssuer::new("https://issuer.example");
    world
        .infisical
        .add_jwt_identity("identity-jwt", "jwt", issuer.public(), AUDIENCE, None);
    let jwt = issuer.issue(AUDIENCE, "ci-runner", 600);
    let r = mint_with(
        &world,
        &[
            ("INFISICAL_AUTH_METHOD", Some("jwt")),
            ("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-jwt")),
            ("INFISICAL_AUTH_JWT", Some(&jwt)),
        ],
    );
    minted(&world, &r);
    assert_eq!(world.infisical.logins_by("jwt"), 1);
    assert_eq!(last_login_jwt(&world), jwt);
    assert_hidden(&r, &[&jwt]);
}

#[test]
fn token_mints_with_no_login_at_all() {
    let world = World::start_shared();
    minted(
        &world,
        &crate::harness::raxx(&world, &["mint", "raxx-dev-bot"]),
    );
    let token = world
        .infisical
        .access_tokens()
        .pop()
        .expect("an access token");
    let logins = world.infisical.logins();
    let r = mint_with(&world, &[("INFISICAL_TOKEN", Some(&token))]);
    minted(&world, &r);
    assert_eq!(world.infisical.logins(), logins, "no login is sent");
    assert_hidden(&r, &[&token]);
}

#[test]
fn attack_a_child_of_a_kubernetes_exec_sees_no_login_variable() {
    let world = World::start_shared();
    let dir = Scratch::new("k8s-exec");
    let (_issuer, path) = kubernetes(&world, &dir, "identity-k8s");
    let sa_token = std::fs::read_to_string(&path).unwrap();
    let vars = every_methods_variables(&dir);
    let mut env: Vec<(&str, Option<&str>)> = NO_UNIVERSAL.to_vec();
    env.extend(vars.iter().map(|(k, v)| (*k, Some(v.as_str()))));
    env.push(("INFISICAL_AUTH_METHOD", Some("kubernetes")));
    env.push(("INFISICAL_MACHINE_IDENTITY_ID", Some("identity-k8s")));
    env.push(("INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN", None));
    env.push((
        "INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH",
        path.to_str(),
    ));
    let r = raxx_env(
        &world,
        &env,
        &["exec", "--agent", "feature-developer", "--", "env", "-0"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(world.infisical.logins_by("kubernetes"), 1);
    let names = child_names(&r.stdout);
    assert!(names.iter().any(|n| n == "GH_TOKEN"), "{names:?}");
    assert!(
        !names
            .iter()
            .any(|n| n.starts_with("INFISICAL_") || n.starts_with("ACTIONS_ID_TOKEN")),
        "{names:?}"
    );
    assert!(
        !r.stdout.contains(&sa_token),
        "the service-account token reached the child"
    );
}

#[test]
fn attack_a_redirecting_actions_endpoint_does_not_take_the_request_token_elsewhere() {
    // The endpoint answers 307 to the real runner (which would answer an ID
    // token for the bearer), echoing the bearer in its body: raxx must
    // neither follow (a redirect would carry the request token to another
    // host) nor print what the answer said.
    let world = World::start_shared();
    let actions = actions(&world);
    let ca = Ca::run().file().display().to_string();
    let target = format!("{}&audience={AUDIENCE}", actions.request_url());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let handler: raxx_fakes::server::Handler = std::sync::Arc::new(move |req| {
        let bearer = req.header("authorization").unwrap_or_default().to_string();
        log.lock().unwrap().push(bearer.clone());
        raxx_fakes::server::Reply::Respond(
            raxx_fakes::server::HttpResponse::text(307, &format!("echo: {bearer}"))
                .with_header("location", &target),
        )
    });
    let redirector =
        raxx_fakes::server::Server::start_tls(handler, Ca::run().server_config()).unwrap();
    let mut vars = actions.env();
    vars[0].1 = format!("{}/idtoken?api-version=2.0", redirector.url());
    let r = mint_with(&world, &oidc_env(&vars, &ca, Some(AUDIENCE)));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_one_line_error(
        &r,
        &format!(
            "INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint {} refused the request (HTTP 307)",
            redirector.url()
        ),
    );
    assert_eq!(seen.lock().unwrap().len(), 1, "asked once");
    assert!(actions.requests().is_empty(), "the redirect was followed");
    assert!(world.infisical.requests().is_empty());
    assert_hidden(&r, &[actions.request_token()]);
}
