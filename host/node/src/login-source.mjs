// A JWT login's token (Kubernetes, OIDC, JWT Auth), got where the settings
// say at each login, never once at load: a projected service-account token or
// an ID token rotates while an orchestrator runs (raxx-host's
// host/src/config/login_source.rs). The host core decides the source, the
// Actions request's URL, the runner's answer and every failure's line (the
// code raxx-host links); this file does the I/O.
//
// A file is opened non-blocking and read only when it is a regular file, at
// most the core's `max-source-bytes`: a FIFO or a device named by mistake
// cannot hang or feed the host. The runner is asked through jco's wasi-http
// shim, the client the minter's own requests go through (hand-written on it
// rather than another HTTP client: it blocks as a mint does, which `fetch`
// cannot): the Node host's TLS trust (Node's CA store and
// `NODE_EXTRA_CA_CERTS`; `SSL_CERT_FILE` with `NODE_OPTIONS=--use-openssl-ca`)
// and the settings' network timeouts, as for the egress. Like the egress it
// reads no proxy variable.

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { http } from '@bytecodealliance/preview2-shim';
import { core, payload } from './core.mjs';
import { fromConfigError } from './errors.mjs';

/** Longest token file or runner answer read (bytes): the core's limit, raxx-host's. */
export const MAX_SOURCE_BYTES = core.maxSourceBytes();

const NS_PER_MS = 1_000_000n;

/**
 * The token for a JWT login: `method` (`kubernetes`, `oidc`, `jwt`), its
 * `source` (the core's WIT `credential-source`), got now. A failure is a
 * `RaxxError` (kind `vault`: the login could not be made) with the core's one
 * line (exit 2), which names the method and what to fix and never holds a token.
 */
export function jwtFrom(method, source, network, userAgent) {
  const fail = (failure) => fromConfigError(core.sourceError(method, source, failure), 'vault');
  switch (source.tag) {
    case 'value':
      return source.val;
    case 'file': {
      const read = readTokenFile(source.val);
      if (typeof read !== 'string') throw fail(read);
      return read;
    }
    case 'actions-id-token':
      return askRunner(source.val, network, userAgent, fail);
    default:
      throw new TypeError(`unknown credential source ${source.tag}`);
  }
}

/**
 * Rust's words for a system error (`No such file or directory`), as raxx-host
 * gives them: libuv's text with its first letter raised, which is glibc's for
 * every errno an open or read of a path gives but these two.
 */
const GLIBC = { ELOOP: 'Too many levels of symbolic links', ENAMETOOLONG: 'File name too long' };
function reason(e) {
  const [name, text] = getSystemErrorMap().get(e?.errno) ?? [e?.code, undefined];
  if (GLIBC[name]) return GLIBC[name];
  if (text) return text[0].toUpperCase() + text.slice(1);
  return String(e?.message ?? e);
}

/** The trimmed content of a regular file of at most `MAX_SOURCE_BYTES`, or the WIT `source-failure`. */
function readTokenFile(path) {
  const unreadable = (e) => ({ tag: 'file-unreadable', val: reason(e) });
  let fd;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (e) {
    return unreadable(e);
  }
  const bytes = Buffer.alloc(MAX_SOURCE_BYTES + 1);
  try {
    if (!fstatSync(fd).isFile()) return { tag: 'file-not-regular' };
    let length = 0;
    for (let n = -1; n !== 0 && length < bytes.length; length += n) n = readSync(fd, bytes, length, bytes.length - length, null);
    if (length > MAX_SOURCE_BYTES) return { tag: 'file-too-large' };
    let text;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, length)).trim();
    } catch {
      return { tag: 'file-unreadable', val: 'not UTF-8 text' };
    }
    return text || { tag: 'file-empty' };
  } catch (e) {
    return unreadable(e);
  } finally {
    bytes.fill(0);
    closeSync(fd);
  }
}

/** Asks the GitHub Actions runner for an ID token (`request`: the core's WIT `actions-id-token`). */
function askRunner(request, network, userAgent, fail) {
  let url;
  try {
    url = core.actionsTokenUrl(request);
  } catch (e) {
    throw fromConfigError(payload(e));
  }
  const answer = get(url, request.requestToken, network, userAgent);
  if (typeof answer === 'string') throw fail({ tag: 'endpoint-unreachable', val: answer });
  if (answer.status < 200 || answer.status > 299) throw fail({ tag: 'endpoint-refused', val: answer.status });
  const jwt = answer.body.length > MAX_SOURCE_BYTES ? undefined : core.actionsAnswer(answer.body);
  answer.body.fill(0);
  if (jwt === undefined) throw fail({ tag: 'endpoint-no-token' });
  return jwt;
}

/**
 * `GET url` with the runner's headers (raxx-host's), bounded by `network`
 * (the WIT `network-settings`): `{ status, body }` (body: at most
 * `MAX_SOURCE_BYTES` + 1 bytes), or why no answer came (a string).
 */
function get(url, bearer, network, userAgent) {
  const { Fields, OutgoingBody, OutgoingRequest, RequestOptions } = http.types;
  const text = new TextEncoder();
  let future;
  try {
    const target = new URL(url);
    const request = new OutgoingRequest(
      Fields.fromList([
        ['accept', text.encode('application/json; api-version=2.0')],
        ['user-agent', text.encode(userAgent)],
        ['authorization', text.encode(`Bearer ${bearer}`)],
      ]),
    );
    request.setMethod({ tag: 'get' });
    request.setScheme({ tag: 'HTTPS' });
    request.setAuthority(target.host);
    request.setPathWithQuery(`${target.pathname}${target.search}`);
    const options = new RequestOptions();
    options.setConnectTimeout(BigInt(network.connectTimeoutMs) * NS_PER_MS);
    options.setFirstByteTimeout(BigInt(network.firstByteTimeoutMs) * NS_PER_MS);
    options.setBetweenBytesTimeout(BigInt(network.firstByteTimeoutMs) * NS_PER_MS);
    OutgoingBody.finish(request.body(), undefined);
    future = http.outgoingHandler.handle(request, options);
  } catch (e) {
    return cause(e, network);
  }
  future.subscribe().block();
  const answer = future.get();
  if (answer?.tag !== 'ok' || answer.val.tag !== 'ok') return cause(answer?.val?.val, network);
  const response = answer.val.val;
  const chunks = [];
  let size = 0;
  try {
    const stream = response.consume().stream();
    while (size <= MAX_SOURCE_BYTES) {
      const chunk = stream.blockingRead(BigInt(MAX_SOURCE_BYTES + 1 - size));
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (e) {
    if (e?.tag !== 'closed') return cause(e, network);
  }
  return { status: response.status(), body: Buffer.concat(chunks) };
}

/** A wasi:http error code (or what the shim threw) as the cause in the core's line. */
function cause(e, network) {
  switch (e?.tag) {
    case 'connection-timeout':
      return `no answer within ${network.connectTimeoutMs} ms (RAXX_CONNECT_TIMEOUT_MS)`;
    case 'connection-refused':
      return 'connection refused';
    case 'DNS-error':
      return `the name could not be resolved (${e.val?.rcode ?? 'DNS error'})`;
    case 'internal-error':
      return String(e.val ?? 'internal error').replace(/^Error: /, '');
    case undefined:
      return String(e?.message ?? e);
    default:
      return String(e.tag).replaceAll('-', ' ');
  }
}
