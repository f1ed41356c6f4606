// Loading the minter component: read it, hash it, and run jco's transpiler
// over it once per SHA-256 into a cache directory (the Node counterpart of
// raxx-host's compiled-component cache, host/src/cache.rs). What runs is
// exactly what jco makes of the bytes whose SHA-256 is reported: the
// transpile is keyed by that hash and by the pinned transpiler version.
//
// The transpiled output is JavaScript glue plus the component's core wasm
// modules, never a secret. Transpiling costs ~0.3 s; `scripts/build` does it
// for the built component, so a run in the source tree finds it ready.
//
// One line is added to jco's glue (`NO_JSPI_PRELUDE`): on a Node without
// JSPI (20) every instantiation tries `WebAssembly.promising` nine times and
// catches the TypeError, and V8 renders each message by re-parsing the
// 16,000-line init function: ~90 ms per instance, and a call gets a fresh
// instance. Inside the glue module only, `WebAssembly.promising` throws a
// ready-made error instead. The component's core modules are untouched.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { hostError } from './errors.mjs';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGE = JSON.parse(readFileSync(join(PACKAGE_DIR, 'package.json'), 'utf8'));
export const VERSION = PACKAGE.version;
const TRANSPILER = '@bytecodealliance/jco-transpile';
const TRANSPILER_VERSION = PACKAGE.dependencies[TRANSPILER];

const NO_JSPI_PRELUDE =
  'const NO_JSPI = new TypeError("this Node has no WebAssembly.promising (JSPI)");\n' +
  'const WebAssembly = globalThis.WebAssembly.promising ? globalThis.WebAssembly : Object.assign(Object.create(globalThis.WebAssembly), { promising() { throw NO_JSPI; } });\n';
const DIRECTIVE = '"use components";\n';

/** File name of the component as the build leaves it. */
export const COMPONENT_FILE = 'raxx_minter.wasm';
/** Transpiles kept per cache directory (old components and transpilers go). */
const KEEP = 4;

/** The repository root, when this package runs from a source tree. */
export function sourceTree() {
  const root = join(PACKAGE_DIR, '..', '..');
  return existsSync(join(root, 'Cargo.toml')) && existsSync(join(root, 'wit')) ? root : undefined;
}

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
 * A loaded component: `{ path, sha256, instantiate(imports) }`, where
 * `instantiate` makes a fresh instance (its core modules compiled once).
 * Throws a `RaxxError` (exit 1) when the component cannot be read or transpiled.
 */
export async function loadComponent(path, cacheDir) {
  let bytes;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw hostError(`reading the minter component ${path}`, e);
  }
  const sha256 = sha256Hex(bytes);
  let instantiate;
  let dir;
  try {
    dir = await transpiled(bytes, sha256, cacheDir);
    ({ instantiate } = await import(pathToFileURL(join(dir, 'component.js')).href));
  } catch (e) {
    throw hostError(`loading the minter component ${path}`, e);
  }
  const modules = new Map();
  const coreModule = (name) => {
    if (!modules.has(name)) modules.set(name, WebAssembly.compile(readFileSync(join(dir, name))));
    return modules.get(name);
  };
  return { path, sha256, compiledSha256: treeSha256(dir), instantiate: (imports) => instantiate(coreModule, imports) };
}

/**
 * SHA-256 of the code that runs: every file of the transpile (glue and core
 * modules), by name and content in name order — what an audit records as
 * `compiled_sha256`, as raxx-host records its compiled code's.
 */
function treeSha256(dir) {
  const hash = createHash('sha256');
  const walk = (rel) =>
    readdirSync(join(dir, rel), { withFileTypes: true })
      .map((e) => join(rel, e.name))
      .sort()
      .forEach((name) => {
        if (statSync(join(dir, name)).isDirectory()) return walk(name);
        hash.update(`${name}\0`).update(readFileSync(join(dir, name)));
      });
  walk('');
  return hash.digest('hex');
}

/** The directory holding the transpile of `bytes`, made on a cache miss. */
async function transpiled(bytes, sha256, cacheDir) {
  const name = `jco-transpile-${TRANSPILER_VERSION}-nojspi-${sha256.slice(0, 32)}`;
  if (cacheDir && existsSync(join(cacheDir, name, 'component.js'))) return join(cacheDir, name);
  const { transpileBytes } = await import(TRANSPILER);
  // jco's own defaults for `jco transpile --instantiation async`.
  const { files } = await transpileBytes(bytes, { name: 'component', instantiation: 'async', noComponentErrorWrapping: false });
  const glue = new TextDecoder().decode(files['component.js']);
  if (glue.startsWith(DIRECTIVE)) files['component.js'] = DIRECTIVE + NO_JSPI_PRELUDE + glue.slice(DIRECTIVE.length);
  // Written whole into a temporary directory, then renamed: a concurrent run never sees half a transpile.
  let parent = cacheDir;
  try {
    mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  } catch {
    parent = undefined;
  }
  const tmp = mkdtempSync(join(parent ?? tmpdir(), '.tmp-transpile-'));
  writeFileSync(join(tmp, 'package.json'), '{"type":"module"}\n');
  for (const [file, content] of Object.entries(files)) {
    mkdirSync(dirname(join(tmp, file)), { recursive: true });
    writeFileSync(join(tmp, file), content);
  }
  if (!parent) return tmp;
  try {
    renameSync(tmp, join(parent, name));
  } catch {
    rmSync(tmp, { recursive: true, force: true }); // another run got there first
  }
  evict(parent);
  return join(parent, name);
}

/** Removes all but the `KEEP` most recent transpiles. */
function evict(dir) {
  const entries = readdirSync(dir)
    .filter((e) => e.startsWith('jco-transpile-'))
    .map((e) => ({ path: join(dir, e), mtime: statSync(join(dir, e)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const { path } of entries.slice(KEEP)) rmSync(path, { recursive: true, force: true });
}
