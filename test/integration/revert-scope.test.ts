// What a failed rollout does to the rest of the fleet, on a real three-node fleet (issue 4):
// a failure in one service of a commit that changed three services reverts all three;
// `failure_action: pause` stops where it failed and reports, without reverting what already
// rolled; `failure_action: continue` carries on past the failed replica.
//
// To fail one replica while the others succeed, an unmanaged container in host network mode
// listens on a port on one node only: a replica publishing that port cannot start there, and
// Flotilla cannot see the port taken (nothing is published), so it schedules the replica as usual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type Docker from 'dockerode';
import { startFleet, type Fleet } from '../support/fleet.js';
import { loadImages, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig, type WebServiceOptions } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerOf, listFleet, serviceContainers, type SeenContainer } from '../support/fleet-view.js';
import { waitFor } from '../support/wait.js';

const PAUSE_PORT = 18391;
const CONTINUE_PORT = 18392;

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

interface Svc extends WebServiceOptions {
  gen: number;
  failureAction?: 'rollback' | 'pause' | 'continue';
}

function svc(o: Svc): Record<string, unknown> {
  const s = webService({ monitor: '1s', order: 'stop-first', ...o, environment: { GEN: String(o.gen) } });
  const deploy = s.deploy as Record<string, Record<string, unknown>>;
  if (o.failureAction) deploy.update_config = { ...deploy.update_config, failure_action: o.failureAction };
  deploy.rollback_config = { parallelism: 1, monitor: '1s', order: 'stop-first' };
  return s;
}

/** The image and GEN of every container of a service, by container name. */
async function specs(fleet: Fleet, service: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const c of await serviceContainers(fleet, 'shop', service)) {
    const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
    out[c.name] = `${info.Config.Image} GEN=${info.Config.Env.find((e) => e.startsWith('GEN='))?.slice(4) ?? '?'} ${c.state}`;
  }
  return out;
}

async function squat(fleet: Fleet, node: string, port: number): Promise<Docker.Container> {
  const docker = dockerOf(fleet.node(node));
  const squatter = await docker.createContainer({ name: `squatter-${port}`, Image: WEB_HEALTHY, Cmd: ['httpd', '-f', '-p', String(port), '-h', '/www'], HostConfig: { NetworkMode: 'host' } });
  await squatter.start();
  return squatter;
}

const byName = (cs: readonly SeenContainer[]): Record<string, SeenContainer> => Object.fromEntries(cs.map((c) => [c.name, c]));

