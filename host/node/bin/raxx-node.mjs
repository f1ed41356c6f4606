#!/usr/bin/env node
// raxx-node: `raxx-host mint` and `resolve` from Node, through the same
// component and the same sandbox. Same variables, same stdout (the token
// alone; --export; --json), same exit codes; one line on stderr per failure.

import { writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { appendAudit, auditRecord } from '../src/audit.mjs';
import { HOST, OK, RaxxError, USAGE } from '../src/errors.mjs';
import { load, VERSION } from '../src/index.mjs';
import { appText, idText } from '../src/wit.mjs';

const HELP = `raxx-node ${VERSION}: mint per-agent GitHub App installation tokens in the sandboxed raxx minter component

Usage:
  raxx-node mint BOT | --agent CLASS [--repo [OWNER/]NAME]… [--permission NAME=LEVEL]… [--owner ORG] [--json | --export]
  raxx-node resolve AGENT_CLASS [--json]
  raxx-node --version        the SHA-256 of the component it loads

Options (any command): --component PATH, --policy PATH, --agent-map PATH, --audit-log PATH

Environment:
  INFISICAL_AUTH_METHOD universal, kubernetes, oidc, jwt or token (unset: inferred from what is set;
                       oidc and jwt are never inferred)
  INFISICAL_CLIENT_ID, INFISICAL_CLIENT_SECRET   Universal Auth machine identity (also
                       INFISICAL_UNIVERSAL_AUTH_CLIENT_ID / _SECRET)
  INFISICAL_MACHINE_IDENTITY_ID  the identity kubernetes, oidc and jwt log in as
  INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH  kubernetes: the token file, read at each login
                       (default: /var/run/secrets/kubernetes.io/serviceaccount/token; or the token
                       itself in INFISICAL_KUBERNETES_SERVICE_ACCOUNT_TOKEN)
  INFISICAL_AUTH_JWT, INFISICAL_AUTH_JWT_PATH   oidc, jwt: the token, or a file read at each login;
                       oidc on GitHub Actions asks the runner (ACTIONS_ID_TOKEN_REQUEST_URL/_TOKEN)
                       for an ID token whose audience is INFISICAL_OIDC_AUDIENCE (default: GitHub's)
  INFISICAL_TOKEN       token: an Infisical access token, no login (or INFISICAL_UNIVERSAL_AUTH_ACCESS_TOKEN)
  INFISICAL_PROJECT_ID  project holding the bots' folders
  INFISICAL_ENVIRONMENT environment slug (default: prod)
  INFISICAL_PATH_PREFIX folder prefix (default: /MooseQuest/)
  INFISICAL_DOMAIN      or INFISICAL_API_URL (default: https://app.infisical.com; /api appended)
  GITHUB_API_URL        default: https://api.github.com (GitHub Enterprise: https://HOST/api/v3)
  RAXX_COMPONENT, RAXX_POLICY, RAXX_AGENT_MAP, RAXX_AUDIT_LOG   as the options above
  RAXX_CONNECT_TIMEOUT_MS, RAXX_TIMEOUT_MS, RAXX_RETRIES        network limits
  RAXX_CACHE_DIR        transpiled-component cache (universal and token only: kubernetes, oidc and
                       jwt have no stable secret to key it from)
  NODE_EXTRA_CA_CERTS   CAs to trust besides Node's (Infisical, GitHub, the Actions runner)

Exit codes: 0 success; 1 the component could not run; 2 Infisical (or a missing INFISICAL_* variable);
3 GitHub; 4 the policy refused; 5 unknown agent class; 64 usage error.
`;

const OPTIONS = {
  component: { type: 'string' },
  policy: { type: 'string' },
  'agent-map': { type: 'string' },
  'audit-log': { type: 'string' },
  agent: { type: 'string' },
  repo: { type: 'string', multiple: true },
  owner: { type: 'string' },
  permission: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  export: { type: 'boolean' },
  version: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

/** One line, whitespace collapsed, at most 600 characters (raxx-host's `one_line`). */
function oneLine(message) {
  const line = String(message).split(/\s+/).filter(Boolean).join(' ');
  return [...line].length > 600 ? `${[...line].slice(0, 600).join('')}…` : line;
}

const usage = (message) => new RaxxError(USAGE, 'usage', `${message} (see 'raxx-node --help')`);

function parse(argv) {
  try {
    return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    const option = /'(-[^']*)'/.exec(e.message)?.[1];
    throw usage(e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && option ? `unexpected argument '${option}' found` : e.message.split('\n')[0]);
  }
}

function permission(text) {
  const at = text.indexOf('=');
  if (at < 0) throw usage(`invalid value '${text}' for '--permission NAME=LEVEL': expected NAME=LEVEL, e.g. contents=read`);
  return { name: text.slice(0, at).trim(), level: text.slice(at + 1).trim() };
}

