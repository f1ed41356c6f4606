// Every Infisical login method, from Node, against the loopback fakes (the
// fake Infisical verifies what it receives: the identity id, the JWT's
// signature, expiry and audience): each mints, a token file is read afresh at
// each mint, the GitHub Actions runner is asked with the audience configured,
// the token method sends no login, and each failure is raxx-host's line with
// its exit code, never holding a token.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { load, RaxxError } from '../src/index.mjs';
import { assertNoSecrets, assertOneLineError, raxxHost, raxxNode, startWorld } from './helpers.mjs';

/** The audience the identities expect (Infisical's, as a projected token or an OIDC login is configured). */
const AUDIENCE = 'https://infisical.raxx.test';

let world;
/** The world's settings without Universal Auth's variables. */
let vault;
before(async () => {
  world = await startWorld();
  vault = Object.fromEntries(Object.entries(world.env).filter(([name]) => !['INFISICAL_CLIENT_ID', 'INFISICAL_CLIENT_SECRET'].includes(name)));
});
after(() => world.close());

const logins = () => world.call('GET', '/logins');
const tokenFile = (jwt) => {
  const path = join(mkdtempSync(join(tmpdir(), 'raxx-node-login-')), 'token');
  writeFileSync(path, `${jwt}\n`, { mode: 0o600 });
  return path;
};

/** Neither a run's stdout nor its stderr holds any of `secrets`. */
function assertNone(r, secrets) {
  for (const secret of secrets) assert.ok(!`${r.stdout}${r.stderr}`.includes(secret), `a secret leaked:\n${r.stderr}`);
}

/** The same scenario through both hosts: the same exit code and the same line after each one's name. */
function sameFailure(env, code, needle) {
  const node = raxxNode(['mint', 'raxx-dev-bot'], env);
  const host = raxxHost(['mint', 'raxx-dev-bot'], env);
  assert.equal(host.code, code, `raxx-host: ${host.stderr}`);
  assert.equal(node.code, code, `raxx-node: ${node.stderr}`);
  assertOneLineError(node, needle);
  assert.equal(node.stderr.replace(/^raxx-node: /, ''), host.stderr.replace(/^raxx-host: /, ''), 'the same line as raxx-host');
  return node;
}

test('kubernetes: the service-account token file is read at each mint', async () => {
  const { identity_id, jwt } = await world.control(`/jwt-identity/kubernetes?audience=${encodeURIComponent(AUDIENCE)}`);
  const path = tokenFile(jwt);
  // Inferred from the path; no client secret anywhere.
  const env = { ...vault, INFISICAL_MACHINE_IDENTITY_ID: identity_id, INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: path };
  const before = await logins();
  const r = raxxNode(['mint', 'raxx-dev-bot'], env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${(await world.issued()).at(-1).token}\n`);
  assertNone(r, [jwt]);
  assert.equal((await logins()).kubernetes, before.kubernetes + 1);

  // One minter, three mints: the file as it is at each one (a projected token rotates).
  const raxx = await load({ env });
  await raxx.mint({ bot: 'raxx-dev-bot' });
  writeFileSync(path, (await world.control(`/jwt/kubernetes?audience=other-audience`)).jwt);
  await assert.rejects(raxx.mint({ bot: 'raxx-dev-bot' }), (e) => e instanceof RaxxError && e.code === 2 && e.kind === 'vault' && /audience not allowed/.test(e.message));
  writeFileSync(path, (await world.control(`/jwt/kubernetes?audience=${encodeURIComponent(AUDIENCE)}`)).jwt);
  assert.equal((await raxx.mint({ bot: 'raxx-dev-bot' })).bot, 'raxx-dev-bot');
  assert.equal((await logins()).kubernetes, before.kubernetes + 4, 'one login per mint');
});

test('jwt: the token given, or a file; a wrong identity id is refused', async () => {
  const { identity_id, jwt } = await world.control(`/jwt-identity/jwt?audience=${encodeURIComponent(AUDIENCE)}`);
  const before = await logins();
  for (const source of [{ INFISICAL_AUTH_JWT: jwt }, { INFISICAL_AUTH_JWT_PATH: tokenFile(jwt) }]) {
    const r = raxxNode(['mint', '--agent', 'card-groomer'], { ...vault, INFISICAL_AUTH_METHOD: 'jwt', INFISICAL_MACHINE_IDENTITY_ID: identity_id, ...source });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${(await world.issued()).at(-1).token}\n`);
    assertNone({ ...r, stdout: '' }, [jwt]);
  }
  assert.equal((await logins()).jwt, before.jwt + 2);
  const wrong = sameFailure({ ...vault, INFISICAL_AUTH_METHOD: 'jwt', INFISICAL_MACHINE_IDENTITY_ID: 'no-such-identity', INFISICAL_AUTH_JWT: jwt }, 2, '401');
  assertNone(wrong, [jwt]);
});

