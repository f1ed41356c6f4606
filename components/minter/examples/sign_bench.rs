//! Times the App JWT's RS256 signature: this crate's signer against the `rsa`
//! crate's, on the key read from stdin. Built for wasm32-wasip2 by
//! `scripts/build` and run inside wasmtime by `scripts/bench` (which also runs
//! the native numbers); prints one JSON line of medians in milliseconds.
//!
//! `raxx_after_idle_ms` times our signature right after 20 ms of sleep, as a
//! mint runs it after a network wait: it shows what the machine itself charges
//! for work that follows an idle spell.

use rsa::signature::{SignatureEncoding, Signer};
use std::io::Read;
use std::time::{Duration, Instant};

/// The wait before each `raxx_after_idle_ms` run: one request's latency in the benchmark.
const IDLE: Duration = Duration::from_millis(20);

fn median_ms(runs: usize, f: impl FnMut()) -> f64 {
    median_ms_after(runs, Duration::ZERO, f)
}

/// The median of `runs` timings of `f`, each after sleeping `idle`.
fn median_ms_after(runs: usize, idle: Duration, mut f: impl FnMut()) -> f64 {
    let mut samples: Vec<f64> = (0..runs)
        .map(|_| {
            if !idle.is_zero() {
                std::thread::sleep(idle);
            }
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn main() {
    let mut pem = String::new();
    if std::io::stdin().read_to_string(&mut pem).is_err() {
        eprintln!("sign_bench: could not read the PEM from stdin");
        std::process::exit(2);
    }
    let key = match raxx_minter::pem::parse_private_key(&pem) {
        Ok(key) => key,
        Err(e) => {
            eprintln!("sign_bench: {e}");
            std::process::exit(2);
        }
    };
    let message = b"eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDAwMDYwMCwiaXNzIjoxMjM0NX0";
    let parse = median_ms(11, || drop(std::hint::black_box(raxx_minter::pem::parse_private_key(&pem))));
    let sign = || drop(std::hint::black_box(raxx_minter::signature::sign_rs256(&key, message)));
    let ours = median_ms(21, sign);
    let after_idle = median_ms_after(21, IDLE, sign);
    // The `rsa` crate's own reading of the key (it validates and precomputes).
    let Ok(theirs) = <rsa::RsaPrivateKey as rsa::pkcs1::DecodeRsaPrivateKey>::from_pkcs1_pem(&pem) else {
        eprintln!("sign_bench: the rsa crate could not read the key (it takes PKCS#1 here)");
        std::process::exit(2);
    };
    let signer = rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(theirs);
    let crate_ms = median_ms(11, || drop(std::hint::black_box(signer.sign(message).to_vec())));
    println!("{{\"parse_ms\":{parse:.3},\"raxx_ms\":{ours:.3},\"raxx_after_idle_ms\":{after_idle:.3},\"rsa_crate_ms\":{crate_ms:.3}}}");
}
