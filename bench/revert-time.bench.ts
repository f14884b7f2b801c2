// Benchmark of the way back (issue 4): the time from the first failed health check of a bad
// commit to the last good commit fully restored, for a 3-replica service on three real
// Docker nodes (the integration fleet), Flotilla in process as one daemon poll runs it.
//
//   t0        the first failed healthcheck probe of a bad replica: Docker's `exec_die` event
//             with a non-zero exit code (the clock is the host's, shared by every node)
//   detected  Flotilla's executor reports the replica failed: its health gate's verdict, sent
//             once the failed replica's predecessor has been put back (renamed and started)
//   returned  the reconcile returns `reverted`
//   restored  the first moment from which every replica runs the last good commit (its
//             commit label), Docker says healthy, and nothing is left renamed aside; read by
//             listing every node every 100 ms
//
// Scenarios (every healthcheck: interval 1 s, 2 retries; update_config.monitor 1 s):
//   one-batch  a bad image, update_config parallelism 1: the first replica fails, is put
//              back at once, nothing else had changed
//   all-at-once  a bad image, parallelism 0: all three replicas fail together and are put back
//   rolled-back  web rolled all 3 replicas forward (healthy), then `worker` (depends_on web)
//              fails: the revert re-rolls web's 3 replicas with rollback_config, which is
//              Swarm-like defaults (parallelism 1, monitor 5 s) ...
//   rolled-back-fast  ... or rollback_config monitor 1 s
//
//   npm run bench:revert      (RUNS=… runs per scenario, default 3; SCENARIOS=one-batch,…)
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import Docker from 'dockerode';
import { buildApp, type App } from '../src/app.js';
import { silentLogger } from '../src/log.js';
import type { ExecutorEvent } from '../src/reconcile/execute/execution-types.js';
import { startFleet, type Fleet } from '../test/support/fleet.js';
import { loadImages, WEB_HEALTHY, WEB_UNHEALTHY, WEB_V2 } from '../test/support/images.js';
import { startGitServer } from '../test/support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService, type ClusterConfig } from '../test/support/config-repo.js';
import { missingRequirements } from '../test/support/requirements.js';

const RUNS = Math.max(1, Number(process.env.RUNS ?? 3));
const ALL = ['one-batch', 'all-at-once', 'rolled-back', 'rolled-back-fast'] as const;
type Scenario = (typeof ALL)[number];
const SCENARIOS = (process.env.SCENARIOS ? process.env.SCENARIOS.split(',') : [...ALL]) as Scenario[];

interface Run {
  scenario: Scenario;
  t0: number;
  unhealthy?: number;
  detected?: number;
  revertStarted?: number;
  returned: number;
  restored: number;
  result: string;
}

/** Docker events of every node, kept with their host-clock time. */
class EventLog {
  readonly events: Array<{ at: number; node: string; action: string; image: string; exitCode?: string }> = [];
  private readonly streams: NodeJS.ReadableStream[] = [];

  async start(fleet: Fleet): Promise<void> {
    for (const node of fleet.nodes) {
      const stream = (await new Docker({ socketPath: node.socketPath }).getEvents({ filters: { type: ['container'] } })) as NodeJS.ReadableStream;
      let buffered = '';
      stream.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) {
          if (!line.trim()) continue;
          const e = JSON.parse(line) as { Action: string; timeNano: number; Actor: { Attributes: Record<string, string> } };
          this.events.push({ at: e.timeNano / 1e6, node: node.name, action: e.Action, image: e.Actor.Attributes.image ?? '', ...(e.Actor.Attributes.exitCode !== undefined ? { exitCode: e.Actor.Attributes.exitCode } : {}) });
        }
      });
      this.streams.push(stream);
    }
  }

  stop(): void {
    for (const s of this.streams) (s as unknown as { destroy(): void }).destroy();
  }
}

/** Lists every node every `everyMs` and remembers when the fleet was, or was not, restored. */
class RestoreWatch {
  private readonly samples: Array<{ at: number; restored: boolean }> = [];
  private running = true;
  private loop: Promise<void> | undefined;

  constructor(private readonly fleet: Fleet, private readonly expected: Record<string, number>) {}

