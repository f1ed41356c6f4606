// The WIT types that carry meaning, as text and back (host/src/sandbox/wit_text.rs
// in raxx-host): permission levels (a WIT enum: jco's strings `read`,
// `write`, `admin`) and the App a token came from (a `app-ref` variant; ids
// are u64, which jco gives as BigInt). Output and the audit record keep the
// ids as strings.

import { RaxxError, USAGE } from './errors.mjs';

const LEVELS = new Set(['read', 'write', 'admin']);

/** raxx_names::one_line: control characters and runs of blanks collapsed, capped at `max` characters. */
function oneLine(text, max) {
  // eslint-disable-next-line no-control-regex
  const line = String(text).replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').split(/\s+/).filter(Boolean).join(' ');
  return [...line].length > max ? `${[...line].slice(0, max).join('')}…` : line;
}

/**
 * A `{ name, level }` a caller wrote, as the WIT `permission`. A level that is
 * not GitHub's is refused (exit 64) with the line the component gives a
 * policy's: the WIT enum cannot carry it to the component to refuse there.
 */
export function permission({ name, level }) {
  if (typeof level === 'string' && LEVELS.has(level)) return { name, level };
  const message = `invalid permission ${name}=${level}: level '${oneLine(level, 20)}' is not one of read, write, admin`;
  throw new RaxxError(USAGE, 'invalid-request', message, message);
}

/** A WIT `app-ref` as text: the App's id, or its Client ID. */
export function appText(app) {
  return app === undefined ? undefined : String(app.val);
}

/** A u64 id (a BigInt) as text; undefined stays undefined. */
export function idText(id) {
  return id === undefined ? undefined : String(id);
}
