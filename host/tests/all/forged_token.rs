//! The host checks what it prints: a hostile build's `mint` answers a token
//! carrying terminal control sequences (tests/hostile/src/forged.rs); no
//! command prints it, exports it or hands it to a child (host/src/sandbox/token_shape.rs).

use crate::harness::{assert_one_line_error, component_path, raxx, Scratch};
use raxx_fakes::World;

fn hostile_path() -> String {
    component_path()
        .with_file_name("raxx_hostile.wasm")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn a_forged_token_is_never_printed_exported_or_handed_to_a_child() {
    let world = World::start_shared();
    let hostile = hostile_path();
    let dir = Scratch::new("forged-token");
    let ran = dir.path("ran");
    let record = format!("printf '%s' \"$GH_TOKEN\" > {}", ran.display());
    for attack in ["forged-escape", "forged-newline", "forged-quote"] {
        for output in [&[][..], &["--export"][..], &["--json"][..]] {
            let args = [
                &["--component", hostile.as_str(), "mint", attack][..],
                output,
            ]
            .concat();
            let r = raxx(&world, &args);
            assert_eq!(r.code, 1, "{attack} {output:?}: {}{}", r.stdout, r.stderr);
            assert_one_line_error(&r, "the component returned something that is not a token");
            assert!(
                !r.stderr.contains('\x1b') && !r.stderr.contains("owned"),
                "{attack}: {:?}",
                r.stderr
            );
        }
        let r = raxx(
            &world,
            &[
                "--component",
                &hostile,
                "exec",
                attack,
                "--",
                "sh",
                "-c",
                &record,
            ],
        );
        assert_eq!(r.code, 1, "{attack} exec: {}{}", r.stdout, r.stderr);
        assert_one_line_error(&r, "the component returned something that is not a token");
        assert!(!ran.exists(), "{attack}: the child ran with a forged token");
    }
    // A token of GitHub's shape goes through: the check could fail the other way.
    let r = raxx(&world, &["--component", &hostile, "mint", "forged-valid"]);
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (0, "ghs_16C7e42F292c6912E7710c838347Ae178B4a\n"),
        "{}",
        r.stderr
    );
}

/// Red team (WIT 0.2.0): a hostile build's `set-suspended` answers the
/// largest u64 installation id and an App Client ID carrying terminal control
/// sequences and a forged line; `suspend` prints the id whole and the Client
/// ID without a control character.
#[test]
fn odd_values_from_set_suspended_are_printed_safely() {
    let world = World::start_shared();
    let hostile = hostile_path();
    let r = raxx(&world, &["--component", &hostile, "suspend", "forged-app"]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert!(!r.stdout.contains(['\x1b', '\r', '\x07']), "{:?}", r.stdout);
    assert_eq!(r.stdout.lines().count(), 1, "{:?}", r.stdout);
    assert!(
        r.stdout.starts_with("forged-app: installation 18446744073709551615 (App Iv1. [2J ]0;owned raxx-ops-bot: unsuspended owned) suspended"),
        "{:?}",
        r.stdout
    );
}
