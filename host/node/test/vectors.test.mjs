// The shared cases (tests/vectors/*.json) against the host core as the Node
// host runs it: the core component (src/core.mjs), through the wrappers the
// host uses. crates/core/tests/vectors.rs runs the same files against the
// crate raxx-host links.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Allowlist, Base, checkScope } from '../src/allowlist.mjs';
import { cacheKeyId, core, payload, transpileTag } from '../src/core.mjs';
import { fromConfigError, fromMintError, RaxxError } from '../src/errors.mjs';

const vectors = (name) => JSON.parse(readFileSync(new URL(`../../../tests/vectors/${name}`, import.meta.url), 'utf8'));

/** Every field of `want` is in `have` with the same value (objects: recursively). */
function assertSubset(have, want, at) {
  if (want && typeof want === 'object' && !Array.isArray(want)) {
    for (const [k, w] of Object.entries(want)) assertSubset(have?.[k], w, `${at}.${k}`);
  } else {
    assert.deepEqual(have, want, at);
  }
}

/** A refusal against `err` (exact) or `err_contains` (a part). */
function assertRefusal(c, message, at) {
  if (typeof c.err === 'string') assert.equal(message, c.err, at);
  else {
    assert.ok(typeof c.err_contains === 'string', `${at}: refused: ${message}`);
    assert.ok(message.includes(c.err_contains), `${at}: ${message}`);
  }
}

/** A login as the vectors spell it: the secrets left out (a value given is `true`). */
function loginJson(login) {
  const v = login.val;
  const source = (src) =>
    src.tag === 'value'
      ? { value: true }
      : src.tag === 'file'
        ? { file: src.val }
        : { actions_id_token: { request_url: src.val.requestUrl, audience: src.val.audience ?? null } };
  switch (login.tag) {
    case 'universal-auth':
      return { universal_auth: { client_id: v.clientId } };
    case 'access-token':
      return { access_token: true };
    default:
      return { [login.tag]: { identity_id: v.identityId, source: source(v.source) } };
  }
}

test('settings', () => {
  const file = vectors('settings.json');
  for (const c of file.cases) {
    let s;
    try {
      s = core.settingsFromEnv(Object.entries(c.env), 'raxx-test/0');
    } catch (e) {
      const err = payload(e);
      assert.ok(c.err, `${c.name}: ${JSON.stringify(err)}`);
      assert.deepEqual({ side: err.side, absent: err.absent, message: err.message }, c.err, c.name);
      for (const secret of file.secrets) assert.ok(!err.message.includes(secret), `${c.name}: ${secret} echoed`);
      assert.ok(fromConfigError(err) instanceof RaxxError);
      continue;
    }
    assert.ok(c.ok, `${c.name}: accepted`);
    const v = s.vault.val;
    assertSubset(
      {
        vault: { [s.vault.tag]: { api_url: v.apiUrl, project_id: v.projectId, environment: v.environment, path_prefix: v.pathPrefix, login: loginJson(v.login) } },
        github: { api_url: s.github.apiUrl },
        network: { connect_timeout_ms: s.network.connectTimeoutMs, first_byte_timeout_ms: s.network.firstByteTimeoutMs, max_retries: s.network.maxRetries },
        origins: s.bases.map((b) => b.origin),
      },
      c.ok,
      c.name,
    );
  }
  for (const c of file.cache_secret) assert.equal(core.cacheSecret(Object.entries(c.env)), c.secret ?? undefined, c.name);
});

test('login sources', () => {
  const { sources } = vectors('settings.json');
  const request = (r) => ({ requestUrl: r.request_url, requestToken: 'req-s3cret', audience: r.audience ?? undefined });
  for (const c of sources.actions_url) {
    let url;
    try {
      url = core.actionsTokenUrl(request(c));
    } catch (e) {
      const err = payload(e);
      assert.deepEqual({ side: err.side, message: err.message }, { side: 'vault', message: c.err }, c.name);
      continue;
    }
    assert.equal(url, c.url, c.name);
  }
  for (const c of sources.actions_answer) {
    assert.equal(core.actionsAnswer(Buffer.from(c.body)), c.jwt ?? undefined, c.name);
  }
  for (const c of sources.errors) {
    const src = c.source.file !== undefined
      ? { tag: 'file', val: c.source.file }
      : { tag: 'actions-id-token', val: request(c.source.actions_id_token) };
    const [tag, arg] = Object.entries(c.failure)[0];
    const failure = arg === null ? { tag: tag.replaceAll('_', '-') } : { tag: tag.replaceAll('_', '-'), val: arg };
    const err = core.sourceError(c.method, src, failure);
    assert.deepEqual({ side: err.side, message: err.message }, { side: 'vault', message: c.message }, c.name);
    assert.ok(!err.message.includes('req-s3cret'), c.name);
  }
});

test('origins', () => {
  for (const c of vectors('origins.json').cases) {
    let base;
    try {
      base = new Base('github', c.url);
    } catch (e) {
      assert.equal(e.message, c.err, c.url);
      continue;
    }
    assert.ok(c.ok, `${c.url}: accepted`);
    assert.deepEqual({ origin: base.origin, path: base.path }, c.ok, c.url);
  }
});

