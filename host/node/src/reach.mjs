// The component's network reach (wit/reach.json, the file raxx-host builds
// in) and how the egress guard judges a request by it: the Node twin of
// host/src/reach.rs, with the same rules and messages. The origin (scheme,
// host, port) of a configured base URL, then the method and path against the
// requests the minter makes for the call under way. A token exchange's JSON
// body is judged too (see `checkScope`): it may ask no more than the
// resolution's scope. Refusals name the method, the origin and the path,
// never the query string or a header.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR, sourceTree } from './component.mjs';
import { Origin, requestOrigin } from './egress.mjs';

/** wit/reach.json: next to the package, or in its source tree. */
function listPath() {
  const root = sourceTree();
  const found = [join(PACKAGE_DIR, 'reach.json'), root && join(root, 'wit', 'reach.json')].find((p) => p && existsSync(p));
  if (!found) throw new Error('wit/reach.json (the requests the minter may send) is not next to this package nor in its source tree');
  return found;
}

/** Service key → its requests (reach.json's `services` map). */
export const LIST = Object.fromEntries(Object.entries(JSON.parse(readFileSync(listPath(), 'utf8')).services).map(([key, service]) => [key, service.requests]));

/** Longest token-exchange body kept (raxx-host's limit). */
export const MAX_BODY_BYTES = 256 << 10;

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const REPOSITORY = /^[A-Za-z0-9._-]+$/;

/** A configured base URL: its service, origin, and the path its API is under. */
export class Base {
  constructor(service, url) {
    this.service = service;
    this.origin = Origin.fromBaseUrl(url);
    /** `/api`, `/api/v3`, or empty: request paths are `${path}${template}`. */
    this.path = new URL(url).pathname.replace(/\/+$/, '');
  }
}

/**
 * Permission levels and their order, as raxx-host's `raxx_names::level_rank`:
 * a Map, so no name of Object.prototype's (`constructor`, `toString`,
 * `__proto__`) is a level; anything else ranks 0 and is refused.
 */
export const LEVELS = new Map([
  ['read', 1],
  ['write', 2],
  ['admin', 3],
]);
const rank = (level) => LEVELS.get(level) ?? 0;
const quoted = (text) => `\`${[...String(text)].filter((c) => c >= ' ' && c !== '\x7f').map((c) => (c === '`' ? "'" : c > '~' ? '?' : c)).slice(0, 40).join('')}\``;

/** The scope of a WIT resolution: `{ permissions: Map name → level, repositories }`. */
export function scopeOf(resolution) {
  return { permissions: new Map(resolution.permissions.map((p) => [p.name, p.level])), repositories: [...resolution.repositories] };
}

/**
 * Judges a token request body (bytes) against `scope`; returns the body to
 * send: the request as checked, written out again. Throws the reason (a
 * string) when it asks for more.
 */