test('oidc on GitHub Actions: the runner is asked for an ID token with the audience configured', async () => {
  const actions = await world.call('GET', '/actions');
  const { identity_id } = await world.control(`/jwt-identity/oidc?audience=${encodeURIComponent(AUDIENCE)}`);
  const requestToken = actions.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN;
  const env = { ...vault, ...actions.env, INFISICAL_AUTH_METHOD: 'oidc', INFISICAL_MACHINE_IDENTITY_ID: identity_id, INFISICAL_OIDC_AUDIENCE: AUDIENCE };
  const before = await logins();
  // Node trusts the fakes' CA the way it trusts any other: NODE_EXTRA_CA_CERTS (raxx-host: SSL_CERT_FILE).
  const r = raxxNode(['mint', 'raxx-dev-bot'], { ...env, NODE_EXTRA_CA_CERTS: actions.ca_file });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${(await world.issued()).at(-1).token}\n`);
  assertNone(r, [requestToken]);
  assert.equal((await logins()).oidc, before.oidc + 1);
  assert.equal((await world.call('GET', '/actions')).audiences.at(-1), AUDIENCE, 'audience= sent');

  const trusted = { ...env, NODE_EXTRA_CA_CERTS: actions.ca_file, SSL_CERT_FILE: actions.ca_file };
  // An ID token for another audience: Infisical refuses it (the component's line).
  assertNone(sameFailure({ ...trusted, INFISICAL_OIDC_AUDIENCE: 'https://elsewhere.test' }, 2, 'audience not allowed'), [requestToken]);
  // A request token the runner does not accept: the core's line.
  sameFailure({ ...trusted, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'not-the-request-token' }, 2, 'refused the request (HTTP 401)');
  // A CA Node was not told to trust: nothing is sent, one line (exit 2) naming the endpoint.
  const untrusted = raxxNode(['mint', 'raxx-dev-bot'], env);
  assert.equal(untrusted.code, 2, untrusted.stderr);
  assertOneLineError(untrusted, 'INFISICAL_AUTH_METHOD=oidc: the GitHub Actions ID-token endpoint https://127.0.0.1:');
  assertNone(untrusted, [requestToken]);
});

test('token: the access token given is the bearer, and no login is sent', async () => {
  const login = await fetch(`${world.env.INFISICAL_API_URL.replace(/\/api$/, '')}/api/v1/auth/universal-auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: world.env.INFISICAL_CLIENT_ID, clientSecret: world.env.INFISICAL_CLIENT_SECRET }),
  });
  const { accessToken } = await login.json();
  const before = await logins();
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-login-audit-'));
  const r = raxxNode(['mint', 'raxx-ops-bot', '--audit-log', join(dir, 'node.jsonl')], { ...vault, INFISICAL_TOKEN: accessToken });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${(await world.issued()).at(-1).token}\n`);
  assertNone(r, [accessToken]);
  const now = await logins();
  assert.equal(now.universal + now.kubernetes + now.oidc + now.jwt, before.universal + before.kubernetes + before.oidc + before.jwt, 'no login');
  assert.equal(now.secret_reads, before.secret_reads + 1);
  assert.equal(raxxHost(['mint', 'raxx-ops-bot', '--audit-log', join(dir, 'host.jsonl')], { ...vault, INFISICAL_TOKEN: accessToken }).code, 0);
  const [n, h] = ['node', 'host'].map((who) => JSON.parse(readFileSync(join(dir, `${who}.jsonl`), 'utf8')));
  assert.equal(n.vault_login, 'given', 'the audit record says no login was made');
  assert.equal(n.vault_login, h.vault_login);
  assert.ok(!JSON.stringify(n).includes(accessToken));
  assertNone(sameFailure({ ...vault, INFISICAL_TOKEN: 'eyJfake.not-issued.sig' }, 2, 'INFISICAL_TOKEN'), ['eyJfake.not-issued.sig']);
});

test("raxx-host's line and exit code: a token file missing, two methods, an unknown method, no ID token", async () => {
  const missing = join(mkdtempSync(join(tmpdir(), 'raxx-node-login-')), 'token');
  sameFailure({ ...vault, INFISICAL_MACHINE_IDENTITY_ID: 'id-1', INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: missing }, 2, `INFISICAL_AUTH_METHOD=kubernetes: cannot read the service-account token ${missing} (No such file or directory): mount it or set INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH`);
  const two = sameFailure({ ...world.env, INFISICAL_TOKEN: 'tok-s3cret' }, 2, 'two login methods are configured, universal (');
  assertNone(two, ['tok-s3cret']);
  await assertNoSecrets(world, two);
  sameFailure({ ...world.env, INFISICAL_AUTH_METHOD: 'aws-iam' }, 2, 'INFISICAL_AUTH_METHOD="aws-iam" is not a login method: use universal, kubernetes, oidc, jwt or token');
  sameFailure({ ...vault, INFISICAL_AUTH_METHOD: 'oidc', INFISICAL_MACHINE_IDENTITY_ID: 'id-1' }, 2, 'INFISICAL_AUTH_METHOD=oidc needs an ID token');
});

test('a JWT login keys no transpile cache (its token is short-lived): nothing is cached', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-login-cache-'));
  await load({ env: { ...vault, INFISICAL_MACHINE_IDENTITY_ID: 'id-1', INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH: '/nonexistent' }, cacheDir: dir });
  assert.deepEqual(existsSync(dir) ? readdirSync(dir).filter((e) => e.startsWith('jco-transpile-')) : [], []);
});
