// The imports one call's instance gets: the same grants as raxx-host's store
// (host/src/runtime.rs). Outbound HTTP only through the egress guard (and
// outgoing requests that keep a token exchange's body for it); the
// clocks; no environment, no arguments, no working directory, no preopened
// directories, sockets and name lookup denied, stdin closed, stdout and
// stderr discarded, and `wasi:cli/exit` refused (by default jco's shim would
// end the whole Node process).
//
// jco's WASIShim (preview2-shim) supplies the rest. Its `sandbox` options
// matter: without `env: {}` it hands the guest all of `process.env`. Its
// `enableNetwork: false` would also refuse HTTP, but with a bare string the
// guest cannot read as a WIT error; the guard below replaces that handler.

import { clocks, http, io } from '@bytecodealliance/preview2-shim';
import { WASIShim } from '@bytecodealliance/preview2-shim/instantiation';
import { guardedHandler, keepingRequestClass } from './egress.mjs';
import { MAX_BODY_BYTES } from './allowlist.mjs';

const ready = () => clocks.monotonicClock.subscribeDuration(0n);

/** stdout and stderr: accepts every write and keeps nothing. */
class Discard extends io.streams.OutputStream {
  checkWrite() {
    return 1n << 20n;
  }
  write() {}
  blockingWriteAndFlush() {}
  flush() {}
  blockingFlush() {}
  writeZeroes() {}
  blockingWriteZeroesAndFlush() {}
  splice() {
    return 0n;
  }
  blockingSplice() {
    return 0n;
  }
  subscribe() {
    return ready();
  }
}

/** stdin: closed. */
class Closed extends io.streams.InputStream {
  read() {
    throw { tag: 'closed' };
  }
  blockingRead() {
    throw { tag: 'closed' };
  }
  skip() {
    throw { tag: 'closed' };
  }
  blockingSkip() {
    throw { tag: 'closed' };
  }
  subscribe() {
    return ready();
  }
}

/** What the guest gets instead of ending the process. */
export class GuestExit extends Error {
  constructor(status) {
    super(`the minter component called exit (${JSON.stringify(status)}); the host refused`);
    this.name = 'GuestExit';
  }
}

const SHIM = new WASIShim({ sandbox: { preopens: {}, env: {}, args: [], enableNetwork: false } });

/**
 * The import object for one instance that may reach `allowlist` (allowlist.mjs,
 * for one call); requests it refused are appended to `denied`.
 */
export function sandboxImports(allowlist, denied = []) {
  const imports = SHIM.getImportObject();
  const discard = new Discard();
  return {
    ...imports,
    'wasi:http/types': { ...imports['wasi:http/types'], OutgoingRequest: keepingRequestClass(allowlist, MAX_BODY_BYTES) },
    'wasi:http/outgoing-handler': guardedHandler(allowlist, http.outgoingHandler, denied),
    'wasi:cli/environment': { getEnvironment: () => [], getArguments: () => [], initialCwd: () => undefined },
    'wasi:cli/exit': {
      exit(status) {
        throw new GuestExit(status);
      },
      exitWithCode(code) {
        throw new GuestExit(code);
      },
    },
    'wasi:cli/stdin': { getStdin: () => new Closed() },
    'wasi:cli/stdout': { getStdout: () => discard },
    'wasi:cli/stderr': { getStderr: () => discard },
  };
}
