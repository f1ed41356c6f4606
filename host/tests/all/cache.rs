//! The compiled-component cache: a second run does not recompile; a changed
//! component is compiled afresh; the cache holds no secrets; and compiled code
//! raxx did not write itself never runs (it is native code, run next to the
//! vault identity's secret).

use crate::harness::{
    chown, component_path, host, raxx_env, root_or_skip, run, Scratch, OTHER_USER,
};
use raxx_fakes::World;
use raxx_host::Runtime;
use raxx_host::{Cache, Source};
use std::path::{Path, PathBuf};

const SECRET: &str = "cache-test-secret";

fn artifacts(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| (e.path(), e.metadata().unwrap().modified().unwrap()))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn load(wasm: &[u8], dir: &Path) -> Runtime {
    Runtime::from_bytes(wasm, &Cache::in_dir(dir.to_path_buf(), SECRET)).unwrap()
}

#[test]
fn the_second_load_comes_from_the_cache_and_a_changed_component_is_recompiled() {
    let dir = Scratch::new("cache-lib");
    let wasm = std::fs::read(component_path()).unwrap();
    let first = load(&wasm, &dir.0);
    assert_eq!(first.source(), Source::Compiled);
    let second = load(&wasm, &dir.0);
    assert_eq!(second.source(), Source::Cache);
    assert_eq!(
        first.compiled_sha256(),
        second.compiled_sha256(),
        "the same compiled code, wherever it came from"
    );
    // Same code plus a custom section: different bytes, so a different key.
    let mut changed = wasm.clone();
    changed.extend_from_slice(&[0x00, 0x06, 0x05, b'r', b'a', b'x', b'x', b'!']);
    let rt = load(&changed, &dir.0);
    assert_eq!(rt.source(), Source::Compiled);
    assert_ne!(rt.component_sha256(), first.component_sha256());
    assert_eq!(artifacts(&dir.0).len(), 2);
}

#[test]
fn a_corrupt_artifact_is_replaced_not_trusted() {
    let dir = Scratch::new("cache-corrupt");
    let wasm = std::fs::read(component_path()).unwrap();
    load(&wasm, &dir.0);
    let (path, _) = artifacts(&dir.0).pop().unwrap();
    std::fs::write(&path, b"garbage").unwrap();
    let rt = load(&wasm, &dir.0);
    assert_eq!(rt.source(), Source::Compiled);
    assert!(
        rt.warnings()
            .iter()
            .any(|w| w.contains("compiling it afresh")),
        "{:?}",
        rt.warnings()
    );
    assert_eq!(load(&wasm, &dir.0).source(), Source::Cache);
}

/// What an attacker with write access to the cache can plant: the hostile
/// component's compiled code under the minter's artifact name, bare (as raxx
/// used to write artifacts) and behind a made-up tag (it lacks the key).
fn plant_hostile_code(dir: &Path) -> Vec<Vec<u8>> {
    let engine = wasmtime::Engine::new(&raxx_host::engine_config()).unwrap();
    let hostile = std::fs::read(component_path().with_file_name("raxx_hostile.wasm")).unwrap();
    let code = wasmtime::component::Component::new(&engine, &hostile)
        .unwrap()
        .serialize()
        .unwrap();
    let (name, _) = artifacts(dir).pop().expect("a cached artifact to replace");
    let forged = [vec![0u8; 32], code.clone()].concat();
    vec![code, forged]
        .into_iter()
        .inspect(|bytes| std::fs::write(&name, bytes).unwrap())
        .collect()
}

