// The Node guard's judgement by wit/reach.json (the host core's, run as the
// core component), as crates/core/src/reach/tests.rs tests it for raxx-host:
// the same origins, calls, paths and token-request scopes.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Allowlist, Base, checkScope } from '../src/allowlist.mjs';

const LIST = Object.fromEntries(
  Object.entries(JSON.parse(readFileSync(new URL('../../../wit/reach.json', import.meta.url), 'utf8')).services).map(([key, service]) => [key, service.requests]),
);
const list = (infisical, github) => new Allowlist([new Base('infisical', infisical), new Base('github', github)]);
const scope = (permissions, repositories = []) => ({ permissions: Object.entries(permissions), repositories });
const method = (verb) => (['GET', 'POST', 'PUT', 'DELETE', 'PATCH'].includes(verb) ? { tag: verb.toLowerCase() } : { tag: 'other', val: verb });

/** What the guard makes of `METHOD URL` for `call`: `{ origin, label, check }`, or the refusal's message. */
function admission(allow, call, verb, url) {
  const m = /^(https?):\/\/([^/]*)(.*)$/.exec(url);
  const scheme = { tag: m[1].toUpperCase() };
  return allow.forCall(call, 'raxx-dev-bot', scope({ contents: 'read' })).admit(method(verb), scheme, m[2], m[3]);
}

/** The judgement of `METHOD URL` for `call`: true, or the refusal's message. */
function judge(allow, call, verb, url) {
  const admitted = admission(allow, call, verb, url);
  return typeof admitted === 'string' ? admitted : true;
}

/** Every call that sends requests. */
const CALLS = ['mint', 'verify', 'set-suspended', 'bot-user-id', 'revoke', 'vault-login'];

/**
 * The table raxx-host builds in, request by request: method, path template,
 * the calls that may send it, and whether it takes a query string and has its
 * body judged against the scope. A change to wit/reach.json changes this too.
 */
const BUILT_IN = {
  infisical: [
    { method: 'POST', path: '/v1/auth/universal-auth/login', calls: ['mint', 'verify', 'set-suspended', 'vault-login'] },
    { method: 'POST', path: '/v1/auth/kubernetes-auth/login', calls: ['mint', 'verify', 'set-suspended', 'vault-login'] },
    { method: 'POST', path: '/v1/auth/oidc-auth/login', calls: ['mint', 'verify', 'set-suspended', 'vault-login'] },
    { method: 'POST', path: '/v1/auth/jwt-auth/login', calls: ['mint', 'verify', 'set-suspended', 'vault-login'] },
    { method: 'GET', path: '/v4/secrets', calls: ['mint', 'verify', 'set-suspended'], query: true },
  ],
  github: [
    { method: 'POST', path: '/app/installations/{id}/access_tokens', calls: ['mint', 'verify'], body: 'scope' },
    { method: 'GET', path: '/app/installations', calls: ['mint', 'verify'], query: true },
    { method: 'GET', path: '/orgs/{owner}/installation', calls: ['mint'] },
    { method: 'GET', path: '/users/{owner}/installation', calls: ['mint'] },
    { method: 'GET', path: '/repos/{owner}/{repo}/installation', calls: ['mint'] },
    { method: 'GET', path: '/app', calls: ['verify'] },
    { method: 'GET', path: '/app/installations/{id}', calls: ['verify'] },
    { method: 'GET', path: '/installation/repositories', calls: ['verify'], query: true },
    { method: 'DELETE', path: '/installation/token', calls: ['verify', 'revoke'] },
    { method: 'PUT', path: '/app/installations/{id}/suspended', calls: ['set-suspended'] },
    { method: 'DELETE', path: '/app/installations/{id}/suspended', calls: ['set-suspended'] },
    { method: 'GET', path: '/users/{bot}%5Bbot%5D', calls: ['bot-user-id'] },
  ],
};

