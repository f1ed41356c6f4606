//! Host-side bindings of `wit/` (the same folder the component is built from).
//! WASI interfaces map to wasmtime's own implementations, so only the
//! `raxx:identity` types and exports are generated here. The exports are
//! async: a call runs inside its own runtime (`net::block_on`).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "raxx:identity/minter",
    exports: { default: async },
    with: {
        "wasi:io": wasmtime_wasi::p2::bindings::io,
        "wasi:clocks": wasmtime_wasi::p2::bindings::clocks,
        "wasi:http": wasmtime_wasi_http::p2::bindings::http,
    },
});
