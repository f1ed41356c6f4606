//! Host-side bindings of `wit/` (the same folder the component is built from).
//! WASI interfaces map to wasmtime's own implementations, so only the
//! `raxx:identity` types and exports are generated here.

wasmtime::component::bindgen!({
    path: "../wit",
    world: "raxx:identity/minter",
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::sync::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http": wasmtime_wasi_http::p2::bindings::sync::http,
    },
});
