// The daemon as operators run it (`flotilla run` as a child process, polling every 2 s) on
// a real three-node fleet and a real Git server, watched only through its HTTP API: a
// pushed commit is picked up within one interval; the Git server going away leaves the
// fleet running and shows in status until it returns; a node whose daemon dies is
// reported down (status and /metrics) while the other nodes converge, and is converged
// again when it returns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, clusterPath, fleetClusterNodes, webStack, type ClusterConfig } from '../support/config-repo.js';
import { metricValue, startDaemon, type Daemon } from '../support/flotilla.js';
import { serviceContainers, webEnv } from '../support/fleet-view.js';
import { waitFor } from '../support/wait.js';
import type { HistoryEntry } from '../../src/state.js';

const TOKEN = 'daemon-token';
const INTERVAL_MS = 2_000;
const WEB_PORT = 18083;

type Stack = ReturnType<typeof webStack>;

function stack(greeting: string): Stack {
  return webStack({
    web: { replicas: 3, port: WEB_PORT, environment: { GREETING: greeting } },
    // No fixed port: nothing but the grace period keeps its replica on a down node from
    // being placed on another node.
    worker: { replicas: 3, maxReplicasPerNode: 2 },
  });
}

test('the flotilla run daemon on a real fleet', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'daemon-sync' });
  const git = await startGitServer({ token: TOKEN });
  let daemon: Daemon | undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = { name: 'daemon', nodes: fleetClusterNodes(fleet, { tcp: ['node-a'] }), stacks: { app: stack('v1') } };
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config);
    const started = Date.now();
    daemon = await startDaemon({ repoUrl: repo.url, token: TOKEN, clusterPath: clusterPath('daemon'), interval: `${INTERVAL_MS / 1000}s` });
    const d = daemon;
    const greetings = async (nodes = fleet.nodes): Promise<string[]> => Promise.all(nodes.map(async (n) => (await webEnv(n, WEB_PORT)).GREETING ?? '?'));
    const history = async (): Promise<HistoryEntry[]> => (await (await fetch(`${d.url}/api/v1/history`)).json()) as HistoryEntry[];

    await t.test('deploys the branch head on start and becomes ready', async () => {
      await d.waitForStatus('the first commit applied', (s) => (s.appliedRevision === first ? true : undefined), 60_000);
      t.diagnostic(`daemon start to first commit applied: ${((Date.now() - started) / 1000).toFixed(2)} s`);
      assert.equal((await fetch(`${d.url}/readyz`)).status, 200);
      assert.deepEqual(await greetings(), ['v1', 'v1', 'v1']);
      const s = await d.status();
      assert.equal(s.trackedRevision, first);
      assert.equal(s.cluster, 'daemon');
      assert.ok(s.services.every((svc) => svc.inSync), JSON.stringify(s.services.map((svc) => [svc.service, svc.drift])));
    });

    await t.test('a commit pushed while it runs is picked up within one poll interval', async () => {
      const sha = await repo.update((cfg) => (cfg.stacks.app = stack('v2')), 'greet v2');
      const pushedAt = Date.now();
      await d.waitForStatus('the new commit applied', (s) => (s.appliedRevision === sha ? true : undefined), 30_000);
      const appliedAfterMs = Date.now() - pushedAt;
      const entry = (await history()).find((h) => h.revision === sha);
      assert.ok(entry, 'the commit is in the history');
      assert.equal(entry.outcome, 'deployed');
      const pickupMs = Date.parse(entry.startedAt) - pushedAt;
      const rolloutMs = Date.parse(entry.finishedAt ?? entry.startedAt) - Date.parse(entry.startedAt);
      t.diagnostic(`push -> rollout started: ${pickupMs} ms; rollout: ${rolloutMs} ms; push -> applied seen in status: ${appliedAfterMs} ms (interval ${INTERVAL_MS} ms)`);
      // One interval for the poll to come round, plus fetch, validation and observation.
      assert.ok(pickupMs <= INTERVAL_MS + 1_000, `rollout began ${pickupMs} ms after the push`);
      assert.ok(appliedAfterMs <= INTERVAL_MS + rolloutMs + 1_500, `applied ${appliedAfterMs} ms after the push (rollout ${rolloutMs} ms)`);
      assert.deepEqual(await greetings(), ['v2', 'v2', 'v2']);
    });

    await t.test('with the Git server gone the fleet keeps running and status says why; it recovers when the server returns', async () => {
      const before = (await serviceContainers(fleet, 'app', 'web')).map((c) => c.id);
      const errorsBefore = metricValue(await d.metrics(), 'flotilla_git_fetch_total', { result: 'error' }) ?? 0;
      await git.stop();
      // Pushed while the server is away (straight into the bare repository): not visible yet.
      const sha = await repo.update((cfg) => (cfg.stacks.app = stack('v3')), 'greet v3');
      const s = await d.waitForStatus('a Git error in status', (st) => (st.lastError && st.lastError.code !== 'VALIDATION_FAILED' ? st : undefined), 15_000);
      const lastError = s.lastError as NonNullable<typeof s.lastError>;
      t.diagnostic(`lastError while Git is away: [${lastError.code}] ${lastError.message}`);
      assert.equal(lastError.code, 'GIT_UNREACHABLE');
      assert.match(lastError.message, /127\.0\.0\.1/);
      assert.doesNotMatch(lastError.message, new RegExp(TOKEN), 'no token in the message');
      const finished = s.lastReconcile?.finishedAt;
      // It keeps polling (and watching the fleet) while Git is away.
      await d.waitForStatus('another reconcile during the outage', (st) => (st.lastReconcile?.finishedAt !== finished && st.lastError?.code === 'GIT_UNREACHABLE' ? true : undefined), 10_000);
      assert.ok((metricValue(await d.metrics(), 'flotilla_git_fetch_total', { result: 'error' }) ?? 0) > errorsBefore, 'failed fetches are counted');
      assert.deepEqual((await serviceContainers(fleet, 'app', 'web')).map((c) => c.id), before, 'the fleet is left as it was');
      assert.deepEqual(await greetings(), ['v2', 'v2', 'v2']);

      await git.start();
      const recoveredAt = Date.now();
      await d.waitForStatus('the commit pushed during the outage applied', (st) => (st.appliedRevision === sha && st.lastError === undefined ? true : undefined), 30_000);
      t.diagnostic(`Git back -> outage commit applied: ${Date.now() - recoveredAt} ms`);
      assert.deepEqual(await greetings(), ['v3', 'v3', 'v3']);
    });

    let v4 = '';
    await t.test('a node whose daemon is killed is reported down while the others converge; its replicas are held', async () => {
      const workersBefore = await serviceContainers(fleet, 'app', 'worker');
      const workerOnC = workersBefore.filter((w) => w.node === 'node-c').map((w) => w.name);
      assert.equal(workerOnC.length, 1, 'one worker replica on node-c');
      await fleet.stopNode('node-c');
      v4 = await repo.update((cfg) => (cfg.stacks.app = stack('v4')), 'greet v4');
      const s = await d.waitForStatus('node-c reported down', (st) => (st.nodes.some((n) => n.name === 'node-c' && !n.up) ? st : undefined), 15_000);
      const nodeC = s.nodes.find((n) => n.name === 'node-c');
      assert.ok(nodeC?.error, 'the status says why node-c is down');
      t.diagnostic(`node-c: ${nodeC.error}`);
      assert.deepEqual(s.nodes.filter((n) => n.up).map((n) => n.name), ['node-a', 'node-b']);

      await waitFor('node-a and node-b to run v4', async () => ((await greetings(fleet.nodes.slice(0, 2))).every((g) => g === 'v4') ? true : undefined), { timeoutMs: 30_000 });
      const downSeen = Date.now();
      const metrics = await waitFor('flotilla_node_up{node="node-c"} 0', async () => {
        const text = await d.metrics();
        return metricValue(text, 'flotilla_node_up', { node: 'node-c' }) === 0 ? text : undefined;
      }, { timeoutMs: 20_000, intervalMs: 100 });
      t.diagnostic(`flotilla_node_up of node-c went to 0 ${Date.now() - downSeen} ms after node-a and node-b converged`);
      assert.equal(metricValue(metrics, 'flotilla_node_up', { node: 'node-a' }), 1);
      assert.equal(metricValue(metrics, 'flotilla_node_up', { node: 'node-b' }), 1);

      // Within the node grace period (60 s by default) the replica on node-c is held, not
      // rescheduled: watch a few more polls.
      const pollsSeen = (await d.status()).lastReconcile?.finishedAt;
      await d.waitForStatus('two more reconciles', (st) => (st.lastReconcile?.finishedAt !== pollsSeen ? true : undefined), 10_000);
      await new Promise((r) => setTimeout(r, INTERVAL_MS * 2));
      const workersUp = await serviceContainers({ nodes: fleet.nodes.slice(0, 2) }, 'app', 'worker');
      assert.deepEqual(workersUp.map((w) => w.name).sort(), workersBefore.filter((w) => w.node !== 'node-c').map((w) => w.name).sort(),
        `${workerOnC.join(', ')} of down node-c must be held, not rescheduled, within the 60 s node grace period ` +
        '(known bug: Reconciler.observe() keeps the fresh observation as previousObserved, so a down node\'s last-known containers are forgotten after one cycle)');
      const held = (await d.status()).services.find((svc) => svc.service === 'web');
      t.diagnostic(`web while node-c is down: inSync=${held?.inSync} drift=${JSON.stringify(held?.drift)}`);
    });

    await t.test('the killed node converges once its daemon is back', async () => {
      await fleet.startNode('node-c');
      const back = Date.now();
      await waitFor('node-c to run v4', async () => ((await greetings([fleet.node('node-c')]))[0] === 'v4' ? true : undefined), { timeoutMs: 40_000, intervalMs: 250 });
      t.diagnostic(`node-c back -> converged: ${Date.now() - back} ms`);
      const after = await d.waitForStatus('node-c up and every service in sync', (st) =>
        st.nodes.every((n) => n.up) && st.services.every((svc) => svc.inSync) && st.appliedRevision === v4 ? st : undefined, 20_000);
      assert.equal(metricValue(await d.metrics(), 'flotilla_node_up', { node: 'node-c' }), 1);
      const workers = after.services.find((svc) => svc.service === 'worker');
      assert.deepEqual(workers?.replicas.map((r) => r.slot), ['1', '2', '3'], 'three workers, no leftover duplicate');
    });

    await t.test('SIGTERM stops it cleanly with its state on disk', async () => {
      const code = await d.stop();
      assert.equal(code, 0, d.logTail());
      const statePath = join(d.stateDir, 'state', 'state.json');
      assert.ok(existsSync(statePath));
      const state = JSON.parse(readFileSync(statePath, 'utf8')) as { applied?: string; lastGood?: { revision: string } };
      assert.equal(state.applied, await git.head('config'));
    });
  } finally {
    if (daemon) await daemon.dispose();
    await git.close();
    await fleet.stop();
  }
});
