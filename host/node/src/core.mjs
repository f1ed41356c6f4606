// The host core (crates/core): the decisions a host makes about the minter
// component (settings from an environment, the network reach and the token
// exchange's scope check, exit codes, the audit record, the policy files).
// raxx-host links the crate; this host runs the very same code compiled as
// the component `raxx:host-core/host-core` (crates/core-component), which
// scripts/build.mjs transpiled into gen/core/ with synchronous instantiation.
// It is instantiated once, at import, and exports plain functions: it holds
// no state between calls and imports nothing (scripts/build builds it without
// std's panic output, which is what named WASI; test/core-imports.test.mjs
// keeps it so), so it is given no imports at all.

import { readFileSync } from 'node:fs';

/** jco's glue (gen/core/core.js), with a message saying how to make it when it is missing. */
const { instantiate } = await import('../gen/core/core.js').catch((e) => {
  throw new Error(`the host core component's transpile (host/node/gen/core/) is missing or unreadable; build it with scripts/build (${e.message})`);
});

const started = performance.now();
// The transpile's core modules, next to its glue (gen/core/, core-path.mjs's CORE_GLUE).
const instance = instantiate((file) => new WebAssembly.Module(readFileSync(new URL(`../gen/core/${file}`, import.meta.url))), {});

/** The core's exports (`raxx:host-core/decide`), in jco's camelCase. */
export const core = instance.decide ?? instance['raxx:host-core/decide@0.1.0'];

/** How long compiling and instantiating the core took, in ms (measured once, at import; the glue's import aside). */
export const CORE_LOAD_MS = performance.now() - started;

/** A core call's WIT `result` error: jco throws it wrapped, its value in `payload`. */
export function payload(e) {
  return e && typeof e === 'object' && 'payload' in e ? e.payload : e;
}

/**
 * The transpile cache's key id (8 hex digits) for the vault identity's
 * client secret: the core derives the key (crates/core/src/cache_key.rs),
 * per call, and never hands it back.
 */
export function cacheKeyId(secret) {
  return core.cacheKeyId(secret);
}

/**
 * The tag (32 bytes) of a transpile's files (a Map of name → bytes) for the
 * component whose hex SHA-256 is `sha256`: one core call over all the bytes.
 */
export function transpileTag(secret, sha256, files) {
  return Buffer.from(core.transpileTag(secret, sha256, [...files]));
}