#[test]
fn planted_compiled_code_never_runs() {
    let world = World::start_shared();
    let dir = Scratch::new("cache-planted");
    let mint = || {
        raxx_env(
            &world,
            &[("RAXX_CACHE_DIR", Some(dir.0.to_str().unwrap()))],
            &["mint", "raxx-dev-bot", "--json"],
        )
    };
    assert_eq!(mint().code, 0);
    let (name, _) = artifacts(&dir.0).pop().unwrap();
    let wasm = std::fs::read(component_path()).unwrap();
    let genuine = Runtime::from_bytes(&wasm, &Cache::default())
        .unwrap()
        .compiled_sha256()
        .to_string();
    for planted in plant_hostile_code(&dir.0) {
        std::fs::write(&name, &planted).unwrap();
        let r = mint();
        assert_eq!(
            r.code, 0,
            "the real minter ran, not the planted code: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("raxx did not write it") || r.stderr.contains("truncated"),
            "one warning says why: {}",
            r.stderr
        );
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        let json: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
        assert!(json["token"].as_str().unwrap().starts_with("ghs_"));
        assert_ne!(
            std::fs::read(&name).unwrap(),
            planted,
            "the planted file was replaced by raxx's own"
        );
    }
    assert_eq!(
        load_sha(&dir.0, &world),
        genuine,
        "what is cached now is raxx's own compiled code"
    );
}

fn load_sha(dir: &Path, world: &World) -> String {
    let rt = Runtime::from_bytes(
        &std::fs::read(component_path()).unwrap(),
        &Cache::in_dir(dir.to_path_buf(), &world.client_secret),
    )
    .unwrap();
    assert_eq!(rt.source(), Source::Cache);
    rt.compiled_sha256().to_string()
}

#[test]
fn the_audit_names_the_compiled_code_that_ran() {
    let world = World::start_shared();
    let dir = Scratch::new("cache-audit");
    let log = dir.path("audit.jsonl");
    let mut cmd = host(Some(&world));
    cmd.env("RAXX_CACHE_DIR", dir.path("cache"))
        .env("RAXX_AUDIT_LOG", &log)
        .args(["mint", "raxx-dev-bot"]);
    assert_eq!(run(cmd).code, 0);
    let record: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&log)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        record["compiled_sha256"].as_str().unwrap(),
        load_sha(&dir.path("cache"), &world)
    );
}

