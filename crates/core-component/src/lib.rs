//! The host core as a component: `raxx:host-core/decide` exported over
//! `raxx_core`, which raxx-host links directly. Only argument conversion
//! lives here; every rule is the core's.

// `deny`, not `forbid`: wit-bindgen's generated glue (component.rs's
// `bindings`) is unsafe; everything written here is not.
#![deny(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod component;
