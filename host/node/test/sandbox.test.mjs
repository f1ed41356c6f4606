// The Node host's sandbox against the hostile component (tests/hostile), as
// host/tests/all/sandbox.rs tests raxx-host's: every escape is refused, none
// reaches a listener, and the process survives. Then the grants the hostile
// component cannot reach, driven directly: exit, stdout, the egress guard.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createSign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { load } from '../src/index.mjs';
import { FORBIDDEN_HEADERS as REFUSED, guardedHandler } from '../src/egress.mjs';
import { Allowlist, Base } from '../src/allowlist.mjs';
import { GuestExit, sandboxImports } from '../src/sandbox.mjs';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { HOSTILE, ROOT, startWorld } from './helpers.mjs';

const NO_POLICY = { agentMap: '', agentMapName: '', policy: '', policyName: '' };
let world;
let hostile;
let raxx;

before(async () => {
  world = await startWorld();
  hostile = await load({ component: HOSTILE, env: world.env });
  raxx = await load({ env: world.env });
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
  // A listed request on a listed origin is reachable (the fake answers 403: this component sends no User-Agent).
  assert.equal(await attack('fetch', `${github}/app/installations`), 'fetch: status 403');
});

/** An App JWT for `name`, signed with its key in the world (what the hostile component cannot make). */
async function appJwt(name) {
  const at = world.bots.findIndex((b) => b.name === name);
  const pem = (await world.keys())[at * 2];
  const part = (value) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const input = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 60, exp: now + 540, iss: world.bots[at].app_id })}`;
  return `${input}.${createSign('RSA-SHA256').update(input).sign(pem, 'base64url')}`;
}

/**
 * The hostile component sends `lines` (`METHOD URL [BODY]`) with `credential`
 * as the bearer, held to `scope` (a resolution the real minter made, or
 * none); what it saw, one answer per line.
 */
async function send(credential, scope, lines) {
  const request = { bot: 'send', agent: credential, owner: lines.join('\n'), permissions: scope?.permissions ?? [], repositories: scope?.repositories ?? [] };
  const error = await hostile.mint(await hostile.resolve(request, NO_POLICY)).then(
    () => assert.fail('the hostile component returned a token'),
    (e) => e,
  );
  // A refusal in `handle` (the guard's) or in the response (a held token exchange's): the same error code.
  return error.message.replace(/^send: /, '').replaceAll('error: ErrorCode::HttpRequestDenied', 'denied');
}

const accessTokens = (name, body) => `POST ${world.env.GITHUB_API_URL}/app/installations/${world.bots.find((b) => b.name === name).installation_id}/access_tokens ${JSON.stringify(body)}`;

test('a GET and a POST to unlisted paths of an allowed origin are denied and reach nobody', async () => {
  const gh = world.env.GITHUB_API_URL;
  const token = await raxx.mint({ agent: 'feature-developer' });
  const before = await world.requests();
  const withToken = [
    `GET ${gh}/repos/raxx-app/TradeMasterAPI`,
    `POST ${gh}/repos/raxx-app/TradeMasterAPI/issues {"title":"key","body":"-----BEGIN RSA PRIVATE KEY-----"}`,
    `GET ${gh}/installation/repositories`,
  ];
  assert.equal(await send(token.token, undefined, withToken), 'denied; denied; denied');
  const installation = world.bots.find((b) => b.name === 'raxx-dev-bot').installation_id;
  const withJwt = [`GET ${gh}/app/hook/config`, `PUT ${gh}/app/installations/${installation}/suspended`, `GET ${gh}/app`];
  assert.equal(await send(await appJwt('raxx-dev-bot'), undefined, withJwt), 'denied; denied; denied');
  assert.deepEqual(await world.requests(), before, 'nothing reached the fakes');
});

test('a second token exchange asking more than the resolution is denied', async () => {
  const scope = await raxx.resolve('card-groomer');
  const issued = (await world.issued()).length;
  const before = await world.requests();
  const lines = [
    accessTokens('raxx-ops-bot', { permissions: { issues: 'write', metadata: 'read' } }),
    accessTokens('raxx-ops-bot', { permissions: { issues: 'write', metadata: 'read', security_events: 'write' } }),
    accessTokens('raxx-ops-bot', { permissions: { issues: 'admin' } }),
    accessTokens('raxx-ops-bot', {}),
    accessTokens('raxx-ops-bot', { repositories: ['TradeMasterAPI'] }),
    accessTokens('raxx-ops-bot', { permissions: { issues: 'read' }, repository_ids: [1] }),
  ];
  assert.equal(await send(await appJwt('raxx-ops-bot'), scope, lines), 'status 201; denied; denied; denied; denied; denied');
  assert.equal((await world.issued()).length, issued + 1, 'only the first reached GitHub');
  assert.equal((await world.requests()).github, before.github + 1);
});

test('a token exchange for a repository outside the resolution is denied', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-policy-'));
  const policy = readFileSync(join(ROOT, 'policies', 'policy.yaml'), 'utf8').replace('  card-groomer:\n    permissions:\n', '  card-groomer:\n    repositories: [TradeMasterAPI]\n    permissions:\n');
  writeFileSync(join(dir, 'policy.yaml'), policy);
  const narrowed = await load({ env: world.env, policy: join(dir, 'policy.yaml'), agentMap: join(ROOT, 'policies', 'agent_bot_map.yaml') });
  const scope = await narrowed.resolve('card-groomer');
  assert.deepEqual(scope.repositories, ['TradeMasterAPI']);
  const issued = (await world.issued()).length;
  const asked = (repositories) => accessTokens('raxx-ops-bot', repositories ? { permissions: { issues: 'write' }, repositories } : { permissions: { issues: 'write' } });
  const lines = [asked(['TradeMasterAPI']), asked(['raxx-docs']), asked(['TradeMasterAPI', 'raxx-docs']), asked(undefined)];
  assert.equal(await send(await appJwt('raxx-ops-bot'), scope, lines), 'status 201; denied; denied; denied');
  assert.equal((await world.issued()).length, issued + 1, 'only the first reached GitHub');
});

test('a Host header cannot redirect a request', async () => {
  const report = await attack('host-header');
  assert.match(report, /^host-header: header refused/);
});

// The request headers a guest may not set, entry by entry raxx-host's
// (wasmtime's DEFAULT_FORBIDDEN_HEADERS; host/tests/all/sandbox.rs).
const FORBIDDEN_HEADERS = ['connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings'];

test('hop-by-hop and proxy headers are refused before anything is sent', async () => {
  assert.deepEqual([...REFUSED], FORBIDDEN_HEADERS);
  for (const name of [...FORBIDDEN_HEADERS, 'Proxy-Authorization', 'TRANSFER-ENCODING']) {
    assert.match(await attack('header', `${name}: x`), /^header: header refused/, name);
  }
  // Any other header is the guest's to set (the fake answers 403: this component sends no User-Agent).
  assert.equal(await attack('header', 'x-raxx-test: x'), 'header: status 403');
});

test('the guard refuses a request that carries a forbidden header, whatever built it', () => {
  const allow = new Allowlist([new Base('github', 'http://127.0.0.1:9/')]).forCall('mint');
  const sent = [];
  const handler = guardedHandler(allow, { handle: (r) => sent.push(r) }, []);
  const request = (name) => ({
    method: () => ({ tag: 'get' }),
    scheme: () => ({ tag: 'HTTP' }),
    authority: () => '127.0.0.1:9',
    pathWithQuery: () => '/app/installations',
    headers: () => ({ entries: () => [[name, new TextEncoder().encode('x')]] }),
  });
  for (const name of [...FORBIDDEN_HEADERS, 'Upgrade']) {
    assert.throws(() => handler.handle(request(name)), (e) => e.tag === 'HTTP-request-denied', name);
  }
  handler.handle(request('x-raxx-test'));
  assert.equal(sent.length, 1, 'only the request without a forbidden header was sent');
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

test('the guard refuses before the request leaves, judging method, scheme, authority, path and header names only', () => {
  const allow = new Allowlist([new Base('infisical', 'http://127.0.0.1:8080/api'), new Base('github', 'https://api.github.com')]).forCall('mint', 'raxx-dev-bot');
  const sent = [];
  const denied = [];
  const handler = guardedHandler(allow, { handle: (request) => sent.push(request.authority()) }, denied);
  const request = (scheme, authority, path = '/app/installations', method = { tag: 'get' }) => ({
    method: () => method,
    scheme: () => scheme,
    authority: () => authority,
    pathWithQuery: () => path,
    headers: () => ({ entries: () => [] }),
  });
  const HTTP = { tag: 'HTTP' };
  const HTTPS = { tag: 'HTTPS' };
  for (const r of [
    request(HTTP, '127.0.0.1:8081', '/api/v4/secrets'),
    request(HTTPS, '127.0.0.1:8080', '/api/v4/secrets'),
    request(HTTP, 'api.github.com'),
    request(HTTPS, 'api.github.com:8443'),
    request(HTTPS, 'evil.example'),
    request(HTTP, '169.254.169.254'),
    request(HTTP, undefined),
    request({ tag: 'other', val: 'ftp' }, '127.0.0.1:8080', '/api/v4/secrets'),
    request(undefined, '127.0.0.1:8080', '/api/v4/secrets'), // no scheme: the shim would use https
    request(HTTPS, 'api.github.com', '/app'), // verify's, not a mint's
    request(HTTPS, 'api.github.com', '/repos/o/r/issues', { tag: 'post' }),
  ]) {
    assert.throws(() => handler.handle(r), (e) => e.tag === 'HTTP-request-denied', `${r.scheme()?.tag} ${r.authority()}${r.pathWithQuery()}`);
  }
  assert.deepEqual(sent, [], 'a denied request never reached the sender');
  assert.equal(denied.length, 11);
  assert.equal(denied.at(-1), 'POST https://api.github.com:443/repos/o/r/issues: not a request the minter makes');
  handler.handle(request(HTTP, '127.0.0.1:8080', '/api/v4/secrets?projectId=p'));
  handler.handle(request(HTTPS, 'API.GitHub.com:443'));
  handler.handle(request(undefined, 'api.github.com'));
  // A leading zero spells the same port: raxx-host's reading (the core's), which the Node host once refused.
  handler.handle(request(HTTP, '127.0.0.1:08080', '/api/v4/secrets'));
  assert.deepEqual(sent, ['127.0.0.1:8080', 'API.GitHub.com:443', 'api.github.com', '127.0.0.1:08080']);
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