#[test]
fn a_cache_folder_raxx_cannot_trust_is_not_used() {
    let wasm = std::fs::read(component_path()).unwrap();
    // Writable by others.
    let open = Scratch::new("cache-open");
    std::fs::set_permissions(&open.0, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let rt = load(&wasm, &open.0);
    assert_eq!(rt.source(), Source::Compiled);
    assert!(
        rt.warnings()
            .iter()
            .any(|w| w.contains("others may write to it")),
        "{:?}",
        rt.warnings()
    );
    assert!(artifacts(&open.0).is_empty(), "nothing is written there");
    // A symbolic link to a folder.
    let target = Scratch::new("cache-target");
    let link = Scratch::new("cache-link");
    let linked = link.path("cache");
    std::os::unix::fs::symlink(&target.0, &linked).unwrap();
    let rt = load(&wasm, &linked);
    assert!(
        rt.warnings().iter().any(|w| w.contains("symbolic link")),
        "{:?}",
        rt.warnings()
    );
    assert!(artifacts(&target.0).is_empty());
    // Another user's.
    if root_or_skip("a_cache_folder_raxx_cannot_trust_is_not_used") {
        let theirs = Scratch::new("cache-theirs");
        chown(&theirs.0, OTHER_USER);
        let rt = load(&wasm, &theirs.0);
        assert!(
            rt.warnings()
                .iter()
                .any(|w| w.contains(&format!("belongs to uid {OTHER_USER}"))),
            "{:?}",
            rt.warnings()
        );
        assert!(artifacts(&theirs.0).is_empty());
    }
}

#[test]
fn an_artifact_that_is_a_link_is_replaced_and_its_target_untouched() {
    let wasm = std::fs::read(component_path()).unwrap();
    let dir = Scratch::new("cache-symlink");
    load(&wasm, &dir.0);
    let (name, _) = artifacts(&dir.0).pop().unwrap();
    let victim = Scratch::new("cache-victim");
    let victim_file = victim.write("precious", "do not overwrite");
    std::fs::remove_file(&name).unwrap();
    std::os::unix::fs::symlink(&victim_file, &name).unwrap();
    let rt = load(&wasm, &dir.0);
    assert_eq!(rt.source(), Source::Compiled, "a link is never followed");
    assert_eq!(
        std::fs::read_to_string(&victim_file).unwrap(),
        "do not overwrite"
    );
    assert!(
        !std::fs::symlink_metadata(&name)
            .unwrap()
            .file_type()
            .is_symlink(),
        "raxx's own file replaced the link"
    );
}

#[test]
fn without_the_vault_secret_the_user_cache_is_not_used() {
    let world = World::start_shared();
    let dir = Scratch::new("cache-nosecret");
    let r = raxx_env(
        &world,
        &[
            ("RAXX_CACHE_DIR", Some(dir.0.to_str().unwrap())),
            ("INFISICAL_CLIENT_SECRET", None),
        ],
        &["resolve", "card-groomer"],
    );
    assert_eq!((r.code, r.stdout.as_str()), (0, "raxx-ops-bot\n"));
    assert!(
        artifacts(&dir.0).is_empty(),
        "no artifact written without a key to authenticate it"
    );
}

#[test]
fn the_cli_compiles_once_then_reuses_the_artifact_which_holds_no_secret() {
    let world = World::start_shared();
    let dir = Scratch::new("cache-cli");
    let mint = || {
        let mut cmd = host(Some(&world));
        cmd.env("RAXX_CACHE_DIR", &dir.0)
            .args(["mint", "raxx-dev-bot"]);
        run(cmd)
    };
    assert_eq!(mint().code, 0);
    let first = artifacts(&dir.0);
    assert_eq!(first.len(), 1, "one compiled artifact after the first run");
    assert_eq!(mint().code, 0);
    assert_eq!(
        artifacts(&dir.0),
        first,
        "the second run did not rewrite the artifact"
    );
    let bytes = std::fs::read(&first[0].0).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    assert!(!text.contains(&world.client_secret));
    assert!(!world
        .github
        .issued_tokens()
        .iter()
        .any(|t| text.contains(&t.token)));
}

#[test]
fn the_cache_keeps_only_the_most_recent_artifacts() {
    let dir = Scratch::new("cache-evict");
    let wasm = std::fs::read(component_path()).unwrap();
    for i in 0..raxx_host::Cache::KEEP as u8 + 2 {
        let mut variant = wasm.clone();
        variant.extend_from_slice(&[0x00, 0x06, 0x05, b'r', b'a', b'x', b'x', b'0' + i]);
        load(&variant, &dir.0);
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(artifacts(&dir.0).len(), raxx_host::Cache::KEEP);
}

#[test]
fn an_installed_artifact_is_used_only_when_root_owns_it_and_nobody_else_can_write_it() {
    if !root_or_skip(
        "an_installed_artifact_is_used_only_when_root_owns_it_and_nobody_else_can_write_it",
    ) {
        return;
    }
    let world = World::start_shared();
    let dir = Scratch::new("cache-installed");
    let share = dir.path("share");
    std::fs::create_dir(&share).unwrap();
    let r = raxx_env(
        &world,
        &[],
        &["compile", "--out-dir", share.to_str().unwrap()],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let wasm = std::fs::read(component_path()).unwrap();
    let installed = |dir: &Path| {
        Runtime::from_bytes(
            &wasm,
            &Cache {
                installed_dir: Some(dir.to_path_buf()),
                user: None,
            },
        )
        .unwrap()
    };
    assert_eq!(installed(&share).source(), Source::Installed);
    std::fs::set_permissions(&share, std::os::unix::fs::PermissionsExt::from_mode(0o777)).unwrap();
    let rt = installed(&share);
    assert_eq!(
        rt.source(),
        Source::Compiled,
        "a folder others may write to is not trusted"
    );
    assert!(
        rt.warnings()
            .iter()
            .any(|w| w.contains("owned by root and writable by nobody else")),
        "{:?}",
        rt.warnings()
    );
    std::fs::set_permissions(&share, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    chown(&share, OTHER_USER);
    assert_eq!(
        installed(&share).source(),
        Source::Compiled,
        "a file another user owns is not trusted"
    );
}

#[test]
fn scripts_install_lays_out_a_read_only_installation_whose_compiled_code_is_used() {
    if !root_or_skip(
        "scripts_install_lays_out_a_read_only_installation_whose_compiled_code_is_used",
    ) {
        return;
    }
    let world = World::start_shared();
    let prefix = Scratch::new("install");
    install(&prefix);
    let raxx = prefix.path("bin/raxx-host");
    for (file, mode) in [
        (raxx.clone(), 0o555),
        (prefix.path("share/raxx/raxx_minter.wasm"), 0o444),
        (prefix.path("share/raxx/policies/policy.yaml"), 0o444),
    ] {
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            mode,
            "{}",
            file.display()
        );
    }
    let mut cmd = std::process::Command::new(&raxx);
    cmd.env_clear()
        .envs(world.env())
        .env("PATH", std::env::var("PATH").unwrap())
        .env("RAXX_TIMING", "1")
        .env("RAXX_CACHE_DIR", prefix.path("cache"))
        .args(["mint", "raxx-ops-bot"]);
    let r = run(cmd);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("load (installed)"),
        "the installed compiled code ran: {}",
        r.stderr
    );
    assert!(
        artifacts(&prefix.path("cache")).is_empty(),
        "and nothing went to the user cache"
    );
}

/// Lays out an installation with `scripts/install --no-build`; returns its share/raxx.
/// The installed component at `component`, loaded with only the installation's folder `share` as its cache.
fn load_installed(component: &Path, share: &Path) -> Runtime {
    Runtime::load(
        component,
        &Cache {
            installed_dir: Some(share.to_path_buf()),
            user: None,
        },
    )
    .unwrap()
}

fn install(prefix: &Scratch) -> PathBuf {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/install");
    let out = std::process::Command::new(&script)
        .args(["--no-build"])
        .arg(&prefix.0)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    prefix.path("share/raxx")
}

#[test]
fn an_installed_run_believes_the_digests_recorded_at_install_only_when_root_wrote_them() {
    use crate::harness::sha256_hex;
    const DIGESTS_FILE: &str = "raxx_minter.digests";
    // `name hex` lines (scripts/install's record).
    let digest = |text: &str, name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ').map(str::to_string))
    };
    if !root_or_skip(
        "an_installed_run_believes_the_digests_recorded_at_install_only_when_root_wrote_them",
    ) {
        return;
    }
    let prefix = Scratch::new("install-digests");
    let share = install(&prefix);
    let component = share.join("raxx_minter.wasm");
    let sha = |path: &Path| sha256_hex(&std::fs::read(path).unwrap());
    let load = || load_installed(&component, &share);
    let recorded = std::fs::read_to_string(share.join(DIGESTS_FILE)).unwrap();
    let recorded_component =
        digest(&recorded, "component_sha256").expect("scripts/install records the digests");
    let rt = load();
    assert_eq!(rt.source(), Source::Installed);
    assert_eq!(rt.component_sha256(), sha(&component));
    assert_eq!(
        rt.compiled_sha256(),
        sha(&share.join(format!("raxx_minter.{}.cwasm", &recorded_component[..32])))
    );
    assert_eq!(
        rt.portable_component_sha256(),
        Some(sha(&share.join("raxx_minter.portable.wasm")).as_str())
    );
    // A record another user could have written is not believed: the run
    // hashes what it loads instead (the forged portable digest goes unused).
    let forged = recorded.replace(
        &digest(&recorded, "portable_component_sha256").unwrap(),
        &"f".repeat(64),
    );
    let record = share.join(DIGESTS_FILE);
    std::fs::write(&record, &forged).unwrap();
    assert_eq!(
        load().portable_component_sha256(),
        Some("f".repeat(64).as_str()),
        "root's record is believed"
    );
    chown(&record, OTHER_USER);
    let rt = load();
    assert_eq!(
        rt.source(),
        Source::Installed,
        "the artifact is still root's"
    );
    assert_eq!(
        rt.portable_component_sha256(),
        Some(sha(&share.join("raxx_minter.portable.wasm")).as_str())
    );
    chown(&record, 0);
    std::fs::set_permissions(&record, std::os::unix::fs::PermissionsExt::from_mode(0o666)).unwrap();
    assert_ne!(
        load().portable_component_sha256(),
        Some("f".repeat(64).as_str()),
        "nor one others may write to"
    );
    // Nor one in a folder whose parent another user could rename.
    std::fs::set_permissions(&record, std::os::unix::fs::PermissionsExt::from_mode(0o444)).unwrap();
    chown(&prefix.path("share"), OTHER_USER);
    chown(&share, 0);
    assert_ne!(
        load().portable_component_sha256(),
        Some("f".repeat(64).as_str())
    );
}

#[test]
fn the_cache_mac_binds_the_key_the_component_and_every_byte() {
    let wasm = std::fs::read(component_path()).unwrap();
    let ours = Scratch::new("mac-ours");
    load(&wasm, &ours.0);
    let (name, _) = artifacts(&ours.0).pop().unwrap();
    let genuine = std::fs::read(&name).unwrap();
    // A genuine artifact of the same component, made under another secret's key.
    let theirs = Scratch::new("mac-theirs");
    Runtime::from_bytes(&wasm, &Cache::in_dir(theirs.0.clone(), "another-secret")).unwrap();
    let other_key = std::fs::read(artifacts(&theirs.0).pop().unwrap().0).unwrap();
    // Our own artifact of another component, under this component's name.
    let mut changed = wasm.clone();
    changed.extend_from_slice(&[0x00, 0x06, 0x05, b'r', b'a', b'x', b'x', b'?']);
    let other = Scratch::new("mac-other");
    load(&changed, &other.0);
    let other_component = std::fs::read(artifacts(&other.0).pop().unwrap().0).unwrap();
    // One flipped bit in the compiled code, one in the recorded SHA-256.
    let flip = |at: usize| {
        let mut bytes = genuine.clone();
        bytes[at] ^= 1;
        bytes
    };
    for (what, planted) in [
        ("another key's tag", other_key),
        ("another component's artifact", other_component),
        ("a flipped code byte", flip(genuine.len() - 1000)),
        ("a flipped SHA-256 byte", flip(40)),
    ] {
        std::fs::write(&name, &planted).unwrap();
        let rt = load(&wasm, &ours.0);
        assert_eq!(rt.source(), Source::Compiled, "{what} is refused");
        assert!(
            rt.warnings()
                .iter()
                .any(|w| w.contains("raxx did not write it")),
            "{what}: {:?}",
            rt.warnings()
        );
        assert_eq!(
            std::fs::read(&name).unwrap(),
            genuine,
            "{what}: replaced by raxx's own"
        );
    }
}

/// Red team: a file system an unprivileged user mounted (FUSE through the
/// setuid `fusermount`, a disk image through udisks) may report any owner, so
/// "owned by root" there proves nothing: a FUSE folder below the sticky `/tmp`
/// (or below any root folder holding a folder of the user's) would pass every
/// ownership check, and its artifact would run as native code next to the
/// vault secret. Every mount a user can make is `nosuid`; an installation on
/// one is read and hashed, never mapped or deserialized. (Emulated with a
/// `nosuid` tmpfs, which only root can mount here; skipped without root.)
#[test]
fn an_installation_on_a_file_system_a_user_could_mount_is_not_trusted() {
    use crate::harness::sha256_hex;
    if !root_or_skip("an_installation_on_a_file_system_a_user_could_mount_is_not_trusted") {
        return;
    }
    let prefix = Scratch::new("install-nosuid");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "nosuid,mode=0755", "raxx-redteam"])
        .arg(&prefix.0)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a tmpfs here");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&prefix.0);
    let share = install(&prefix);
    let component = share.join("raxx_minter.wasm");
    let load = || load_installed(&component, &share);
    // The recorded digests (mapped path) are not believed ...
    let rt = load();
    assert_eq!(rt.source(), Source::Compiled);
    assert_eq!(
        rt.component_sha256(),
        sha256_hex(&std::fs::read(&component).unwrap())
    );
    // ... nor is the installed artifact read by its name without them.
    std::fs::remove_file(share.join("raxx_minter.digests")).unwrap();
    assert_eq!(load().source(), Source::Compiled);
}
