// The egress allowlist and its single enforcement point: the Node twin of
// host/src/egress.rs, with the same rules and messages.
//
// The component may only reach the origins (scheme, host, port) of the
// configured Infisical and GitHub base URLs; `https` only, plain `http` only to
// loopback. Every `wasi:http/outgoing-handler.handle` call passes through
// `guardedHandler`, which judges the request's own scheme and authority (what
// jco's shim connects to; never a header: the shim refuses a guest's `Host`)
// and answers `HTTP-request-denied` before anything leaves the process.
//
// Base URLs are read with WHATWG `URL`. Request authorities are matched as the
// shim will use them (`host[:port]`, split at the colon), without
// normalisation, so anything unusual fails closed.

import { isIP } from 'node:net';

/** Whether `host` is a loopback name or address (`localhost`, 127.0.0.0/8, ::1). */
export function isLoopback(host) {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.split('.')[0] === '127';
  // ::1 in any spelling (0:0:0:0:0:0:0:1, …), as URL writes it compressed.
  return isIP(h) === 6 && new URL(`http://[${h}]/`).hostname === '[::1]';
}

/** One allowed destination. */
export class Origin {
  constructor(https, host, port) {
    this.https = https;
    /** Lower-case host name or IP literal (IPv6 without brackets). */
    this.host = host;
    this.port = port;
  }

  /** `host:port`, an IPv6 host in brackets. */
  authority() {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  toString() {
    return `${this.https ? 'https' : 'http'}://${this.authority()}`;
  }

  equals(other) {
    return this.https === other.https && this.host === other.host && this.port === other.port;
  }

  /**
   * Reads a configured base URL. Refuses anything but `https`, and plain
   * `http` anywhere but loopback, with a message saying how to fix it.
   */
  static fromBaseUrl(url) {
    const quoted = JSON.stringify(url);
    let parsed;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`${quoted} is not a URL; expected https://host[:port][/path]`);
    }
    const https = parsed.protocol === 'https:';
    if (!https && parsed.protocol !== 'http:') throw new Error(`${quoted} must start with https://`);
    if (parsed.username || parsed.password || /^[a-z]+:\/\/[^/?#]*@/i.test(url)) {
      throw new Error(`${quoted} must not carry user info (user@host)`);
    }
    const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
    if (!host) throw new Error(`${quoted} has no host`);
    if (!https && !isLoopback(host)) throw new Error(`${quoted} uses plain http to a non-loopback host; use https`);
    const port = parsed.port ? Number(parsed.port) : https ? 443 : 80;
    return new Origin(https, host, port);
  }
}

/**
 * The destination of an outgoing request as jco's shim will connect to it:
 * an `Origin`, or a string naming why it cannot be judged.
 * `scheme` is the WIT `option<scheme>` (the shim sends none as https).
 */
export function requestOrigin(scheme, authority) {
  const https = scheme === undefined || scheme?.tag === 'HTTPS';
  if (!https && scheme?.tag !== 'HTTP') return `${scheme?.val ?? '?'}://${authority ?? ''} (scheme not allowed)`;
  const shown = `${https ? 'https' : 'http'}://${authority ?? ''}`;
  const m = /^([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?$/.exec(authority ?? '');
  if (!m) return `${shown} (not host[:port])`;
  const port = m[2] === undefined ? (https ? 443 : 80) : Number(m[2]);
  if (m[2] !== undefined && (String(port) !== m[2] || port < 1 || port > 65535)) return `${shown} (bad port)`;
  const host = m[1].toLowerCase();
  if (!https && !isLoopback(host)) return `${shown} (plain http off loopback)`;
  return new Origin(https, host, port);
}

/** The origins the component may reach. */
export class Allowlist {
  constructor(origins = []) {
    this.origins = origins;
  }

  /** The allowed origin a request goes to, or `null`. */
  allows(scheme, authority) {
    const origin = requestOrigin(scheme, authority);
    return origin instanceof Origin && this.origins.some((o) => o.equals(origin)) ? origin : null;
  }
}

/**
 * The `wasi:http/outgoing-handler` a sandbox grants: requests to `allowlist`
 * go to `inner` (the shim's real handler); every other one is refused with
 * `HTTP-request-denied`, which the guest sees as a clean WIT error. Refused
 * destinations are appended to `denied`.
 */
export function guardedHandler(allowlist, inner, denied = []) {
  return {
    handle(request, options) {
      const scheme = request.scheme();
      const authority = request.authority();
      if (!allowlist.allows(scheme, authority)) {
        const origin = requestOrigin(scheme, authority);
        denied.push(String(origin));
        throw { tag: 'HTTP-request-denied' };
      }
      return inner.handle(request, options);
    },
  };
}
