//! The sandbox: engine, component loading (through the cache), and one
//! locked-down store per call, run on a runtime and a client of its own
//! (`net::block_on`, `net::Client`), all dropped when the call returns.
//!
//! The store grants the component outbound HTTP (judged by the egress hooks)
//! and the clocks. The rest of WASI that Rust's std makes it import is linked
//! empty: no environment, no arguments, no preopened directories, no sockets,
//! stdin closed, stdout/stderr discarded.

use crate::config::settings::Settings;
use crate::net::{self, Explain};
use crate::sandbox::bindings::exports::raxx::identity::types::{
    FallbackDecision, FallbackRequest, InstallationToken, MintError, MintRequest, PolicyDocuments,
    Resolution, Suspension, VaultAccess, Verification,
};
use crate::sandbox::bindings::{Minter, MinterPre};
use crate::sandbox::cache::{self, Cache, Source};
use crate::sandbox::egress::{Allowlist, EgressHooks};
use crate::sandbox::reach::Call;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::component::{Linker, ResourceTable};
use wasmtime::{Config, Engine, ResourceLimiter, Store, StoreLimits, StoreLimitsBuilder};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Linear memory one component instance may use.
pub const MEMORY_LIMIT_BYTES: usize = 64 << 20;

/// How often the engine's epoch advances.
const EPOCH_TICK: std::time::Duration = std::time::Duration::from_millis(50);

/// Wall time one call may take, component code and waits on the network
/// together, before it is stopped (`RAXX_DEADLINE_MS`; default 120 s).
pub fn deadline() -> std::time::Duration {
    let ms = std::env::var("RAXX_DEADLINE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .unwrap_or(120_000);
    std::time::Duration::from_millis(ms)
}

/// File name of the component as the build leaves it.
pub const COMPONENT_FILE: &str = "raxx_minter.wasm";

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
    hooks: EgressHooks,
    limits: Limits,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}

/// A loaded minter component, ready to instantiate per call. Cheap to share across
/// threads. Each call runs on a runtime and with connections of its own
/// (`net/`), which end with it. The calls block the calling thread; from async
/// code, call them through `tokio::task::spawn_blocking`.
pub struct Runtime {
    engine: Engine,
    pre: MinterPre<State>,
    component_sha256: String,
    compiled_sha256: String,
    /// The portable build of the same source: where it is, and its SHA-256
    /// (hashed at first use, or recorded at install).
    portable: Option<PathBuf>,
    portable_sha256: std::sync::OnceLock<Option<String>>,
    source: Source,
    warnings: Vec<String>,
    deadline: std::time::Duration,
    /// The host's timeout caps, proxy and trusted CAs (from the environment at
    /// load); a variable it cannot use fails every call that would go out.
    network: Result<net::Network, String>,
}

/// A request resolved against the policy, by [`Runtime::resolve`] or
/// [`Runtime::bots`]: read it as the WIT `resolution` it derefs to, and pass it
/// to the calls that act on it. Nothing outside this module makes or edits
/// one, so the scope a mint asks GitHub for, and the scope the egress hook
/// holds that exchange to, are the ones the policy resolved.
#[derive(Clone, Debug)]
pub struct Resolved(Resolution);

impl std::ops::Deref for Resolved {
    type Target = Resolution;
    fn deref(&self) -> &Resolution {
        &self.0
    }
}

/// Why a call has no answer.
#[derive(Debug)]
pub enum CallError {
    /// The component's answer: a typed failure (the vault, GitHub, the policy,
    /// the request). `revoke` and `bot_user_id` fail at GitHub only.
    Failed(MintError),
    /// The component could not run, or trapped (a bug, or a limit that
    /// stopped it): raxx's own failure.
    Host(anyhow::Error),
}

/// The settings of a call that logs in, a JWT login's token read now
/// ([`Settings::for_login`]); a failure to read it is the vault's (exit 2).
fn for_login(settings: &Settings) -> Result<std::borrow::Cow<'_, Settings>, CallError> {
    settings
        .for_login()
        .map_err(|e| CallError::Failed(crate::config::settings::mint_error(&e)))
}

impl CallError {
    /// The exit code that reports it (`exit.rs`).
    pub fn exit(&self) -> crate::exit::Exit {
        match self {
            CallError::Failed(e) => crate::error::exit_for(e),
            CallError::Host(_) => crate::exit::Exit::Host,
        }
    }
}

