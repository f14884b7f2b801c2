// The reconciler on a real three-node fleet, driven the way users drive it: commits pushed
// to a real Git server, one reconcile per poll. Covers placement (constraints, spread),
// scaling, a spec change that replaces replicas, and pruning. node-b is declared with its
// tcp:// endpoint so that the TCP path of the Docker client is exercised too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { startFleet, type FleetNode } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webStack, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { placementOf, serviceContainers, webBody, webEnv } from '../support/fleet-view.js';

const TOKEN = 'converge-token';
const WEB_PORT = 18080;
const API_PORT = 18090;

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

test('reconcile on a real fleet: placement, scaling, replacement and pruning', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'reconcile-converge' });
  const git = await startGitServer({ token: TOKEN });
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const [, b, c] = fleet.nodes as [FleetNode, FleetNode, FleetNode];
    // Zones: east = node-a and node-b, west = node-c. role=web on node-b and node-c, so that
    // neither placement is what the scheduler would pick without the rule (node-a first).
    const config: ClusterConfig = {
      name: 'it',
      nodes: fleetClusterNodes(fleet, {
        tcp: ['node-b'],
        labels: { 'node-a': { zone: 'east', role: 'db' }, 'node-b': { zone: 'east', role: 'web' }, 'node-c': { zone: 'west', role: 'web' } },
      }),
      stacks: {
        shop: webStack({
          web: { replicas: 2, port: WEB_PORT, constraints: ['node.labels.role==web'], environment: { GREETING: 'hello' } },
          api: { replicas: 2, port: API_PORT, spread: 'node.labels.zone' },
          worker: { replicas: 2 },
        }),
      },
    };
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config);
    const flotilla = await startInProcess({ repoUrl: repo.url, token: TOKEN });
    closeFlotilla = flotilla.close;

    await t.test('initial deploy honours constraints and spread, and every replica answers at its node address', async () => {
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`initial deploy of 6 replicas: ${seconds(since)}`);
      const status = flotilla.status();
      assert.equal(status.appliedRevision, first);
      assert.equal(status.lastGoodRevision, first);
      assert.deepEqual(status.nodes.map((n) => [n.name, n.up]), [['node-a', true], ['node-b', true], ['node-c', true]]);

      const web = await serviceContainers(fleet, 'shop', 'web');
      assert.deepEqual(web.map((w) => w.node).sort(), ['node-b', 'node-c'], 'web only on role=web nodes');
      for (const node of [b, c]) {
        assert.equal(await webBody(node, WEB_PORT), WEB_BODY[WEB_HEALTHY]);
        assert.equal((await webEnv(node, WEB_PORT)).GREETING, 'hello');
      }
      const api = await serviceContainers(fleet, 'shop', 'api');
      assert.equal(api.length, 2);
      assert.equal(api.filter((x) => x.node === 'node-c').length, 1, `one api replica in zone west: ${placementOf(api).join(' ')}`);
      assert.equal(api.filter((x) => x.node !== 'node-c').length, 1, `one api replica in zone east: ${placementOf(api).join(' ')}`);
      for (const x of api) assert.equal(await webBody(fleet.node(x.node), API_PORT), WEB_BODY[WEB_HEALTHY]);

      for (const x of [...web, ...api]) {
        assert.equal(x.state, 'running', x.name);
        assert.equal(x.labels['flotilla.managed'], 'true');
        assert.equal(x.labels['flotilla.cluster'], 'it');
        assert.equal(x.labels['flotilla.commit'], first);
        assert.match(x.labels['flotilla.spec-hash'] ?? '', /^[0-9a-f]{16}$/);
        assert.equal(x.name, `shop-${x.labels['flotilla.service']}-${x.labels['flotilla.slot']}`);
      }
      const svc = status.services.find((s) => s.service === 'web');
      assert.ok(svc?.inSync, JSON.stringify(svc));
      assert.deepEqual(svc.replicas.map((r) => `${r.slot}@${r.node}`).sort(), placementOf(web).map((p) => p.replace('shop-web-', '')));
    });

    await t.test('a second reconcile of the same commit changes nothing', async () => {
      const before = await serviceContainers(fleet, 'shop', 'web');
      await reconcileExpecting(flotilla, 'unchanged');
      assert.deepEqual((await serviceContainers(fleet, 'shop', 'web')).map((x) => x.id), before.map((x) => x.id));
    });

    await t.test('scaling up adds replicas across the nodes; scaling down removes the highest slots and keeps the rest', async () => {
      const before = await serviceContainers(fleet, 'shop', 'worker');
      const sha = await repo.update((cfg) => ((cfg.stacks.shop as ReturnType<typeof webStack>).services.worker as { deploy: { replicas: number } }).deploy.replicas = 5, 'worker: 5 replicas');
      let since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`scale 2 -> 5: ${seconds(since)}`);
      const up = await serviceContainers(fleet, 'shop', 'worker');
      assert.deepEqual(up.map((x) => x.labels['flotilla.slot']).sort(), ['1', '2', '3', '4', '5']);
      assert.ok(up.every((x) => x.state === 'running'));
      const perNode = (xs: typeof up) => Object.fromEntries(['node-a', 'node-b', 'node-c'].map((n) => [n, xs.filter((x) => x.node === n).length]));
      assert.deepEqual(Object.values(perNode(up)).sort(), [1, 2, 2], `spread over the nodes: ${placementOf(up).join(' ')}`);
      for (const old of before) assert.ok(up.some((x) => x.id === old.id), `${old.name} kept (not replaced) when scaling up`);
      assert.equal(flotilla.status().appliedRevision, sha);

      await repo.update((cfg) => ((cfg.stacks.shop as ReturnType<typeof webStack>).services.worker as { deploy: { replicas: number } }).deploy.replicas = 1, 'worker: 1 replica');
      since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`scale 5 -> 1: ${seconds(since)}`);
      const down = await serviceContainers(fleet, 'shop', 'worker');
      assert.deepEqual(down.map((x) => x.name), ['shop-worker-1']);
      assert.equal(down[0]?.id, up.find((x) => x.name === 'shop-worker-1')?.id, 'the remaining replica is the same container');
    });

    await t.test('an environment change replaces the replicas: new containers that see the new value', async () => {
      const webBefore = await serviceContainers(fleet, 'shop', 'web');
      const apiBefore = await serviceContainers(fleet, 'shop', 'api');
      const sha = await repo.update((cfg) => {
        const web = (cfg.stacks.shop as ReturnType<typeof webStack>).services.web as { environment: Record<string, string> };
        web.environment = { GREETING: 'bonjour' };
      }, 'web: greet in French');
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`replace 2 replicas: ${seconds(since)}`);
      const webAfter = await serviceContainers(fleet, 'shop', 'web');
      assert.deepEqual(placementOf(webAfter), placementOf(webBefore), 'replaced in place');
      for (const x of webAfter) {
        assert.ok(!webBefore.some((old) => old.id === x.id), `${x.name} is a new container`);
        assert.equal(x.labels['flotilla.commit'], sha);
        assert.equal(x.state, 'running');
        assert.equal((await webEnv(fleet.node(x.node), WEB_PORT)).GREETING, 'bonjour');
      }
      assert.equal((await serviceContainers(fleet, 'shop', 'web')).filter((x) => x.name.endsWith('-flotilla-old')).length, 0, 'no retired container left behind');
      assert.deepEqual((await serviceContainers(fleet, 'shop', 'api')).map((x) => x.id), apiBefore.map((x) => x.id), 'other services untouched');
    });

    await t.test('a service removed from Git is kept with prune: false, and pruned with prune: true', async () => {
      const worker = await serviceContainers(fleet, 'shop', 'worker');
      assert.equal(worker.length, 1);
      await repo.update((cfg) => {
        delete (cfg.stacks.shop as ReturnType<typeof webStack>).services.worker;
        cfg.sync = { ...cfg.sync, prune: false };
      }, 'drop worker, prune off');
      await flotilla.reconcile();
      assert.deepEqual((await serviceContainers(fleet, 'shop', 'worker')).map((x) => [x.id, x.state]), worker.map((x) => [x.id, 'running']), 'kept as it was');

      const sha = await repo.update((cfg) => (cfg.sync = { ...cfg.sync, prune: true }), 'prune on');
      await reconcileExpecting(flotilla, 'success');
      assert.deepEqual(await serviceContainers(fleet, 'shop', 'worker'), [], 'pruned');
      assert.equal(flotilla.status().appliedRevision, sha);
      assert.ok(!flotilla.status().services.some((s) => s.service === 'worker'));
      assert.equal((await serviceContainers(fleet, 'shop', 'web')).length, 2, 'declared services stay');
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
