//! Time is the host's: whatever timeouts a (hostile) component asks for, or
//! none, the host's caps bound each request, and `RAXX_DEADLINE_MS` bounds a
//! whole call, waits included, which the epoch deadline cannot see.

use crate::harness::{assert_one_line_error, raxx_env};
use crate::sandbox::{attack_with, hostile, settings};
use raxx_fakes::server::Silent;
use raxx_fakes::World;
use raxx_host::Settings;
use raxx_host::{Limits, Network};
use std::time::{Duration, Instant};

/// The world's settings with GitHub at a port that accepts and never answers.
fn hanging_github(world: &World, silent: &Silent) -> Settings {
    let env = world.env();
    Settings::from_env(|k| {
        if k == "GITHUB_API_URL" {
            Some(silent.url())
        } else {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        }
    })
    .unwrap()
}

fn caps(first_byte: Duration) -> Network {
    Network {
        limits: Limits {
            connect: Duration::from_secs(5),
            first_byte,
        },
        ..Network::default()
    }
}

#[test]
fn a_request_without_timeout_options_is_bounded_by_the_hosts_cap() {
    let (world, silent) = (World::start_shared(), Silent::start().unwrap());
    let mut runtime = hostile();
    runtime.set_network(caps(Duration::from_millis(300)));
    for attack in ["fetch", "fetch-patient"] {
        let start = Instant::now();
        let report = attack_with(
            &runtime,
            &hanging_github(&world, &silent),
            attack,
            &format!("{}/app/installations", silent.url()),
        )
        .unwrap();
        let took = start.elapsed();
        assert_eq!(
            report,
            format!("{attack}: error: ErrorCode::ConnectionReadTimeout"),
            "{attack}"
        );
        assert!(
            took >= Duration::from_millis(300) && took < Duration::from_secs(5),
            "{attack}: the host's 300 ms cap, not the guest's choice: {took:?}"
        );
    }
}

#[test]
fn a_call_waiting_past_its_deadline_is_stopped_and_says_which_limit() {
    let (world, silent) = (World::start_shared(), Silent::start().unwrap());
    let mut runtime = hostile();
    runtime.set_deadline(Duration::from_millis(500));
    // The per-request caps are far away: only the call's deadline can stop these.
    runtime.set_network(caps(Duration::from_secs(60)));
    for (attack, target) in [
        ("fetch", format!("{}/app/installations", silent.url())),
        ("sleep", String::new()),
    ] {
        let start = Instant::now();
        let err =
            attack_with(&runtime, &hanging_github(&world, &silent), attack, &target).unwrap_err();
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{attack}: stopped in {:?}",
            start.elapsed()
        );
        let message = format!("{err:#}");
        assert_eq!(message.lines().count(), 1, "{message}");
        assert!(message.contains("was still waiting (on the network or a retry's backoff) when its deadline of 500 ms (RAXX_DEADLINE_MS) passed"), "{attack}: {message}");
    }
    assert_eq!(
        attack_with(&runtime, &settings(&world), "read-env", "").unwrap(),
        "read-env: 0 variables: ",
        "the same runtime still works"
    );
}

#[test]
fn the_cli_stops_a_mint_that_waits_past_its_deadline_with_one_line() {
    let (world, silent) = (World::start_shared(), Silent::start().unwrap());
    let start = Instant::now();
    let r = raxx_env(
        &world,
        &[
            ("GITHUB_API_URL", Some(&silent.url())),
            ("RAXX_TIMEOUT_MS", Some("60000")),
            ("RAXX_DEADLINE_MS", Some("3000")),
        ],
        &["mint", "raxx-dev-bot"],
    );
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "stopped in {:?}",
        start.elapsed()
    );
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert_one_line_error(
        &r,
        "deadline of 3000 ms (RAXX_DEADLINE_MS) passed, and was stopped",
    );
    assert_eq!(
        world.infisical.requests().len(),
        2,
        "the vault answered; GitHub never did"
    );
}
