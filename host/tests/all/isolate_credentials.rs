//! Attack: an isolated agent reads the file that logs raxx into the vault (a
//! Kubernetes service-account token), which would give it every bot's key.
//! The sandbox shows `/etc` and `/opt`; a token file there must not be.

use crate::harness::{host, root_or_skip, run, shipped, Run, Scratch};
use crate::isolate::{git_init, outside_tmp};
use raxx_fakes::jwt::{service_account_subject, FakeIssuer};
use raxx_fakes::World;
use std::path::{Path, PathBuf};

const AUDIENCE: &str = "https://infisical.example";

/// A folder in /opt (which the sandbox shows), removed when dropped.
fn in_opt(name: &str) -> Scratch {
    let dir = PathBuf::from(format!("/opt/raxx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    Scratch(dir)
}

/// `spawn` (`--isolate` or not) as feature-developer, logging in with the
/// service-account token at `token`, running `probe` with `sh -c`.
fn spawn_with_token(world: &World, token: &Path, isolate: bool, probe: &str) -> Run {
    spawn_with_token_and(world, token, isolate, probe, &[])
}

/// `spawn_with_token` with more variables set.
fn spawn_with_token_and(
    world: &World,
    token: &Path,
    isolate: bool,
    probe: &str,
    env: &[(&str, &Path)],
) -> Run {
    let project = outside_tmp("cred-project");
    git_init(&project.0);
    let mut cmd = host(Some(world));
    cmd.current_dir(&project.0)
        .envs(env.iter().copied())
        .env("INFISICAL_AUTH_METHOD", "kubernetes")
        .env("INFISICAL_MACHINE_IDENTITY_ID", "identity-isolated")
        .env("INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH", token)
        .args([
            "--policy",
            shipped("policy.yaml").to_str().unwrap(),
            "spawn",
        ])
        .args(isolate.then_some("--isolate"))
        .args(["--agent", "feature-developer", "--", "sh", "-c", probe]);
    run(cmd)
}

fn issuer(world: &World) -> FakeIssuer {
    let issuer = FakeIssuer::new("https://kubernetes.default.svc.cluster.local");
    world.infisical.add_jwt_identity(
        "identity-isolated",
        "kubernetes",
        issuer.public(),
        AUDIENCE,
        Some(&service_account_subject("agents", "raxx")),
    );
    issuer
}

const PROBE: &str = "cat \"$0\" 2>/dev/null && echo token-file=READ || echo token-file=HIDDEN; \
    ls \"$(dirname \"$0\")\" 2>/dev/null | grep -q . && echo folder=LISTED || echo folder=EMPTY; \
    test -n \"$GH_TOKEN\" && echo gh=OK";

#[test]
fn attack_an_isolated_agent_cannot_read_a_token_file_in_a_folder_the_sandbox_shows() {
    if !root_or_skip(
        "attack_an_isolated_agent_cannot_read_a_token_file_in_a_folder_the_sandbox_shows",
    ) {
        return;
    }
    let world = World::start_shared();
    let issuer = issuer(&world);
    let folder = in_opt("sa-token");
    let token = issuer
        .service_account_token(&folder.0, AUDIENCE, "agents", "raxx", 600)
        .unwrap();
    let content = std::fs::read_to_string(&token).unwrap();
    let probe = PROBE.replace("$0", token.to_str().unwrap());

    // The probe works: without --isolate the agent (the operator's uid) reads it.
    let open = spawn_with_token(&world, &token, false, &probe);
    assert_eq!(open.code, 0, "{}", open.stderr);
    assert!(open.stdout.contains("token-file=READ"), "{}", open.stdout);

    let logins = world.infisical.logins_by("kubernetes");
    let r = spawn_with_token(&world, &token, true, &probe);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for line in ["token-file=HIDDEN", "folder=EMPTY", "gh=OK"] {
        assert!(
            r.stdout.lines().any(|l| l == line),
            "want {line}:\n{}",
            r.stdout
        );
    }
    assert!(!r.stdout.contains(content.trim()), "{}", r.stdout);
    assert!(
        world.infisical.logins_by("kubernetes") > logins,
        "raxx itself logged in with the file"
    );
}

#[test]
fn a_token_file_directly_in_a_shown_system_folder_is_refused_before_anything_runs() {
    if !root_or_skip(
        "a_token_file_directly_in_a_shown_system_folder_is_refused_before_anything_runs",
    ) {
        return;
    }
    let world = World::start_shared();
    let issuer = issuer(&world);
    let folder = in_opt("sa-direct");
    let made = issuer
        .service_account_token(&folder.0, AUDIENCE, "agents", "raxx", 600)
        .unwrap();
    let token = PathBuf::from(format!("/opt/raxx-direct-token-{}", std::process::id()));
    std::fs::copy(&made, &token).unwrap();
    let r = spawn_with_token(&world, &token, true, "echo agent=RAN");
    let _ = std::fs::remove_file(&token);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert!(!r.stdout.contains("agent=RAN"), "{}", r.stdout);
    assert!(
        r.stderr.contains(&format!(
            "token file {} lies directly in /opt",
            token.display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn attack_a_ca_folder_the_sandbox_binds_does_not_show_the_token_file_inside_it() {
    // SSL_CERT_DIR names the folder the token lies in (a volume holding the
    // vault's CA and the identity's JWT, say): raxx binds the CA folders into
    // the sandbox for the agent's git, over the tmpfs that hid the token.
    if !root_or_skip("attack_a_ca_folder_the_sandbox_binds_does_not_show_the_token_file_inside_it")
    {
        return;
    }
    let world = World::start_shared();
    let issuer = issuer(&world);
    let folder = in_opt("sa-ca-dir");
    let token = issuer
        .service_account_token(&folder.0, AUDIENCE, "agents", "raxx", 600)
        .unwrap();
    std::fs::copy(
        raxx_fakes::tls::Ca::run().file(),
        folder.0.join("vault-ca.pem"),
    )
    .unwrap();
    let probe = PROBE.replace("$0", token.to_str().unwrap());
    let r = spawn_with_token_and(
        &world,
        &token,
        true,
        &probe,
        &[("SSL_CERT_DIR", folder.0.as_path())],
    );
    let content = std::fs::read_to_string(&token).unwrap();
    assert!(!r.stdout.contains("token-file=READ"), "{}", r.stdout);
    assert!(!r.stdout.contains(content.trim()), "{}", r.stdout);
    assert_eq!(r.code, 7, "{}\n{}", r.stdout, r.stderr);
    assert!(
        r.stderr.contains("SSL_CERT_DIR") && r.stderr.contains(&folder.0.display().to_string()),
        "{}",
        r.stderr
    );
}
