// The package's TypeScript types (index.d.ts over jco's types from wit/)
// check an orchestrator's use of them: examples/mint.ts compiles, and a
// misuse does not.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE } from './helpers.mjs';

const TSC = join(PACKAGE, 'node_modules', 'typescript', 'bin', 'tsc');

function tsc(file) {
  const flags = ['--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext'];
  const out = spawnSync(process.execPath, [TSC, ...flags, file], { encoding: 'utf8' });
  return { code: out.status, output: `${out.stdout}${out.stderr}` };
}

test('the example type-checks against the generated WIT types', () => {
  const r = tsc(join(PACKAGE, 'examples', 'mint.ts'));
  assert.equal(r.code, 0, r.output);
});

test('a request the WIT does not allow is a type error', () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-types-'));
  const file = join(dir, 'misuse.ts');
  writeFileSync(file, `import { load } from ${JSON.stringify(join(PACKAGE, 'index.js'))};\nconst raxx = await load();\nawait raxx.mint({ bot: 42 });\nexport {};\n`);
  const r = tsc(file);
  assert.notEqual(r.code, 0);
  assert.match(r.output, /Type 'number' is not assignable to type 'string'/);
});
