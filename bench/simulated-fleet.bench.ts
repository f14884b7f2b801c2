// Scale by simulation, beyond what one machine can run for real: one reconcile cycle of the
// real reconciler (`flotilla apply`, a child process: Git-less directory repo, validation,
// observation of every node, scheduling, planning, execution through EngineNode over unix
// sockets, health gates) against 10, 50 and 100 simulated nodes with 5,000 services.
//
// What is real and what is not:
//  - real: the whole `flotilla apply` process and everything it does;
//  - synthetic: the Docker engines, in-memory fakes of the Engine API
//    (test/support/fake-engine.ts) served from this benchmark process (answering
//    /containers/json, /info, create/start/inspect, networks, volumes). Containers "run" at
//    once, so the figures are the controller's own cost, not Docker's.
//
// Per node count, two cycles: a first deploy onto empty nodes (every replica created), then
// a steady cycle (everything in sync: one container list and one /info per node). Printed:
// cycle time, Docker API calls (from the fakes' request counts, by route), peak RSS of the
// controller (VmHWM), and how each grows from 10 to 100 nodes.
//
//   npm run bench:sim     (SERVICES=… changes the fleet size; NODE_COUNTS=10,50,100 the node counts;
//                          REPLICAS=… replicas per service, default 1;
//                          CPU_PROF_DIR=dir writes a V8 CPU profile of each steady cycle there)
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { startFakeEngine, type FakeEngine } from '../test/support/fake-engine.js';

const SERVICES = Number(process.env.SERVICES ?? 5000);
const REPLICAS = Number(process.env.REPLICAS ?? 1);
const NODE_COUNTS = (process.env.NODE_COUNTS ?? '10,50,100').split(',').map(Number);
const SERVICES_PER_STACK = 10;
const ZONES = ['a', 'b', 'c'];
const BIN = new URL('../../bin/flotilla.js', import.meta.url).pathname;
// Node refuses --cpu-prof in NODE_OPTIONS, so the profile is asked for on the child's command line.
const CPU_PROF_DIR = process.env.CPU_PROF_DIR;

function compose(stack: number): string {
  const services: Record<string, unknown> = {};
  for (let s = 0; s < SERVICES_PER_STACK; s++) {
    services[`svc-${s}`] = {
      image: `registry.example.com/team-${stack % 17}/svc-${s}:1.0.0`,
      environment: { STACK: `stack-${stack}`, LOG_LEVEL: 'info' },
      labels: { team: `team-${stack % 17}` },
      ...(s === 0 ? { ports: [`${20000 + stack}:8080`] } : {}),
      ...(s > 0 ? { depends_on: ['svc-0'] } : {}),
      deploy: {
        replicas: REPLICAS,
        placement: { preferences: [{ spread: 'node.labels.zone' }] },
        // The fakes' containers are healthy at once: no reason to wait seconds per batch.
        update_config: { monitor: '0s' },
        resources: { reservations: { memory: '16m' } },
      },
    };
  }
  return stringify({ services });
}

function writeRepo(dir: string, engines: FakeEngine[]): void {
  const stacks = Math.ceil(SERVICES / SERVICES_PER_STACK);
  mkdirSync(join(dir, 'clusters/sim'), { recursive: true });
  writeFileSync(join(dir, 'clusters/sim/cluster.yaml'), stringify({
    apiVersion: 'flotilla/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'sim' },
    spec: {
      nodes: engines.map((e, i) => ({ name: e.name, endpoint: e.endpoint, labels: { zone: ZONES[i % ZONES.length] } })),
      stacks: Array.from({ length: stacks }, (_, i) => ({ name: `stack-${i}`, compose: `stacks/stack-${i}/compose.yaml` })),
      sync: { prune: true, selfHeal: true, revert: true },
    },
  }));
  for (let i = 0; i < stacks; i++) {
    mkdirSync(join(dir, `stacks/stack-${i}`), { recursive: true });
    writeFileSync(join(dir, `stacks/stack-${i}/compose.yaml`), compose(i));
  }
}

interface Cycle {
  ms: number;
  exitCode: number | null;
  peakRssMb: number;
  calls: number;
  byRoute: Map<string, number>;
}

function totalRequests(engines: FakeEngine[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const e of engines) for (const [route, n] of e.requests) out.set(route, (out.get(route) ?? 0) + n);
  return out;
}

