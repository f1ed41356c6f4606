// Where the host core component is: next to the package, or where
// scripts/build leaves it (kept apart from core.mjs so the build step can
// find it before there is a transpile to load).

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR, sourceTree } from './package.mjs';

/** File name of the host core component as the build leaves it. */
export const CORE_FILE = 'raxx_core_component.wasm';
/** The folder under gen/ its transpile goes to. */
export const CORE_GLUE = 'core';

/** The host core component: next to the package, or in the source tree's target/. */
export function coreComponentPath() {
  const root = sourceTree();
  return [join(PACKAGE_DIR, CORE_FILE), root && join(root, 'target', 'wasm32-wasip2', 'component', CORE_FILE)].find((p) => p && existsSync(p));
}
