// Types of the raxx-identity package. The WIT values (requests, tokens,
// resolutions, failures) are jco's types generated from wit/ into gen/ by
// the build; this file types only the thin wrapper around them.

import type * as Identity from './gen/interfaces/raxx-identity-types.js';

export type {
  InstallationToken,
  Resolution,
  Permission,
  PolicyDocuments,
  MintError,
  ServiceFailure,
  PolicyFailure,
  FailureKind,
  PermissionLevel,
  AppRef,
  Settings,
  VaultSettings,
  InfisicalSettings,
} from './gen/interfaces/raxx-identity-types.js';

/** What to mint: a bot, or an agent class the map resolves; narrowed, never widened. */
export interface MintOptions {
  bot?: string;
  agent?: string;
  /** Where to look the installation up when the vault has no INSTALLATION_ID. */
  owner?: string;
  /** `NAME` or `OWNER/NAME`; empty = the policy's selection. */
  repositories?: string[];
  /**
   * `{ contents: 'read' }` or `[{ name: 'contents', level: 'read' }]`; empty =
   * the policy's. A level that is not `read`, `write` or `admin` is refused
   * (exit 64) before any call.
   */
  permissions?: Record<string, Identity.PermissionLevel> | Identity.Permission[];
}

export interface LoadOptions {
  /** The minter component; default `RAXX_COMPONENT`, then the one next to the package or in `target/`. */
  component?: string;
  /** Policy file; default `RAXX_POLICY`, then `policies/policy.yaml`. */
  policy?: string;
  /** Agent map; default `RAXX_AGENT_MAP`, then `policies/agent_bot_map.yaml`. */
  agentMap?: string;
  /**
   * Where the INFISICAL_*, ACTIONS_ID_TOKEN_REQUEST_*, GITHUB_API_URL and RAXX_*
   * settings are read; default `process.env`. Read at each call: a JWT login's
   * token file, or the GitHub Actions ID token, is got at each `mint`.
   */
  env?: Record<string, string | undefined>;
  /** Transpiled-component cache; default `RAXX_CACHE_DIR`, `target/node` in a source tree, `~/.cache/raxx`. */
  cacheDir?: string;
}

/** Where a failure came from; `code` is raxx-host's exit code for it. */
export type ErrorKind = 'vault' | 'github' | 'invalid-request' | 'policy' | 'config' | 'host' | 'usage';

export class RaxxError extends Error {
  /** 1 host, 2 vault, 3 GitHub, 4 policy, 5 unknown agent class, 64 usage. */
  readonly code: 1 | 2 | 3 | 4 | 5 | 64;
  readonly kind: ErrorKind;
  /** The component's WIT error value, when it reported one. */
  readonly failure?: Identity.ServiceFailure | Identity.PolicyFailure | string;
}

export class Minter {
  /** SHA-256 of the component bytes this minter runs. */
  readonly componentSha256: string;
  readonly componentPath: string;
  readonly policyFiles: { agentMap: string; policy: string };
  /** The bot and exact scope for an agent class or a request. No network. */
  resolve(agentOrRequest: string | MintOptions): Promise<Identity.Resolution>;
  /**
   * A fresh installation token for a resolution `resolve` returned, or for a
   * request (resolved first), scoped as the policy says (narrowed, never widened).
   */
  mint(request: MintOptions | Identity.Resolution): Promise<Identity.InstallationToken>;
  /** Revokes a token at GitHub. */
  revoke(token: string | Identity.InstallationToken): Promise<void>;
}

/** Loads the component once; every call then runs in a fresh sandboxed instance. */
export function load(options?: LoadOptions): Promise<Minter>;

export const VERSION: string;
