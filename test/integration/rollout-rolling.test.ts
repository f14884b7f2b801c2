// Rolling updates on a real three-node fleet (issue 4): a new image for a 3-replica service
// rolls out one batch at a time, and while it rolls a sampler reads every node's Docker API
// every ~200 ms and counts the replicas that are running and healthy. start-first must never
// drop below `replicas`; stop-first never below `replicas - parallelism`; start-first on a
// fixed host port cannot keep both copies and degrades to stop-first. The batch order is
// checked from the containers' creation times against when each batch was first healthy.
// The way back (a revert) rolls with rollback_config, whose `order` must hold the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import type { TestContext } from 'node:test';
import { startFleet, type Fleet } from '../support/fleet.js';
import { loadImages, WEB_BODY, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../support/images.js';
import { requireDocker } from '../support/requirements.js';
import { startGitServer } from '../support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig, type WebServiceOptions } from '../support/config-repo.js';
import { reconcileExpecting, startInProcess } from '../support/flotilla.js';
import { dockerOf, serviceContainers, webBody } from '../support/fleet-view.js';

const EDGE_PORT = 18181;
const MONITOR_MS = 1000;

const seconds = (since: number): string => `${((performance.now() - since) / 1000).toFixed(2)} s`;

interface SampledContainer {
  id: string;
  node: string;
  name: string;
  running: boolean;
  healthy: boolean;
  commit: string;
}

interface Sample {
  at: number;
  containers: SampledContainer[];
}

/**
 * Reads the containers of one service from every node, every `everyMs`, straight from Docker.
 * A replica counts as healthy when Docker says it is running and its healthcheck reports
 * healthy, whatever its name (a replaced container renamed aside still serves).
 */
class HealthSampler {
  readonly samples: Sample[] = [];
  /** When each container was first seen healthy (ms since epoch, taken after the list answered). */
  readonly firstHealthy = new Map<string, number>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(private readonly fleet: Fleet, private readonly service: string, everyMs = 200) {
    this.loop = this.run(everyMs);
  }

  private async run(everyMs: number): Promise<void> {
    while (this.running) {
      const started = Date.now();
      const perNode = await Promise.all(
        this.fleet.nodes.map(async (node) => {
          const list = await dockerOf(node).listContainers({ all: true, filters: { label: [`flotilla.service=${this.service}`] } });
          return list.map((c): SampledContainer => ({
            id: c.Id,
            node: node.name,
            name: (c.Names[0] ?? '').replace(/^\//, ''),
            running: c.State === 'running',
            healthy: c.State === 'running' && /\(healthy\)/.test(c.Status),
            commit: c.Labels['flotilla.commit'] ?? '',
          }));
        }),
      );
      const at = Date.now();
      const containers = perNode.flat();
      this.samples.push({ at, containers });
      for (const c of containers) if (c.healthy && !this.firstHealthy.has(c.id)) this.firstHealthy.set(c.id, at);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, everyMs - (Date.now() - started))));
    }
  }

  async stop(): Promise<Sample[]> {
    this.running = false;
    await this.loop;
    return this.samples;
  }
}

const healthyCount = (s: Sample): number => s.containers.filter((c) => c.healthy).length;
const runningCount = (s: Sample): number => s.containers.filter((c) => c.running).length;

/** A compact timeline of the samples where the picture changed, for failure messages. */
function timeline(samples: readonly Sample[], commitOf: (sha: string) => string): string {
  const lines: string[] = [];
  let last = '';
  const t0 = samples[0]?.at ?? 0;
  for (const s of samples) {
    const picture = s.containers
      .map((c) => `${c.name}@${c.node}[${commitOf(c.commit)}${c.healthy ? ' healthy' : c.running ? ' running' : ' stopped'}]`)
      .sort()
      .join(' ');
    if (picture !== last) lines.push(`+${s.at - t0}ms healthy=${healthyCount(s)} ${picture}`);
    last = picture;
  }
  return lines.join('\n');
}