test('the list is the one raxx-host builds in', () => {
  const shape = (r) => ({ method: r.method, path: r.path, calls: r.calls, ...(r.query ? { query: true } : {}), ...(r.body ? { body: r.body } : {}) });
  assert.deepEqual(Object.keys(LIST), Object.keys(BUILT_IN), 'the services');
  for (const [service, requests] of Object.entries(BUILT_IN)) {
    assert.deepEqual(LIST[service].map(shape), requests, `${service}: wit/reach.json's requests`);
  }
  // The core component (the host core raxx-host links) sends each request for
  // exactly its calls, with a query string only where the table allows one,
  // and holds a body for the scope check only where the table says so.
  const bases = { infisical: 'https://vault.example/api', github: 'https://api.github.com' };
  const allow = list(bases.infisical, bases.github);
  const sample = { '{id}': '55000001', '{owner}': 'raxx-app', '{repo}': 'TradeMasterAPI', '{bot}': 'raxx-dev-bot' };
  for (const [service, requests] of Object.entries(BUILT_IN)) {
    for (const r of requests) {
      const url = bases[service] + r.path.replace(/\{[a-z]+\}/g, (p) => sample[p]);
      for (const call of CALLS) {
        const what = `${call} ${r.method} ${url}`;
        const admitted = admission(allow, call, r.method, url);
        if (!r.calls.includes(call)) {
          assert.equal(typeof admitted, 'string', `${what}: not its call`);
          continue;
        }
        assert.equal(typeof admitted, 'object', `${what}: ${admitted}`);
        assert.equal(admitted.check !== undefined, r.body === 'scope', `${what}: its body is judged`);
        assert.equal(judge(allow, call, r.method, `${url}?per_page=100`) === true, r.query === true, `${what}?per_page=100`);
      }
    }
  }
});

test('only exact scheme, host and port of a base', () => {
  const allow = list('http://127.0.0.1:8080/api', 'https://api.github.com');
  const mint = (url) => judge(allow, 'mint', 'GET', url);
  assert.equal(mint('https://API.GITHUB.COM:443/app/installations'), true);
  for (const url of [
    'http://api.github.com/app/installations',
    'https://api.github.com:8443/app/installations',
    'http://127.0.0.1:8081/api/v4/secrets',
    'https://evil.example/app/installations',
    'http://169.254.169.254/latest/meta-data',
    'https://user@api.github.com/app/installations',
  ]) {
    assert.notEqual(mint(url), true, url);
  }
  assert.equal(mint('https://evil.example/app/installations?token=x'), 'GET https://evil.example:443/app/installations: not an allowed origin');
  assert.equal(mint('https://user:secret@api.github.com/app/installations'), 'GET /app/installations: its URL must not carry user info (user@host)', 'user info is never repeated');
});

test('a call sends only its own requests', () => {
  const allow = list('https://vault.example/api', 'https://api.github.com');
  const ok = (call, verb, url) => judge(allow, call, verb, url) === true;
  assert.ok(ok('mint', 'POST', 'https://vault.example/api/v1/auth/universal-auth/login'));
  assert.ok(ok('mint', 'GET', 'https://vault.example/api/v4/secrets?projectId=p&secretPath=%2Fx'));
  assert.ok(ok('mint', 'POST', 'https://api.github.com/app/installations/55000001/access_tokens'));
  assert.ok(ok('mint', 'GET', 'https://api.github.com/repos/raxx-app/.github/installation'));
  assert.ok(ok('revoke', 'DELETE', 'https://api.github.com/installation/token'));
  assert.ok(ok('bot-user-id', 'GET', 'https://api.github.com/users/raxx-dev-bot%5Bbot%5D'));
  for (const [call, verb, url] of [
    ['mint', 'PUT', 'https://api.github.com/app/installations/7/suspended'],
    ['mint', 'GET', 'https://api.github.com/app'],
    ['revoke', 'POST', 'https://api.github.com/app/installations/7/access_tokens'],
    ['bot-user-id', 'GET', 'https://api.github.com/users/raxx-ops-bot%5Bbot%5D'],
    ['mint', 'POST', 'https://api.github.com/repos/raxx-app/TradeMasterAPI/issues'],
    ['mint', 'PATCH', 'https://api.github.com/app/hook/config'],
    ['mint', 'POST', 'https://api.github.com/app/installations/7/access_tokens?x=1'],
  ]) {
    assert.notEqual(judge(allow, call, verb, url), true, `${call} ${verb} ${url}`);
  }
  assert.equal(
    judge(allow, 'mint', 'GET', 'https://vault.example/api/v3/secrets/raw/X?secretPath=%2Fbot'),
    'GET https://vault.example:443/api/v3/secrets/raw/X: not a request the minter makes',
  );
  assert.equal(typeof new Allowlist(allow.bases).admit(method('POST'), { tag: 'HTTPS' }, 'vault.example', '/api/v1/auth/universal-auth/login'), 'string', 'no call, no request');
});

