// Failures and their exit codes: the same codes and meanings as raxx-host
// (host/src/exit.rs), so callers and scripts treat both hosts alike.

export const OK = 0;
/** The host could not run the component (missing, invalid, or it trapped). */
export const HOST = 1;
/** Secrets could not be pulled from Infisical (or a vault setting is missing). */
export const VAULT = 2;
/** GitHub refused the mint or could not be reached. */
export const GITHUB = 3;
/** The policy refused (invalid documents, a bot without an entry, widening). */
export const POLICY = 4;
/** The agent class is not in the agent map. */
export const UNKNOWN_AGENT = 5;
/** Usage error: bad argument, invalid bot name or permission. */
export const USAGE = 64;

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

/** A WIT `mint-error` as a `RaxxError` (raxx-host's `exit::for_mint_error`). */
export function fromMintError(error) {
  switch (error.tag) {
    case 'vault':
      return new RaxxError(VAULT, 'vault', error.val.message, error.val);
    case 'github':
      return new RaxxError(GITHUB, 'github', error.val.message, error.val);
    case 'invalid-request':
      return new RaxxError(USAGE, 'invalid-request', error.val, error.val);
    case 'policy':
      return new RaxxError(error.val.kind === 'unknown-agent' ? UNKNOWN_AGENT : POLICY, 'policy', error.val.message, error.val);
    default:
      return new RaxxError(HOST, 'host', `the minter component returned an unknown error ${JSON.stringify(error)}`);
  }
}

/** A settings problem (`ConfigError`) with raxx-host's codes for each side. */
export function fromConfigError(error) {
  const code = { vault: VAULT, github: GITHUB, host: USAGE }[error.side];
  return new RaxxError(code, 'config', error.message);
}

/** The host could not run the component; `cause` is what JavaScript threw. */
export function hostError(what, cause) {
  const detail = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
  return new RaxxError(HOST, 'host', `${what}: ${detail}`);
}