const permissionsJson = (list) => Object.fromEntries(list.map((p) => [p.name, p.level]));
const shellQuote = (value) => `'${value.replaceAll("'", "'\\''")}'`;

/** raxx-host's `--json` fields, in its (sorted) order. */
function tokenJson(t) {
  return {
    agent: t.agent ?? null,
    app_id: appText(t.app),
    bot: t.bot,
    expires_at: t.expiresAt,
    installation_id: idText(t.installationId),
    permissions: permissionsJson(t.permissions),
    repositories: t.repositories,
    repository_selection: t.repositorySelection ?? null,
    token: t.token,
  };
}

async function minter(values, env) {
  // load() falls back to RAXX_COMPONENT, RAXX_POLICY and RAXX_AGENT_MAP.
  const raxx = await load({ env, component: values.component, policy: values.policy, agentMap: values['agent-map'] });
  for (const warning of raxx.warnings) writeSync(2, `raxx-node: warning: ${oneLine(warning)}\n`);
  return raxx;
}

async function mint(values, positionals, env) {
  const [bot, ...extra] = positionals;
  if (extra.length) throw usage(`unexpected argument '${extra[0]}' found`);
  if (!bot && !values.agent) throw usage('the following required arguments were not provided: <BOT|--agent <CLASS>>');
  if (bot && values.agent) throw usage("the argument '[BOT]' cannot be used with '--agent <CLASS>'");
  if (values.json && values.export) throw usage("the argument '--export' cannot be used with '--json'");
  const request = { bot, agent: values.agent, owner: values.owner, repositories: values.repo ?? [], permissions: (values.permission ?? []).map(permission) };
  const raxx = await minter(values, env);
  const auditLog = values['audit-log'] || env.RAXX_AUDIT_LOG || undefined;
  const policy = raxx.policy();
  const resolution = await raxx.resolve(request, policy);
  const record = (fields) => auditLog && appendAudit(auditLog, auditRecord({ command: 'mint', resolution, componentSha256: raxx.componentSha256, compiledSha256: raxx.compiledSha256, policy, ...fields }));
  let token;
  try {
    token = await raxx.mint(resolution);
  } catch (e) {
    const who = resolution.agent ? `${resolution.agent} (${resolution.bot})` : resolution.bot;
    const failed = e instanceof RaxxError && e.kind !== 'host' && e.kind !== 'config' ? new RaxxError(e.code, e.kind, `mint ${who}: ${e.message}`, e.failure) : e;
    try {
      record({ error: failed });
    } catch {
      // best effort: the mint's own failure is what gets reported
    }
    throw failed;
  }
  try {
    // As raxx-host's one-shot mint records it: the token method sent no login.
    record({ token, vaultLogin: raxx.settings().vault.val.login.tag === 'access-token' ? 'given' : 'new' });
  } catch (e) {
    await raxx.revoke(token).catch(() => {});
    throw new RaxxError(HOST, 'host', `cannot write the audit log ${auditLog}: ${e.message}`);
  }
  if (values.export) return `export GH_TOKEN=${shellQuote(token.token)}\n`;
  if (values.json) return `${JSON.stringify(tokenJson(token))}\n`;
  return `${token.token}\n`;
}

async function resolve(values, positionals, env) {
  const [agent, ...extra] = positionals;
  if (!agent) throw usage('the following required arguments were not provided: <AGENT_CLASS>');
  if (extra.length) throw usage(`unexpected argument '${extra[0]}' found`);
  const r = await (await minter(values, env)).resolve(agent);
  if (!values.json) return `${r.bot}\n`;
  const json = { agent: r.agent ?? null, bot: r.bot, fallback: r.fallbackAllowed ? 'allow' : 'refuse', isolate: r.isolate, permissions: permissionsJson(r.permissions), repositories: r.repositories };
  return `${JSON.stringify(json)}\n`;
}

async function run(argv, env) {
  const { values, positionals } = parse(argv);
  if (values.help) return HELP;
  if (values.version) {
    const raxx = await minter(values, env);
    return `raxx-node ${VERSION} component sha256 ${raxx.componentSha256} ${raxx.componentPath}\n`;
  }
  const [command, ...rest] = positionals;
  switch (command) {
    case 'mint':
      return mint(values, rest, env);
    case 'resolve':
      return resolve(values, rest, env);
    case undefined:
      throw usage('a command is required: mint or resolve');
    default:
      throw usage(`unrecognized subcommand '${command}' (raxx-node runs mint and resolve; raxx-host runs the rest)`);
  }
}

let code = OK;
try {
  writeSync(1, await run(process.argv.slice(2), process.env));
} catch (e) {
  const failure = e instanceof RaxxError ? e : new RaxxError(HOST, 'host', `${e?.name ?? 'Error'}: ${e?.message ?? e}`);
  writeSync(2, `raxx-node: ${oneLine(failure.message)}\n`);
  code = failure.code;
}
// jco's shim keeps an I/O worker thread; the command is done.
process.exit(code);
