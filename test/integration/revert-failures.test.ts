// Automatic revert on a real three-node fleet (issue 4): each of four ways a commit can break
// a 3-replica service is reverted to the last good commit and quarantined, polling the
// branch again does not re-apply it, and a newer good commit then deploys normally. The four
// ways: an image whose healthcheck fails, a command that exits at once, an image that does
// not exist (no registry is reachable: the pull must fail, and within a bound), and a
// container that cannot start because an unmanaged container on its node (host network, so
// Flotilla cannot see the port it holds) already listens on the port it publishes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { startFleet, type Fleet } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHY, WEB_UNHEALTHY } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerOf, listFleet, serviceContainers, webBody } from '../support/fleet-view.js';
import { waitFor } from '../support/wait.js';

const SQUATTED_PORT = 18290;
const MISSING_IMAGE = 'flotilla-test/nope:1';

const seconds = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

interface WebChange {
  image?: string;
  command?: string[];
  port?: number;
  parallelism?: number;
}

/**
 * The web service at generation `gen` (an environment value, so that every good commit
 * replaces the replicas and labels them with its own commit), with `change` applied.
 * Replicas are replaced all at once; the way back goes one replica at a time.
 */
function webAt(gen: number, change: WebChange = {}): Record<string, unknown> {
  const svc = webService({ image: change.image ?? WEB_HEALTHY, replicas: 3, parallelism: change.parallelism ?? 0, monitor: '1s', order: 'stop-first', environment: { GEN: String(gen) }, ...(change.port ? { port: change.port } : {}) });
  if (change.command) svc.command = change.command;
  (svc.deploy as Record<string, unknown>).rollback_config = { parallelism: 1, monitor: '1s', order: 'stop-first' };
  return svc;
}

interface Good {
  sha: string;
  gen: number;
}

/** Every managed container runs the good commit's spec: one per slot, running, healthy, its label and image. */
async function assertFleetOn(fleet: Fleet, good: Good, image = WEB_HEALTHY): Promise<void> {
  const all = await listFleet(fleet);
  assert.deepEqual(all.filter((c) => c.name.includes('flotilla-old')).map((c) => `${c.name}@${c.node}`), [], 'no replaced container left aside');
  const web = all.filter((c) => c.labels['flotilla.service'] === 'web');
  assert.deepEqual(web.map((c) => c.name), ['shop-web-1', 'shop-web-2', 'shop-web-3'], `every slot exactly once: ${web.map((c) => `${c.name}@${c.node}`).join(' ')}`);
  for (const c of web) {
    assert.equal(c.state, 'running', `${c.name} on ${c.node} is running`);
    assert.equal(c.labels['flotilla.commit'], good.sha, `${c.name} on ${c.node} carries the good commit's label`);
    const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
    assert.equal(info.Config.Image, image, `${c.name} runs the good image`);
    assert.ok(info.Config.Env.includes(`GEN=${good.gen}`), `${c.name} runs the good commit's environment (GEN=${good.gen}): ${info.Config.Env.join(' ')}`);
  }
  // A replica put back may still be starting its healthcheck; it must come up healthy.
  await waitFor('every web replica to be healthy again', async () => {
    const views = await Promise.all(web.map((c) => dockerOf(fleet.node(c.node)).getContainer(c.id).inspect()));
    return views.every((v) => v.State.Health?.Status === 'healthy') ? true : undefined;
  }, { timeoutMs: 15_000, intervalMs: 200 });
}

/** Samples how many web replicas are running and healthy (Docker's view) every 200 ms, for the diagnostics. */
function watchHealthy(fleet: Fleet): { stop(): Promise<{ min: number; downMs: number }> } {
  const samples: Array<{ at: number; healthy: number }> = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const lists = await Promise.all(fleet.nodes.map((n) => dockerOf(n).listContainers({ all: true, filters: { label: ['flotilla.service=web'] } })));
      samples.push({ at: Date.now(), healthy: lists.flat().filter((c) => c.State === 'running' && /\(healthy\)/.test(c.Status)).length });
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      let downMs = 0;
      for (let i = 1; i < samples.length; i++) if ((samples[i - 1] as { healthy: number }).healthy === 0) downMs += (samples[i] as { at: number }).at - (samples[i - 1] as { at: number }).at;
      return { min: Math.min(...samples.map((x) => x.healthy)), downMs };
    },
  };
}

