// A JWT login's token as the Node host gets it (src/login-source.mjs), at
// each login: a file read afresh every time, bounded, a regular file only;
// the GitHub Actions runner asked over HTTPS; every failure the core's one
// line (exit 2), the one raxx-host gives (host/src/config/login_source.rs's
// tests), never holding a token. No component: `forLogin()` is the minter's
// WIT settings as the Node host hands them over.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { readSettings } from '../src/environment.mjs';
import { MAX_SOURCE_BYTES } from '../src/login-source.mjs';
import { RaxxError, VAULT } from '../src/errors.mjs';

const IDENTITY = { INFISICAL_MACHINE_IDENTITY_ID: 'ident-1', INFISICAL_PROJECT_ID: 'p' };
const kubernetes = (path) => ({ ...IDENTITY, INFISICAL_AUTH_METHOD: 'kubernetes', INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: path });
/** The login the minter gets for `env`, got now. */
const login = (env) => readSettings(env, 'raxx-node/test').forLogin().vault.val.login;
/** The one line (exit 2) getting the login's token fails with. */
function failure(env) {
  try {
    login(env);
  } catch (e) {
    assert.ok(e instanceof RaxxError && e.code === VAULT && e.kind === 'vault', String(e));
    assert.ok(!e.message.includes('\n'), e.message);
    return e.message;
  }
  assert.fail('the token was got');
}

test('a token file is read trimmed, and again at each login', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'raxx-node-source-')), 'token');
  writeFileSync(path, ' first.jwt.x\n');
  const settings = readSettings(kubernetes(path), 'raxx-node/test');
  assert.deepEqual(settings.forLogin().vault.val.login, { tag: 'kubernetes', val: { identityId: 'ident-1', jwt: 'first.jwt.x' } });
  writeFileSync(path, 'second.jwt.x');
  assert.equal(settings.forLogin().vault.val.login.val.jwt, 'second.jwt.x', 'a projected token that rotated is read again');
  assert.equal(settings.vault.val.login.val.source.val, path, 'the settings keep where the token is, never the token');
});

test('oidc and jwt read INFISICAL_AUTH_JWT_PATH, or take the token given', () => {
  const path = join(mkdtempSync(join(tmpdir(), 'raxx-node-source-')), 'jwt');
  writeFileSync(path, 'eyJh.eyJi.c2ln\n');
  for (const method of ['oidc', 'jwt']) {
    assert.deepEqual(login({ ...IDENTITY, INFISICAL_AUTH_METHOD: method, INFISICAL_AUTH_JWT_PATH: path }), { tag: method, val: { identityId: 'ident-1', jwt: 'eyJh.eyJi.c2ln' } });
    assert.equal(login({ ...IDENTITY, INFISICAL_AUTH_METHOD: method, INFISICAL_AUTH_JWT: 'given.jwt.x' }).val.jwt, 'given.jwt.x');
  }
});

test('Universal Auth and the token method pass as they are; revoke reads nothing', () => {
  assert.deepEqual(login({ INFISICAL_CLIENT_ID: 'id', INFISICAL_CLIENT_SECRET: 's3cret', INFISICAL_PROJECT_ID: 'p' }), { tag: 'universal-auth', val: { clientId: 'id', clientSecret: 's3cret' } });
  assert.deepEqual(login({ INFISICAL_TOKEN: 'tok-s3cret', INFISICAL_PROJECT_ID: 'p' }), { tag: 'access-token', val: 'tok-s3cret' });
  // Reading the settings never touches the file: only a login does.
  const settings = readSettings(kubernetes('/nonexistent/token'), 'raxx-node/test');
  assert.equal(settings.github.apiUrl, 'https://api.github.com');
});

test("a missing, empty, large or odd file is raxx-host's one line each", () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-source-'));
  const path = join(dir, 'token');
  assert.equal(
    failure(kubernetes(path)),
    `INFISICAL_AUTH_METHOD=kubernetes: cannot read the service-account token ${path} (No such file or directory): mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH`,
  );
  writeFileSync(path, ' \n');
  assert.equal(failure(kubernetes(path)), `INFISICAL_AUTH_METHOD=kubernetes: the service-account token ${path} is empty: mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH`);
  writeFileSync(path, 'a'.repeat(MAX_SOURCE_BYTES + 1));
  assert.match(failure(kubernetes(path)), /token \S+ is larger than 64 KiB: mount it/);
  writeFileSync(path, Buffer.from([0x65, 0xff, 0x66]));
  assert.match(failure(kubernetes(path)), /\(not UTF-8 text\)/);
  assert.match(failure(kubernetes(dir)), /is not a regular file/);
  assert.match(failure({ ...IDENTITY, INFISICAL_AUTH_METHOD: 'jwt', INFISICAL_AUTH_JWT_PATH: join(path, 'below-a-file') }), /^INFISICAL_AUTH_METHOD=jwt: cannot read the JWT file \S+ \(Not a directory\): fix INFISICAL_AUTH_JWT_PATH or set INFISICAL_AUTH_JWT$/);
  if (process.geteuid() !== 0) {
    writeFileSync(path, 'secret.jwt.x');
    chmodSync(path, 0o000);
    assert.match(failure(kubernetes(path)), /\(Permission denied\)/);
  }
});

test('a FIFO does not hang the login', () => {
  const fifo = join(mkdtempSync(join(tmpdir(), 'raxx-node-source-')), 'fifo');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  assert.match(failure(kubernetes(fifo)), /token \S+ is not a regular file/);
});

test('the runner endpoint unreachable, or not https, is one line without the request token', () => {
  const actions = (url) => ({ ...IDENTITY, INFISICAL_AUTH_METHOD: 'oidc', ACTIONS_ID_TOKEN_REQUEST_URL: url, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-s3cret' });
  const refused = failure(actions('https://127.0.0.1:1/idtoken?api-version=2.0'));
  assert.match(refused, /^INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint https:\/\/127\.0\.0\.1:1 is unreachable \(connection refused\): /);
  assert.ok(!refused.includes('req-s3cret'));
  // Refused when the settings are read (the core checks the URL there), as raxx-host refuses it.
  assert.throws(() => readSettings(actions('http://127.0.0.1:1/idtoken'), 'raxx-node/test'), (e) => e.code === VAULT && /must start with https:\/\//.test(e.message) && !e.message.includes('req-s3cret'));
});

test('a runner endpoint that never answers is bounded by RAXX_CONNECT_TIMEOUT_MS', async () => {
  // It accepts connections and says nothing (in its own process: the fetch blocks this thread).
  const silent = spawn(process.execPath, ['-e', "require('net').createServer(() => {}).listen(0, '127.0.0.1', function () { console.log(this.address().port); }); process.stdin.resume(); process.stdin.on('end', () => process.exit());"], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    let port;
    for await (const line of createInterface({ input: silent.stdout })) {
      port = line;
      break;
    }
    const env = { ...IDENTITY, INFISICAL_AUTH_METHOD: 'oidc', ACTIONS_ID_TOKEN_REQUEST_URL: `https://127.0.0.1:${port}/idtoken?api-version=2.0`, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'req-s3cret', RAXX_CONNECT_TIMEOUT_MS: '300' };
    assert.equal(
      failure(env),
      `INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint https://127.0.0.1:${port} is unreachable (no answer within 300 ms (RAXX_CONNECT_TIMEOUT_MS)): check the runner's network and proxy settings, or set INFISICAL_AUTH_JWT`,
    );
  } finally {
    silent.stdin.end();
  }
});
