// Loading the minter component: read it, hash it, and run jco's transpiler
// over it (the Node counterpart of raxx-host's compiled-component cache,
// host/src/cache.rs). What runs is exactly what jco makes of the bytes whose
// SHA-256 is reported.
//
// A transpile is code: JavaScript glue this process imports, and core wasm.
// One somebody else wrote would run inside the orchestrator, next to the
// vault identity's secret, so it is trusted only as raxx-host trusts compiled
// code (docs/security.md): made in this process, or read from a cache entry
// whose BLAKE3 MAC (keyed mode) checks out under a key derived (BLAKE3's
// `derive_key`) from the vault identity's stable secret (the core's
// `cache-secret`: Universal Auth's client secret, the token method's access
// token; kubernetes, oidc and jwt have none), in a folder that is
// this user's, not a link and writable by nobody else. The key, its id in
// entry names and what the tag covers are the host core's rule
// (crates/core/src/cache_key.rs, the one raxx-host's cache uses), run here
// through the core component (src/core.mjs): this file passes the secret and
// the files and compares the tag in constant time; the key never reaches
// JavaScript. Without the secret the
// cache is not used (transpiling costs ~0.3 s). What is trusted is held in
// memory and imported from there (a `data:` URL for the glue, the core
// modules compiled from bytes), so the files cannot change between the check
// and the import.
//
// One line is added to jco's glue (`NO_JSPI_PRELUDE`): on a Node without
// JSPI (20) every instantiation tries `WebAssembly.promising` nine times and
// catches the TypeError, and V8 renders each message by re-parsing the
// 16,000-line init function: ~90 ms per instance, and a call gets a fresh
// instance. Inside the glue module only, `WebAssembly.promising` throws a
// ready-made error instead. The component's core modules are untouched.

import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cacheKeyId, transpileTag } from './core.mjs';
import { hostError } from './errors.mjs';
import { PACKAGE_DIR, sourceTree, withoutJspiProbes } from './package.mjs';

export { DIRECTIVE, NO_JSPI_PRELUDE, PACKAGE_DIR, sourceTree, withoutJspiProbes } from './package.mjs';

const PACKAGE = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
export const VERSION = PACKAGE.version;
const TRANSPILER = '@bytecodealliance/jco-transpile';
const TRANSPILER_VERSION = PACKAGE.dependencies[TRANSPILER];

/** File name of the component as the build leaves it. */
export const COMPONENT_FILE = 'raxx_minter.wasm';
/** Transpiles kept per cache directory (old components and transpilers go). */
const KEEP = 4;

/** Where the component is found without options: next to the package, or where `scripts/build` leaves it. */
export function defaultComponentPath() {
  const root = sourceTree();
  const candidates = [join(PACKAGE_DIR, COMPONENT_FILE), root && join(root, 'target', 'wasm32-wasip2', 'component', COMPONENT_FILE)];
  return candidates.find((p) => p && existsSync(p));
}

/**
 * Where transpiles live: `RAXX_CACHE_DIR`; in a source tree `target/node`
 * (where `scripts/build` puts them); else `$XDG_CACHE_HOME/raxx` or `~/.cache/raxx`.
 */
export function defaultCacheDir(env) {
  const root = sourceTree();
  if (env.RAXX_CACHE_DIR) return env.RAXX_CACHE_DIR;
  if (root) return join(root, 'target', 'node');
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'raxx');
  if (env.HOME) return join(env.HOME, '.cache', 'raxx');
  return undefined;
}

/** Hex SHA-256 of some bytes. */
export function sha256Hex(bytes) {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A loaded component: `{ path, sha256, compiledSha256, warnings,
 * instantiate(imports) }`, where `instantiate` makes a fresh instance (its
 * core modules compiled once). `secret` is the vault identity's stable
 * secret (the cache's key), when there is one. Throws a `RaxxError` (exit 1)
 * when the component cannot be read or transpiled.
 */
export async function loadComponent(path, cacheDir, secret) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw hostError(`reading the minter component ${path}`, e);
  }
  const sha256 = sha256Hex(bytes);
  const warnings = [];
  let files;
  let instantiate;
  try {
    files = await transpile(bytes, sha256, cache(cacheDir, secret, warnings), warnings);
    const glue = Buffer.from(files.get('component.js')).toString('base64');
    ({ instantiate } = await import(`data:text/javascript;base64,${glue}`));
  } catch (e) {
    throw hostError(`loading the minter component ${path}`, e);
  }
  const modules = new Map();
  const coreModule = (name) => {
    if (!modules.has(name)) modules.set(name, WebAssembly.compile(files.get(name)));
    return modules.get(name);
  };
  return { path, sha256, compiledSha256: treeSha256(files), warnings, instantiate: (imports) => instantiate(coreModule, imports) };
}

