//! The compiled-component cache: a second run does not recompile; a changed
//! component is compiled afresh; the cache holds no secrets.

use crate::harness::{component_path, host, run};
use raxx_fakes::World;
use raxx_host::cache::Source;
use raxx_host::runtime::Runtime;

fn fresh_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("raxx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn artifacts(dir: &std::path::Path) -> Vec<(std::path::PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| rd.filter_map(Result::ok).map(|e| (e.path(), e.metadata().unwrap().modified().unwrap())).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn the_second_load_comes_from_the_cache_and_a_changed_component_is_recompiled() {
    let dir = fresh_dir("cache-lib");
    let wasm = std::fs::read(component_path()).unwrap();
    assert_eq!(Runtime::from_bytes(&wasm, Some(&dir)).unwrap().source(), Source::Compiled);
    assert_eq!(Runtime::from_bytes(&wasm, Some(&dir)).unwrap().source(), Source::Cache);
    // Same code plus a custom section: different bytes, so a different key.
    let mut changed = wasm.clone();
    changed.extend_from_slice(&[0x00, 0x06, 0x05, b'r', b'a', b'x', b'x', b'!']);
    let rt = Runtime::from_bytes(&changed, Some(&dir)).unwrap();
    assert_eq!(rt.source(), Source::Compiled);
    assert_ne!(rt.component_sha256(), Runtime::from_bytes(&wasm, Some(&dir)).unwrap().component_sha256());
    assert_eq!(artifacts(&dir).len(), 2);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_corrupt_artifact_is_replaced_not_trusted() {
    let dir = fresh_dir("cache-corrupt");
    let wasm = std::fs::read(component_path()).unwrap();
    Runtime::from_bytes(&wasm, Some(&dir)).unwrap();
    let (path, _) = artifacts(&dir).pop().unwrap();
    std::fs::write(&path, b"garbage").unwrap();
    assert_eq!(Runtime::from_bytes(&wasm, Some(&dir)).unwrap().source(), Source::Compiled);
    assert_eq!(Runtime::from_bytes(&wasm, Some(&dir)).unwrap().source(), Source::Cache);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_cli_compiles_once_then_reuses_the_artifact_which_holds_no_secret() {
    let world = World::start_shared();
    let dir = fresh_dir("cache-cli");
    let mint = || {
        let mut cmd = host(Some(&world));
        cmd.env("RAXX_CACHE_DIR", &dir).args(["mint", "raxx-dev-bot"]);
        run(cmd)
    };
    assert_eq!(mint().code, 0);
    let first = artifacts(&dir);
    assert_eq!(first.len(), 1, "one compiled artifact after the first run");
    assert_eq!(mint().code, 0);
    assert_eq!(artifacts(&dir), first, "the second run did not rewrite the artifact");
    let bytes = std::fs::read(&first[0].0).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&world.client_secret));
    assert!(!text.contains("ghs_") || !world.github.issued_tokens().iter().any(|t| text.contains(&t.token)));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn the_cache_keeps_only_the_most_recent_artifacts() {
    let dir = fresh_dir("cache-evict");
    let wasm = std::fs::read(component_path()).unwrap();
    for i in 0..raxx_host::cache::KEEP as u8 + 2 {
        let mut variant = wasm.clone();
        variant.extend_from_slice(&[0x00, 0x06, 0x05, b'r', b'a', b'x', b'x', b'0' + i]);
        Runtime::from_bytes(&variant, Some(&dir)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(artifacts(&dir).len(), raxx_host::cache::KEEP);
    let _ = std::fs::remove_dir_all(dir);
}
