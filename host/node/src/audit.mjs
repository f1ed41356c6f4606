// The audit record of a mint, appended as one line to RAXX_AUDIT_LOG /
// --audit-log. The record is the host core's (crates/core/src/audit.rs, run
// as the core component): the same JSON fields as raxx-host's
// (docs/audit.md). Fingerprints only: the token appears as its SHA-256,
// never itself.

import { appendFileSync } from 'node:fs';
import { core } from './core.mjs';
import { appText, idText } from './wit.mjs';

/** `2026-11-22T23:00:00Z` */
export function iso8601(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The record of one command about `resolution` (a WIT `resolution`, or
 * undefined when the policy refused); `token` when one was minted, `error`
 * as `{ code, message }` when the command failed; `vaultLogin` how the mint
 * got its vault access token (`new`: it logged in, the default for a token
 * minted; `given`: the token method, no login).
 */
export function auditRecord({ command, resolution, token, error, vaultLogin = token ? 'new' : undefined, componentSha256, compiledSha256, policy }) {
  const event = {
    command,
    agent: resolution?.agent ?? undefined,
    bot: resolution?.bot ?? undefined,
    token: token && {
      token: token.token,
      agent: token.agent ?? undefined,
      bot: token.bot,
      appId: appText(token.app),
      installationId: idText(token.installationId),
      expiresAt: token.expiresAt,
      permissions: token.permissions.map((p) => [p.name, String(p.level)]),
      repositories: [...token.repositories],
    },
    error: error ? [error.code, error.message] : undefined,
    vaultLogin,
  };
  // The Node host runs the portable build itself (raxx-host records it beside its wide one).
  const inForce = { componentSha256, compiledSha256, portableComponentSha256: componentSha256, policy: policy.policy, agentMap: policy.agentMap };
  return JSON.parse(core.auditRecord(event, inForce, iso8601()));
}

/**
 * Appends one line, creating the file owner-only. One `write(2)` on an
 * `O_APPEND` descriptor: records from concurrent runs never interleave
 * (raxx-host also takes a lock, which Node's standard library cannot).
 */
export function appendAudit(path, record) {
  appendFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'a' });
}
