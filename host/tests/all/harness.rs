//! Running the built `raxx-host` against a loopback world, and the secret
//! hygiene check every test applies to what it printed.

use raxx_fakes::World;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// One shared compiled-component cache for the whole test run.
pub fn cache_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("raxx-test-cache-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The test run's compiled-code cache, keyed as raxx-host keys it from the worlds' secret.
pub fn cache() -> raxx_host::Cache {
    raxx_host::Cache::in_dir(cache_dir(), &raxx_fakes::world::client_secret())
}

/// The component as `scripts/build` leaves it, found the way the host finds it.
pub fn component_path() -> PathBuf {
    raxx_host::default_component_path()
        .expect("the minter component is not built: run scripts/build (or scripts/test)")
}

/// What a run printed.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A `raxx-host` command with a clean environment: only the world's variables.
pub fn host(world: Option<&World>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_raxx-host"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("RAXX_CACHE_DIR", cache_dir());
    if let Some(world) = world {
        cmd.envs(world.env());
    }
    cmd
}

pub fn run(mut cmd: Command) -> Run {
    Run::from(cmd.output().expect("run raxx-host"))
}

/// Runs `raxx-host ARGS` in `world` and checks that nothing secret leaked,
/// neither in its output nor in the audit record it wrote.
pub fn raxx(world: &World, args: &[&str]) -> Run {
    raxx_env(world, &[], args)
}

/// `raxx` with environment changes: `Some(value)` sets a variable, `None` removes it.
pub fn raxx_env(world: &World, env: &[(&str, Option<&str>)], args: &[&str]) -> Run {
    static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let audit = std::env::temp_dir().join(format!("raxx-audit-{}-{n}.jsonl", std::process::id()));
    let mut cmd = host(Some(world));
    cmd.env("RAXX_AUDIT_LOG", &audit);
    for (name, value) in env {
        match value {
            Some(v) => cmd.env(name, v),
            None => cmd.env_remove(name),
        };
    }
    cmd.args(args);
    let r = run(cmd);
    assert_no_secrets(world, &r);
    if let Ok(text) = std::fs::read_to_string(&audit) {
        let _ = std::fs::remove_file(&audit);
        assert_no_secrets(
            world,
            &Run {
                code: r.code,
                stdout: String::new(),
                stderr: text,
            },
        );
    }
    r
}

/// The client secret, any line of any bot's key, the proxy's password (alone
/// or as the `Proxy-Authorization` it makes), and any issued token other than
/// the one printed on stdout must appear nowhere in the output.
pub fn assert_no_secrets(world: &World, r: &Run) {
    let both = format!("{}\n{}", r.stdout, r.stderr);
    assert!(
        !both.contains(&world.client_secret),
        "client secret leaked:\n{both}"
    );
    let password = raxx_fakes::proxy::password();
    let basic = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("{}:{password}", raxx_fakes::proxy::USER),
    );
    assert!(
        !both.contains(&password) && !both.contains(&basic),
        "the proxy's credentials leaked:\n{both}"
    );
    for bot in &world.bots {
        for line in bot
            .key
            .pkcs1_pem()
            .lines()
            .chain(bot.key.pkcs8_pem().lines())
            .filter(|l| !l.starts_with("-----"))
        {
            assert!(
                !both.contains(line),
                "key material of {} leaked:\n{both}",
                bot.name
            );
        }
    }
    let printed = r.stdout.trim();
    for t in world.github.issued_tokens() {
        assert!(
            !r.stderr.contains(&t.token),
            "a token leaked on stderr:\n{}",
            r.stderr
        );
        if !printed.contains(&t.token) {
            assert!(
                !r.stdout.contains(&t.token),
                "an unrequested token leaked on stdout"
            );
        }
    }
}

/// The stderr of a failure must be one line naming the problem.
pub fn assert_one_line_error(r: &Run, needle: &str) {
    let lines: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected one stderr line, got:\n{}",
        r.stderr
    );
    assert!(lines[0].starts_with("raxx-host: "), "{}", lines[0]);
    assert!(
        r.stderr.contains(needle),
        "stderr lacks {needle:?}:\n{}",
        r.stderr
    );
    assert!(
        r.stdout.is_empty(),
        "stdout must stay empty on failure, got {:?}",
        r.stdout
    );
}

/// A scratch directory removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let dir = std::env::temp_dir().join(format!("raxx-{name}-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The shipped policy files.
pub fn shipped(file: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../policies")
        .join(file)
}

