// Benchmark of convergence from nothing: 60 containers (20 services x 3 replicas) across
// three real Docker nodes (the integration fleet: real dockerd per network namespace),
// timed against a baseline in the same run that makes the same raw Docker Engine API calls
// (create the stack network, then create + start each container, with the same request
// bodies) with the same parallelism: at most 8 create+start pairs in flight per node, as
// the executor's per-node limit. Target: Flotilla within 1.3x of the baseline.
//
// Flotilla is timed end to end, one full reconcile as the daemon runs it (Git fetch,
// validation, observation, plan, execution, the observation after), each repetition on a
// fresh state dir against nodes cleaned of everything. Two Flotilla variants:
//   gate     the health gate on, as `flotilla run` uses it (no healthcheck, monitor 0s: a
//            replica counts once Docker reports it running);
//   no-gate  the health gate off (what `flotilla apply` with no gate would do).
// Plus, for information only, one run of the same stack with a 1 s healthcheck and
// monitor 1s, as a user would write it (not comparable with the baseline, which waits
// for nothing).
//
//   npm run bench:converge     (REPS=… SERVICES=… REPLICAS=… change the run; needs root and dockerd)
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { buildApp } from '../src/app.js';
import { silentLogger } from '../src/log.js';
import { loadDesiredState } from '../src/manifests/load.js';
import { plan } from '../src/reconcile/plan/planner.js';
import type { CreateAction, EnsureNetworkAction } from '../src/reconcile/plan/actions.js';
import { EngineNode } from '../src/docker/engine-node.js';
import type { ContainerCreateBody, ObservedNode } from '../src/docker/types.js';
import { openGitSource } from '../src/sync/git-source.js';
import { startFleet, type Fleet, type FleetNode } from '../test/support/fleet.js';
import { loadImages, WEB_HEALTHY } from '../test/support/images.js';
import { startGitServer } from '../test/support/git-server.js';
import { ConfigRepo, fleetClusterNodes, webService } from '../test/support/config-repo.js';
import { missingRequirements } from '../test/support/requirements.js';

const REPS = Number(process.env.REPS ?? 5);
const SERVICES = Number(process.env.SERVICES ?? 20);
const REPLICAS = Number(process.env.REPLICAS ?? 3);
const PER_NODE = 8;
const TARGET_RATIO = 1.3;

interface NodeWork {
  node: FleetNode;
  networks: EnsureNetworkAction['network'][];
  containers: Array<{ name: string; body: ContainerCreateBody }>;
}

function stackDoc(userHealth: boolean): object {
  const services: Record<string, unknown> = {};
  for (let i = 1; i <= SERVICES; i++) {
    const name = `svc-${String(i).padStart(2, '0')}`;
    services[name] = webService({ replicas: REPLICAS, healthcheck: userHealth, monitor: userHealth ? '1s' : '0s', parallelism: 0 });
  }
  return { services };
}

// ---- the baseline: raw Engine API requests over each node's socket --------------------

function raw(node: FleetNode, agent: Agent, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request({ socketPath: node.socketPath, agent, method, path: `/v1.41${path}`, headers: { Host: 'docker', ...(payload ? { 'Content-Type': 'application/json', 'Content-Length': payload.length } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function limitedAll<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++] as T);
  }));
}

async function baseline(work: NodeWork[]): Promise<void> {
  await Promise.all(work.map(async (w) => {
    const agent = new Agent({ keepAlive: true });
    try {
      for (const n of w.networks) {
        const res = await raw(w.node, agent, 'POST', '/networks/create', { Name: n.name, CheckDuplicate: true, Internal: n.internal, Labels: n.labels });
        // 409: it exists already, which the executor takes as success too.
        if (res.status !== 201 && res.status !== 200 && res.status !== 409) throw new Error(`network ${n.name}: ${res.status} ${res.text}`);
      }
      await limitedAll(w.containers, PER_NODE, async (c) => {
        const created = await raw(w.node, agent, 'POST', `/containers/create?name=${encodeURIComponent(c.name)}`, c.body);
        if (created.status !== 201) throw new Error(`create ${c.name}: ${created.status} ${created.text}`);
        const id = (JSON.parse(created.text) as { Id: string }).Id;
        const started = await raw(w.node, agent, 'POST', `/containers/${id}/start`);
        if (started.status !== 204) throw new Error(`start ${c.name}: ${started.status} ${started.text}`);
      });
    } finally {
      agent.destroy();
    }
  }));
}

