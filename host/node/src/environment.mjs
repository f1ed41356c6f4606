// Settings from an environment: the host core reads them (crates/core/src/settings,
// run as the core component; raxx-host's reading), this file hands it the
// variables it names and turns the result into what the minter component and
// the egress guard take.

import { Allowlist, Base } from './allowlist.mjs';
import { core, payload } from './core.mjs';
import { fromConfigError } from './errors.mjs';

/** The variables the core reads settings from, as (name, value) pairs: nothing else of `env` is passed. */
function settingsEnv(env) {
  return core.settingsVariables().flatMap((name) => (typeof env[name] === 'string' ? [[name, env[name]]] : []));
}

/** The secret the transpile cache is keyed from, when the login method has a stable one (the core decides: crates/core/src/settings/infisical/login.rs). */
export function vaultClientSecret(env) {
  return core.cacheSecret(settingsEnv(env));
}

/**
 * The component's WIT `settings` from the core's: the one place the two meet
 * (raxx-host's settings::to_wit). The core's `vault-settings` has the minter's
 * shape arm for arm (wit/host-core/host-core.wit mirrors wit/identity.wit), so
 * it passes as it is: a new store or login method needs nothing here.
 */
function toWit(settings) {
  return { vault: settings.vault, github: settings.github, network: settings.network };
}

/**
 * Reads the settings from `env` (an object of variables, `process.env` in the
 * CLI): `{ wit, allowlist }`, where `wit` is the minter's WIT `settings`
 * record. Throws a `RaxxError` (kind `config`, exit 2, 3 or 64) naming the
 * variable to fix; never echoes a secret.
 */
export function readSettings(env, userAgent) {
  let settings;
  try {
    settings = core.settingsFromEnv(settingsEnv(env), userAgent);
  } catch (e) {
    throw fromConfigError(payload(e));
  }
  return { wit: toWit(settings), allowlist: new Allowlist(settings.bases.map((b) => new Base(b.service, b.url))) };
}
