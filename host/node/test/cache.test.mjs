// The transpile cache: a transpile is code this process imports, so one
// raxx did not write never runs (the Node side of docs/security.md's
// planted-artifact rule), and without the vault secret the cache is not used.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load } from '../src/index.mjs';

const SECRET = 'node-cache-test-secret';

function entries(dir) {
  return existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith('jco-transpile-')) : [];
}

test('a transpile raxx did not write never runs, and one it wrote is used again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-cache-'));
  const env = { INFISICAL_CLIENT_SECRET: SECRET };
  const first = await load({ env, cacheDir: dir });
  const [entry] = entries(dir);
  assert.ok(entry, 'the first load caches its transpile');
  assert.deepEqual(first.warnings, []);
  // The attacker replaces the glue with their own code (they cannot compute the tag).
  const marker = join(dir, 'planted-code-ran');
  writeFileSync(join(dir, entry, 'component.js'), `import { writeFileSync } from 'node:fs'; writeFileSync(${JSON.stringify(marker)}, 'x'); export function instantiate() {}`);
  const second = await load({ env, cacheDir: dir });
  assert.ok(!existsSync(marker), 'the planted glue did not run');
  assert.match(second.warnings.join('\n'), /raxx did not write it/);
  assert.equal(second.compiledSha256, first.compiledSha256, 'the same code as raxx transpiled runs');
  assert.equal((await second.resolve('card-groomer')).bot, 'raxx-ops-bot');
  const third = await load({ env, cacheDir: dir });
  assert.deepEqual(third.warnings, [], 'the replaced entry is raxx own again');
  // Another key (a rotated secret) writes its own entry instead of trusting this one.
  await load({ env: { INFISICAL_CLIENT_SECRET: 'rotated' }, cacheDir: dir });
  assert.equal(entries(dir).length, 2);
});

test('without the vault secret, or in a folder others may write, nothing is cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-cache-'));
  const plain = await load({ env: {}, cacheDir: dir });
  assert.deepEqual(entries(dir), [], 'no secret: no key to authenticate a transpile with');
  assert.equal((await plain.resolve('sre-agent')).bot, 'raxx-ops-bot');
  chmodSync(dir, 0o777);
  const open = await load({ env: { INFISICAL_CLIENT_SECRET: SECRET }, cacheDir: dir });
  assert.deepEqual(entries(dir), []);
  assert.match(open.warnings.join('\n'), /nobody else can write/);
});