/** One `flotilla apply`; peak RSS is the child's VmHWM, read until it exits. */
async function applyOnce(repo: string, stateDir: string, engines: FakeEngine[], profile = false): Promise<Cycle> {
  const before = totalRequests(engines);
  const started = Date.now();
  const node = profile && CPU_PROF_DIR ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF_DIR] : [];
  const child = spawn(process.execPath, [...node, BIN, 'apply', '--repo', repo, '--path', 'clusters/sim', '--state-dir', stateDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FLOTILLA_LOG_LEVEL: 'warn' } });
  let tail = '';
  // The first lines that say why, when a cycle does not converge (the tail is mostly per-service status).
  const why: string[] = [];
  const keep = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-2000);
    for (const line of text.split('\n')) if (why.length < 15 && /fail|error|timed? ?out|unhealthy|refused|revert/i.test(line)) why.push(line.slice(0, 300));
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let peakKb = 0;
  const sample = (): void => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peakKb = Math.max(peakKb, Number(m[1]));
    } catch {
      // exited
    }
  };
  const sampler = setInterval(sample, 50);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  clearInterval(sampler);
  const ms = Date.now() - started;
  if (exitCode !== 0) console.log(`  flotilla apply exited ${exitCode}; first lines that say why:\n${why.join('\n')}\n  last output:\n${tail.split('\n').slice(-5).join('\n')}`);
  const after = totalRequests(engines);
  const byRoute = new Map<string, number>();
  for (const [route, n] of after) if (n - (before.get(route) ?? 0) > 0) byRoute.set(route, n - (before.get(route) ?? 0));
  return { ms, exitCode, peakRssMb: peakKb / 1024, calls: [...byRoute.values()].reduce((a, b) => a + b, 0), byRoute };
}

function describe(c: Cycle): string {
  const routes = [...c.byRoute].sort((a, b) => b[1] - a[1]).map(([r, n]) => `${r} ${n}`).join(', ');
  return `${(c.ms / 1000).toFixed(2).padStart(7)} s  ${String(c.calls).padStart(6)} Docker calls  peak RSS ${c.peakRssMb.toFixed(1).padStart(6)} MB  exit ${c.exitCode}\n      (${routes})`;
}

async function main(): Promise<void> {
  console.log(`bench:sim — one reconcile of the real reconciler (flotilla apply), ${SERVICES} services x ${REPLICAS} replica(s), against ${NODE_COUNTS.join(', ')} simulated nodes`);
  const results = new Map<number, { deploy: Cycle; steady: Cycle }>();
  for (const nodes of NODE_COUNTS) {
    const dir = mkdtempSync('/tmp/flotilla-sim-');
    const engines: FakeEngine[] = [];
    try {
      for (let i = 0; i < nodes; i++) engines.push(await startFakeEngine(`node-${i}`, dir));
      const repo = join(dir, 'repo');
      writeRepo(repo, engines);
      const stateDir = join(dir, 'state');
      const deploy = await applyOnce(repo, stateDir, engines);
      const containers = engines.reduce((n, e) => n + e.containerCount(), 0);
      const steady = await applyOnce(repo, stateDir, engines, true);
      results.set(nodes, { deploy, steady });
      console.log(`${String(nodes).padStart(4)} nodes, ${containers} containers`);
      console.log(`  first deploy: ${describe(deploy)}`);
      console.log(`  steady cycle: ${describe(steady)}`);
    } finally {
      for (const e of engines) await e.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const first = results.get(NODE_COUNTS[0] as number);
  const last = results.get(NODE_COUNTS[NODE_COUNTS.length - 1] as number);
  if (first && last && first !== last) {
    const x = (a: number, b: number): string => `x${(b / a).toFixed(2)}`;
    console.log(`growth ${NODE_COUNTS[0]} -> ${NODE_COUNTS[NODE_COUNTS.length - 1]} nodes (x${((NODE_COUNTS[NODE_COUNTS.length - 1] as number) / (NODE_COUNTS[0] as number)).toFixed(1)}):`);
    for (const kind of ['deploy', 'steady'] as const) {
      console.log(`  ${kind.padEnd(7)} cycle time ${x(first[kind].ms, last[kind].ms)}, Docker calls ${x(first[kind].calls, last[kind].calls)}, peak RSS ${x(first[kind].peakRssMb, last[kind].peakRssMb)}`);
    }
  }
  if ([...results.values()].some((r) => r.deploy.exitCode !== 0 || r.steady.exitCode !== 0)) process.exitCode = 1;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
