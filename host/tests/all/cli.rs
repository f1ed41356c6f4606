//! What a new user sees: help, version, and the documented exit codes.

use crate::harness::{host, run};

#[test]
fn help_documents_commands_environment_and_exit_codes() {
    for args in [&["--help"][..], &["mint", "--help"]] {
        let mut cmd = host(None);
        cmd.args(args);
        let r = run(cmd);
        assert_eq!(r.code, 0, "{args:?}");
        for needle in [
            "INFISICAL_CLIENT_ID",
            "GITHUB_API_URL",
            "Exit codes:",
            "64  usage error",
            "3   GitHub refused",
        ] {
            assert!(
                r.stdout.contains(needle),
                "{args:?} help lacks {needle:?}:\n{}",
                r.stdout
            );
        }
    }
}

#[test]
fn version_prints_the_crate_version() {
    let mut cmd = host(None);
    cmd.arg("--version");
    let r = run(cmd);
    assert_eq!(
        (r.code, r.stdout.lines().next().unwrap_or_default()),
        (0, concat!("raxx-host ", env!("CARGO_PKG_VERSION")))
    );
    // Then the digests of the two artifacts built from one source: the one
    // raxx-host runs (wide-arithmetic) and the portable one the Node host runs.
    let sha = |path: &std::path::Path| crate::harness::sha256_hex(&std::fs::read(path).unwrap());
    let component = crate::harness::component_path();
    let mut want = vec![format!("component sha256 {} ", sha(&component))];
    if let Some(portable) = raxx_host::portable_component_path(&component) {
        want.push(format!("portable component sha256 {} ", sha(&portable)));
    }
    let lines: Vec<&str> = r.stdout.lines().skip(1).collect();
    assert_eq!(lines.len(), want.len(), "{}", r.stdout);
    for (line, want) in lines.iter().zip(&want) {
        assert!(
            line.starts_with(want.as_str()),
            "{line:?} should start with {want:?}"
        );
    }
}
