// Webhooks end to end on a real fleet: the daemon's pieces as `flotilla run` builds them
// (buildApp, TriggerQueue, createRouter + webhook routes, the real HTTP server), a config
// repository on the real Git server, and a signed push from each forge after a commit. Each
// push must be deployed, by the reconcile the webhook asked for and not by a poll.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { WebhookProviderName } from '../../src/sync/webhooks/types.js';
import { ConfigRepo, fleetClusterNodes, webStack } from '../support/config-repo.js';
import { startFleet } from '../support/fleet.js';
import { serviceContainers } from '../support/fleet-view.js';
import { metricValue, startInProcess } from '../support/flotilla.js';
import { startGitServer } from '../support/git-server.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { waitFor } from '../support/wait.js';
import { startWebhookDaemon } from '../support/webhook-daemon.js';
import { pushFor, SECRET, signatureHeader, withDeliveryId } from '../unit/webhooks/support.js';

const TOKEN = 'webhook-e2e-token';
const FORGES: WebhookProviderName[] = ['github', 'gitlab', 'gitea', 'bitbucket', 'generic'];

test('a signed push from each forge deploys the pushed commit through the reconcile it requests', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'webhook-e2e' });
  const git = await startGitServer({ token: TOKEN });
  const cleanups: Array<() => Promise<void> | void> = [];
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const { repo } = await ConfigRepo.create(git, 'fleet-config', { name: 'it', nodes: fleetClusterNodes(fleet), stacks: { shop: webStack({ web: { replicas: 1 } }) } });
    const flotilla = await startInProcess({ repoUrl: repo.url, token: TOKEN });
    cleanups.push(flotilla.close);
    const reasons: string[][] = [];
    const { queue, server, close } = await startWebhookDaemon(flotilla, {
      repoUrl: repo.url, secret: SECRET, onRun: (run) => reasons.push(run.reasons), onError: (err) => t.diagnostic(`reconcile crashed: ${String(err)}`),
    });
    cleanups.push(close);
    assert.equal((await serviceContainers(fleet, 'shop', 'web')).length, 1);

    for (const [i, forge] of FORGES.entries()) {
      await t.test(`${forge}: the pushed commit is running shortly after the webhook`, async () => {
        const replicas = i + 2;
        const sha = await repo.update((c) => (c.stacks.shop = webStack({ web: { replicas } })), `web to ${replicas} (${forge})`);
        const delivery = withDeliveryId(forge, pushFor(forge, repo.url, sha), `e2e-${forge}`);
        const body = Buffer.from(JSON.stringify(delivery.payload));
        const since = performance.now();
        const res = await fetch(`http://${server.address}/hooks/${forge}`, { method: 'POST', headers: { ...delivery.headers, ...signatureHeader(forge, body) }, body });
        assert.equal(res.status, 202);
        assert.equal(((await res.json()) as { action?: string }).action, 'reconcile');
        // Scaling keeps the existing replicas (same spec): only the added one carries the new commit.
        await waitFor(`${replicas} running web replicas, one of them of ${sha.slice(0, 7)}`, async () => {
          const web = (await serviceContainers(fleet, 'shop', 'web')).filter((c) => c.state === 'running');
          return web.length === replicas && web.filter((c) => c.labels['flotilla.commit'] === sha).length === 1 ? web : undefined;
        }, { timeoutMs: 30_000, intervalMs: 100 });
        t.diagnostic(`${forge}: from the webhook to the new replica running: ${(performance.now() - since).toFixed(0)} ms`);
        await queue.idle();
        assert.deepEqual(reasons.at(-1), [`webhook:${forge}`]);
        assert.equal(flotilla.status().appliedRevision, sha);
      });
    }
    const text = await flotilla.app.metrics.registry.metrics();
    for (const forge of FORGES) assert.equal(metricValue(text, 'flotilla_webhook_requests_total', { provider: forge, result: 'reconcile' }), 1, forge);
  } finally {
    for (const c of cleanups.reverse()) await c();
    await git.close();
    await fleet.stop();
  }
});