/** Exact creation time (ms) of each container, from `docker inspect` (the list gives seconds only). */
async function createdAt(fleet: Fleet, containers: readonly { node: string; id: string }[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const c of containers) {
    const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
    out.set(c.id, Date.parse(info.Created));
  }
  return out;
}

interface RolloutCheck {
  replicas: number;
  parallelism: number;
  /** Lowest number of healthy replicas allowed at any sample. */
  floor: number;
}

/**
 * Asserts what a sampled rollout must show: never fewer healthy replicas than `floor`, the new
 * containers created batch by batch (`parallelism` at a time), and each batch created only
 * after the previous one was healthy and stayed so for `monitor`.
 */
async function checkRollout(t: TestContext, fleet: Fleet, samples: readonly Sample[], firstHealthy: ReadonlyMap<string, number>, newSha: string, check: RolloutCheck, commitOf: (sha: string) => string): Promise<void> {
  const story = (): string => timeline(samples, commitOf);
  assert.ok(samples.length >= 10, `the sampler took only ${samples.length} samples`);
  const min = Math.min(...samples.map(healthyCount));
  t.diagnostic(`${samples.length} samples over ${((samples.at(-1)!.at - samples[0]!.at) / 1000).toFixed(1)} s; healthy replicas min ${min}, max ${Math.max(...samples.map(healthyCount))}; running max ${Math.max(...samples.map(runningCount))}`);
  assert.ok(min >= check.floor, `healthy replicas dropped to ${min} (< ${check.floor}) during the rollout:\n${story()}`);

  const fresh = [...new Map(samples.flatMap((s) => s.containers).filter((c) => c.commit === newSha).map((c) => [c.id, c])).values()];
  assert.equal(fresh.length, check.replicas, `exactly ${check.replicas} new containers were created (no retries, no duplicates):\n${story()}`);
  const created = await createdAt(fleet, fresh);
  const order = [...fresh].sort((a, b) => (created.get(a.id) as number) - (created.get(b.id) as number));
  const batches: (typeof order)[] = [];
  for (let i = 0; i < order.length; i += check.parallelism) batches.push(order.slice(i, i + check.parallelism));
  for (const [i, batch] of batches.entries()) {
    const times = batch.map((c) => created.get(c.id) as number);
    const spread = Math.max(...times) - Math.min(...times);
    assert.ok(spread < MONITOR_MS, `batch ${i + 1} (${batch.map((c) => c.name).join(', ')}) was created together, not ${spread} ms apart:\n${story()}`);
    const prev = batches[i - 1];
    if (!prev) continue;
    const prevHealthy = Math.max(...prev.map((c) => firstHealthy.get(c.id) ?? Number.POSITIVE_INFINITY));
    const gap = Math.min(...times) - prevHealthy;
    t.diagnostic(`batch ${i + 1} created ${gap} ms after batch ${i} was first seen healthy (monitor ${MONITOR_MS} ms)`);
    // The sampler sees health up to one sample (200 ms) plus a list round trip late.
    assert.ok(gap >= MONITOR_MS - 500, `batch ${i + 1} (${batch.map((c) => c.name).join(', ')}) was created ${gap} ms after batch ${i} turned healthy; it must wait for batch ${i} to stay healthy for monitor (${MONITOR_MS} ms):\n${story()}`);
  }
}

type Services = Record<string, Record<string, unknown>>;

function service(o: WebServiceOptions): Record<string, unknown> {
  return webService({ monitor: `${MONITOR_MS / 1000}s`, ...o });
}