/// What an embedding starts from in `world`: its settings, the shipped
/// policy, the component loaded once.
pub struct Library {
    pub settings: raxx_host::Settings,
    pub policy: raxx_host::PolicyDocuments,
    pub runtime: std::sync::Arc<raxx_host::Runtime>,
}

impl Library {
    pub fn new(world: &World) -> Library {
        let env = world.env();
        let settings = raxx_host::Settings::from_env(|k| {
            env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone())
        })
        .unwrap();
        let policy = raxx_host::PolicyFiles::locate(
            Some(shipped("agent_bot_map.yaml")),
            Some(shipped("policy.yaml")),
        )
        .unwrap()
        .read()
        .unwrap();
        let runtime =
            std::sync::Arc::new(raxx_host::Runtime::load(&component_path(), &cache()).unwrap());
        Library {
            settings,
            policy,
            runtime,
        }
    }

    /// An agent class (or, with `bot: true`, a bot) resolved by the shipped policy.
    pub fn resolve(&self, name: &str, bot: bool) -> raxx_host::Resolved {
        let request = raxx_host::MintRequest {
            bot: bot.then(|| name.into()),
            agent: (!bot).then(|| name.into()),
            owner: None,
            repositories: vec![],
            permissions: vec![],
        };
        self.runtime.resolve(&self.policy, &request).unwrap()
    }

    /// A session's minter for `resolved` (its own vault keeper, no audit log).
    pub fn minter(&self, resolved: raxx_host::Resolved) -> raxx_host::RuntimeMint {
        raxx_host::RuntimeMint::new(
            self.runtime.clone(),
            self.settings.clone(),
            resolved,
            self.policy.clone(),
            None,
        )
    }
}

/// A shipped policy file (`policy.yaml`, `agent_bot_map.yaml`) with `edit`
/// applied, written to `dir` under the same name; its path as text, for an
/// argument. The edit must change the file: one that no longer matches the
/// shipped text would let a test run against the shipped policy unawares.
pub fn edited_shipped(dir: &Scratch, file: &str, edit: impl FnOnce(&str) -> String) -> String {
    let text = std::fs::read_to_string(shipped(file)).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit must change the shipped {file}");
    dir.write(file, &edited).to_str().unwrap().to_string()
}

/// An unprivileged uid for attacks that need raxx under a normal user, and a second one.
pub const USER: u32 = 61_001;
pub const OTHER_USER: u32 = 61_002;

/// Whether this test may act as root (chown, `setpriv` to another uid). Off
/// root such a test is skipped with a note, except on CI, where it fails:
/// there the attack must really run.
pub fn root_or_skip(test: &str) -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{test} needs root (setpriv to another uid) and CI runs as root"
    );
    eprintln!("skipping {test}: it needs root to act as another uid");
    false
}

/// Whether `program` (a real client the test drives) is installed, in
/// /usr/bin or /usr/local/bin. Without it the test is skipped with a note,
/// except on CI, where it fails: scripts/setup installs it there.
pub fn installed_or_skip(test: &str, program: &str) -> bool {
    let found = ["/usr/bin", "/usr/local/bin"]
        .iter()
        .any(|dir| Path::new(dir).join(program).exists());
    assert!(
        found || std::env::var_os("CI").is_none(),
        "{test} needs {program}, which is not installed; scripts/setup installs it"
    );
    if !found {
        eprintln!("skipping {test}: {program} is not installed");
    }
    found
}

/// `program` run as `uid` (and its own group), no supplementary groups, no capabilities.
pub fn as_user(uid: u32, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("setpriv");
    cmd.args([
        "--reuid",
        &uid.to_string(),
        "--regid",
        &uid.to_string(),
        "--clear-groups",
        "--inh-caps=-all",
        "--",
    ])
    .arg(program);
    cmd
}

/// Gives `path` (recursively) to `uid`.
pub fn chown(path: &std::path::Path, uid: u32) {
    let status = Command::new("chown")
        .arg("-R")
        .arg(format!("{uid}:{uid}"))
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success(), "chown {}", path.display());
}

/// `raxx-host` as `uid`, in `world`, with a home and cache of its own under `home`.
pub fn host_as(uid: u32, world: Option<&World>, home: &std::path::Path) -> Command {
    let mut cmd = as_user(uid, env!("CARGO_BIN_EXE_raxx-host"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", home)
        .env("RAXX_CACHE_DIR", home.join(".cache/raxx"));
    if let Some(world) = world {
        cmd.envs(world.env());
    }
    cmd
}

/// A SHA-256 in hex, as audit records fingerprint tokens.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
