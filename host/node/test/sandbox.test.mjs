// The Node host's sandbox against the hostile component (tests/hostile), as
// host/tests/all/sandbox.rs tests raxx-host's: every escape is refused, none
// reaches a listener, and the process survives. Then the grants the hostile
// component cannot reach, driven directly: exit, stdout, the egress guard.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from '../src/index.mjs';
import { Allowlist, guardedHandler, Origin } from '../src/egress.mjs';
import { GuestExit, sandboxImports } from '../src/sandbox.mjs';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { HOSTILE, startWorld } from './helpers.mjs';

const NO_POLICY = { agentMap: '', agentMapName: '', policy: '', policyName: '' };
let world;
let hostile;

before(async () => {
  world = await startWorld();
  hostile = await load({ component: HOSTILE, env: world.env });
});
after(() => world.close());

/** Runs one attack (`request.bot` names it, `request.owner` is its target); what the component saw. */
async function attack(name, target = '') {
  // The hostile component's resolve echoes the request.
  const resolution = await hostile.resolve({ bot: name, owner: target }, NO_POLICY);
  const error = await hostile.mint(resolution).then(
    () => assert.fail('the hostile component returned a token'),
    (e) => e,
  );
  assert.equal(error.kind, 'invalid-request', String(error));
  return error.message;
}

/** A loopback listener that must never see a connection. */
async function tripwire() {
  const seen = [];
  const server = createServer((socket) => {
    seen.push(socket.remoteAddress);
    socket.destroy();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: server.address().port,
    async assertUntouched(what) {
      // The call blocked this thread: give a queued connection its turn.
      await sleep(100);
      server.close();
      assert.deepEqual(seen, [], `${what} reached a listener`);
    },
  };
}

test('http to anything off the allowlist is denied and reaches nobody', async () => {
  const wire = await tripwire();
  const github = world.env.GITHUB_API_URL;
  const githubPort = new URL(github).port;
  const before = await world.requests();
  const cases = [
    ['unlisted host', `http://localhost:${wire.port}/`],
    ['listed host, other port', `http://127.0.0.1:${wire.port}/`],
    ['listed host, other scheme', `https://127.0.0.1:${githubPort}/app`],
    ['cloud metadata IP literal', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 loopback literal', `http://[::1]:${wire.port}/`],
    ['unlisted public host', 'https://evil.example/'],
  ];
  for (const [what, url] of cases) {
    assert.equal(await attack('fetch', url), 'fetch: error: ErrorCode::HttpRequestDenied', `${what}: ${url}`);
  }
  await wire.assertUntouched('a denied request');
  assert.deepEqual(await world.requests(), before, 'nothing reached the fakes');
  // A listed origin is reachable (the fake answers 403: this component sends no User-Agent).
  assert.equal(await attack('fetch', `${github}/app`), 'fetch: status 403');
});

test('a Host header cannot redirect a request', async () => {
  const report = await attack('host-header');
  assert.match(report, /^host-header: header refused/);
});

test('no environment, no files, no sockets', async () => {
  process.env.RAXX_NODE_TEST_CANARY = 'the guest must not see this';
  assert.ok(Object.keys(process.env).length > 1);
  assert.equal(await attack('read-env'), 'read-env: 0 variables: ');
  assert.match(await attack('read-file', '/etc/hostname'), /^read-file: error:/);
  const wire = await tripwire();
  assert.match(await attack('open-socket', `127.0.0.1:${wire.port}`), /^open-socket: refused/);
  await wire.assertUntouched('a socket');
});

test('the guard refuses before the request leaves, judging scheme and authority only', () => {
  const allow = new Allowlist([Origin.fromBaseUrl('http://127.0.0.1:8080/api'), Origin.fromBaseUrl('https://api.github.com')]);
  const sent = [];
  const denied = [];
  const handler = guardedHandler(allow, { handle: (request) => sent.push(request.authority()) }, denied);
  const request = (scheme, authority) => ({ scheme: () => scheme, authority: () => authority });
  const HTTP = { tag: 'HTTP' };
  const HTTPS = { tag: 'HTTPS' };
  for (const [scheme, authority] of [
    [HTTP, '127.0.0.1:8081'],
    [HTTPS, '127.0.0.1:8080'],
    [HTTP, 'api.github.com'],
    [HTTPS, 'api.github.com:8443'],
    [HTTPS, 'evil.example'],
    [HTTP, '169.254.169.254'],
    [HTTP, undefined],
    [HTTP, '127.0.0.1:08080'],
    [{ tag: 'other', val: 'ftp' }, '127.0.0.1:8080'],
    [undefined, '127.0.0.1:8080'], // no scheme: the shim would use https
  ]) {
    assert.throws(() => handler.handle(request(scheme, authority)), (e) => e.tag === 'HTTP-request-denied', `${scheme?.tag} ${authority}`);
  }
  assert.deepEqual(sent, [], 'a denied request never reached the sender');
  assert.equal(denied.length, 10);
  handler.handle(request(HTTP, '127.0.0.1:8080'));
  handler.handle(request(HTTPS, 'API.GitHub.com:443'));
  handler.handle(request(undefined, 'api.github.com'));
  assert.deepEqual(sent, ['127.0.0.1:8080', 'API.GitHub.com:443', 'api.github.com']);
});

test('exit is refused instead of ending the process', () => {
  const { exit, exitWithCode } = sandboxImports(new Allowlist())['wasi:cli/exit'];
  assert.throws(() => exit({ tag: 'err' }), GuestExit);
  assert.throws(() => exitWithCode(3), GuestExit);
  // jco's default would have ended this process: WASIShim's exit is process.exit.
  assert.match(String(new WASIShim().getImportObject()['wasi:cli/exit'].exit), /process\.exit/);
});

test('stdout and stderr are discarded, stdin is closed, no environment or working directory', () => {
  const imports = sandboxImports(new Allowlist());
  const written = [];
  const real = process.stdout.write;
  process.stdout.write = (chunk) => written.push(chunk);
  try {
    imports['wasi:cli/stdout'].getStdout().blockingWriteAndFlush(new TextEncoder().encode('leak'));
    imports['wasi:cli/stderr'].getStderr().write(new TextEncoder().encode('leak'));
    assert.deepEqual(written, []);
    // The shim's own stdout would have printed it (so this test can fail).
    new WASIShim().getImportObject()['wasi:cli/stdout'].getStdout().blockingWriteAndFlush(new TextEncoder().encode('shown'));
    assert.equal(written.length, 1);
  } finally {
    process.stdout.write = real;
  }
  assert.throws(() => imports['wasi:cli/stdin'].getStdin().blockingRead(1n), (e) => e.tag === 'closed');
  const environment = imports['wasi:cli/environment'];
  assert.deepEqual([environment.getEnvironment(), environment.getArguments(), environment.initialCwd()], [[], [], undefined]);
});
