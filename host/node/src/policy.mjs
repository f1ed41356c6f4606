// Finding and reading the agent map and policy (host/src/policy.rs's rule).
// The host only reads the text; the component parses and evaluates it.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_DIR, sourceTree } from './component.mjs';
import { POLICY, RaxxError } from './errors.mjs';

export const MAP_FILE = 'agent_bot_map.yaml';
export const POLICY_FILE = 'policy.yaml';

/** The shipped `policies/` folder: in the package, or at the root of its source tree. */
export function defaultDir() {
  const root = sourceTree();
  return [join(PACKAGE_DIR, 'policies'), root && join(root, 'policies')].find(
    (d) => d && existsSync(join(d, MAP_FILE)) && existsSync(join(d, POLICY_FILE)),
  );
}

/** The two files in force: explicit paths win, else the default folder's (exit 4 when neither). */
export function locatePolicy({ agentMap, policy } = {}) {
  const dir = defaultDir();
  const pick = (given, file, flag) => {
    const path = given || (dir && join(dir, file));
    if (!path) {
      throw new RaxxError(POLICY, 'policy', `no ${file} found next to this package; pass ${flag} PATH (the repository's policies/ folder holds the defaults)`);
    }
    return path;
  };
  return { agentMap: pick(agentMap, MAP_FILE, '--agent-map'), policy: pick(policy, POLICY_FILE, '--policy') };
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