test('a failing commit is reverted to the last good commit, quarantined, and a newer good commit deploys', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'revert-failures' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_UNHEALTHY]);
    const config = (web: Record<string, unknown>): ClusterConfig => ({ name: 'revert', nodes: fleetClusterNodes(fleet), stacks: { shop: { services: { web } } } });
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config(webAt(1)));
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;
    let good: Good = { sha: first, gen: 1 };
    const bad: string[] = [];

    /** Commits a breaking change and checks the whole revert story; resolves with how long the failed reconcile took. */
    const expectRevert = async (st: TestContext, change: WebChange, label: string, reason: RegExp): Promise<number> => {
      const sha = await repo.commit(config(webAt(good.gen, change)), label);
      bad.push(sha);
      const since = performance.now();
      const watch = watchHealthy(fleet);
      try {
        await reconcileExpecting(flotilla, 'reverted');
      } finally {
        const { min, downMs } = await watch.stop();
        st.diagnostic(`${label}: healthy web replicas during the failed rollout and revert: min ${min}; none healthy for ${seconds(downMs)}`);
      }
      const took = performance.now() - since;
      st.diagnostic(`${label}: failed rollout + revert took ${seconds(took)}`);

      const entry = flotilla.app.reconciler.history().at(-1);
      assert.equal(entry?.revision, sha, 'the history ends with the bad commit');
      assert.equal(entry?.outcome, 'reverted');
      assert.match(entry?.reason ?? '', reason);
      assert.match(entry?.reason ?? '', new RegExp(`reverted to ${good.sha}`));
      const status = flotilla.status();
      assert.deepEqual(status.quarantined.map((q) => q.revision), bad, 'every bad commit so far is quarantined');
      assert.deepEqual(flotilla.app.reconciler.state.quarantined.map((q) => q.revision), bad);
      assert.equal(status.lastGoodRevision, good.sha);
      assert.equal(status.appliedRevision, good.sha);
      assert.equal(status.trackedRevision, sha);
      assert.equal(status.lastError?.code, 'REVERTED');
      await assertFleetOn(fleet, good);

      // Polling the branch again (its head is still the bad commit) must not re-apply it.
      const ids = (await serviceContainers(fleet, 'shop', 'web')).map((c) => c.id);
      const historyLength = flotilla.app.reconciler.history().length;
      for (let i = 0; i < 2; i++) await reconcileExpecting(flotilla, 'unchanged');
      assert.deepEqual((await serviceContainers(fleet, 'shop', 'web')).map((c) => c.id), ids, 'polling a quarantined head touches nothing');
      assert.equal(flotilla.app.reconciler.history().length, historyLength, 'and records nothing new');
      assert.equal(flotilla.status().appliedRevision, good.sha);
      return took;
    };

    /** A newer commit fixing things deploys normally and becomes the last good one. */
    const expectFixDeploys = async (st: TestContext, change: WebChange, label: string): Promise<void> => {
      const next: Good = { sha: '', gen: good.gen + 1 };
      next.sha = await repo.commit(config(webAt(next.gen, change)), label);
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      st.diagnostic(`${label}: deploy took ${seconds(performance.now() - since)}`);
      assert.equal(flotilla.app.reconciler.history().at(-1)?.outcome, 'deployed');
      assert.equal(flotilla.status().lastGoodRevision, next.sha);
      assert.equal(flotilla.status().lastError, undefined, 'a good deploy clears the revert error');
      await assertFleetOn(fleet, next);
      good = next;
    };

    await t.test('the first commit deploys and is good', async () => {
      await reconcileExpecting(flotilla, 'success');
      assert.equal(flotilla.status().lastGoodRevision, first);
      await assertFleetOn(fleet, good);
    });

    await t.test('an image whose healthcheck fails', async (st) => {
      await expectRevert(st, { image: WEB_UNHEALTHY }, 'unhealthy image', /turned unhealthy|not healthy/);
      await expectFixDeploys(st, {}, 'fix after unhealthy image');
    });

    await t.test('a command that exits at once', async (st) => {
      // The default restart policy (unless-stopped) restarts it, so the gate may see the exit or the restart first.
      await expectRevert(st, { command: ['sh', '-c', 'exit 3'] }, 'command exits 3', /exited with code 3|restarted/);
      await expectFixDeploys(st, {}, 'fix after exiting command');
    });

    await t.test('an image that does not exist (no registry reachable): the pull fails within a bound', async (st) => {
      const took = await expectRevert(st, { image: MISSING_IMAGE }, 'missing image', /nope/);
      // Docker itself gives up on the registry lookup (DNS) only after ~20 s here; Flotilla
      // fails a pull that Docker has not answered within 10 s (the pull answer timeout), so
      // the whole failed rollout and revert stay well under Docker's own 20 s.
      assert.ok(took < 18_000, `the failed pull and the revert took ${seconds(took)}`);
      assert.match(flotilla.app.reconciler.history().at(-1)?.reason ?? '', /from registry docker\.io: unreachable/);
      const reason = flotilla.app.reconciler.history().at(-1)?.reason ?? '';
      st.diagnostic(`pull failure reason: ${reason.slice(0, 300)}`);
      await expectFixDeploys(st, {}, 'fix after missing image');
    });

    await t.test('a container that cannot start: its host port is taken on its node by an unmanaged container', async (st) => {
      // The squatter listens on the port in its node's own network (host mode), so it holds the
      // port without publishing it: Flotilla's scheduler cannot see it, and Docker refuses to
      // start a container that publishes the same port there.
      const web = await serviceContainers(fleet, 'shop', 'web');
      const victim = web.find((c) => c.name === 'shop-web-3');
      assert.ok(victim);
      const node = fleet.node(victim.node);
      const docker = dockerOf(node);
      const squatter = await docker.createContainer({ name: 'squatter', Image: WEB_HEALTHY, Cmd: ['httpd', '-f', '-p', String(SQUATTED_PORT), '-h', '/www'], HostConfig: { NetworkMode: 'host' } });
      await squatter.start();
      try {
        // One replica at a time, so that slots 1 and 2 are replaced (and must be reverted) before slot 3 fails.
        await expectRevert(st, { port: SQUATTED_PORT, parallelism: 1 }, 'publish a taken port', /address already in use|port is already allocated|cannot start|failed programming/);
        const sq = await squatter.inspect();
        assert.equal(sq.State.Running, true, 'the unmanaged container is left alone');
      } finally {
        await squatter.remove({ force: true });
      }
      // With the squatter gone, a newer commit publishing the port deploys.
      await expectFixDeploys(st, { port: SQUATTED_PORT }, 'publish the port, now free');
      for (const n of fleet.nodes) assert.equal(await webBody(n, SQUATTED_PORT), WEB_BODY[WEB_HEALTHY]);
    });

    await t.test('the history tells the whole story', async () => {
      const history = flotilla.app.reconciler.history().map((h) => h.outcome);
      assert.deepEqual(history, ['deployed', 'reverted', 'deployed', 'reverted', 'deployed', 'reverted', 'deployed', 'reverted', 'deployed']);
      assert.deepEqual(flotilla.status().quarantined.map((q) => q.revision), bad);
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
