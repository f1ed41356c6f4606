//! The component raxx-host runs is the wide-arithmetic build of the same
//! source as the portable one (scripts/build): its 64×64→128-bit multiplies
//! are `i64.mul_wide_u`, and its RS256 signatures are OpenSSL's, byte for
//! byte, for the known-answer keys of `components/minter/testdata/kat/`,
//! signed in the sandbox (the minter's own KAT tests run natively).

use crate::harness::{component_path, raxx, Scratch};
use raxx_fakes::world::{folder, ENVIRONMENT};
use raxx_fakes::{AppKey, World};
use std::path::Path;

/// How many `i64.mul_wide_u` the core modules of a component hold.
fn mul_wide_count(component: &Path) -> usize {
    let bytes = std::fs::read(component).unwrap();
    let mut count = 0;
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        if let wasmparser::Payload::CodeSectionEntry(body) = payload.unwrap() {
            for op in body.get_operators_reader().unwrap() {
                if matches!(op.unwrap(), wasmparser::Operator::I64MulWideU) {
                    count += 1;
                }
            }
        }
    }
    count
}

#[test]
fn raxx_host_runs_the_wide_arithmetic_build_and_node_the_portable_one() {
    let wide = component_path();
    assert_eq!(
        wide.parent().and_then(Path::file_name).unwrap(),
        "component-wide",
        "raxx-host finds the wide-arithmetic build first: {}",
        wide.display()
    );
    let portable = raxx_host::portable_component_path(&wide)
        .expect("scripts/build leaves the portable build beside it");
    assert!(
        mul_wide_count(&wide) > 100,
        "crypto-bigint's multiplies are i64.mul_wide_u in {}",
        wide.display()
    );
    assert_eq!(
        mul_wide_count(&portable),
        0,
        "the portable build runs on engines without wide-arithmetic (Node 20's V8)"
    );
}

/// RSASSA-PKCS1-v1_5 with SHA-256 of `message` by `openssl dgst`, or `None` without openssl.
fn openssl_sign(key_pem: &str, message: &[u8], scratch: &Scratch) -> Option<Vec<u8>> {
    use std::io::Write;
    let key = scratch.path("key.pem");
    std::fs::write(&key, key_pem).unwrap();
    let mut child = std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-sign"])
        .arg(&key)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take().unwrap().write_all(message).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl dgst failed");
    Some(out.stdout)
}

#[test]
fn signatures_from_the_sandbox_are_openssls_byte_for_byte() {
    use base64::Engine as _;
    let kat = Path::new(env!("CARGO_MANIFEST_DIR")).join("../components/minter/testdata/kat");
    let world = World::start();
    let bot = world.bot("raxx-ops-bot").clone();
    let scratch = Scratch::new("wide-kat");
    for bits in [2048, 3072, 4096] {
        let pkcs1 = std::fs::read_to_string(kat.join(format!("rsa{bits}.pem"))).unwrap();
        let pkcs8 = std::fs::read_to_string(kat.join(format!("rsa{bits}.p8.pem"))).unwrap();
        world
            .github
            .set_public_key(bot.app_id, AppKey::from_pkcs1_pem(&pkcs1).public());
        for (form, pem) in [("PKCS#1", &pkcs1), ("PKCS#8", &pkcs8)] {
            world
                .infisical
                .set_secret(ENVIRONMENT, &folder(bot.name), "PRIVATE_KEY_PEM", pem);
            let r = raxx(&world, &["mint", bot.name]);
            assert_eq!(r.code, 0, "{bits}-bit {form}: {}", r.stderr);
            let request = world
                .github
                .requests()
                .into_iter()
                .rev()
                .find(|q| q.path.ends_with("/access_tokens"))
                .expect("the token exchange");
            let jwt = request
                .header("authorization")
                .and_then(|a| a.strip_prefix("Bearer "))
                .expect("an App JWT");
            let (signed, signature) = jwt.rsplit_once('.').unwrap();
            let signature = base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(signature)
                .unwrap();
            let Some(expected) = openssl_sign(&pkcs1, signed.as_bytes(), &scratch) else {
                eprintln!("skipped signatures_from_the_sandbox_are_openssls_byte_for_byte: no openssl on PATH");
                return;
            };
            assert!(
                signature == expected,
                "{bits}-bit {form}: the sandbox's signature differs from OpenSSL's"
            );
        }
    }
}

#[test]
fn the_audit_record_names_both_artifacts() {
    let world = World::start_shared();
    let scratch = Scratch::new("wide-audit");
    let log = scratch.path("audit.jsonl");
    let mut cmd = crate::harness::host(Some(&world));
    cmd.env("RAXX_AUDIT_LOG", &log)
        .args(["mint", "raxx-dev-bot"]);
    assert_eq!(crate::harness::run(cmd).code, 0);
    let record: serde_json::Value =
        serde_json::from_str(std::fs::read_to_string(&log).unwrap().trim()).unwrap();
    let sha = |path: &Path| crate::harness::sha256_hex(&std::fs::read(path).unwrap());
    let wide = component_path();
    let portable = raxx_host::portable_component_path(&wide).unwrap();
    assert_eq!(record["component_sha256"], sha(&wide).as_str());
    assert_eq!(record["portable_component_sha256"], sha(&portable).as_str());
}
