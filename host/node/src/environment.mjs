// Settings from an environment: the host core reads them (crates/core/src/settings,
// run as the core component; raxx-host's reading), this file hands it the
// variables it names and turns the result into what the minter component and
// the egress guard take.

import { Allowlist, Base } from './allowlist.mjs';
import { core, payload } from './core.mjs';
import { fromConfigError } from './errors.mjs';
import { jwtFrom } from './login-source.mjs';

/** The variables the core reads settings from, as (name, value) pairs: nothing else of `env` is passed. */
function settingsEnv(env) {
  return core.settingsVariables().flatMap((name) => (typeof env[name] === 'string' ? [[name, env[name]]] : []));
}

/**
 * The secret the transpile cache is keyed from, when the login method has a
 * stable one (the core decides: Universal Auth's client secret, the token
 * method's access token; none for kubernetes, oidc and jwt: no cache).
 */
export function cacheSecret(env) {
  return core.cacheSecret(settingsEnv(env));
}

/**
 * The minter's WIT `infisical-login` for the core's: Universal Auth and an
 * access token pass as they are; a JWT login's token is got from its source
 * now (login-source.mjs), so a rotated file or a fresh ID token is what is sent.
 */
function loginNow(login, network, userAgent) {
  switch (login.tag) {
    case 'kubernetes':
    case 'oidc':
    case 'jwt':
      return { tag: login.tag, val: { identityId: login.val.identityId, jwt: jwtFrom(login.tag, login.val.source, network, userAgent) } };
    default:
      return login;
  }
}

/**
 * Reads the settings from `env` (an object of variables, `process.env` in the
 * CLI): `{ vault, github, network, allowlist, forLogin() }`, where `vault` is
 * the core's (a JWT login holds where its token comes from) and `forLogin()`
 * the minter's WIT `settings` for a call that logs in, its login's token read
 * or fetched at that moment (raxx-host's `to_wit`). Throws a `RaxxError`
 * (kind `config`, exit 2, 3 or 64) naming the variable to fix; never echoes a
 * secret. `forLogin()` throws one (exit 2) when the token cannot be got.
 */
export function readSettings(env, userAgent) {
  let settings;
  try {
    settings = core.settingsFromEnv(settingsEnv(env), userAgent);
  } catch (e) {
    throw fromConfigError(payload(e));
  }
  const { vault, github, network } = settings;
  return {
    vault,
    github,
    network,
    allowlist: new Allowlist(settings.bases.map((b) => new Base(b.service, b.url))),
    forLogin: () => ({ vault: { tag: vault.tag, val: { ...vault.val, login: loginNow(vault.val.login, network, userAgent) } }, github, network }),
  };
}
