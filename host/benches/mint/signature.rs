//! The RS256 signature alone: the component's signer against the `rsa` crate's,
//! inside wasmtime (the example `sign_bench`, built by `scripts/build` with
//! RAXX_BUILD_SIGN_BENCH=1, run with the engine settings of the host, epoch
//! deadline checks included) and natively (`scripts/bench` builds both), on
//! a fresh 2048-bit key.

use raxx_fakes::keys::AppKey;
use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, Store};
use wasmtime_wasi::p2::bindings::sync::Command;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Medians in ms.
pub struct Timings {
    pub parse: f64,
    pub raxx: f64,
    /// Ours again, each run right after 20 ms of sleep (as after a network wait).
    pub raxx_after_idle: f64,
    pub rsa_crate: f64,
}

struct State {
    wasi: WasiCtx,
    http: WasiHttpCtx,
    table: ResourceTable,
}

impl WasiView for State {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

// The example links the component's library, whose transport imports wasi:http.
impl WasiHttpView for State {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView { ctx: &mut self.http, table: &mut self.table, hooks: wasmtime_wasi_http::default_hooks() }
    }
}

fn parse(json: &str) -> Timings {
    let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap_or_else(|e| panic!("sign_bench printed {json:?}: {e}"));
    let get = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("sign_bench printed no {k}"));
    Timings { parse: get("parse_ms"), raxx: get("raxx_ms"), raxx_after_idle: get("raxx_after_idle_ms"), rsa_crate: get("rsa_crate_ms") }
}

/// Runs the wasm example; `None` when it was not built.
pub fn in_wasm(key: &AppKey) -> Option<Timings> {
    let wasm = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/wasm32-wasip2/component/examples/sign_bench.wasm");
    if !wasm.is_file() {
        return None;
    }
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    let engine = Engine::new(&config).unwrap();
    let mut linker = Linker::new(&engine);
    wasmtime_wasi::p2::add_to_linker_sync(&mut linker).unwrap();
    wasmtime_wasi_http::p2::add_only_http_to_linker_sync(&mut linker).unwrap();
    let component = Component::from_file(&engine, &wasm).unwrap();
    let stdout = MemoryOutputPipe::new(4096);
    let wasi = WasiCtx::builder().stdin(MemoryInputPipe::new(key.pkcs1_pem())).stdout(stdout.clone()).inherit_stderr().build();
    let mut store = Store::new(&engine, State { wasi, http: WasiHttpCtx::new(), table: ResourceTable::new() });
    store.set_epoch_deadline(u64::MAX / 2);
    let command = Command::instantiate(&mut store, &component, &linker).unwrap();
    command.wasi_cli_run().call_run(&mut store).unwrap().expect("sign_bench failed");
    Some(parse(&String::from_utf8_lossy(&stdout.contents())))
}

/// The same measurements natively (64-bit digits for the `rsa` crate); `None`
/// when the native example was not built (scripts/bench builds it).
pub fn native(key: &AppKey) -> Option<Timings> {
    let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/release/examples/sign_bench");
    if !exe.is_file() {
        return None;
    }
    let mut child = std::process::Command::new(exe)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("run sign_bench");
    use std::io::Write;
    child.stdin.take().expect("stdin").write_all(key.pkcs1_pem().as_bytes()).expect("write the PEM");
    let out = child.wait_with_output().expect("sign_bench");
    assert!(out.status.success(), "native sign_bench failed");
    Some(parse(&String::from_utf8_lossy(&out.stdout)))
}
