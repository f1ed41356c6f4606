// The egress hook, the single enforcement point of the allowlist (raxx-host's
// is host/src/egress.rs).
//
// Every `wasi:http/outgoing-handler.handle` call passes through
// `guardedHandler`, which judges the request by allowlist.mjs, that is by the
// host core's reach (the same code raxx-host links): the origin (scheme, host,
// port) of a configured Infisical or GitHub base URL (`https` only, plain
// `http` only to loopback), then its method and path against the requests the
// minter makes for the call under way. It reads the request's own
// method, scheme, authority and path (what jco's shim sends; never a header:
// the shim refuses a guest's `Host`) and answers `HTTP-request-denied` before
// anything leaves the process.
//
// A token exchange is held back: the guard answers with a `HeldResponse`,
// and only when the guest waits for it is the body it wrote judged and, if it
// passes, sent as a new request carrying exactly the body that was judged.
// The shim would otherwise start sending a request, headers first, the moment
// `handle` is called, before the guest has written its body.
//
// Base URLs and request URLs are read by the core (crates/url, `http::Uri`),
// as raxx-host reads them; parts that would not compose into one URL are
// refused.

import { clocks, http } from '@bytecodealliance/preview2-shim';

const DENIED = { tag: 'HTTP-request-denied' };

/**
 * Request headers a guest may not set: raxx-host's list, wasmtime's
 * `DEFAULT_FORBIDDEN_HEADERS`, entry by entry (jco's shim forbids only the
 * first two and `host`). The sandbox's fields refuse them as raxx-host's do
 * (`forbidden`), and the guard refuses a request that carries one anyway.
 */
export const FORBIDDEN_HEADERS = Object.freeze([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

// The shim's fields check its own set on every `append`, `set` and `from-list`:
// it gets the whole list. Without that set (another shim), the guard below still refuses.
if (http._forbiddenHeaders instanceof Set) for (const name of FORBIDDEN_HEADERS) http._forbiddenHeaders.add(name);

/** The first forbidden header `request` carries, or `undefined`. */
function forbiddenHeader(request) {
  return request
    .headers()
    .entries()
    .map(([name]) => String(name).toLowerCase())
    .find((name) => FORBIDDEN_HEADERS.includes(name));
}

/**
 * The guest's request bodies, kept where the guard will judge them (a token
 * exchange): request → `{ chunks, size, whole }`.
 */
const KEPT = new WeakMap();

/**
 * `wasi:http/types`' outgoing-request for one sandbox: as the shim's, but the
 * body of a request `allowlist` holds (method and path set first, as the
 * minter sets them) is also kept as it is written, at most `MAX_BODY_BYTES`.
 * A write the guard cannot follow (zeroes, a splice) marks it unusable.
 */
export function keepingRequestClass(allowlist, maxBytes) {
  return class KeepingRequest extends http.types.OutgoingRequest {
    body() {
      const body = super.body();
      if (!allowlist.holdsBody(this.method(), this.pathWithQuery())) return body;
      const kept = { chunks: [], size: 0, whole: true };
      KEPT.set(this, kept);
      const write = body.write.bind(body);
      body.write = () => {
        const stream = write();
        const keep = (bytes) => {
          kept.size += bytes.length;
          if (kept.size > maxBytes) kept.whole = false;
          else kept.chunks.push(Uint8Array.from(bytes));
        };
        for (const name of ['write', 'blockingWriteAndFlush']) {
          const inner = stream[name].bind(stream);
          stream[name] = (bytes) => {
            keep(bytes);
            return inner(bytes);
          };
        }
        for (const name of ['writeZeroes', 'blockingWriteZeroesAndFlush', 'splice', 'blockingSplice']) {
          const inner = stream[name].bind(stream);
          stream[name] = (...args) => {
            kept.whole = false;
            return inner(...args);
          };
        }
        return stream;
      };
      return body;
    }
  };
}

/** What the guest kept in the body of `request`, or `undefined`. */
function keptBody(request) {
  const kept = KEPT.get(request);
  if (!kept?.whole) return undefined;
  const body = new Uint8Array(kept.size);
  let at = 0;
  for (const chunk of kept.chunks) {
    body.set(chunk, at);
    at += chunk.length;
  }
  return body;
}

/**
 * The answer to a held request: nothing is sent until the guest waits for it
 * (`subscribe` or `get`); then `start()` judges the body and sends it, or
 * throws, and the guest sees `HTTP-request-denied`.
 */
class HeldResponse extends http.types.FutureIncomingResponse {
  #start;
  #sent;
  #refused = false;
  #taken = false;

  constructor(start) {
    super();
    this.#start = start;
  }

  #settle() {
    if (this.#sent || this.#refused) return;
    try {
      this.#sent = this.#start();
    } catch {
      this.#refused = true;
    }
  }

  subscribe() {
    this.#settle();
    return this.#sent ? this.#sent.subscribe() : clocks.monotonicClock.subscribeDuration(0n);
  }

  get() {
    this.#settle();
    if (this.#sent) return this.#sent.get();
    if (this.#taken) return { tag: 'err' };
    this.#taken = true;
    return { tag: 'ok', val: { tag: 'err', val: DENIED } };
  }
}

/** A new request like `request`, with `body` as its whole body. */
function withBody(request, body) {
  const entries = request
    .headers()
    .entries()
    .filter(([name]) => !['content-length', 'transfer-encoding'].includes(name.toLowerCase()));
  entries.push(['content-length', new TextEncoder().encode(String(body.length))]);
  const fresh = new http.types.OutgoingRequest(http.types.Fields.fromList(entries));
  fresh.setMethod(request.method());
  fresh.setScheme(request.scheme());
  fresh.setAuthority(request.authority());
  fresh.setPathWithQuery(request.pathWithQuery());
  return fresh;
}

/**
 * The `wasi:http/outgoing-handler` a sandbox grants: requests `allowlist`
 * admits go to `inner` (the shim's real handler), a token exchange only once
 * its body passed; every other one is refused with `HTTP-request-denied`,
 * which the guest sees as a clean WIT error. Each refusal is appended to
 * `denied` as one line naming the method, the origin and the path.
 */
export function guardedHandler(allowlist, inner, denied = []) {
  return {
    handle(request, options) {
      let admitted = allowlist.admit(request.method(), request.scheme(), request.authority(), request.pathWithQuery());
      const header = typeof admitted === 'string' ? undefined : forbiddenHeader(request);
      if (header !== undefined) admitted = `${admitted.label}: the header ${header} is not the guest's to set`;
      if (typeof admitted === 'string') {
        denied.push(admitted);
        throw DENIED;
      }
      if (!admitted.check) return inner.handle(request, options);
      return new HeldResponse(() => {
        let body;
        try {
          const kept = keptBody(request);
          if (kept === undefined) throw 'its body was not written as the guard can follow it (or it is too long)';
          body = admitted.check(kept);
        } catch (why) {
          denied.push(`${admitted.label}: ${why}`);
          throw DENIED;
        }
        const fresh = withBody(request, body);
        const out = fresh.body();
        const sent = inner.handle(fresh, options);
        const stream = out.write();
        stream.blockingWriteAndFlush(body);
        http.types.OutgoingBody.finish(out, undefined);
        return sent;
      });
    },
  };
}
