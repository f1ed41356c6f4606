// Settings and base URLs as the Node host reads them: through the host core
// (the rules and messages of raxx-host's host/src/config/settings.rs and
// host/src/egress.rs unit tests; tests/vectors/ holds the shared cases).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Base } from '../src/allowlist.mjs';
import { readSettings } from '../src/environment.mjs';
import { GITHUB, RaxxError, USAGE, VAULT } from '../src/errors.mjs';

const BASE = { INFISICAL_CLIENT_ID: 'id', INFISICAL_CLIENT_SECRET: 's3cret', INFISICAL_PROJECT_ID: 'p' };
const settings = (env) => readSettings(env, 'raxx-node/test');
/** A settings refusal, with the side it names as its exit code decides it. */
const refusal = (env) => {
  try {
    settings(env);
  } catch (e) {
    assert.ok(e instanceof RaxxError && e.kind === 'config', String(e));
    return Object.assign(e, { side: { [VAULT]: 'vault', [GITHUB]: 'github', [USAGE]: 'host' }[e.code] });
  }
  assert.fail('accepted');
};
const Origin = { fromBaseUrl: (url) => new Base('github', url).origin };

test('defaults match the design', () => {
  const s = settings(BASE);
  assert.equal(s.vault.tag, 'infisical');
  assert.equal(s.vault.val.apiUrl, 'https://app.infisical.com/api');
  assert.equal(s.vault.val.environment, 'prod');
  assert.equal(s.vault.val.pathPrefix, '/MooseQuest/');
  assert.equal(s.github.apiUrl, 'https://api.github.com');
  assert.deepEqual(s.network, { connectTimeoutMs: 5000, firstByteTimeoutMs: 20000, maxRetries: 2 });
  assert.deepEqual(s.allowlist.origins.map(String), ['https://app.infisical.com:443', 'https://api.github.com:443']);
});

test("accepts the Infisical CLI's names and appends /api", () => {
  const s = settings({
    INFISICAL_UNIVERSAL_AUTH_CLIENT_ID: 'id',
    INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET: 's',
    INFISICAL_PROJECT_ID: 'p',
    INFISICAL_DOMAIN: 'https://vault.example.com/',
    GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
  });
  assert.equal(s.vault.val.apiUrl, 'https://vault.example.com/api');
  assert.equal(s.github.apiUrl, 'https://ghe.example.com/api/v3');
  assert.equal(settings({ ...BASE, INFISICAL_DOMAIN: 'https://eu.infisical.com/api' }).vault.val.apiUrl, 'https://eu.infisical.com/api');
});

test('missing variables are named, blank ones count as missing, and the secret is never echoed', () => {
  let e = refusal({ INFISICAL_CLIENT_SECRET: 's3cret' });
  assert.equal(e.side, 'vault');
  assert.equal(e.message, "INFISICAL_CLIENT_ID is not set (or INFISICAL_UNIVERSAL_AUTH_CLIENT_ID): export the machine identity's Universal Auth client ID");
  e = refusal({ INFISICAL_CLIENT_ID: 'i', INFISICAL_CLIENT_SECRET: 's3cret', INFISICAL_PROJECT_ID: '  ' });
  assert.ok(e.message.startsWith('INFISICAL_PROJECT_ID is not set'), e.message);
  assert.ok(!JSON.stringify(settings(BASE).allowlist).includes('s3cret'));
});

test('network knobs have defaults and are checked', () => {
  const e = refusal({ ...BASE, RAXX_TIMEOUT_MS: 'soon' });
  assert.equal(e.side, 'host');
  assert.equal(e.message, 'RAXX_TIMEOUT_MS="soon" is not a whole number from 0 to 600000');
  assert.equal(refusal({ ...BASE, RAXX_RETRIES: '11' }).side, 'host');
  assert.equal(settings({ ...BASE, RAXX_CONNECT_TIMEOUT_MS: '0' }).network.connectTimeoutMs, 1);
});

test('plain http is refused off loopback, with the side named', () => {
  let e = refusal({ ...BASE, GITHUB_API_URL: 'http://github.example.com' });
  assert.equal(e.side, 'github');
  assert.equal(e.message, 'GITHUB_API_URL "http://github.example.com" uses plain http to a non-loopback host; use https');
  e = refusal({ ...BASE, INFISICAL_API_URL: 'ftp://vault.example.com' });
  assert.equal(e.side, 'vault');
  assert.equal(e.message, 'INFISICAL_DOMAIN/INFISICAL_API_URL "ftp://vault.example.com/api" must start with https://');
});

test('base URLs need https except on loopback', () => {
  for (const ok of ['https://api.github.com', 'http://127.0.0.1:8080/api', 'http://localhost:1', 'http://[::1]:9/api']) {
    assert.ok(Origin.fromBaseUrl(ok), ok);
  }
  for (const [url, message] of [
    ['http://example.com/api', 'uses plain http to a non-loopback host; use https'],
    ['ftp://example.com', 'must start with https://'],
    ['https://user:pw@example.com', 'must not carry user info (user@host)'],
    ['https://user@example.com', 'must not carry user info (user@host)'],
    ['not a url', 'is not a URL; expected https://host[:port][/path]'],
  ]) {
    assert.throws(() => Origin.fromBaseUrl(url), { message: `${JSON.stringify(url)} ${message}` }, url);
  }
});

test('origins name what to connect to', () => {
  const origin = (u) => Origin.fromBaseUrl(u);
  assert.equal(origin('https://API.GitHub.com/app'), 'https://api.github.com:443');
  assert.equal(origin('http://127.0.0.1:8080/x'), 'http://127.0.0.1:8080');
  assert.equal(origin('http://[::1]:9/x'), 'http://[::1]:9');
});
