// What an orchestrator written in TypeScript does with the package; the
// tests type-check it against index.d.ts and the types jco generated from wit/.
import { load, RaxxError, type InstallationToken, type Resolution } from '../index.js';

export async function tokenFor(agent: string): Promise<string> {
  const raxx = await load();
  const resolution: Resolution = await raxx.resolve(agent);
  console.error(`${agent} acts as ${resolution.bot}`);
  try {
    const token: InstallationToken = await raxx.mint({ agent, permissions: { contents: 'read' } });
    const expires: string = token.expiresAt;
    // @ts-expect-error: the WIT record has no such field
    token.secret;
    return `${token.token} (until ${expires})`;
  } catch (e) {
    if (e instanceof RaxxError && e.code === 5) throw new Error(`map ${agent} in policies/agent_bot_map.yaml`);
    throw e;
  }
}