test('a failed rollout reverts every service it changed; pause stops without reverting; continue carries on', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'revert-scope' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet);
    const config = (services: Record<string, Record<string, unknown>>): ClusterConfig => ({ name: 'scope', nodes: fleetClusterNodes(fleet), stacks: { shop: { services } } });
    // worker depends on web and api, so web and api finish rolling (healthy) before worker fails.
    const three = (o: { web: Svc; api: Svc; worker: Svc }) => ({ web: svc(o.web), api: svc(o.api), worker: svc({ ...o.worker, dependsOn: ['web', 'api'] }) });
    const base = { web: { gen: 1, replicas: 3 }, api: { gen: 1, replicas: 2 }, worker: { gen: 1, replicas: 1 } };
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config(three(base)));
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    const reverts = async (): Promise<number> => (await flotilla.app.metrics.revertsTotal.get()).values[0]?.value ?? 0;
    let good = first;

    await t.test('initial deploy', async () => {
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().lastGoodRevision, first);
    });

    await t.test('a failure in one service of a commit that changed three services reverts all three', async (st) => {
      const before = { web: await specs(fleet, 'web'), api: await specs(fleet, 'api'), worker: await specs(fleet, 'worker') };
      const ids = new Set((await listFleet(fleet)).map((c) => c.id));
      const seen = new Map<string, string>();
      const bad = await repo.commit(config(three({ web: { gen: 1, replicas: 3, image: WEB_V2 }, api: { gen: 2, replicas: 2 }, worker: { gen: 1, replicas: 1, image: WEB_UNHEALTHY } })), 'web v2, api gen 2, worker unhealthy');
      // Watch the fleet during the rollout: web and api must really have rolled forward before the revert.
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          for (const c of await listFleet(fleet)) if (c.labels['flotilla.commit'] === bad && c.state === 'running') seen.set(c.id, `${c.labels['flotilla.service']}:${c.name}`);
          await new Promise((r) => setTimeout(r, 200));
        }
      })();
      const since = performance.now();
      try {
        await reconcileExpecting(flotilla, 'reverted');
      } finally {
        watching = false;
        await watcher;
      }
      st.diagnostic(`rollout of three services, failure in worker, revert of all three: ${seconds(since)}`);
      const rolled = [...new Set([...seen.values()].map((s) => s.split(':')[0]))].sort();
      assert.deepEqual(rolled, ['api', 'web', 'worker'], `each service ran the bad commit at some point: ${[...seen.values()].join(' ')}`);

      const entry = flotilla.app.reconciler.history().at(-1);
      assert.equal(entry?.outcome, 'reverted');
      assert.match(entry?.reason ?? '', /shop\/worker/);
      assert.deepEqual(flotilla.status().quarantined.map((q) => q.revision), [bad]);
      assert.equal(flotilla.status().lastGoodRevision, good);
      assert.equal(flotilla.status().appliedRevision, good);
      assert.deepEqual({ web: await specs(fleet, 'web'), api: await specs(fleet, 'api'), worker: await specs(fleet, 'worker') }, before, 'all three services are back on the good spec');
      const now = await listFleet(fleet);
      assert.deepEqual(now.filter((c) => c.labels['flotilla.managed'] === 'true' && c.labels['flotilla.commit'] !== good).map((c) => c.name), [], 'every container carries the good commit');
      assert.ok(now.filter((c) => c.labels['flotilla.service'] !== 'worker').every((c) => !ids.has(c.id)), 'web and api replicas were rolled back (new containers), not left on the bad spec');
      assert.deepEqual(now.filter((c) => c.name.includes('flotilla-old')), []);
      assert.equal(await reverts(), 1);
      await reconcileExpecting(flotilla, 'unchanged');
    });

    await t.test('failure_action: pause stops at the failed replica and reports, without reverting what rolled', async (st) => {
      const web = byName(await serviceContainers(fleet, 'shop', 'web'));
      const second = web['shop-web-2'];
      const third = web['shop-web-3'];
      assert.ok(second && third);
      const squatter = await squat(fleet, second.node, PAUSE_PORT);
      let bad = '';
      try {
        bad = await repo.commit(config(three({ ...base, web: { gen: 2, replicas: 3, parallelism: 1, port: PAUSE_PORT, failureAction: 'pause' } })), 'web publishes a port (taken on one node), failure_action pause');
        const since = performance.now();
        await reconcileExpecting(flotilla, 'paused');
        st.diagnostic(`rollout to the failed replica and pause: ${seconds(since)}`);
        const status = flotilla.status();
        assert.equal(status.phase, 'paused');
        assert.equal(status.paused?.revision, bad);
        assert.equal(status.lastError?.code, 'ROLLOUT_PAUSED');
        assert.ok(!status.quarantined.some((q) => q.revision === bad), 'a paused commit is not quarantined');
        assert.equal(status.lastGoodRevision, good);
        assert.equal(await reverts(), 1, 'no revert');
        const entry = flotilla.app.reconciler.history().at(-1);
        assert.equal(entry?.revision, bad);
        assert.equal(entry?.outcome, 'failed');
        assert.match(entry?.reason ?? '', /failure_action is pause/);

        const after = byName(await serviceContainers(fleet, 'shop', 'web'));
        assert.equal(after['shop-web-1']?.labels['flotilla.commit'], bad, 'replica 1 rolled before the failure and stays on the new commit (no revert)');
        assert.equal(after['shop-web-1']?.state, 'running');
        assert.equal(after['shop-web-3']?.id, third.id, 'replica 3 is left as it was: the rollout stopped');
        assert.equal(after['shop-web-2']?.labels['flotilla.commit'], good, 'the failed replica is back on its old container');
        assert.equal(after['shop-web-2']?.state, 'running');
        assert.deepEqual(Object.keys(after), ['shop-web-1', 'shop-web-2', 'shop-web-3']);

        // Paused: polling reports and changes nothing until a newer commit arrives.
        const ids = (await listFleet(fleet)).map((c) => c.id);
        await reconcileExpecting(flotilla, 'paused');
        assert.deepEqual((await listFleet(fleet)).map((c) => c.id), ids, 'a paused rollout is left exactly as it stopped');
      } finally {
        await squatter.remove({ force: true });
      }
      const fix = await repo.commit(config(three({ ...base, web: { gen: 3, replicas: 3 } })), 'web gen 3, no port');
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().lastGoodRevision, fix);
      assert.equal(flotilla.status().paused, undefined);
      assert.equal(flotilla.status().phase, 'idle');
      good = fix;
    });

    await t.test('failure_action: continue carries on past the failed replica, and the commit is not good', async (st) => {
      const web = byName(await serviceContainers(fleet, 'shop', 'web'));
      const second = web['shop-web-2'];
      assert.ok(second);
      const squatter = await squat(fleet, second.node, CONTINUE_PORT);
      let bad = '';
      try {
        bad = await repo.commit(config(three({ ...base, web: { gen: 4, replicas: 3, parallelism: 1, port: CONTINUE_PORT, failureAction: 'continue' } })), 'web publishes a port (taken on one node), failure_action continue');
        const since = performance.now();
        const result = await flotilla.reconcile();
        st.diagnostic(`rollout with failure_action continue: ${result} in ${seconds(since)}`);
        const after = byName(await serviceContainers(fleet, 'shop', 'web'));
        st.diagnostic(`web after: ${JSON.stringify(await specs(fleet, 'web'))}`);
        // Carried on: replica 3 comes after the failed replica 2, and was updated too.
        for (const name of ['shop-web-1', 'shop-web-3']) {
          assert.equal(after[name]?.labels['flotilla.commit'], bad, `${name} runs the new commit`);
          assert.equal(after[name]?.state, 'running', name);
        }
        assert.equal(await reverts(), 1, 'no revert');
        assert.ok(!flotilla.status().quarantined.some((q) => q.revision === bad), 'not quarantined');
        // A commit is good only when every replica has stayed healthy for monitor (DESIGN.md
        // "The reconcile loop" step 6); replica 2 never started, so this one is not.
        const entry = [...flotilla.app.reconciler.history()].reverse().find((h) => h.revision === bad);
        assert.notEqual(entry?.outcome, 'deployed', `the history says ${entry?.outcome}: ${entry?.reason ?? ''}`);
        assert.equal(flotilla.status().lastGoodRevision, good, 'the last good commit stays the previous one: a revert must never go back to a commit with a broken replica');
      } finally {
        await squatter.remove({ force: true });
      }
      // With the port free again, a newer commit deploys everywhere.
      const fix = await repo.commit(config(three({ ...base, web: { gen: 5, replicas: 3, port: CONTINUE_PORT } })), 'web gen 5, port free');
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().lastGoodRevision, fix);
      await waitFor('three web replicas on the fix', async () => {
        const cs = await serviceContainers(fleet, 'shop', 'web');
        return cs.length === 3 && cs.every((c) => c.state === 'running' && c.labels['flotilla.commit'] === fix) ? true : undefined;
      }, { timeoutMs: 10_000 });
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