/// One line: the component's message, or what stopped it.
impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Failed(e) => f.write_str(crate::error::message(e)),
            CallError::Host(e) => write!(f, "{e:#}"),
        }
    }
}

impl std::error::Error for CallError {}

/// What one mint call produced.
pub struct Outcome {
    /// The component's answer: a token, or why there is none.
    pub result: Result<InstallationToken, CallError>,
    /// Destinations the egress hooks refused during the call.
    pub denied: Vec<String>,
    /// Each allowed request and how long it took.
    pub requests: Vec<crate::sandbox::egress::RequestTiming>,
    /// Connections opened (kept alive for the call's later requests and for later calls).
    pub connections: usize,
}

/// What the egress hooks saw during one call (`Outcome`'s other fields).
struct Traffic {
    denied: Vec<String>,
    requests: Vec<crate::sandbox::egress::RequestTiming>,
    connections: usize,
}

/// File name of the portable build installed beside the wide one (`scripts/install`).
pub const PORTABLE_COMPONENT_FILE: &str = "raxx_minter.portable.wasm";

/// Where the component is found without flags: next to the binary (installed
/// layout), or where `scripts/build` leaves it in the cargo target dir, the
/// wide-arithmetic build before the portable one.
pub fn default_component_path() -> Option<PathBuf> {
    let exe = std::env::current_exe().ok()?;
    let dir = exe.parent()?;
    let candidates = [
        dir.join(COMPONENT_FILE),
        dir.join("../share/raxx").join(COMPONENT_FILE),
        dir.join("../wasm32-wasip2/component-wide")
            .join(COMPONENT_FILE),
        dir.join("../wasm32-wasip2/component").join(COMPONENT_FILE),
        dir.join("../../wasm32-wasip2/component-wide")
            .join(COMPONENT_FILE),
        dir.join("../../wasm32-wasip2/component")
            .join(COMPONENT_FILE),
    ];
    candidates.into_iter().find(|p| p.is_file())
}

/// The portable build of the same source as the component at `component`
/// (the one the Node host runs, without wide-arithmetic): installed beside it
/// as `raxx_minter.portable.wasm`, or in `scripts/build`'s `component/` folder
/// next to `component-wide/`. `None` when `component` is that build itself or
/// there is none.
pub fn portable_component_path(component: &Path) -> Option<PathBuf> {
    let dir = component.parent()?;
    let candidate = if dir.file_name()? == "component-wide" {
        dir.parent()?.join("component").join(component.file_name()?)
    } else {
        dir.join(PORTABLE_COMPONENT_FILE)
    };
    candidate.is_file().then_some(candidate)
}

/// What `raxx-host --version` prints after the version: one line per artifact,
/// `component sha256 HEX PATH` (the one raxx-host runs) and
/// `portable component sha256 HEX PATH` (the same source without
/// wide-arithmetic, the Node host's), or `component none` when none is found.
pub fn version_lines(component: Option<&Path>) -> String {
    let digest = |path: &Path| {
        crate::support::files::read_regular(path, crate::support::files::MAX_COMPONENT_BYTES)
            .map(|bytes| cache::sha256_hex(&bytes))
            .unwrap_or_else(|why| format!("unreadable ({why})"))
    };
    let Some(component) = component else {
        return "component none\n".into();
    };
    let mut lines = format!(
        "component sha256 {} {}\n",
        digest(component),
        component.display()
    );
    if let Some(portable) = portable_component_path(component) {
        lines += &format!(
            "portable component sha256 {} {}\n",
            digest(&portable),
            portable.display()
        );
    }
    lines
}

/// The engine configuration every load uses. wasm's wide-arithmetic
/// (`i64.mul_wide_u` and friends) is on: raxx-host runs the component built
/// with it (`scripts/build`), whose RSA signing is ~4x faster; the portable
/// build runs on it too.
pub fn engine_config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.wasm_wide_arithmetic(true);
    config
}

/// Advances the engine's epoch until the engine is dropped.
fn start_epoch_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::spawn(move || loop {
        std::thread::sleep(EPOCH_TICK);
        match weak.upgrade() {
            Some(engine) => engine.increment_epoch(),
            None => break,
        }
    });
}