  start(good: () => string): void {
    const clients = this.fleet.nodes.map((n) => new Docker({ socketPath: n.socketPath }));
    this.loop = (async () => {
      while (this.running) {
        const lists = await Promise.all(clients.map((c) => c.listContainers({ all: true, filters: { label: ['flotilla.managed=true'] } })));
        const at = Date.now();
        const all = lists.flat();
        const sha = good();
        const ok =
          all.every((c) => c.Labels['flotilla.commit'] === sha && c.State === 'running' && /\(healthy\)/.test(c.Status) && !c.Names.some((n) => n.includes('flotilla-old'))) &&
          Object.entries(this.expected).every(([svc, n]) => all.filter((c) => c.Labels['flotilla.service'] === svc).length === n);
        this.samples.push({ at, restored: ok });
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
  }

  /** The first sample after `since` from which the fleet stayed restored to the end. */
  restoredAt(since: number): number | undefined {
    let candidate: number | undefined;
    for (const s of this.samples) {
      if (s.at < since) continue;
      if (s.restored) candidate ??= s.at;
      else candidate = undefined;
    }
    return candidate;
  }

  async waitRestored(since: number, timeoutMs = 60_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const at = this.restoredAt(since);
      const last = this.samples.at(-1);
      if (at !== undefined && last && last.at - at >= 1000) return at; // and it stays so for a second
      if (Date.now() > deadline) throw new Error('the fleet was not restored within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }
}

function service(o: { gen: number; image?: string; replicas: number; parallelism: number; rollbackMonitor?: string; dependsOn?: string[] }): Record<string, unknown> {
  const s = webService({ image: o.image ?? WEB_HEALTHY, replicas: o.replicas, parallelism: o.parallelism, monitor: '1s', order: 'stop-first', environment: { GEN: String(o.gen) }, ...(o.dependsOn ? { dependsOn: o.dependsOn } : {}) });
  if (o.rollbackMonitor) (s.deploy as Record<string, unknown>).rollback_config = { parallelism: 1, monitor: o.rollbackMonitor, order: 'stop-first' };
  return s;
}

/** The good and the bad cluster of a scenario at generation `gen`. */
function stacks(scenario: Scenario, gen: number, bad: boolean): Record<string, unknown> {
  switch (scenario) {
    case 'one-batch':
    case 'all-at-once': {
      const parallelism = scenario === 'one-batch' ? 1 : 0;
      return { web: service({ gen, replicas: 3, parallelism, ...(bad ? { image: WEB_UNHEALTHY } : {}) }) };
    }
    case 'rolled-back':
    case 'rolled-back-fast': {
      const rollbackMonitor = scenario === 'rolled-back-fast' ? '1s' : undefined;
      return {
        web: service({ gen, replicas: 3, parallelism: 1, ...(rollbackMonitor ? { rollbackMonitor } : {}), ...(bad ? { image: WEB_V2 } : {}) }),
        worker: service({ gen, replicas: 1, parallelism: 1, dependsOn: ['web'], ...(rollbackMonitor ? { rollbackMonitor } : {}), ...(bad ? { image: WEB_UNHEALTHY } : {}) }),
      };
    }
  }
}

const s = (ms: number | undefined): string => (ms === undefined ? '   -  ' : `${(ms / 1000).toFixed(2).padStart(6)}`);

function median(xs: number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git']);
  if (missing.length) {
    console.error(`bench:revert needs: ${missing.join(', ')}`);
    process.exit(1);
  }
  console.log(`revert time, 3 replicas on 3 real Docker nodes; ${RUNS} run(s) per scenario; ${availableParallelism()} CPUs, load ${loadavg()[0]?.toFixed(2)}`);
  const fleet = await startFleet({ nodes: 3, name: 'bench-revert' });
  const git = await startGitServer();
  const events = new EventLog();
  const runs: Run[] = [];
  try {
    await loadImages(fleet);
    await events.start(fleet);
    for (const scenario of SCENARIOS) {
      const config = (gen: number, bad: boolean): ClusterConfig => ({ name: 'bench', nodes: fleetClusterNodes(fleet), stacks: { shop: { services: stacks(scenario, gen, bad) } } });
      const repoName = `config-${scenario}`;
      const { repo } = await ConfigRepo.create(git, repoName, config(1, false));
      const stateDir = mkdtempSync('/tmp/flotilla-bench-revert-');
      const executorEvents: Array<{ at: number; e: ExecutorEvent }> = [];
      let app: App | undefined;
      try {
        app = await buildApp({ repo: repo.url, branch: 'main', stateDir, nodeGraceMs: 60_000, healthGate: true, defaultMetrics: false, log: silentLogger(), onEvent: (e) => executorEvents.push({ at: Date.now(), e }) });
        const reconcile = (): Promise<string> => (app as App).reconciler.reconcile({ reasons: ['bench'], signal: AbortSignal.timeout(180_000) });
        const first = await reconcile();
        if (first !== 'success') throw new Error(`${scenario}: the first deploy ended ${first}`);
        const expected = Object.fromEntries(Object.entries(stacks(scenario, 1, false)).map(([name, svc]) => [name, ((svc as { deploy: { replicas: number } }).deploy.replicas)]));
        for (let i = 0; i < RUNS; i++) {
          const gen = 1 + i;
          // A fresh good commit first (so that each run reverts to a commit of its own)...
          if (i > 0) {
            await repo.commit(config(gen, false), `good ${gen}`);
            const r = await reconcile();
            if (r !== 'success') throw new Error(`${scenario}: good commit ${gen} ended ${r}`);
          }
          const good = (app as App).reconciler.status().lastGoodRevision as string;
          // ... then the bad one.
          const watch = new RestoreWatch(fleet, expected);
          watch.start(() => good);
          const pushed = Date.now();
          await repo.commit(config(gen, true), `bad ${gen}`);
          executorEvents.length = 0;
          const result = await reconcile();
          const returned = Date.now();
          const failedProbe = events.events.find((e) => e.at >= pushed && e.action === 'exec_die' && e.image === WEB_UNHEALTHY && e.exitCode !== '0');
          if (!failedProbe) throw new Error(`${scenario}: no failed health check seen (result ${result})`);
          const t0 = failedProbe.at;
          const restored = await watch.waitRestored(t0);
          await watch.stop();
          const unhealthy = events.events.find((e) => e.at >= t0 && e.action === 'health_status: unhealthy')?.at;
          const detectedAt = executorEvents.find((x) => x.e.phase === 'failed')?.at;
          // The way back starts with the first action after the failure that is not the failed one's own restore.
          const revertStarted = detectedAt !== undefined ? executorEvents.find((x) => x.at > detectedAt && x.e.phase === 'start')?.at : undefined;
          const run: Run = { scenario, t0, returned, restored, result, ...(unhealthy ? { unhealthy } : {}), ...(detectedAt ? { detected: detectedAt } : {}), ...(revertStarted ? { revertStarted } : {}) };
          runs.push(run);
          console.log(
            `${scenario.padEnd(17)} run ${i + 1}: ${result.padEnd(9)} restored ${s(restored - t0)} s after the first failed check` +
              ` (Docker unhealthy +${s(run.unhealthy && run.unhealthy - t0)}, failed replica put back +${s(run.detected && run.detected - t0)},` +
              ` way back starts +${s(run.revertStarted && run.revertStarted - t0)}, reconcile returns +${s(returned - t0)})`,
          );
        }
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
      // Leave nothing of this scenario on the nodes for the next one.
      await Promise.all(
        fleet.nodes.map(async (node) => {
          const docker = new Docker({ socketPath: node.socketPath });
          for (const c of await docker.listContainers({ all: true, filters: { label: ['flotilla.managed=true'] } })) await docker.getContainer(c.Id).remove({ force: true });
        }),
      );
    }
  } finally {
    events.stop();
    await git.close();
    await fleet.stop();
  }
  console.log('\nfirst failed health check -> last good commit fully restored (healthy), seconds:');
  for (const scenario of SCENARIOS) {
    const mine = runs.filter((r) => r.scenario === scenario);
    if (!mine.length) continue;
    const restored = mine.map((r) => r.restored - r.t0);
    const detect = mine.map((r) => (r.detected ?? r.t0) - r.t0);
    console.log(`  ${scenario.padEnd(17)} median ${s(median(restored))}  min ${s(Math.min(...restored))}  max ${s(Math.max(...restored))}   (failed replica put back after median ${s(median(detect))})`);
  }
}

await main();
