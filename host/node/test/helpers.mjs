// Shared by the Node host's tests: the loopback world in its own process
// (tests/fakes' raxx-world), the two hosts run as commands with a clean
// environment, and the secret-hygiene check every run gets.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';

export const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = join(PACKAGE, '..', '..');
export const TARGET = join(ROOT, 'target');
export const COMPONENT = join(TARGET, 'wasm32-wasip2', 'component', 'raxx_minter.wasm');
export const HOSTILE = join(TARGET, 'wasm32-wasip2', 'component', 'raxx_hostile.wasm');
const RAXX_NODE = join(PACKAGE, 'bin', 'raxx-node.mjs');
const RAXX_HOST = join(TARGET, 'release', 'raxx-host');
const RAXX_WORLD = join(TARGET, 'release', 'raxx-world');

/** raxx-host's compiled-component cache for this test file. */
const hostCache = mkdtempSync(join(tmpdir(), 'raxx-node-test-host-cache-'));

/**
 * Starts a world (fake Infisical + fake GitHub) in another process: jco's
 * wasi-http shim blocks this thread during a call, so fakes in this process
 * could never answer. Returns its `env`, `bots`, control calls, and `close()`.
 */
export async function startWorld() {
  const child = spawn(RAXX_WORLD, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await Promise.race([
    (async () => {
      for await (const l of createInterface({ input: child.stdout })) return [l];
      return [undefined];
    })(),
    new Promise((_, reject) => child.once('error', reject)),
  ]);
  assert.ok(line, `raxx-world printed nothing (is it built? run scripts/build)`);
  const world = JSON.parse(line);
  const call = async (method, path) => {
    const res = await fetch(`${world.control}${path}`, { method });
    assert.equal(res.status, 200, `${method} ${path}: ${await res.clone().text()}`);
    return res.json();
  };
  return {
    env: world.env,
    bots: world.bots,
    /** Any control request (`tests/fakes/src/control.rs` lists them). */
    call,
    control: (path) => call('POST', path),
    issued: () => call('GET', '/issued'),
    requests: () => call('GET', '/requests'),
    keys: () => call('GET', '/keys'),
    close: () => child.stdin.end(),
  };
}

function run(command, args, env) {
  const out = spawnSync(command, args, { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8', timeout: 60_000 });
  if (out.error) throw out.error;
  return { code: out.status, stdout: out.stdout, stderr: out.stderr };
}

/** `raxx-node ARGS` with only `env` (and PATH) in its environment. */
export function raxxNode(args, env = {}) {
  return run(process.execPath, [RAXX_NODE, ...args], env);
}

/** `raxx-host ARGS`, the same way. */
export function raxxHost(args, env = {}) {
  return run(RAXX_HOST, args, { RAXX_CACHE_DIR: hostCache, ...env });
}

/**
 * The client secret and any line of any bot's key appear nowhere in what a
 * run printed; no token on stderr, and at most the one minted on stdout.
 */
export async function assertNoSecrets(world, r) {
  const both = `${r.stdout}\n${r.stderr}`;
  assert.ok(!both.includes(world.env.INFISICAL_CLIENT_SECRET), `client secret leaked:\n${both}`);
  for (const pem of await world.keys()) {
    for (const line of pem.split('\n').filter((l) => l && !l.startsWith('-----'))) {
      assert.ok(!both.includes(line), `key material leaked:\n${both}`);
    }
  }
  const tokens = (await world.issued()).map((t) => t.token);
  for (const token of tokens) assert.ok(!r.stderr.includes(token), `a token leaked on stderr:\n${r.stderr}`);
  assert.ok(tokens.filter((t) => r.stdout.includes(t)).length <= 1, 'stdout holds more than the one token minted');
}

/** A failure: exactly one stderr line starting `raxx-node: `, nothing on stdout. */
export function assertOneLineError(r, needle) {
  const lines = r.stderr.split('\n').filter(Boolean);
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${r.stderr}`);
  assert.ok(lines[0].startsWith('raxx-node: '), lines[0]);
  assert.ok(r.stderr.includes(needle), `stderr lacks ${JSON.stringify(needle)}:\n${r.stderr}`);
  assert.equal(r.stdout, '');
}
