// What one call may reach, as the egress guard asks it: a thin wrapper over
// the host core's reach (crates/core/src/reach, run as the core component,
// core.mjs). The judgement (the origin of a configured base URL, the method
// and path against wit/reach.json for the call under way, a token exchange's
// body against the resolution's scope) and every refusal's words are the
// core's, the same code raxx-host links.

import { core, payload } from './core.mjs';

/** Longest token-exchange body kept (the core's limit, raxx-host's). */
export const MAX_BODY_BYTES = core.maxBodyBytes();

/** A configured base URL: its service (a key of wit/reach.json), URL, origin and API path. */
export class Base {
  constructor(service, url) {
    let read;
    try {
      read = core.baseOrigin(url);
    } catch (e) {
      throw new Error(payload(e));
    }
    this.service = service;
    this.url = url;
    /** `https://host:port` (an IPv6 host in brackets). */
    this.origin = read.origin;
    /** `/api`, `/api/v3`, or empty. */
    this.path = read.path;
  }
}

/** A WIT method (`{ tag: 'get' }`, `{ tag: 'other', val }`) as the request line spells it. */
function verb(method) {
  return method?.tag === 'other' ? method.val : String(method?.tag ?? '').toUpperCase();
}

/** A WIT `option<scheme>` as text: none is https (the shim's default). */
function schemeName(scheme) {
  if (scheme === undefined) return undefined;
  if (scheme?.tag === 'HTTPS') return 'https';
  if (scheme?.tag === 'HTTP') return 'http';
  return String(scheme?.val ?? '?');
}

/** The scope of a WIT resolution, as the core takes it. */
export function scopeOf(resolution) {
  return { permissions: resolution.permissions.map((p) => [p.name, String(p.level)]), repositories: [...resolution.repositories] };
}

/**
 * Judges a token request body (bytes) against `scope`; returns the body to
 * send (the request as checked, written out again). Throws the reason (a
 * string) when it asks for more.
 */
export function checkScope(scope, body) {
  try {
    return core.checkScope(scope, body);
  } catch (e) {
    throw payload(e);
  }
}

/**
 * What one call may reach: the configured services, the call under way, the
 * bot it is for and the scope of its token exchanges. Without a call nothing
 * is allowed.
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

  /** The configured services' origins (`https://host:port`). */
  get origins() {
    return this.bases.map((b) => b.origin);
  }

  #wit() {
    return { bases: this.bases.map((b) => [b.service, b.url]), call: this.call, bot: this.bot, scope: this.scope };
  }

  /**
   * Judges a request (the WIT method, scheme, authority and path with query):
   * `{ origin, label, check }`, where `check(body)` is set when the body must
   * be judged before anything is sent (it returns the body to send, or throws
   * why not), or a string saying why the request is refused.
   */
  admit(method, scheme, authority, pathWithQuery) {
    let admitted;
    try {
      admitted = core.admitParts(this.#wit(), verb(method), schemeName(scheme), authority ?? '', pathWithQuery ?? '');
    } catch (e) {
      return String(payload(e));
    }
    const scope = this.scope;
    return { origin: admitted.origin, label: admitted.label, check: admitted.check ? (body) => checkScope(scope, body) : undefined };
  }

  /** Whether the request may need its body kept (so the guard can judge it). */
  holdsBody(method, pathWithQuery) {
    return core.holdsBody(this.#wit(), verb(method), pathWithQuery ?? '');
  }
}
