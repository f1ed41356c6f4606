// The peer of the Rust library in the benchmark (scripts/bench): @octokit/auth-app,
// warm, in one Node process, doing a mint's work on the same fakes: Infisical's
// Universal Auth login, list the bot's folder (the App's id, key and
// installation), then auth-app signs the App JWT and exchanges it for an
// installation token (`refresh: true`: no token cache). One warm-up mint, then
// RUNS mints back to back; prints each one's wall time in ms as a JSON array.
// scripts/bench installs the pinned @octokit/auth-app into target/bench/octokit
// and runs this file from there (so the import resolves); never the test path.
import { createAppAuth } from '@octokit/auth-app';
import { request } from '@octokit/request';

const [bot, runs] = [process.argv[2], Number(process.argv[3] ?? 10)];
const env = process.env;
let api = (env.INFISICAL_API_URL ?? 'https://app.infisical.com').replace(/\/+$/, '');
if (!api.endsWith('/api')) api += '/api';
const github = request.defaults({ baseUrl: (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '') });

async function json(response) {
  if (!response.ok) throw new Error(`${response.url}: ${response.status}`);
  return response.json();
}

async function mint() {
  const login = await json(await fetch(`${api}/v1/auth/universal-auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId: env.INFISICAL_CLIENT_ID, clientSecret: env.INFISICAL_CLIENT_SECRET }),
  }));
  const prefix = (env.INFISICAL_PATH_PREFIX ?? '/MooseQuest/').replace(/\/+$/, '');
  const query = new URLSearchParams({ projectId: env.INFISICAL_PROJECT_ID, environment: env.INFISICAL_ENVIRONMENT ?? 'prod', secretPath: `${prefix}/${bot}` });
  const listed = await json(await fetch(`${api}/v4/secrets?${query}`, { headers: { authorization: `Bearer ${login.accessToken}` } }));
  const secrets = Object.fromEntries(listed.secrets.map((s) => [s.secretKey, s.secretValue]));
  const auth = createAppAuth({ appId: Number(secrets.APP_ID), privateKey: secrets.PRIVATE_KEY_PEM, request: github });
  const { token } = await auth({ type: 'installation', installationId: Number(secrets.INSTALLATION_ID), refresh: true });
  if (!token) throw new Error('no token');
}

await mint();
const times = [];
for (let i = 0; i < runs; i++) {
  const start = performance.now();
  await mint();
  times.push(performance.now() - start);
}
console.log(JSON.stringify(times));
process.exit(0);
