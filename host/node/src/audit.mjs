// The audit record of a mint: the same JSON fields as raxx-host's
// (host/src/audit.rs), appended as one line to RAXX_AUDIT_LOG / --audit-log.
// Fingerprints only: the token appears as its SHA-256, never itself.

import { appendFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { sha256Hex } from './component.mjs';

/** `2026-11-22T23:00:00Z` */
export function iso8601(date = new Date()) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The record of one command about `resolution` (a WIT `resolution`, or
 * undefined when the policy refused); `token` when one was minted, `error`
 * as `{ code, message }` when the command failed.
 */
export function auditRecord({ command, resolution, token, error, componentSha256, compiledSha256, policy }) {
  const permissions = Object.fromEntries((token?.permissions ?? []).map((p) => [p.name, p.level]));
  return {
    agent: resolution?.agent ?? token?.agent ?? null,
    agent_map_sha256: sha256Hex(policy.agentMap),
    app_id: token?.appId ?? null,
    bot: resolution?.bot ?? token?.bot ?? null,
    command,
    compiled_sha256: compiledSha256,
    component_sha256: componentSha256,
    error: error?.message ?? null,
    exit_code: error?.code ?? 0,
    expires_at: token?.expiresAt ?? null,
    fallback: null,
    // GitHub's audit-log form: base64 of the token's SHA-256 (joins its `hashed_token`).
    hashed_token: token ? createHash('sha256').update(token.token).digest('base64') : null,
    installation_id: token?.installationId ?? null,
    outcome: error ? 'error' : 'ok',
    permissions,
    policy_sha256: sha256Hex(policy.policy),
    repositories: token?.repositories ?? [],
    subject: null,
    time: iso8601(),
    token_sha256: token ? sha256Hex(token.token) : null,
    workflow_uuid: null,
  };
}

/**
 * Appends one line, creating the file owner-only. One `write(2)` on an
 * `O_APPEND` descriptor: records from concurrent runs never interleave
 * (raxx-host also takes a lock, which Node's standard library cannot).
 */
export function appendAudit(path, record) {
  appendFileSync(path, `${JSON.stringify(record)}\n`, { mode: 0o600, flag: 'a' });
}
