// raxx-identity: the raxx minter component in Node, sandboxed as raxx-host
// sandboxes it. `load()` once, then `mint`, `resolve` and `revoke`; each call
// runs in a fresh instance whose only way out is the egress guard, letting
// through that call's own requests to the configured services (sandbox.mjs,
// allowlist.mjs). Every decision about identity and scope is
// the component's; this file only carries arguments across.
//
// jco's wasi-http shim is synchronous: a call blocks the calling thread until
// the component returns (a mint: a few round trips). Run it in a worker
// thread where an event loop must stay responsive.

import { defaultCacheDir, defaultComponentPath, loadComponent, VERSION } from './component.mjs';
import { fromMintError, GITHUB, HOST, hostError, RaxxError } from './errors.mjs';
import { locatePolicy, readPolicy } from './policy.mjs';
import { Allowlist, scopeOf } from './allowlist.mjs';
import { cacheSecret, readSettings } from './environment.mjs';
import { sandboxImports } from './sandbox.mjs';
import { permission } from './wit.mjs';

export { RaxxError } from './errors.mjs';
export { VERSION } from './component.mjs';

/** `raxx-node/<version>`: GitHub rejects requests without a User-Agent. */
export const USER_AGENT = `raxx-node/${VERSION}`;

/**
 * Loads the component once. Options (all optional): `component` (path;
 * default `RAXX_COMPONENT`, then the one next to the package or in `target/`),
 * `policy` and `agentMap` (paths; default `RAXX_POLICY`, `RAXX_AGENT_MAP`, then
 * `policies/`), `env` (where settings are read; default `process.env`),
 * `cacheDir` (transpiles; default `RAXX_CACHE_DIR`, …).
 */
export async function load(options = {}) {
  const env = options.env ?? process.env;
  // raxx-host's order: the policy files (exit 4), then the component (exit 1).
  const policyFiles = locatePolicy({ agentMap: options.agentMap || env.RAXX_AGENT_MAP, policy: options.policy || env.RAXX_POLICY });
  const path = options.component || env.RAXX_COMPONENT || defaultComponentPath();
  if (!path) {
    throw new RaxxError(HOST, 'host', 'no minter component next to this package; build it with scripts/build, or pass component (or set RAXX_COMPONENT)');
  }
  const component = await loadComponent(path, options.cacheDir ?? defaultCacheDir(env), cacheSecret(env));
  return new Minter(component, policyFiles, env);
}

/** The WIT `mint-request` for `{ bot | agent, repositories, permissions, owner }`. */
function mintRequest({ bot, agent, owner, repositories = [], permissions = [] } = {}) {
  const list = Array.isArray(permissions) ? permissions : Object.entries(permissions).map(([name, level]) => ({ name, level }));
  return { bot: bot ?? undefined, agent: agent ?? undefined, owner: owner ?? undefined, repositories: [...repositories], permissions: list.map(permission) };
}

/** Freezes a WIT value and everything in it. */
function deepFreeze(value) {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    Object.values(value).forEach(deepFreeze);
  }
  return value;
}

export class Minter {
  #component;
  #env;
  /** The resolutions this minter's `resolve` made (frozen): the only ones `mint` takes as they are. */
  #resolved = new WeakSet();

  constructor(component, policyFiles, env) {
    this.#component = component;
    this.#env = env;
    /** `{ agentMap, policy }`: the policy files in force (read fresh on every call). */
    this.policyFiles = policyFiles;
  }

  /** SHA-256 of the component bytes this minter runs (what an audit records). */
  get componentSha256() {
    return this.#component.sha256;
  }

  /** Caches skipped while loading, and why (one line each). */
  get warnings() {
    return this.#component.warnings;
  }

  /** SHA-256 of the transpiled code that runs (what an audit records as compiled_sha256). */
  get compiledSha256() {
    return this.#component.compiledSha256;
  }

  get componentPath() {
    return this.#component.path;
  }

  /** The policy documents now in force. */
  policy() {
    return readPolicy(this.policyFiles);
  }

  /**
   * The settings from the environment (`RaxxError` with exit 2, 3 or 64 when
   * unusable): read at every call, as `forLogin()` gets a JWT login's token at
   * every login.
   */
  settings() {
    return readSettings(this.#env, USER_AGENT);
  }

  /**
   * The bot and exact scope for an agent class (a string) or a mint request
   * (`{ bot | agent, … }`): the WIT `resolution`, frozen. No network.
   */
  async resolve(agentOrRequest, policy = this.policy()) {
    const request = typeof agentOrRequest === 'string' ? mintRequest({ agent: agentOrRequest }) : mintRequest(agentOrRequest);
    const resolution = deepFreeze(await this.#call(new Allowlist(), (root) => root.policy.resolve(policy, request)));
    this.#resolved.add(resolution);
    return resolution;
  }

  /**
   * Mints an installation token (the WIT `installation-token`) for a
   * resolution `resolve` returned, or for a request, resolved first (a refusal
   * never reaches the network). Anything else, an edited copy of a resolution
   * included, is a request: the policy judges it again. Then the settings (a
   * JWT login's token read or fetched now), then the component logs in, pulls
   * the bot's credentials and asks GitHub.
   */
  async mint(requestOrResolution) {
    const resolution = this.#resolved.has(requestOrResolution) ? requestOrResolution : await this.resolve(requestOrResolution);
    const settings = this.settings();
    const allowlist = settings.allowlist.forCall('mint', resolution.bot, scopeOf(resolution));
    const wit = settings.forLogin();
    return this.#call(allowlist, (root) => root.app.mint(wit, resolution));
  }

  /** Revokes an installation token (a string or what `mint` returned). Only the GitHub settings enter the component: no login, nothing read. */
  async revoke(token) {
    const settings = this.settings();
    const value = typeof token === 'string' ? token : token.token;
    // revoke's error is a bare service-failure at GitHub, not a mint-error.
    const failed = (f) => new RaxxError(GITHUB, 'github', f.message, f);
    return this.#call(settings.allowlist.forCall('revoke'), (root) => root.app.revoke(settings.github, settings.network, value), failed);
  }

  /** Runs one export in a fresh instance that may reach `allowlist`; a WIT error becomes `failed(error)`. */
  async #call(allowlist, run, failed = fromMintError) {
    let root;
    try {
      root = await this.#component.instantiate(sandboxImports(allowlist));
    } catch (e) {
      throw hostError('instantiating the minter component', e);
    }
    try {
      return run(root);
    } catch (e) {
      // jco throws a WIT `err` as a ComponentError carrying it as `payload`; anything else is a trap.
      if (e instanceof Error && e.constructor.name === 'ComponentError' && 'payload' in e) throw failed(e.payload);
      throw hostError('the minter component trapped', e);
    }
  }
}
