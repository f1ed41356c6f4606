// The host core component imports nothing: src/core.mjs instantiates it with
// no imports at all, and an import would mean the core reaches something of
// its own (std's panic output named wasi:cli, filesystem and io until
// scripts/build built it with -Cpanic=immediate-abort). jco lists what a
// component imports when it transpiles it.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { transpileBytes } from '@bytecodealliance/jco-transpile';
import { CORE_FILE, coreComponentPath } from '../src/core-path.mjs';

test('the host core component imports nothing', async (t) => {
  const path = coreComponentPath();
  if (!path) {
    // On CI scripts/test has just built it: missing there is a failure.
    assert.ok(!process.env.CI, `no ${CORE_FILE}; scripts/build builds it`);
    t.skip(`skipped: no ${CORE_FILE}; build it with scripts/build`);
    return;
  }
  const { imports, exports } = await transpileBytes(readFileSync(path), { name: 'core', instantiation: 'sync' });
  assert.deepEqual(imports, [], `${path} imports ${imports.join(', ')}`);
  assert.ok(
    exports.some(([name]) => name === 'raxx:host-core/decide@0.1.0'),
    `${path} exports ${JSON.stringify(exports)}`,
  );
});
