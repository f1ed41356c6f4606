// raxx-node against the loopback fakes: the token it prints is exactly the
// one GitHub issued, for every form a vault holds a key in; its --json, exit
// codes and audit record match raxx-host's on the same scenario; and it runs
// the very component raxx-host runs.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertNoSecrets, assertOneLineError, COMPONENT, raxxHost, raxxNode, startWorld } from './helpers.mjs';

let world;
before(async () => {
  world = await startWorld();
});
after(() => world.close());

test('a mint for each PEM form prints exactly the token GitHub issued', async () => {
  for (const form of ['pkcs1', 'pkcs8', 'crlf', 'escaped']) {
    await world.control(`/pem/raxx-ops-bot/${form}`);
    const r = raxxNode(['mint', 'raxx-ops-bot'], world.env);
    assert.equal(r.code, 0, `${form}: ${r.stderr}`);
    const issued = await world.issued();
    assert.equal(r.stdout, `${issued.at(-1).token}\n`, form);
    assert.equal(r.stderr, '', form);
    await assertNoSecrets(world, r);
  }
});

test('--json has the fields and order of raxx-host mint --json', async () => {
  const node = raxxNode(['mint', '--agent', 'card-groomer', '--json'], world.env);
  const host = raxxHost(['mint', '--agent', 'card-groomer', '--json'], world.env);
  assert.equal(node.code, 0, node.stderr);
  assert.equal(host.code, 0, host.stderr);
  const [n, h] = [JSON.parse(node.stdout), JSON.parse(host.stdout)];
  assert.deepEqual(Object.keys(n), Object.keys(h));
  for (const key of ['agent', 'app_id', 'bot', 'installation_id', 'permissions', 'repositories', 'repository_selection']) {
    assert.deepEqual(n[key], h[key], key);
  }
  assert.equal(n.token, (await world.issued()).at(-2).token, 'the token raxx-node asked for, not raxx-host');
  await assertNoSecrets(world, node);
});

test('--export prints one eval-able line', async () => {
  const r = raxxNode(['mint', 'raxx-dev-bot', '--export'], world.env);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `export GH_TOKEN='${(await world.issued()).at(-1).token}'\n`);
});

/** Runs both hosts on one scenario; their exit codes must agree. */
function sameExit(args, env, expected, needle) {
  const node = raxxNode(args, env);
  const host = raxxHost(args, env);
  assert.equal(host.code, expected, `raxx-host: ${host.stderr}`);
  assert.equal(node.code, host.code, `raxx-node ${args.join(' ')}: ${node.stderr}`);
  assertOneLineError(node, needle);
  return node;
}

test('exit codes match raxx-host: a missing variable, Infisical 401, GitHub 404, policy, usage', async () => {
  for (const variable of ['INFISICAL_CLIENT_ID', 'INFISICAL_CLIENT_SECRET', 'INFISICAL_PROJECT_ID']) {
    const env = { ...world.env };
    delete env[variable];
    sameExit(['mint', 'raxx-dev-bot'], env, 2, `${variable} is not set`);
  }
  const wrong = sameExit(['mint', 'raxx-dev-bot'], { ...world.env, INFISICAL_CLIENT_SECRET: 'wrong-secret' }, 2, '401 UnauthorizedError: Invalid credentials');
  assert.ok(!wrong.stderr.includes('wrong-secret'));
  sameExit(['mint', 'raxx-dev-bot'], { ...world.env, GITHUB_API_URL: 'http://github.example.com' }, 3, 'GITHUB_API_URL "http://github.example.com" uses plain http to a non-loopback host; use https');
  sameExit(['mint', 'raxx-dev-bot'], { ...world.env, RAXX_RETRIES: 'many' }, 64, 'RAXX_RETRIES="many" is not a whole number from 0 to 10');
  sameExit(['mint', '--agent', 'intern'], world.env, 5, "agent class 'intern' is not in the agent map");
  sameExit(['mint', '--agent', 'card-groomer', '--permission', 'contents=write'], world.env, 4, 'contents=write');
  sameExit(['mint', 'raxx-dev-bot', '--bogus'], world.env, 64, "unexpected argument '--bogus'");
  sameExit(['mint'], world.env, 64, 'required arguments were not provided');
  await world.control('/remove-installation/raxx-pm-bot');
  const gone = sameExit(['mint', 'raxx-pm-bot'], world.env, 3, 'mint raxx-pm-bot: GitHub refused the token mint (404 Not Found)');
  await assertNoSecrets(world, gone);
});

test('it runs the portable build of the source raxx-host runs, and audits alike', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'raxx-node-audit-'));
  const [nodeLog, hostLog] = [join(dir, 'node.jsonl'), join(dir, 'host.jsonl')];
  assert.equal(raxxNode(['mint', 'raxx-dev-bot', '--audit-log', nodeLog], world.env).code, 0);
  assert.equal(raxxHost(['mint', 'raxx-dev-bot', '--audit-log', hostLog], world.env).code, 0);
  const [n, h] = [nodeLog, hostLog].map((p) => JSON.parse(readFileSync(p, 'utf8')));
  const sha = createHash('sha256').update(readFileSync(COMPONENT)).digest('hex');
  const wide = createHash('sha256').update(readFileSync(COMPONENT.replace('/component/', '/component-wide/'))).digest('hex');
  assert.equal(h.component_sha256, wide, 'raxx-host loads the wide-arithmetic build');
  assert.equal(n.component_sha256, sha, 'raxx-node loads the portable build');
  assert.equal(h.portable_component_sha256, n.component_sha256, 'raxx-host records the portable build raxx-node runs');
  assert.equal(n.portable_component_sha256, n.component_sha256, 'and so does raxx-node');
  assert.deepEqual(Object.keys(n), Object.keys(h), 'the same audit fields');
  for (const key of ['command', 'bot', 'app_id', 'installation_id', 'policy_sha256', 'agent_map_sha256', 'permissions', 'outcome', 'exit_code', 'vault_login']) {
    assert.deepEqual(n[key], h[key], key);
  }
  const issued = await world.issued();
  assert.equal(n.token_sha256, createHash('sha256').update(issued.at(-2).token).digest('hex'), 'the token only as its SHA-256');
  const version = raxxNode(['--version'], {});
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, new RegExp(`^raxx-node \\S+ component sha256 ${sha} `));
});

test('resolve needs no settings and agrees with raxx-host', () => {
  for (const args of [['resolve', 'card-groomer'], ['resolve', 'sre-agent', '--json']]) {
    const node = raxxNode(args, {});
    const host = raxxHost(args, {});
    assert.equal(node.code, 0, node.stderr);
    assert.equal(node.stdout, host.stdout);
  }
});
