// Finding and reading the agent map and policy. The discovery rule is the
// host core's (crates/core/src/policy_files.rs, run as the core component),
// raxx-host's too; this file tests which files exist and reads them. The
// component parses and evaluates the text.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR, sourceTree } from './component.mjs';
import { core, payload } from './core.mjs';
import { POLICY, RaxxError } from './errors.mjs';

export const [MAP_FILE, POLICY_FILE] = core.policyFileNames();

/** The shipped `policies/` folder: in the package, or at the root of its source tree. */
export function defaultDir() {
  const root = sourceTree();
  const candidates = [join(PACKAGE_DIR, 'policies'), root && join(root, 'policies')].filter(Boolean);
  const existing = candidates.flatMap((d) => [join(d, MAP_FILE), join(d, POLICY_FILE)]).filter((p) => existsSync(p));
  return core.policyDefaultDir(candidates, existing);
}

/** The two files in force: explicit paths win, else the default folder's (exit 4 when neither). */
export function locatePolicy({ agentMap, policy } = {}) {
  try {
    const [map, rules] = core.policyLocate(agentMap || undefined, policy || undefined, defaultDir(), 'this package');
    return { agentMap: map, policy: rules };
  } catch (e) {
    throw new RaxxError(POLICY, 'policy', String(payload(e)));
  }
}

/** The WIT `policy-documents`, read fresh (swapping the files needs no restart). */
export function readPolicy(files) {
  const read = (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (e) {
      throw new RaxxError(POLICY, 'policy', `cannot read ${path}: ${e.message}`);
    }
  };
  return { agentMap: read(files.agentMap), agentMapName: files.agentMap, policy: read(files.policy), policyName: files.policy };
}
