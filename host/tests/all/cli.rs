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
        (r.code, r.stdout.trim()),
        (0, concat!("raxx-host ", env!("CARGO_PKG_VERSION")))
    );
}