/** The files of a transpile that run: the glue and the core modules. */
const RUNS = (name) => name === 'component.js' || name.endsWith('.wasm');

/**
 * SHA-256 of the code that runs: each file of the transpile, by name and
 * content in name order — what an audit records as `compiled_sha256`, as
 * raxx-host records its compiled code's.
 */
function treeSha256(files) {
  const hash = createHash('sha256');
  for (const name of [...files.keys()].sort()) hash.update(`${name}\0`).update(files.get(name));
  return hash.digest('hex');
}

/** The MAC of a transpile's files (names and contents, in name order), by the host core's rule. */
function tag(cache, sha256, files) {
  return transpileTag(cache.secret, sha256, files);
}

/** Owner and writability rules for what a cache holds (as host/src/cache.rs). */
function trusted(stat) {
  return !stat.isSymbolicLink() && stat.uid === process.geteuid() && (stat.mode & 0o022) === 0;
}

/**
 * The usable cache: `{ dir, secret, keyId }`, or undefined (no secret, no
 * folder, or one that is a link, another user's or writable by others —
 * then with a warning).
 */
function cache(dir, secret, warnings) {
  if (!dir || !secret) return undefined;
  try {
    mkdirSync(dirname(dir), { recursive: true });
    if (!existsSync(dir)) mkdirSync(dir, { mode: 0o700 });
  } catch {
    return undefined;
  }
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || !trusted(stat)) {
    warnings.push(`not using the transpile cache ${dir}: it must be a folder of this user's that nobody else can write; transpiling in memory`);
    return undefined;
  }
  return { dir, secret, keyId: cacheKeyId(secret) };
}

/** The transpile of `bytes`, as files in memory: from a cache entry raxx wrote, else made now (and cached). */
async function transpile(bytes, sha256, cache, warnings) {
  const name = `jco-transpile-${TRANSPILER_VERSION}-nojspi-${sha256.slice(0, 32)}-${cache?.keyId ?? 'none'}`;
  if (cache && existsSync(join(cache.dir, name))) {
    const cached = readEntry(join(cache.dir, name));
    if (cached && timingSafeEqual(tag(cache, sha256, cached.files), cached.tag)) return cached.files;
    warnings.push(`not using ${join(cache.dir, name)}: raxx did not write it (its authentication tag does not match); transpiling it afresh`);
    rmSync(join(cache.dir, name), { recursive: true, force: true });
  }
  const { transpileBytes } = await import(TRANSPILER);
  // jco's own defaults for `jco transpile --instantiation async`.
  const { files: made } = await transpileBytes(bytes, { name: 'component', instantiation: 'async', noComponentErrorWrapping: false });
  const files = new Map(Object.entries(made).filter(([file]) => RUNS(file)).map(([file, content]) => [file, Buffer.from(content)]));
  const glue = files.get('component.js').toString('utf8');
  files.set('component.js', Buffer.from(withoutJspiProbes(glue)));
  if (cache) writeEntry(cache, name, files, tag(cache, sha256, files));
  return files;
}

/** A cache entry's files and tag, if every file is a regular file of this user's that nobody else can write. */
function readEntry(dir) {
  const files = new Map();
  let entryTag;
  for (const file of readdirSync(dir)) {
    const stat = lstatSync(join(dir, file));
    if (!stat.isFile() || !trusted(stat)) return undefined;
    if (file === 'raxx.tag') entryTag = readFileSync(join(dir, file));
    else if (RUNS(file)) files.set(file, readFileSync(join(dir, file)));
  }
  return entryTag?.length === 32 && files.has('component.js') ? { files, tag: entryTag } : undefined;
}

/** Writes an entry whole into a private temporary folder, then renames it in place. */
function writeEntry(cache, name, files, entryTag) {
  try {
    const tmp = mkdtempSync(join(cache.dir, '.tmp-transpile-'));
    for (const [file, content] of files) writeFileSync(join(tmp, file), content, { mode: 0o600 });
    writeFileSync(join(tmp, 'raxx.tag'), entryTag, { mode: 0o600 });
    try {
      renameSync(tmp, join(cache.dir, name));
    } catch {
      rmSync(tmp, { recursive: true, force: true }); // another run got there first
    }
    evict(cache.dir);
  } catch {
    // A cache that cannot be written only costs speed.
  }
}

/** Removes all but the `KEEP` most recent transpiles. */
function evict(dir) {
  const entries = readdirSync(dir)
    .filter((e) => e.startsWith('jco-transpile-'))
    .map((e) => ({ path: join(dir, e), mtime: statSync(join(dir, e)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of entries.slice(KEEP)) rmSync(path, { recursive: true, force: true });
}
