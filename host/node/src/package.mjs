// Where this package is, and the one line added to jco's glue. A leaf module
// (Node's standard library only): the build step (scripts/build.mjs) imports
// it before any transpile exists, so it must not load the host core.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The repository root, when this package runs from a source tree. */
export function sourceTree() {
  const root = join(PACKAGE_DIR, '..', '..');
  return existsSync(join(root, 'Cargo.toml')) && existsSync(join(root, 'wit')) ? root : undefined;
}

// On a Node without JSPI (20) every instantiation tries `WebAssembly.promising`
// and catches the TypeError, and V8 renders each message by re-parsing jco's
// init function (component.mjs says more). Inside the glue module only,
// `WebAssembly.promising` throws a ready-made error instead.
export const NO_JSPI_PRELUDE =
  'const NO_JSPI = new TypeError("this Node has no WebAssembly.promising (JSPI)");\n' +
  'const WebAssembly = globalThis.WebAssembly.promising ? globalThis.WebAssembly : Object.assign(Object.create(globalThis.WebAssembly), { promising() { throw NO_JSPI; } });\n';
export const DIRECTIVE = '"use components";\n';

/** jco's glue with `NO_JSPI_PRELUDE` after its directive (unchanged without one). */
export function withoutJspiProbes(glue) {
  return glue.startsWith(DIRECTIVE) ? DIRECTIVE + NO_JSPI_PRELUDE + glue.slice(DIRECTIVE.length) : glue;
}
