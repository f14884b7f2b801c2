// No secret the daemon holds ever shows in its logs or its API: the Git token, the webhook
// secret, the API token, and notification URLs and secrets. The daemon runs as operators
// run it (`flotilla run`, secrets from files and the environment, --log-level debug for the
// most output), is driven through its failure paths (wrong bearer tokens, bad webhook
// signatures, a notification receiver answering 500), and everything it printed and
// served is searched for each secret.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify, parse } from 'yaml';
import { ConfigRepo, clusterFiles, clusterPath, fleetClusterNodes, webStack, type ClusterConfig } from '../support/config-repo.js';
import { startDaemon, type Daemon } from '../support/flotilla.js';
import { startFleet } from '../support/fleet.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { sleep } from '../support/exec.js';

const SECRETS = {
  gitToken: 'git-token-5f1e9c0a7b3d',
  webhookSecret: 'webhook-secret-8c2d4e6f0a1b',
  apiToken: 'api-token-3a5c7e9b1d2f',
  slackToken: 'SLACKTOKEN9f8e7d6c5b4a',
  notifySecret: 'notify-hmac-secret-0e1d2c3b',
};

async function receiver(): Promise<{ server: Server; url: string; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((req: IncomingMessage, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    res.writeHead(500).end('receiver is down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

test('no secret appears in the daemon\'s logs, status, history or metrics', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 1, name: 'secrets' });
  const git = await startGitServer({ token: SECRETS.gitToken });
  const hooks = await receiver();
  let daemon: Daemon | undefined;
  const savedEnv = { ...process.env };
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = { name: 'secrets', nodes: fleetClusterNodes(fleet), stacks: { shop: webStack({ web: { replicas: 1 } }) } };
    const { repo } = await ConfigRepo.create(git, 'config', config);
    // Notifications as a user writes them: secrets only named, never written in Git.
    const files = clusterFiles(config);
    const clusterFile = `${clusterPath('secrets')}/cluster.yaml`;
    const cluster = parse(files[clusterFile] as string) as { spec: Record<string, unknown> };
    cluster.spec.notifications = [
      { name: 'ops-slack', provider: 'slack', urlEnv: 'TEST_SLACK_URL', events: ['deployed', 'failed', 'drift'] },
      { name: 'ci-hook', provider: 'webhook', url: `${hooks.url}/flotilla`, secretEnv: 'TEST_NOTIFY_SECRET', events: ['deployed', 'failed', 'drift'] },
    ];
    await git.commitFiles('config', { [clusterFile]: stringify(cluster) }, 'notifications');

    // The daemon inherits this process's environment.
    process.env.FLOTILLA_WEBHOOK_SECRET = SECRETS.webhookSecret;
    process.env.TEST_SLACK_URL = `${hooks.url}/services/T0001/B0001/${SECRETS.slackToken}`;
    process.env.TEST_NOTIFY_SECRET = SECRETS.notifySecret;
    const apiTokenFile = join(mkdtempSync('/tmp/flotilla-secrets-'), 'api-token');
    writeFileSync(apiTokenFile, SECRETS.apiToken, { mode: 0o600 });
    daemon = await startDaemon({ repoUrl: repo.url, token: SECRETS.gitToken, clusterPath: clusterPath('secrets'), interval: '2s', extraArgs: ['--log-level', 'debug', '--api-token-file', apiTokenFile] });
    const d = daemon;
    await d.waitForStatus('the first deploy', (s) => (s.appliedRevision ? true : undefined), 60_000);

    // Failure paths that tend to echo what they were given.
    const syncStatuses: number[] = [];
    for (const token of ['wrong', SECRETS.apiToken]) syncStatuses.push((await fetch(`${d.url}/api/v1/sync`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status);
    assert.deepEqual(syncStatuses, [401, 202], 'the daemon read the API token from its file');
    const body = JSON.stringify({ ref: 'refs/heads/main', after: '0'.repeat(40), repository: { clone_url: repo.url } });
    const good = `sha256=${createHmac('sha256', SECRETS.webhookSecret).update(body).digest('hex')}`;
    for (const signature of ['sha256=00', good]) {
      await fetch(`${d.url}/hooks/github`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-hub-signature-256': signature }, body });
      await fetch(`${d.url}/hooks/generic`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-signature': signature }, body });
    }
    await sleep(4_000);

    const served = await Promise.all(['/api/v1/status', '/api/v1/history', '/metrics'].map(async (path) => `${path}\n${await (await fetch(`${d.url}${path}`)).text()}`));
    await d.stop();
    const output = [readFileSync(d.logFile, 'utf8'), ...served].join('\n');
    assert.ok(output.split('\n').length > 20, 'the daemon logged and served something to search');
    for (const [name, value] of Object.entries(SECRETS)) {
      const at = output.indexOf(value);
      assert.equal(at, -1, `${name} leaked: …${output.slice(Math.max(0, at - 200), at + 50)}…`);
    }
    t.diagnostic(`searched ${output.length} characters; notification receiver saw ${hooks.requests.length} request(s)`);
  } finally {
    process.env = savedEnv;
    await daemon?.dispose();
    hooks.server.close();
    await git.close();
    await fleet.stop();
  }
});