/// Says what stopped the component, when it was a limit rather than a bug:
/// the epoch deadline (wasmtime's `Trap::Interrupt`) or the memory limit
/// (the store's limiter answers a [`MemoryLimit`]), told apart by type.
fn explain_trap(e: wasmtime::Error, deadline: std::time::Duration) -> anyhow::Error {
    let interrupted = e.downcast_ref::<wasmtime::Trap>() == Some(&wasmtime::Trap::Interrupt);
    let out_of_memory = e.is::<MemoryLimit>();
    let e = anyhow::Error::from(e);
    if interrupted {
        e.context(format!("the minter component ran past its deadline of {} ms (RAXX_DEADLINE_MS) and was stopped", deadline.as_millis()))
    } else if out_of_memory {
        e.context(format!(
            "the minter component hit its memory limit of {} MiB and was stopped",
            MEMORY_LIMIT_BYTES >> 20
        ))
    } else {
        e.context("the minter component trapped")
    }
}

/// A linear memory asked to grow past [`MEMORY_LIMIT_BYTES`], or a growth the
/// system refused: the trap's cause, recognised by type in [`explain_trap`].
#[derive(Debug)]
struct MemoryLimit;

impl std::fmt::Display for MemoryLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "memory growth past {} MiB", MEMORY_LIMIT_BYTES >> 20)
    }
}

impl std::error::Error for MemoryLimit {}

/// The store's limits: wasmtime's [`StoreLimits`] (instances, tables), with a
/// memory growth past the limit failing as a [`MemoryLimit`] trap.
struct Limits(StoreLimits);

impl ResourceLimiter for Limits {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        match self.0.memory_growing(current, desired, maximum) {
            Ok(true) => Ok(true),
            _ => Err(wasmtime::Error::new(MemoryLimit)),
        }
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        Err(error.context(MemoryLimit))
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.0.table_growing(current, desired, maximum)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.0.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.0.instances()
    }

    fn tables(&self) -> usize {
        self.0.tables()
    }

    fn memories(&self) -> usize {
        self.0.memories()
    }
}

impl Runtime {
    /// Loads the component at `path` (a regular file), its compiled code from `cache` when it may be trusted.
    ///
    /// An installed component (`raxx_minter.wasm` in the cache's
    /// `installed_dir`) whose digests `scripts/install` recorded is neither
    /// read nor hashed: its compiled code is mapped (`cache::load_recorded`).
    pub fn load(path: &Path, cache: &Cache) -> Result<Runtime> {
        let installed = cache.installed_dir.as_deref().filter(|dir| {
            path.parent() == Some(*dir) && path.file_name() == Some(COMPONENT_FILE.as_ref())
        });
        if let Some(dir) = installed {
            let engine = Engine::new(&engine_config())?;
            if let Some((component, digests)) = cache::load_recorded(&engine, dir) {
                let portable = std::sync::OnceLock::new();
                let _ = portable.set(digests.portable_component_sha256);
                return Runtime::assemble(
                    engine,
                    cache::Loaded {
                        component,
                        source: Source::Installed,
                        compiled_sha256: digests.compiled_sha256,
                        warnings: Vec::new(),
                    },
                    digests.component_sha256,
                    portable,
                );
            }
        }
        let wasm =
            crate::support::files::read_regular(path, crate::support::files::MAX_COMPONENT_BYTES)
                .map_err(|why| anyhow::anyhow!("{why}"))?;
        let mut runtime = Runtime::from_bytes(&wasm, cache)
            .with_context(|| format!("loading the minter component {}", path.display()))?;
        runtime.portable = portable_component_path(path);
        Ok(runtime)
    }

    pub fn from_bytes(wasm: &[u8], cache: &Cache) -> Result<Runtime> {
        let engine = Engine::new(&engine_config())?;
        let component_sha256 = cache::sha256_hex(wasm);
        let loaded = cache::load(&engine, wasm, &component_sha256, cache)?;
        Runtime::assemble(engine, loaded, component_sha256, std::sync::OnceLock::new())
    }