test('rolling updates on a real fleet keep enough healthy replicas, one batch at a time', async (t) => {
  if (!requireDocker(t)) return;
  const fleet = await startFleet({ nodes: 3, name: 'rollout-rolling' });
  const git = await startGitServer();
  let closeFlotilla = (): void => undefined;
  try {
    await loadImages(fleet, [WEB_HEALTHY, WEB_V2, WEB_UNHEALTHY]);
    const web = (image: string): Record<string, unknown> => service({ image, replicas: 3, parallelism: 1, order: 'start-first' });
    const edge = (image: string, order: 'start-first' | 'stop-first' = 'stop-first'): Record<string, unknown> => service({ image, replicas: 3, parallelism: 2, order, port: EDGE_PORT });
    const config = (services: Services): ClusterConfig => ({ name: 'rolling', nodes: fleetClusterNodes(fleet), stacks: { shop: { services } } });
    const { repo, sha: first } = await ConfigRepo.create(git, 'config', config({ web: web(WEB_HEALTHY), edge: edge(WEB_HEALTHY) }));
    const names = new Map<string, string>([[first, 'v1']]);
    const commitOf = (sha: string): string => names.get(sha) ?? sha.slice(0, 7);
    const flotilla = await startInProcess({ repoUrl: repo.url });
    closeFlotilla = flotilla.close;

    const rollOut = async (services: Services, label: string, watch: string): Promise<{ sha: string; samples: Sample[]; firstHealthy: ReadonlyMap<string, number> }> => {
      const sha = await repo.commit(config(services), label);
      names.set(sha, label);
      const sampler = new HealthSampler(fleet, watch);
      await new Promise((resolve) => setTimeout(resolve, 400)); // a baseline before the rollout starts
      const since = performance.now();
      try {
        await reconcileExpecting(flotilla, 'success');
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 400));
        await sampler.stop();
      }
      t.diagnostic(`${label}: rollout of ${watch} took ${seconds(since)}`);
      assert.equal(flotilla.status().lastGoodRevision, sha);
      const after = await serviceContainers(fleet, 'shop', watch);
      assert.deepEqual(after.map((c) => c.name), [`shop-${watch}-1`, `shop-${watch}-2`, `shop-${watch}-3`], 'every slot exactly once, nothing left aside');
      for (const c of after) {
        assert.equal(c.state, 'running', c.name);
        assert.equal(c.labels['flotilla.commit'], sha, `${c.name} runs the new commit`);
      }
      return { sha, samples: sampler.samples, firstHealthy: sampler.firstHealthy };
    };

    await t.test('initial deploy of two 3-replica services', async () => {
      const since = performance.now();
      await reconcileExpecting(flotilla, 'success');
      t.diagnostic(`initial deploy of 6 replicas: ${seconds(since)}`);
      assert.equal(flotilla.status().lastGoodRevision, first);
      for (const node of fleet.nodes) assert.equal(await webBody(node, EDGE_PORT), WEB_BODY[WEB_HEALTHY]);
    });

    await t.test('start-first (parallelism 1, no fixed host port) never has fewer than 3 healthy replicas', async () => {
      const { sha, samples, firstHealthy } = await rollOut({ web: web(WEB_V2), edge: edge(WEB_HEALTHY) }, 'web-v2', 'web');
      await checkRollout(t, fleet, samples, firstHealthy, sha, { replicas: 3, parallelism: 1, floor: 3 }, commitOf);
      // The old replica kept serving next to its successor: 4 running at some point.
      assert.ok(samples.some((s) => runningCount(s) === 4), `start-first: the old and the new replica ran side by side:\n${timeline(samples, commitOf)}`);
      assert.ok(samples.every((s) => runningCount(s) <= 4), `never more than one extra replica (parallelism 1):\n${timeline(samples, commitOf)}`);
      for (const c of await serviceContainers(fleet, 'shop', 'web')) {
        const info = await dockerOf(fleet.node(c.node)).getContainer(c.id).inspect();
        assert.equal(info.Config.Image, WEB_V2, c.name);
      }
    });

    await t.test('stop-first (parallelism 2, fixed host port) never has fewer than replicas - parallelism = 1 healthy replica', async () => {
      const { sha, samples, firstHealthy } = await rollOut({ web: web(WEB_V2), edge: edge(WEB_V2) }, 'edge-v2', 'edge');
      await checkRollout(t, fleet, samples, firstHealthy, sha, { replicas: 3, parallelism: 2, floor: 1 }, commitOf);
      assert.ok(Math.min(...samples.map(healthyCount)) <= 2, `stop-first stops the old replicas first (a dip is expected):\n${timeline(samples, commitOf)}`);
      assert.ok(samples.every((s) => runningCount(s) <= 3), `stop-first never runs an old and a new replica side by side:\n${timeline(samples, commitOf)}`);
      for (const node of fleet.nodes) assert.equal(await webBody(node, EDGE_PORT), WEB_BODY[WEB_V2], `the replica on ${node.name} serves v2 on its host port`);
    });

    await t.test('start-first on a fixed host port degrades to stop-first (both copies cannot hold the port)', async () => {
      const { sha, samples, firstHealthy } = await rollOut({ web: web(WEB_V2), edge: edge(WEB_HEALTHY, 'start-first') }, 'edge-v1-start-first', 'edge');
      await checkRollout(t, fleet, samples, firstHealthy, sha, { replicas: 3, parallelism: 2, floor: 1 }, commitOf);
      assert.ok(samples.every((s) => runningCount(s) <= 3), `no second copy on the same port:\n${timeline(samples, commitOf)}`);
      for (const node of fleet.nodes) assert.equal(await webBody(node, EDGE_PORT), WEB_BODY[WEB_HEALTHY]);
    });

    await t.test('the way back honours rollback_config.order: start-first keeps 3 healthy replicas during a revert', async () => {
      // api goes forward all at once (stop-first) and back one at a time with start-first;
      // canary depends on api, so it fails only once api has fully rolled forward.
      const api = (image: string): Record<string, unknown> => {
        const x = service({ image, replicas: 3, parallelism: 0, order: 'stop-first' });
        (x.deploy as Record<string, unknown>).rollback_config = { parallelism: 1, monitor: `${MONITOR_MS / 1000}s`, order: 'start-first' };
        return x;
      };
      const canary = (image: string): Record<string, unknown> => service({ image, replicas: 1, dependsOn: ['api'] });
      const current = { web: web(WEB_V2), edge: edge(WEB_HEALTHY, 'start-first') };
      const good = await repo.commit(config({ ...current, api: api(WEB_HEALTHY), canary: canary(WEB_HEALTHY) }), 'add api and canary');
      names.set(good, 'api-v1');
      await reconcileExpecting(flotilla, 'success');
      const bad = await repo.commit(config({ ...current, api: api(WEB_V2), canary: canary(WEB_UNHEALTHY) }), 'api v2, canary broken');
      names.set(bad, 'api-v2');
      const sampler = new HealthSampler(fleet, 'api');
      const since = performance.now();
      try {
        await reconcileExpecting(flotilla, 'reverted');
      } finally {
        await new Promise((resolve) => setTimeout(resolve, 400));
        await sampler.stop();
      }
      t.diagnostic(`forward, canary failure and revert of api: ${seconds(since)}`);
      const samples = sampler.samples;
      // From the moment api stood fully on the bad commit and healthy, the revert starts first.
      const forwardDone = samples.findIndex((x) => x.containers.filter((c) => c.commit === bad && c.healthy).length === 3);
      assert.ok(forwardDone >= 0, `api rolled forward completely before the revert:\n${timeline(samples, commitOf)}`);
      const back = samples.slice(forwardDone);
      const min = Math.min(...back.map(healthyCount));
      t.diagnostic(`during the revert of api: healthy replicas min ${min}, running max ${Math.max(...back.map(runningCount))}`);
      assert.ok(back.some((x) => runningCount(x) === 4), `start-first on the way back: an old and a new replica side by side:\n${timeline(back, commitOf)}`);
      assert.ok(min >= 3, `healthy api replicas dropped to ${min} during the revert, although rollback_config.order is start-first:\n${timeline(back, commitOf)}`);
      const after = await serviceContainers(fleet, 'shop', 'api');
      assert.deepEqual(after.map((c) => [c.name, c.labels['flotilla.commit']]), [['shop-api-1', good], ['shop-api-2', good], ['shop-api-3', good]]);
    });
  } finally {
    closeFlotilla();
    await git.close();
    await fleet.stop();
  }
});
