// Failures and their exit codes. The codes and what a failure maps to are
// the host core's (crates/core/src/exit.rs, run as the core component), the
// same raxx-host uses, so callers and scripts treat both hosts alike.

import { core } from './core.mjs';

/** Exit code by name (`ok`, `host`, `vault`, …, `unknown-agent`, `usage`). */
const CODES = Object.fromEntries(core.exitCodes());

export const OK = CODES.ok;
/** The host could not run the component (missing, invalid, or it trapped). */
export const HOST = CODES.host;
/** Secrets could not be pulled from Infisical (or a vault setting is missing). */
export const VAULT = CODES.vault;
/** GitHub refused the mint or could not be reached. */
export const GITHUB = CODES.github;
/** The policy refused (invalid documents, a bot without an entry, widening). */
export const POLICY = CODES.policy;
/** The agent class is not in the agent map. */
export const UNKNOWN_AGENT = CODES['unknown-agent'];
/** Usage error: bad argument, invalid bot name or permission. */
export const USAGE = CODES.usage;

/**
 * A failure with its exit code and one-line message. `kind` says where it
 * came from (`vault`, `github`, `invalid-request`, `policy`, `config`,
 * `host`); `failure` holds the component's WIT error value, when there is one.
 */
export class RaxxError extends Error {
  constructor(code, kind, message, failure) {
    super(message);
    this.name = 'RaxxError';
    this.code = code;
    this.kind = kind;
    this.failure = failure;
  }
}

/** A WIT `mint-error` as a `RaxxError` (the core's mapping, as raxx-host's). */
export function fromMintError(error) {
  const code = core.exitForFailure(String(error?.tag), error?.tag === 'policy' ? error.val?.kind : undefined);
  if (code === undefined) return new RaxxError(HOST, 'host', `the minter component returned an unknown error ${JSON.stringify(error)}`);
  const message = error.tag === 'invalid-request' ? error.val : error.val.message;
  return new RaxxError(code, error.tag, message, error.val);
}

/**
 * A settings problem (the core's `config-error`: side, message) with the
 * core's code for its side; `kind` `vault` when it stopped a login (a JWT
 * login's token could not be got), which raxx-node reports as part of the mint.
 */
export function fromConfigError(error, kind = 'config') {
  return new RaxxError(core.exitForSide(error.side), kind, error.message);
}

/** The host could not run the component; `cause` is what JavaScript threw. */
export function hostError(what, cause) {
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new RaxxError(HOST, 'host', `${what}: ${detail}`);
}
