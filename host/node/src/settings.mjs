// Settings from the environment: the Node twin of host/src/settings.rs, with
// the same variables, defaults, validation and messages.

import { Allowlist, Base } from './reach.mjs';

export const DEFAULT_INFISICAL_URL = 'https://app.infisical.com';
export const DEFAULT_GITHUB_URL = 'https://api.github.com';
export const DEFAULT_ENVIRONMENT = 'prod';
export const DEFAULT_PATH_PREFIX = '/MooseQuest/';
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_FIRST_BYTE_TIMEOUT_MS = 20_000;
export const DEFAULT_RETRIES = 2;

/**
 * A configuration problem. `side` decides the exit code: `vault` (2),
 * `github` (3) or `host` (raxx's own knobs: 64).
 */
export class ConfigError extends Error {
  constructor(side, message) {
    super(message);
    this.side = side;
  }
}

/** Infisical's CLI rule: the API lives under `/api`; append it when missing. */
export function infisicalApiUrl(domain) {
  const base = domain.trim().replace(/\/+$/, '');
  return base.endsWith('/api') ? base : `${base}/api`;
}

/** The variables the vault identity's client secret is read from, in order. */
export const CLIENT_SECRET_VARS = ['INFISICAL_CLIENT_SECRET', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_SECRET'];

/** The first of `names` set in `env` to something besides blanks, trimmed; else undefined. */
export function envValue(env, ...names) {
  for (const name of names) {
    const value = env[name];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/**
 * Reads the settings from `env` (an object of variables, `process.env` in the
 * CLI): `{ wit, allowlist }`, where `wit` is the WIT `settings` record.
 * Throws `ConfigError` naming the variable to fix; never echoes a secret.
 */
export function settingsFromEnv(env, userAgent) {
  const get = (...names) => envValue(env, ...names);
  const require = (names, what) => {
    const value = get(...names);
    if (value !== undefined) return value;
    const alt = names.length > 1 ? ` (or ${names.slice(1).join(', ')})` : '';
    throw new ConfigError('vault', `${names[0]} is not set${alt}: export ${what}`);
  };
  const clientId = require(['INFISICAL_CLIENT_ID', 'INFISICAL_UNIVERSAL_AUTH_CLIENT_ID'], "the machine identity's Universal Auth client ID");
  const clientSecret = require(CLIENT_SECRET_VARS, "the machine identity's Universal Auth client secret");
  const projectId = require(['INFISICAL_PROJECT_ID'], "the ID of the Infisical project that holds the bots' folders");
  const environment = get('INFISICAL_ENVIRONMENT') ?? DEFAULT_ENVIRONMENT;
  const pathPrefix = get('INFISICAL_PATH_PREFIX') ?? DEFAULT_PATH_PREFIX;
  const vaultUrl = infisicalApiUrl(get('INFISICAL_DOMAIN', 'INFISICAL_API_URL') ?? DEFAULT_INFISICAL_URL);
  const vaultBase = base('infisical', vaultUrl, 'vault', 'INFISICAL_DOMAIN/INFISICAL_API_URL');
  const githubUrl = (get('GITHUB_API_URL') ?? DEFAULT_GITHUB_URL).replace(/\/+$/, '');
  const githubBase = base('github', githubUrl, 'github', 'GITHUB_API_URL');
  const number = (name, fallback, max) => {
    const value = get(name);
    if (value === undefined) return fallback;
    if (/^\+?[0-9]+$/.test(value) && Number(value) <= max) return Number(value);
    throw new ConfigError('host', `${name}=${JSON.stringify(value)} is not a whole number from 0 to ${max}`);
  };
  const network = {
    connectTimeoutMs: Math.max(number('RAXX_CONNECT_TIMEOUT_MS', DEFAULT_CONNECT_TIMEOUT_MS, 600_000), 1),
    firstByteTimeoutMs: Math.max(number('RAXX_TIMEOUT_MS', DEFAULT_FIRST_BYTE_TIMEOUT_MS, 600_000), 1),
    maxRetries: number('RAXX_RETRIES', DEFAULT_RETRIES, 10),
  };
  return {
    wit: {
      vault: { apiUrl: vaultUrl, clientId, clientSecret, projectId, environment, pathPrefix },
      github: { apiUrl: githubUrl, userAgent },
      network,
    },
    allowlist: new Allowlist([vaultBase, githubBase]),
  };
}

function base(service, url, side, variable) {
  try {
    return new Base(service, url);
  } catch (e) {
    throw new ConfigError(side, `${variable} ${e.message}`);
  }
}