    fn assemble(
        engine: Engine,
        loaded: cache::Loaded,
        component_sha256: String,
        portable_sha256: std::sync::OnceLock<Option<String>>,
    ) -> Result<Runtime> {
        start_epoch_ticker(&engine);
        let pre = MinterPre::new(Self::linker(&engine)?.instantiate_pre(&loaded.component)?)?;
        Ok(Runtime {
            engine,
            pre,
            component_sha256,
            compiled_sha256: loaded.compiled_sha256,
            portable: None,
            portable_sha256,
            source: loaded.source,
            warnings: loaded.warnings,
            deadline: deadline(),
            network: crate::config::settings::network(|k| std::env::var(k).ok())
                .map_err(|e| e.message),
        })
    }

    /// Writes this component's compiled code where `scripts/install` puts it
    /// (`dir/raxx_minter.<sha>.cwasm`), and the digests an installed run
    /// reads instead of hashing (`dir/raxx_minter.digests`); returns the
    /// artifact written.
    pub fn write_installed_artifact(&self, dir: &Path) -> Result<PathBuf> {
        let bytes = self.pre.instance_pre().component().serialize()?;
        let path = dir.join(cache::installed_name(&self.component_sha256));
        std::fs::write(&path, &bytes).with_context(|| format!("writing {}", path.display()))?;
        let digests = cache::Digests {
            component_sha256: self.component_sha256.clone(),
            compiled_sha256: cache::sha256_hex(&bytes),
            portable_component_sha256: self.portable_component_sha256().map(str::to_string),
        };
        let record = dir.join(cache::DIGESTS_FILE);
        std::fs::write(&record, digests.render())
            .with_context(|| format!("writing {}", record.display()))?;
        Ok(path)
    }

