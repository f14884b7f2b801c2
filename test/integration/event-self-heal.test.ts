// Self-heal from Docker events on a real two-node fleet, with the daemon polling only once
// an hour: a managed replica removed (`docker rm -f`) or stopped (`docker stop`) by hand runs
// again within about a second, because the node's event stream asked for the reconcile; a
// node whose dockerd restarts drops the stream, shows it in flotilla_events_stream_up, and
// is subscribed again once it answers (and self-heals from events again).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, clusterPath, fleetClusterNodes, webStack, type ClusterConfig } from '../support/config-repo.js';
import { metricValue, startDaemon, type Daemon } from '../support/flotilla.js';
import { formatSummary, summarize, timeToHeal, type Breakage } from '../support/self-heal.js';
import { waitFor } from '../support/wait.js';
import { RECONCILE_RESULTS } from '../../src/metrics.js';

const TOKEN = 'events-token';
const WEB_PORT = 18091;
const TRIES = 8;
/**
 * The target for the median is 2 s (measured 1.4-2.2 s here with other test suites
 * loading the machine, most of it Docker's own rm/create/start); the bound leaves a loaded
 * CI machine a second of headroom. A poll-driven heal would take up to the interval (1 h).
 */
const MEDIAN_BOUND_MS = 3_000;

async function reconciles(daemon: Daemon): Promise<number> {
  const text = await daemon.metrics();
  return RECONCILE_RESULTS.reduce((sum, result) => sum + (metricValue(text, 'flotilla_reconcile_total', { result }) ?? 0), 0);
}

async function streamUp(daemon: Daemon, node: string): Promise<number | undefined> {
  return metricValue(await daemon.metrics(), 'flotilla_events_stream_up', { node });
}

test('self-heal from Docker events on a real fleet with a 1-hour poll', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 2, name: 'event-self-heal' });
  const git = await startGitServer({ token: TOKEN });
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    // node-a over TCP, node-b over its unix socket: both transports carry the stream.
    const config: ClusterConfig = { name: 'heal', nodes: fleetClusterNodes(fleet, { tcp: ['node-a'] }), stacks: { shop: webStack({ web: { replicas: 2, port: WEB_PORT } }) } };
    const { repo, sha } = await ConfigRepo.create(git, 'config', config);
    daemon = await startDaemon({ repoUrl: repo.url, token: TOKEN, clusterPath: clusterPath('heal'), interval: '1h' });
    const d = daemon;
    await d.waitForStatus('the first commit applied and in sync', (s) => (s.appliedRevision === sha && s.services.every((x) => x.inSync) ? true : undefined), 60_000);
    for (const node of fleet.nodes) {
      await waitFor(`the event stream of ${node.name} up`, async () => ((await streamUp(d, node.name)) === 1 ? true : undefined), { timeoutMs: 10_000, intervalMs: 100 });
    }
    // The first subscription asks for one look; let it pass before counting.
    await d.waitForStatus('no reconcile running', (s) => (s.phase === 'idle' && (s.lastReconcile?.reasons.join(' ') ?? '').includes('docker-events-connected') ? true : undefined), 10_000);
    const placement = async (): Promise<Map<string, string>> => {
      const s = await d.status();
      const web = s.services.find((x) => x.service === 'web');
      return new Map((web?.replicas ?? []).map((r) => [r.node, r.container]));
    };

    await t.test('a replica removed or stopped by hand runs again within about a second', async () => {
      const where = await placement();
      assert.equal(where.size, 2, `one replica per node: ${JSON.stringify([...where])}`);
      const times: Record<Breakage, number[]> = { 'rm -f': [], stop: [] };
      const before = await reconciles(d);
      for (let i = 0; i < TRIES; i++) {
        const node = fleet.nodes[i % 2] as (typeof fleet.nodes)[number];
        const how: Breakage = i % 4 < 2 ? 'rm -f' : 'stop';
        const name = where.get(node.name) as string;
        times[how].push(await timeToHeal(node, name, how));
        // Let the reconcile that healed it finish before breaking the next one.
        await d.waitForStatus('the fleet in sync again', (s) => (s.phase === 'idle' && s.services.every((x) => x.inSync) ? true : undefined), 30_000, 50);
      }
      const all = [...times['rm -f'], ...times.stop];
      const used = (await reconciles(d)) - before;
      t.diagnostic(`docker rm -f -> replacement running (${times['rm -f'].length}): ${formatSummary(summarize(times['rm -f']))}`);
      t.diagnostic(`docker stop -> running again (${times.stop.length}): ${formatSummary(summarize(times.stop))}`);
      t.diagnostic(`all ${all.length}: ${formatSummary(summarize(all))}; ${used} reconciles for ${TRIES} heals (poll interval 1 h)`);
      const summary = summarize(all);
      assert.ok(summary.max < 10_000, `every heal came from an event, not the hourly poll: ${formatSummary(summary)}`);
      assert.ok(summary.median < MEDIAN_BOUND_MS, `median ${summary.median.toFixed(0)} ms over ${MEDIAN_BOUND_MS} ms`);
      // One reconcile per heal (the die/destroy pair folds into one), at most a follow-up each.
      assert.ok(used >= TRIES && used <= 2 * TRIES, `${used} reconciles for ${TRIES} heals`);
    });

    await t.test('a restarted dockerd drops the stream, which reconnects, and self-heal works on it again', async () => {
      await fleet.stopNode('node-b');
      await waitFor('the stream of node-b reported down', async () => ((await streamUp(d, 'node-b')) === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 50 });
      assert.equal(await streamUp(d, 'node-a'), 1, 'the other node keeps its stream');
      await fleet.startNode('node-b');
      const answered = performance.now();
      await waitFor('the stream of node-b up again', async () => ((await streamUp(d, 'node-b')) === 1 ? true : undefined), { timeoutMs: 30_000, intervalMs: 50 });
      t.diagnostic(`node-b's dockerd answering -> its event stream open again: ${((performance.now() - answered) / 1000).toFixed(2)} s`);
      // The reconnect itself asks for a look; the replica comes back (restart policy or Flotilla).
      await d.waitForStatus('the fleet in sync after the restart', (s) => (s.phase === 'idle' && s.nodes.every((n) => n.up) && s.services.every((x) => x.inSync) ? true : undefined), 60_000, 100);
      const name = (await placement()).get('node-b') as string;
      const healMs = await timeToHeal(fleet.node('node-b'), name, 'rm -f');
      t.diagnostic(`docker rm -f on node-b after its restart -> replacement running: ${(healMs / 1000).toFixed(2)} s`);
      assert.ok(healMs < 10_000, `${healMs.toFixed(0)} ms: the reconnected stream drives the heal`);
    });
  } catch (err) {
    if (daemon) console.error(`--- daemon log ---\n${daemon.logTail(60)}`);
    throw err;
  } finally {
    await daemon?.dispose();
    await git.close();
    await fleet.stop();
  }
});