// ---- helpers -------------------------------------------------------------------------

/** Removes every container and network a run made, and checks that they are gone. */
async function cleanNodes(fleet: Fleet): Promise<void> {
  await Promise.all(fleet.nodes.map(async (node) => {
    const agent = new Agent({ keepAlive: true });
    try {
      for (let attempt = 1; ; attempt++) {
        const list = JSON.parse((await raw(node, agent, 'GET', '/containers/json?all=1')).text) as Array<{ Id: string }>;
        await limitedAll(list, 8, async (c) => void (await raw(node, agent, 'DELETE', `/containers/${c.Id}?force=1&v=1`)));
        const networks = (JSON.parse((await raw(node, agent, 'GET', '/networks')).text) as Array<{ Id: string; Name: string }>).filter((n) => !['bridge', 'host', 'none'].includes(n.Name));
        for (const n of networks) await raw(node, agent, 'DELETE', `/networks/${n.Id}`);
        if (list.length === 0 && networks.length === 0) return;
        if (attempt === 10) throw new Error(`${node.name}: could not clean up (${list.length} containers, ${networks.length} networks left)`);
      }
    } finally {
      agent.destroy();
    }
  }));
}

async function runningCount(fleet: Fleet): Promise<number> {
  const counts = await Promise.all(fleet.nodes.map(async (node) => {
    const agent = new Agent();
    const list = JSON.parse((await raw(node, agent, 'GET', '/containers/json')).text) as unknown[];
    agent.destroy();
    return list.length;
  }));
  return counts.reduce((a, b) => a + b, 0);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

const ms = (x: number): string => `${x.toFixed(0).padStart(6)} ms`;

// ---- main ----------------------------------------------------------------------------

async function main(): Promise<void> {
  const missing = missingRequirements(['root', 'docker', 'git']);
  if (missing.length > 0) {
    console.error(`bench:converge needs a real fleet: missing ${missing.join(', ')}`);
    process.exit(1);
  }
  const total = SERVICES * REPLICAS;
  console.log(`bench:converge — ${SERVICES} services x ${REPLICAS} replicas = ${total} containers on 3 real dockerd nodes, ${REPS} repetitions`);
  console.log(`machine: ${availableParallelism()} cores, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}; per-node concurrency ${PER_NODE} (executor default)`);
  const fleet = await startFleet({ nodes: 3, name: 'bench-converge' });
  const git = await startGitServer();
  const scratch = mkdtempSync('/tmp/flotilla-bench-');
  try {
    await loadImages(fleet, [WEB_HEALTHY]);
    const nodes = fleetClusterNodes(fleet);
    const { repo } = await ConfigRepo.create(git, 'bench', { name: 'bench', nodes, stacks: { bench: stackDoc(false) } });
    const { repo: userRepo } = await ConfigRepo.create(git, 'bench-user', { name: 'bench', nodes, stacks: { bench: stackDoc(true) } });

    // The exact bodies Flotilla will send, from its own plan of the same commit.
    const source = openGitSource({ repo: repo.url, branch: 'main', stateDir: scratch });
    const loaded = await loadDesiredState(await source.reader((await source.fetch()).revision));
    if (!loaded.state) throw new Error(`bench config invalid: ${JSON.stringify(loaded.problems)}`);
    const observed: ObservedNode[] = await Promise.all(fleet.nodes.map(async (n) => ({ name: n.name, up: true, facts: await EngineNode.fromSpec({ name: n.name, endpoint: n.endpoint }).info(), containers: [] })));
    const p = plan(loaded.state, { nodes: observed }, { selfHeal: true, prune: true, commit: 'baseline', mode: 'sync' });
    const work: NodeWork[] = fleet.nodes.map((node) => ({
      node,
      networks: p.actions.filter((a): a is EnsureNetworkAction => a.type === 'ensure-network' && a.node === node.name).map((a) => a.network),
      containers: p.actions.filter((a): a is CreateAction => a.type === 'create' && a.node === node.name).map((a) => ({ name: a.container.name, body: a.container.body })),
    }));
    console.log(`placement: ${work.map((w) => `${w.node.name} ${w.containers.length}`).join(', ')}`);
    if (work.reduce((n, w) => n + w.containers.length, 0) !== total) throw new Error('the plan does not create every container');

    const flotillaRun = async (url: string, healthGate: boolean): Promise<{ ms: number; result: string }> => {
      const stateDir = mkdtempSync('/tmp/flotilla-bench-');
      try {
        const app = await buildApp({ repo: url, branch: 'main', stateDir, nodeGraceMs: 60_000, healthGate, defaultMetrics: false, log: silentLogger() });
        const t0 = performance.now();
        const result = await app.reconciler.reconcile({ reasons: ['bench'], signal: AbortSignal.timeout(600_000) });
        const error = app.reconciler.status().lastError;
        const why = error ? `: ${error.message.length > 240 ? `${error.message.slice(0, 240)}…` : error.message}` : '';
        return { ms: performance.now() - t0, result: `${result}${why}` };
      } finally {
        rmSync(stateDir, { recursive: true, force: true });
      }
    };
    const variants: Record<string, () => Promise<number>> = {
      baseline: async () => {
        const t0 = performance.now();
        await baseline(work);
        return performance.now() - t0;
      },
      gate: async () => {
        const r = await flotillaRun(repo.url, true);
        if (r.result !== 'success') throw new Error(`flotilla (gate) ended ${r.result}`);
        return r.ms;
      },
      'no-gate': async () => {
        const r = await flotillaRun(repo.url, false);
        if (r.result !== 'success') throw new Error(`flotilla (no gate) ended ${r.result}`);
        return r.ms;
      },
    };

    // Warm-up (schema compile, first clone, page cache): not counted.
    await cleanNodes(fleet);
    await variants.gate?.();
    const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
    const names = Object.keys(variants);
    for (let rep = 0; rep < REPS; rep++) {
      // Rotate the order so that no variant always runs right after the same one.
      const order = names.map((_, i) => names[(i + rep) % names.length] as string);
      const line: string[] = [];
      for (const name of order) {
        await cleanNodes(fleet);
        const took = await (variants[name] as () => Promise<number>)();
        const running = await runningCount(fleet);
        if (running !== total) throw new Error(`${name}: ${running} containers running, expected ${total}`);
        times[name]?.push(took);
        line.push(`${name} ${ms(took)}`);
      }
      console.log(`rep ${rep + 1}: ${line.join('  ')}`);
    }
    await cleanNodes(fleet);
    const user = await flotillaRun(userRepo.url, true);
    await cleanNodes(fleet);

    const base = median(times.baseline as number[]);
    console.log('');
    console.log(`median baseline (raw API create+start): ${ms(base)}`);
    for (const name of ['gate', 'no-gate']) {
      const m = median(times[name] as number[]);
      console.log(`median flotilla ${name.padEnd(8)}          : ${ms(m)}  ratio ${(m / base).toFixed(2)}x  ${m / base <= TARGET_RATIO ? 'OK' : 'OVER'} (target <= ${TARGET_RATIO}x)`);
    }
    console.log(`informational: flotilla with a 1 s healthcheck (2 s timeout) and monitor 1s, as users write it: ${ms(user.ms)} (${user.result})`);
    console.log('  (waits for every replica to be healthy, so not comparable with the baseline; on a loaded machine the 2 s probe timeout can fail replicas)');
  } finally {
    rmSync(scratch, { recursive: true, force: true });
    await git.close();
    await fleet.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