test('paths are matched segment by segment under the base path', () => {
  const ghe = list('https://vault.example/api', 'https://ghe.example/api/v3');
  assert.equal(judge(ghe, 'mint', 'GET', 'https://ghe.example/api/v3/app/installations?per_page=100&page=2'), true);
  for (const url of [
    'https://ghe.example/app/installations',
    'https://ghe.example/api/v3x/app/installations',
    'https://ghe.example/api/v3/../v3/app/installations',
    'https://ghe.example/api/v3/app/installations/',
    'https://ghe.example/api/v3//app/installations',
    'https://ghe.example/api%2Fv3/app/installations',
    'https://ghe.example/api/v3/orgs/../installation',
    'https://ghe.example/api/v3/repos/acme/../installation',
    'https://ghe.example/api/v3/app/installations/7x/access_tokens',
  ]) {
    assert.notEqual(judge(ghe, 'mint', 'GET', url), true, url);
    assert.notEqual(judge(ghe, 'mint', 'POST', url), true, url);
  }
});

test('a token request may ask no more than the resolution', () => {
  const bytes = (text) => new TextEncoder().encode(text);
  const text = (b) => new TextDecoder().decode(b);
  const within = scope({ contents: 'write', issues: 'read' });
  assert.equal(text(checkScope(within, bytes('{"permissions":{"issues":"read","contents":"read"}}'))), '{"permissions":{"contents":"read","issues":"read"}}');
  assert.ok(checkScope(within, bytes('{"permissions":{"contents":"write"},"repositories":["anything"]}')));
  for (const [body, why] of [
    ['{}', 'no permissions'],
    ['{"permissions":{}}', 'no permissions'],
    ['{"repositories":["app"]}', 'no permissions'],
    ['{"permissions":{"issues":"write"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"owner"}}', "more than the resolution's"],
    // Names of Object.prototype's members: once ranked by an object lookup (constructor > 2 is false, so it passed).
    ['{"permissions":{"contents":"constructor"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"toString"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"__proto__"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"hasOwnProperty"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"valueOf"}}', "more than the resolution's"],
    ['{"permissions":{"contents":"Read"}}', "more than the resolution's"],
    ['{"permissions":{"__proto__":"read"}}', 'does not grant'],
    ['{"permissions":{"constructor":"read"}}', 'does not grant'],
    ['{"permissions":{"administration":"read"}}', 'does not grant'],
    ['{"permissions":{"issues":"read"},"repository_ids":[1]}', 'not a token request'],
    ['["permissions"]', 'not a token request'],
    ['', 'not a token request'],
  ]) {
    assert.throws(() => checkScope(within, bytes(body)), (e) => typeof e === 'string' && e.includes(why), body);
  }
  const named = scope({ issues: 'write' }, ['app', 'docs']);
  assert.ok(checkScope(named, bytes('{"permissions":{"issues":"write"},"repositories":["docs"]}')));
  assert.throws(() => checkScope(named, bytes('{"permissions":{"issues":"write"}}')), /every repository of the installation/);
  assert.throws(() => checkScope(named, bytes('{"permissions":{"issues":"write"},"repositories":["app","secrets"]}')), /`secrets`, outside/);
});
