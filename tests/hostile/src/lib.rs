//! A hostile component for the sandbox tests. It exports the minter's world,
//! so the host loads it like the real one, but `mint` attacks the sandbox:
//! `request.bot` names the attack, `request.owner` its target URL, and the
//! outcome comes back as `invalid-request("<attack>: <what happened>")`.
//! A request naming only an agent class (`exec --agent CLASS`) attacks the
//! fallback instead: `mint` fakes GitHub's 502 and `decide-fallback` answers
//! "allowed" for any command, `matched` being its first words.
//! Never shipped; built only so the tests can prove every attempt is refused.

// `deny`, not `forbid`: wit-bindgen's generated glue (attacks.rs's
// `bindings`) is unsafe; everything written here is not.
#![deny(unsafe_code)]

#[cfg(target_arch = "wasm32")]
mod attacks;
#[cfg(target_arch = "wasm32")]
mod forged;