export function checkScope(scope, body) {
  let asked;
  try {
    asked = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    asked = undefined;
  }
  const known = asked && typeof asked === 'object' && !Array.isArray(asked) && Object.keys(asked).every((k) => k === 'permissions' || k === 'repositories');
  const permissions = known && asked.permissions;
  const repositories = known ? (asked.repositories ?? []) : undefined;
  const isMap = (v) => v && typeof v === 'object' && !Array.isArray(v) && Object.values(v).every((l) => typeof l === 'string');
  if (!known || (asked.permissions != null && !isMap(asked.permissions)) || !Array.isArray(repositories) || !repositories.every((r) => typeof r === 'string')) {
    throw 'its body is not a token request (a JSON object of permissions and repositories only)';
  }
  if (!permissions || Object.keys(permissions).length === 0) {
    throw 'it asks for no permissions, which GitHub reads as every permission the installation has';
  }
  for (const [name, level] of Object.entries(permissions)) {
    const most = scope.permissions.get(name);
    if (most === undefined) throw `it asks ${quoted(name)}=${quoted(level)}, which the resolution does not grant`;
    if (rank(level) === 0 || rank(level) > rank(most)) throw `it asks ${quoted(name)}=${quoted(level)}, more than the resolution's ${quoted(name)}=${most}`;
  }
  if (scope.repositories.length > 0) {
    if (repositories.length === 0) throw `it asks for every repository of the installation; the resolution names ${scope.repositories.join(', ')}`;
    const outside = repositories.find((r) => !scope.repositories.includes(r));
    if (outside !== undefined) throw `it asks for repository ${quoted(outside)}, outside the resolution's ${scope.repositories.join(', ')}`;
  }
  const sorted = Object.fromEntries(Object.entries(permissions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  const checked = asked.repositories === undefined ? { permissions: sorted } : { permissions: sorted, repositories };
  return new TextEncoder().encode(JSON.stringify(checked));
}

/**
 * What one call may reach: the configured services, the call under way, the
 * bot it is for (`{bot}` in a path) and the scope of its token exchanges.
 * Without a call nothing is allowed.
 */
export class Allowlist {
  constructor(bases = [], call = undefined, bot = undefined, scope = undefined) {
    this.bases = bases;
    this.call = call;
    this.bot = bot;
    this.scope = scope;
  }

  /** The same services for one call (`mint`, `verify`, `set-suspended`, `bot-user-id`, `revoke`). */
  forCall(call, bot, scope) {
    return new Allowlist(this.bases, call, bot, scope);
  }

  get origins() {
    return this.bases.map((b) => b.origin);
  }

  /**
   * Judges a request (the WIT method, scheme, authority and path with query):
   * `{ origin, label, check }`, where `check(body)` is set when the body must
   * be judged before anything is sent (it returns the body to send, or throws
   * why not), or a string saying why the request is refused.
   */
  admit(method, scheme, authority, pathWithQuery) {
    const verb = method?.tag === 'other' ? method.val : String(method?.tag ?? '').toUpperCase();
    const [path, query] = splitQuery(pathWithQuery ?? '');
    const origin = requestOrigin(scheme, authority);
    // requestOrigin names the reason last, in parentheses; the authority before it is not repeated (it could hold user info).
    if (!(origin instanceof Origin)) return `${verb} ${path}: its URL is refused ${origin.slice(origin.lastIndexOf(' (') + 1)}`;
    const deny = (why) => `${verb} ${origin}${path}: ${why}`;
    const bases = this.bases.filter((b) => b.origin.equals(origin));
    if (bases.length === 0) return deny('not an allowed origin');
    if (!this.call) return deny('no request is allowed outside a call');
    for (const base of bases) {
      if (!path.startsWith(`${base.path}/`)) continue;
      const rest = path.slice(base.path.length);
      const rule = LIST[base.service].find((r) => r.method === verb && r.calls.includes(this.call) && this.#matches(r.path, rest));
      if (!rule) continue;
      if (query !== undefined && !rule.query) return deny('this request takes no query string');
      if (rule.body === 'scope' && !this.scope) return deny('a token exchange outside a call that resolved a scope');
      const scope = this.scope;
      return { origin, label: `${verb} ${origin}${path}`, check: rule.body === 'scope' ? (body) => checkScope(scope, body) : undefined };
    }
    return deny('not a request the minter makes');
  }

  /** Whether the request may need its body kept (so the guard can judge it). */
  holdsBody(method, pathWithQuery) {
    const verb = method?.tag === 'other' ? method.val : String(method?.tag ?? '').toUpperCase();
    const [path] = splitQuery(pathWithQuery ?? '');
    return this.bases.some((base) => {
      const rest = path.startsWith(`${base.path}/`) ? path.slice(base.path.length) : undefined;
      return rest !== undefined && LIST[base.service].some((r) => r.body && r.method === verb && this.#matches(r.path, rest));
    });
  }

  #matches(template, path) {
    const want = template.split('/');
    const have = path.split('/');
    return want.length === have.length && want.every((w, i) => this.#segment(w, have[i]));
  }

  /** One segment: literal text around at most one `{placeholder}`. */
  #segment(template, segment) {
    const m = /^([^{]*)\{([a-z]+)\}(.*)$/.exec(template);
    if (!m) return template === segment;
    const [, before, name, after] = m;
    if (!segment.startsWith(before) || !segment.endsWith(after) || segment.length < before.length + after.length) return false;
    const value = segment.slice(before.length, segment.length - after.length);
    switch (name) {
      case 'id':
        return /^[0-9]{1,19}$/.test(value);
      case 'owner':
        return NAME.test(value);
      case 'repo':
        return REPOSITORY.test(value) && value !== '.' && value !== '..';
      case 'bot':
        return this.bot !== undefined && value === this.bot;
      default:
        return false;
    }
  }
}

function splitQuery(pathWithQuery) {
  const at = pathWithQuery.indexOf('?');
  return at < 0 ? [pathWithQuery, undefined] : [pathWithQuery.slice(0, at), pathWithQuery.slice(at + 1)];
}
