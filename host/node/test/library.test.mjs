// The package's API as an orchestrator calls it: load once, resolve, mint,
// revoke, and failures as RaxxError with raxx-host's exit codes.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { load, RaxxError } from '../src/index.mjs';
import { COMPONENT, startWorld } from './helpers.mjs';

let world;
let raxx;
before(async () => {
  world = await startWorld();
  raxx = await load({ env: world.env });
});
after(() => world.close());

const rejects = (promise, code, kind, needle) =>
  assert.rejects(promise, (e) => e instanceof RaxxError && e.code === code && e.kind === kind && e.message.includes(needle) && !e.message.includes(world.env.INFISICAL_CLIENT_SECRET));

test('resolve, mint narrowed, revoke', async () => {
  assert.equal(raxx.componentPath, COMPONENT);
  const resolution = await raxx.resolve('card-groomer');
  assert.equal(resolution.bot, 'raxx-ops-bot');
  const token = await raxx.mint({ agent: 'card-groomer', permissions: { issues: 'write' } });
  const issued = (await world.issued()).at(-1);
  assert.equal(token.token, issued.token);
  assert.deepEqual(token.permissions, [{ name: 'issues', level: 'write' }]);
  assert.equal(token.agent, 'card-groomer');
  assert.equal(issued.revoked, false);
  await raxx.revoke(token);
  assert.equal((await world.issued()).at(-1).revoked, true);
});

test('a resolution is minted as resolved; an edited one is judged again as a request', async () => {
  const resolution = await raxx.resolve('card-groomer');
  assert.throws(() => resolution.permissions.push({ name: 'administration', level: 'write' }), TypeError, 'frozen');
  assert.throws(() => {
    resolution.bot = 'raxx-dev-bot';
  }, TypeError);
  const token = await raxx.mint(resolution);
  assert.equal(token.agent, 'card-groomer');
  const widened = { ...resolution, permissions: [...resolution.permissions, { name: 'administration', level: 'write' }] };
  await rejects(raxx.mint(widened), 4, 'policy', 'administration=write');
});

test('failures carry the exit code, the side and one line', async () => {
  await rejects(raxx.mint({ agent: 'intern' }), 5, 'policy', "agent class 'intern' is not in the agent map");
  await rejects(raxx.mint({ bot: 'raxx-dev-bot', permissions: [{ name: 'actions', level: 'read' }] }), 4, 'policy', 'actions=read');
  await rejects(raxx.mint({ bot: 'raxx-dev-bot', permissions: [{ name: 'contents', level: 'admin' }] }), 64, 'invalid-request', 'contents=admin');
  // Not a level at all: the WIT enum cannot carry it, so the host refuses it with the component's line.
  await rejects(raxx.mint({ bot: 'raxx-dev-bot', permissions: { contents: 'owner' } }), 64, 'invalid-request', "invalid permission contents=owner: level 'owner' is not one of read, write, admin");
  await rejects(raxx.mint({ bot: 'Not A Bot' }), 64, 'invalid-request', 'Not A Bot');
  const broke = await load({ env: { ...world.env, INFISICAL_CLIENT_SECRET: 'wrong' } });
  await rejects(broke.mint({ bot: 'raxx-dev-bot' }), 2, 'vault', '401 UnauthorizedError');
  const unset = await load({ env: {} });
  await rejects(unset.mint({ bot: 'raxx-dev-bot' }), 2, 'config', 'INFISICAL_CLIENT_ID is not set');
  assert.equal((await unset.resolve('sre-agent')).bot, 'raxx-ops-bot', 'resolve needs no settings');
  await rejects(raxx.revoke('ghs_not-a-token'), 3, 'github', '401');
  await assert.rejects(load({ component: '/nonexistent/raxx_minter.wasm' }), (e) => e instanceof RaxxError && e.code === 1);
});

test('concurrent calls each get their own instance and their own token', async () => {
  const bots = ['raxx-dev-bot', 'raxx-ops-bot', 'raxx-pm-bot', 'raxx-dev-bot'];
  const tokens = await Promise.all(bots.map((bot) => raxx.mint({ bot })));
  assert.deepEqual(tokens.map((t) => t.bot), bots);
  assert.equal(new Set(tokens.map((t) => t.token)).size, bots.length);
  const issued = new Set((await world.issued()).map((t) => t.token));
  assert.ok(tokens.every((t) => issued.has(t.token)));
});