    fn linker(engine: &Engine) -> Result<Linker<State>> {
        let mut linker = Linker::new(engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        wasmtime_wasi_http::p2::add_only_http_to_linker_async(&mut linker)?;
        Ok(linker)
    }

    /// Changes how long one call may take (default: `deadline()`).
    pub fn set_deadline(&mut self, deadline: std::time::Duration) {
        self.deadline = deadline;
    }

    /// Changes the host's timeout caps, proxy and trusted CAs (default: the
    /// environment's when the runtime loaded, `settings::network`).
    pub fn set_network(&mut self, network: net::Network) {
        self.network = Ok(network);
    }

    /// The host's timeout caps, proxy and trusted CAs, for the host's own
    /// requests (`net::rest`); the error is the setting that is unusable.
    pub fn network(&self) -> Result<&net::Network, &str> {
        self.network.as_ref().map_err(String::as_str)
    }

    /// SHA-256 of the component bytes (what an audit records).
    pub fn component_sha256(&self) -> &str {
        &self.component_sha256
    }

    /// SHA-256 of the portable build of the same source (the artifact the Node
    /// host runs; this one is built with wide-arithmetic), when there is one
    /// beside the component (`portable_component_path`); what an audit records
    /// as `portable_component_sha256`. Hashed at the first call.
    pub fn portable_component_sha256(&self) -> Option<&str> {
        self.portable_sha256
            .get_or_init(|| {
                let path = self.portable.as_deref()?;
                let bytes = crate::support::files::read_regular(
                    path,
                    crate::support::files::MAX_COMPONENT_BYTES,
                )
                .ok()?;
                Some(cache::sha256_hex(&bytes))
            })
            .as_deref()
    }

    /// SHA-256 of the compiled code that runs (what an audit records beside the component's).
    pub fn compiled_sha256(&self) -> &str {
        &self.compiled_sha256
    }

    /// Where the compiled code came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// Caches skipped while loading, and why (one line each).
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    fn store(&self, allowlist: Arc<Allowlist>, client: net::Client) -> Store<State> {
        let wasi = WasiCtx::builder()
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let limits = Limits(
            StoreLimitsBuilder::new()
                .memory_size(MEMORY_LIMIT_BYTES)
                .instances(16)
                .trap_on_grow_failure(true)
                .build(),
        );
        let state = State {
            wasi,
            http: WasiHttpCtx::new(),
            table: ResourceTable::new(),
            hooks: EgressHooks::new(allowlist, client),
            limits,
        };
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limits);
        store
            .set_epoch_deadline((self.deadline.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64);
        store
    }

    /// Runs one export in a fresh, locked-down instance that may reach
    /// `allowlist`. A trap becomes an error saying what stopped it, and so does
    /// the deadline passing while the call waits (on the network, or a retry's
    /// backoff), which the epoch deadline cannot see. With `preconnect`, the
    /// first request starts connecting to the other allowed origins (for calls
    /// that use them all, Infisical then GitHub). A service failure the host
    /// can explain better (a refused certificate, a proxy's answer) gets the
    /// host's cause. The store, its connections and the runtime end with the call.
    fn call<R: Explain>(
        &self,
        allowlist: &Allowlist,
        preconnect: bool,
        export: impl AsyncFnOnce(&Minter, &mut Store<State>) -> wasmtime::Result<R>,
    ) -> Result<(R, Traffic)> {
        let offline = net::Network::default();
        let network = match &self.network {
            Ok(network) => network,
            Err(_) if allowlist.origins().is_empty() => &offline,
            Err(why) => anyhow::bail!("{why}"),
        };
        net::block_on(async {
            let mut store = self.store(Arc::new(allowlist.clone()), net::Client::new(network));
            if preconnect {
                store.data().hooks.preconnect_all();
            }
            let run = async {
                let minter = self
                    .pre
                    .instantiate_async(&mut store)
                    .await
                    .map_err(anyhow::Error::from)
                    .context("instantiating the minter component")?;
                export(&minter, &mut store)
                    .await
                    .map_err(|e| explain_trap(e, self.deadline))
            };
            let Ok(result) = tokio::time::timeout(self.deadline, run).await else {
                anyhow::bail!(
                    "the minter component was still waiting (on the network or a retry's backoff) when its deadline of {} ms (RAXX_DEADLINE_MS) passed, and was stopped",
                    self.deadline.as_millis()
                );
            };
            let mut result = result?;
            let hooks = &store.data().hooks;
            result.explain(&hooks.causes());
            Ok((
                result,
                Traffic {
                    denied: hooks.denied(),
                    requests: hooks.timings(),
                    connections: hooks.connections(),
                },
            ))
        })?
    }

    /// Runs one export that answers a WIT `result`, as [`Runtime::call`] runs it.
    fn answer<R>(
        &self,
        allowlist: &Allowlist,
        preconnect: bool,
        export: impl AsyncFnOnce(&Minter, &mut Store<State>) -> wasmtime::Result<Result<R, MintError>>,
    ) -> Result<R, CallError> {
        self.call(allowlist, preconnect, export)
            .map_err(CallError::Host)?
            .0
            .map_err(CallError::Failed)
    }

    /// Resolves a request against the policy. No network: nothing is allowed out.
    pub fn resolve(
        &self,
        policy: &PolicyDocuments,
        request: &MintRequest,
    ) -> Result<Resolved, CallError> {
        self.answer(&Allowlist::default(), false, async |g, s| {
            g.raxx_identity_policy()
                .call_resolve(s, policy, request)
                .await
        })
        .map(Resolved)
    }

    /// Every bot of the policy, resolved as a mint for the bot alone is. No network.
    pub fn bots(&self, policy: &PolicyDocuments) -> Result<Vec<Resolved>, CallError> {
        Ok(self
            .answer(&Allowlist::default(), false, async |g, s| {
                g.raxx_identity_policy().call_bots(s, policy).await
            })?
            .into_iter()
            .map(Resolved)
            .collect())
    }

    /// Asks the component's fallback rule about a failed mint for `resolved`. No network.
    pub fn decide_fallback(
        &self,
        resolved: &Resolved,
        request: &FallbackRequest,
    ) -> Result<FallbackDecision, CallError> {
        self.answer(&Allowlist::default(), false, async |g, s| {
            g.raxx_identity_policy()
                .call_decide_fallback(s, resolved, request)
                .await
        })
    }

    /// Mints for `resolved` in a fresh instance, with what the egress hook saw.
    /// The hook lets through a mint's requests only, and a token exchange only
    /// within the resolution's scope. This is where every token enters the
    /// host: one that does not look like a GitHub token is raxx's failure
    /// ([`token_shape`](crate::sandbox::token_shape)), never printed or handed on.
    pub fn mint(&self, settings: &Settings, resolved: &Resolved) -> Outcome {
        let settings = match for_login(settings) {
            Ok(settings) => settings,
            Err(e) => {
                return Outcome {
                    result: Err(e),
                    denied: Vec::new(),
                    requests: Vec::new(),
                    connections: 0,
                }
            }
        };
        let allowlist = settings.allowlist.for_call(
            Call::Mint,
            Some(&resolved.bot),
            Some(crate::sandbox::reach::scope_of(resolved)),
        );
        match self.call(&allowlist, true, async |g, s| {
            g.raxx_identity_app()
                .call_mint(s, &settings.wit, resolved)
                .await
        }) {
            Ok((result, t)) => {
                let result = match result {
                    Ok(token) if !crate::sandbox::token_shape::is_github_token(&token.token) => {
                        Err(CallError::Host(anyhow::anyhow!(
                            crate::sandbox::token_shape::NOT_A_TOKEN
                        )))
                    }
                    other => other.map_err(CallError::Failed),
                };
                Outcome {
                    result,
                    denied: t.denied,
                    requests: t.requests,
                    connections: t.connections,
                }
            }
            Err(e) => Outcome {
                result: Err(CallError::Host(e)),
                denied: Vec::new(),
                requests: Vec::new(),
                connections: 0,
            },
        }
    }

    /// Logs the vault's machine identity in once and answers its access token
    /// (and `expires-in`), for a caller that keeps it and passes it back as
    /// the `access-token` login ([`Settings::with_access_token`]). The egress
    /// hook lets through the login only: this call can read no secret.
    pub fn vault_login(&self, settings: &Settings) -> Result<VaultAccess, CallError> {
        let settings = for_login(settings)?;
        let allowlist = settings.allowlist.for_call(Call::VaultLogin, None, None);
        self.answer(&allowlist, false, async |g, s| {
            g.raxx_identity_app()
                .call_vault_login(s, &settings.wit)
                .await
        })
    }

    /// The smoke test of one bot (`resolved` as `bots` or `resolve` of the bot gives it).
    pub fn verify(
        &self,
        settings: &Settings,
        resolved: &Resolved,
    ) -> Result<Verification, CallError> {
        let settings = for_login(settings)?;
        let allowlist = settings.allowlist.for_call(
            Call::Verify,
            Some(&resolved.bot),
            Some(crate::sandbox::reach::scope_of(resolved)),
        );
        self.answer(&allowlist, true, async |g, s| {
            g.raxx_identity_app()
                .call_verify(s, &settings.wit, resolved)
                .await
        })
    }

    /// Suspends (or unsuspends) the resolved bot's installation: the kill switch.
    pub fn set_suspended(
        &self,
        settings: &Settings,
        resolved: &Resolved,
        suspended: bool,
    ) -> Result<Suspension, CallError> {
        let settings = for_login(settings)?;
        let allowlist = settings
            .allowlist
            .for_call(Call::SetSuspended, Some(&resolved.bot), None);
        self.answer(&allowlist, true, async |g, s| {
            g.raxx_identity_app()
                .call_set_suspended(s, &settings.wit, resolved, suspended)
                .await
        })
    }

    /// The id of the user `{bot}[bot]`, looked up with one of the bot's tokens.
    /// Only the GitHub settings enter the component.
    pub fn bot_user_id(
        &self,
        settings: &Settings,
        token: &str,
        bot: &str,
    ) -> Result<u64, CallError> {
        let (github, network) = (&settings.wit.github, settings.wit.network);
        let allowlist = settings
            .allowlist
            .for_call(Call::BotUserId, Some(bot), None);
        self.answer(&allowlist, false, async |g, s| {
            Ok(g.raxx_identity_app()
                .call_bot_user_id(s, github, network, token, bot)
                .await?
                .map_err(MintError::Github))
        })
    }

    /// Revokes a token raxx minted and handed out. One GitHub no longer
    /// accepts (401) has expired or was revoked already (perhaps by the
    /// child it was given to): it is retired, and that is no failure.
    pub fn retire(&self, settings: &Settings, token: &str) -> Result<(), CallError> {
        match self.revoke(settings, token) {
            Err(CallError::Failed(MintError::Github(f))) if f.status == Some(401) => Ok(()),
            other => other,
        }
    }

    /// Revokes an installation token at GitHub. Only the GitHub settings enter the component.
    pub fn revoke(&self, settings: &Settings, token: &str) -> Result<(), CallError> {
        let (github, network) = (&settings.wit.github, settings.wit.network);
        let allowlist = settings.allowlist.for_call(Call::Revoke, None, None);
        self.answer(&allowlist, false, async |g, s| {
            Ok(g.raxx_identity_app()
                .call_revoke(s, github, network, token)
                .await?
                .map_err(MintError::Github))
        })
    }
}
