// Drift on a real three-node fleet: what an operator does by hand (`docker rm`, `docker
// stop`, a container squatting on a declared port) and what Flotilla does about it on the
// next reconcile, with selfHeal on and off; the cost of a reconcile with nothing to do; and
// a commit that fails validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startFleet, type FleetNode } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, webStack, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerCli, listFleet, serviceContainers, webBody, webEnv } from '../support/fleet-view.js';
import { DOCKER_NODE_METHODS, resetCallCounts, totalCalls } from '../../src/docker/calls.js';

const WEB_PORT = 18081;
const EDGE_PORT = 18082;

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

type Stack = ReturnType<typeof webStack>;

test('reconcile on a real fleet: drift by hand, selfHeal, conflicts, steady-state cost, invalid commits', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'reconcile-drift' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const config: ClusterConfig = {
      name: 'drift',
      nodes: fleetClusterNodes(fleet, { tcp: ['node-c'] }),
      stacks: { shop: webStack({ web: { replicas: 3, port: WEB_PORT, environment: { GREETING: 'hello' } } }) },
    };
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    const nodeOf = async (name: string): Promise<FleetNode> => {
      const c = (await listFleet(fleet)).find((x) => x.name === name);
      assert.ok(c, `${name} exists`);
      return fleet.node(c.node);
    };
    const webState = async (): Promise<Record<string, string>> =>
      Object.fromEntries((await serviceContainers(fleet, 'shop', 'web')).map((c) => [c.name, c.state]));
    const allWebRunning = { 'shop-web-1': 'running', 'shop-web-2': 'running', 'shop-web-3': 'running' };

    await t.test('deploys one web replica per node (fixed host port)', async () => {
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`initial deploy of 3 replicas: ${seconds(since)}`);
      assert.equal(flotilla.status().appliedRevision, first);
      const web = await serviceContainers(fleet, 'shop', 'web');
      assert.deepEqual(web.map((c) => c.node).sort(), ['node-a', 'node-b', 'node-c']);
      for (const node of fleet.nodes) assert.equal(await webBody(node, WEB_PORT), WEB_BODY[WEB_HEALTHY]);
    });

    await t.test('a reconcile with nothing to do makes exactly one container list call per node and no other Docker call', async () => {
      for (const node of fleet.nodes) resetCallCounts(flotilla.node(node.name).calls);
      const since = performance.now();
      await reconcileExpecting(flotilla, 'unchanged');
      t.diagnostic(`steady-state reconcile: ${seconds(since)}`);
      for (const node of fleet.nodes) {
        const calls = flotilla.node(node.name).calls;
        const made = Object.fromEntries(DOCKER_NODE_METHODS.filter((m) => calls[m] > 0).map((m) => [m, calls[m]]));
        assert.deepEqual(made, { listContainers: 1 }, `Docker API calls to ${node.name}`);
        assert.equal(totalCalls(calls), 1);
      }
    });

    await t.test('`docker rm` and `docker stop` by hand are healed on the next reconcile (selfHeal: true)', async () => {
      const before = await serviceContainers(fleet, 'shop', 'web');
      const stoppedId = before.find((c) => c.name === 'shop-web-3')?.id;
      await dockerCli(await nodeOf('shop-web-2'), ['rm', '-f', 'shop-web-2']);
      await dockerCli(await nodeOf('shop-web-3'), ['stop', 'shop-web-3']);
      assert.deepEqual(await webState(), { 'shop-web-1': 'running', 'shop-web-3': 'exited' });

      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`heal 1 removed + 1 stopped: ${seconds(since)}`);
      assert.deepEqual(await webState(), allWebRunning);
      const after = await serviceContainers(fleet, 'shop', 'web');
      assert.equal(after.find((c) => c.name === 'shop-web-3')?.id, stoppedId, 'the stopped container is started again, not replaced');
      assert.deepEqual(after.map((c) => c.node), before.map((c) => c.node), 'each replica back on its node');
      for (const node of fleet.nodes) assert.equal(await webBody(node, WEB_PORT), WEB_BODY[WEB_HEALTHY]);
      const svc = flotilla.status().services.find((s) => s.service === 'web');
      assert.ok(svc?.inSync, JSON.stringify(svc?.drift));
    });

    await t.test('with selfHeal: false the same drift is reported in status and left alone', async () => {
      const off = await repo.update((cfg) => (cfg.sync = { ...cfg.sync, selfHeal: false }), 'selfHeal off');
      await flotilla.reconcile();
      assert.equal(flotilla.status().appliedRevision, off);
      const before = await serviceContainers(fleet, 'shop', 'web');
      const removedOn = (await nodeOf('shop-web-1')).name;
      const stoppedOn = (await nodeOf('shop-web-2')).name;
      await dockerCli(fleet.node(removedOn), ['rm', '-f', 'shop-web-1']);
      await dockerCli(fleet.node(stoppedOn), ['stop', 'shop-web-2']);

      for (let i = 0; i < 2; i++) await flotilla.reconcile();
      assert.deepEqual(await webState(), { 'shop-web-2': 'exited', 'shop-web-3': 'running' }, 'nothing healed');
      const after = await serviceContainers(fleet, 'shop', 'web');
      assert.equal(after.find((c) => c.name === 'shop-web-2')?.id, before.find((c) => c.name === 'shop-web-2')?.id);
      const svc = flotilla.status().services.find((s) => s.service === 'web');
      assert.ok(svc, 'web in status');
      assert.equal(svc.inSync, false);
      const drift = svc.drift.map((d) => `${d.kind}@${d.node}:${d.containers.join(',')}`).sort();
      assert.ok(drift.some((d) => d.startsWith(`missing@${removedOn}`)), `missing replica reported on ${removedOn}: ${drift.join(' ')}`);
      assert.ok(drift.some((d) => d.startsWith(`stopped@${stoppedOn}`) && d.includes('shop-web-2')), `stopped replica reported on ${stoppedOn}: ${drift.join(' ')}`);

      // A new commit is a sync: it converges whatever selfHeal says.
      await repo.update((cfg) => (cfg.sync = { ...cfg.sync, selfHeal: true }), 'selfHeal on');
      await reconcileExpecting(flotilla, 'success');
      assert.deepEqual(await webState(), allWebRunning);
    });

    await t.test('an unmanaged container squatting on a declared port is reported as a conflict and never touched', async () => {
      const c = fleet.node('node-c');
      const squatterId = await dockerCli(c, ['run', '-d', '--name', 'squatter', '-p', `${EDGE_PORT}:80`, WEB_HEALTHY]);
      await repo.update((cfg) => ((cfg.stacks.shop as Stack).services.edge = webService({ mode: 'global', port: EDGE_PORT })), 'edge on every node');
      for (let i = 0; i < 2; i++) await flotilla.reconcile();
      const status = flotilla.status();
      const conflict = status.conflicts.find((x) => x.container === 'squatter');
      assert.ok(conflict, `conflict reported: ${JSON.stringify(status.conflicts)}`);
      assert.equal(conflict.node, 'node-c');
      assert.match(conflict.reason, new RegExp(String(EDGE_PORT)));
      const squatter = (await listFleet(fleet, ['node-c'])).find((x) => x.name === 'squatter');
      assert.equal(squatter?.id, squatterId, 'the squatter is the same container');
      assert.equal(squatter?.state, 'running');
      assert.equal(squatter?.labels['flotilla.managed'], undefined, 'and still not labelled as ours');
      const edge = await serviceContainers(fleet, 'shop', 'edge');
      assert.deepEqual(edge.map((x) => x.node).sort(), ['node-a', 'node-b'], 'edge runs where the port is free');
      const edgeStatus = status.services.find((s) => s.service === 'edge');
      assert.equal(edgeStatus?.inSync, false, 'edge is not in sync while node-c is blocked');

      // Once a person moves the squatter away, the next reconcile places edge there too.
      await dockerCli(c, ['rm', '-f', 'squatter']);
      await reconcileExpecting(flotilla, 'success');
      assert.deepEqual((await serviceContainers(fleet, 'shop', 'edge')).map((x) => x.node).sort(), ['node-a', 'node-b', 'node-c']);
      assert.deepEqual(flotilla.status().conflicts, []);
    });

    await t.test('an invalid commit is not applied: the fleet stays, status has the file:line problems; a later good commit deploys', async () => {
      const applied = flotilla.status().appliedRevision;
      const before = (await listFleet(fleet)).filter((x) => x.labels['flotilla.managed'] === 'true').map((x) => x.id).sort();
      const broken = [
        'services:',
        '  web:',
        `    image: ${WEB_HEALTHY}`,
        `    ports: ["${WEB_PORT}:80"]`,
        '    deploy:',
        '      replicas: three',
        '    colour: blue',
        '',
      ].join('\n');
      const bad = await repo.update((cfg) => (cfg.stacks.shop = broken), 'break the stack');
      await flotilla.reconcile();
      let status = flotilla.status();
      assert.equal(status.trackedRevision, bad);
      assert.equal(status.appliedRevision, applied, 'the invalid commit is not applied');
      assert.ok(status.lastError, 'lastError is set');
      assert.equal(status.lastError.code, 'VALIDATION_FAILED');
      assert.equal(status.lastError.revision, bad);
      const problems = status.lastError.problems ?? [];
      assert.ok(problems.length >= 2, `every problem reported at once: ${JSON.stringify(problems)}`);
      const where = problems.map((p) => `${p.file}:${p.line}`);
      assert.ok(where.includes('stacks/shop/compose.yaml:6'), `replicas problem at line 6: ${where.join(' ')}`);
      assert.ok(where.includes('stacks/shop/compose.yaml:7'), `unknown key at line 7: ${where.join(' ')}`);
      assert.match(status.lastError.message, /stacks\/shop\/compose\.yaml:6:\d+/);
      const after = (await listFleet(fleet)).filter((x) => x.labels['flotilla.managed'] === 'true').map((x) => x.id).sort();
      assert.deepEqual(after, before, 'no container changed');

      // Still invalid on the next poll: the error stays until a new commit fixes it.
      await flotilla.reconcile();
      assert.equal(flotilla.status().lastError?.code, 'VALIDATION_FAILED');

      const good = await repo.update((cfg) => (cfg.stacks.shop = webStack({ web: { replicas: 3, port: WEB_PORT, environment: { GREETING: 'fixed' } } })), 'fix the stack');
      await reconcileExpecting(flotilla, 'success');
      status = flotilla.status();
      assert.equal(status.appliedRevision, good);
      assert.equal(status.lastError, undefined, 'the error is cleared');
      for (const node of fleet.nodes) assert.equal((await webEnv(node, WEB_PORT)).GREETING, 'fixed');
      assert.deepEqual(await serviceContainers(fleet, 'shop', 'edge'), [], 'the service the fix dropped is pruned');
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