const scope = (s) => ({ permissions: Object.entries(s.permissions), repositories: s.repositories });
const METHODS = ['get', 'post', 'put', 'delete', 'patch', 'head', 'options', 'connect', 'trace'];

test('reach', () => {
  const file = vectors('reach.json');
  for (const c of file.cases) {
    const at = `${c.call} ${c.method} ${c.url}`;
    let allow = new Allowlist(Object.entries(c.bases).map(([service, url]) => new Base(service, url)));
    if (c.call !== null) {
      const s = c.scope === undefined ? scope(file.default_scope) : c.scope === null ? undefined : scope(c.scope);
      allow = allow.forCall(c.call, c.bot ?? undefined, s);
    }
    // As the guard sees it: the WIT method, scheme, authority and path with query.
    const m = /^([a-z]+):\/\/([^/?#]*)(.*)$/.exec(c.url);
    const method = METHODS.includes(c.method.toLowerCase()) ? { tag: c.method.toLowerCase() } : { tag: 'other', val: c.method };
    const scheme = m[1] === 'https' ? { tag: 'HTTPS' } : m[1] === 'http' ? { tag: 'HTTP' } : { tag: 'other', val: m[1] };
    const admitted = allow.admit(method, scheme, m[2], m[3] || '/');
    if (typeof admitted === 'string') assertRefusal(c, admitted, at);
    else {
      assert.ok(c.ok, `${at}: admitted`);
      assert.equal(admitted.check !== undefined, c.ok.check, at);
    }
  }
});

test('scope check', () => {
  for (const c of vectors('scope.json').cases) {
    let sent;
    try {
      sent = checkScope(scope(c.scope), new TextEncoder().encode(c.body));
    } catch (why) {
      assertRefusal(c, why, c.body);
      continue;
    }
    assert.equal(new TextDecoder().decode(sent), c.ok, c.body);
  }
});

test('exit codes', () => {
  const file = vectors('exit.json');
  assert.deepEqual(Object.fromEntries(core.exitCodes()), file.codes);
  for (const c of file.failures) {
    assert.equal(core.exitForFailure(c.tag, c.policy_kind) ?? null, c.exit, JSON.stringify(c));
    // What the host throws for a component failure: the code, or its own failure (1) for a tag the core does not know.
    const val = c.tag === 'invalid-request' ? 'bad' : { message: 'm', kind: c.policy_kind };
    assert.equal(fromMintError({ tag: c.tag, val }).code, c.exit ?? file.codes.host, JSON.stringify(c));
  }
  for (const c of file.sides) assert.equal(core.exitForSide(c.side), c.exit, c.side);
  assert.ok(core.exitHelp().startsWith(file.help_starts));
});

test('audit records', () => {
  for (const c of vectors('audit.json').cases) {
    const e = c.event;
    const t = e.token;
    const event = {
      command: e.command,
      agent: e.agent,
      bot: e.bot,
      workflowUuid: e.workflow_uuid,
      token: t && { token: t.token, agent: t.agent, bot: t.bot, appId: t.app_id, installationId: t.installation_id, expiresAt: t.expires_at, permissions: t.permissions, repositories: t.repositories },
      installation: e.installation,
      fallback: e.fallback,
      operatorCommand: e.operator_command,
      subject: e.subject,
      error: e.error,
      vaultLogin: e.vault_login,
    };
    const f = c.in_force;
    const line = core.auditRecord(event, { componentSha256: f.component_sha256, compiledSha256: f.compiled_sha256, portableComponentSha256: f.portable_component_sha256 ?? undefined, policy: f.policy, agentMap: f.agent_map }, c.time);
    assert.deepEqual(JSON.parse(line), c.record, c.name);
    if (t) assert.ok(!line.includes(t.token), `${c.name}: the token itself`);
  }
});

test('policy discovery', () => {
  const file = vectors('policy.json');
  assert.deepEqual(core.policyFileNames(), file.file_names);
  for (const c of file.cases) {
    if (c.candidates) {
      assert.equal(core.policyDefaultDir(c.candidates, c.existing) ?? null, c.dir, c.name);
      continue;
    }
    let found;
    try {
      found = core.policyLocate(c.agent_map ?? undefined, c.policy ?? undefined, c.found_dir ?? undefined, c.next_to);
    } catch (e) {
      assert.equal(payload(e), c.err, c.name);
      continue;
    }
    assert.deepEqual(found, c.ok, c.name);
  }
});

/** A vector's content: `text` repeated `repeat` times (1 when absent). */
const content = (v) => Buffer.from(v.text.repeat(v.repeat ?? 1));

test('cache key', () => {
  const file = vectors('cache_key.json');
  for (const c of file.keys) assert.equal(cacheKeyId(c.secret), c.key_id, c.secret);
  for (const c of file.transpile) {
    const files = new Map(Object.entries(c.files).map(([name, v]) => [name, content(v)]));
    assert.equal(transpileTag(c.secret, c.component_sha256, files).toString('hex'), c.tag, JSON.stringify(c));
  }
});
