// Benchmark of the daemon's memory: resident set size (RSS) of a real `flotilla run`
// process managing a desired state of 1,000 services (100 stacks x 10 services, 3 replicas
// each: 3,000 containers) on 10 nodes. Target (issue 14): at most 80 MB after several
// reconciles. The report ends with where the resident memory is, mapping by mapping.
//
// What is real and what is not:
//  - real: the daemon process (bin/flotilla.js run, default process metrics on), its Git
//    source cloning and fetching over smart HTTP from a real `git http-backend` server,
//    validation of every manifest, scheduling, planning, execution through EngineNode
//    (HTTP over unix sockets), health gates, status, metrics and state file, with the
//    daemon's default memory mode (lean; see src/cli/memory-mode.ts);
//  - synthetic: the 10 Docker engines. They are in-memory fakes of the Engine API
//    (test/support/fake-engine.ts) served from this benchmark process, so that 3,000
//    containers fit on one machine. Their memory is not the daemon's and is not counted.
//
// Phases: start and deploy all 3,000 containers from nothing; several steady-state
// reconciles (poll every 2 s); one commit changing one service (a new desired state is
// loaded and 3 replicas replaced); more steady-state reconciles. RSS is sampled from
// /proc/<pid>/status every 250 ms.
//
//   npm run bench:rss     (STACKS=… SERVICES_PER_STACK=… STEADY=… change the run;
//                          MEMORY_MODE=throughput runs the daemon with V8's own heap policy;
//                          DAEMON_NODE_OPTIONS=… passes NODE_OPTIONS to the daemon;
//                          HEAP_SNAPSHOT_DIR=… writes a heap snapshot of the daemon there
//                          after the first steady-state reconciles, for a breakdown by
//                          constructor: node /tmp/tools/… or Chrome DevTools)
import { readdirSync, readFileSync, rmSync, mkdtempSync, statSync } from 'node:fs';
import { stringify } from 'yaml';
import { startGitServer } from '../test/support/git-server.js';
import { startFakeEngine, type FakeEngine } from '../test/support/fake-engine.js';
import { startDaemon, metricValue, type Daemon } from '../test/support/flotilla.js';
import { missingRequirements } from '../test/support/requirements.js';

const STACKS = Number(process.env.STACKS ?? 100);
const SERVICES_PER_STACK = Number(process.env.SERVICES_PER_STACK ?? 10);
const REPLICAS = 3;
const NODES = 10;
const STEADY = Number(process.env.STEADY ?? 8);
const INTERVAL = process.env.INTERVAL ?? '2s';
const TARGET_MB = 80;
/** How often the benchmark reads /metrics or the status: a busy Prometheus, not a hot loop. */
const POLL_MS = 1_000;
const ZONES = ['a', 'b', 'c'];

function composeFor(stack: number, version: number): string {
  const services: Record<string, unknown> = {};
  for (let s = 0; s < SERVICES_PER_STACK; s++) {
    const name = `svc-${s}`;
    services[name] = {
      image: `registry.example.com/team-${stack % 17}/${name}:1.${s === 0 ? version : 0}.0`,
      command: ['serve', '--port', '8080'],
      environment: { SERVICE: name, STACK: `stack-${stack}`, LOG_LEVEL: 'info', FEATURE_FLAGS: 'a,b,c', DATABASE_URL: `postgres://db-${stack}.internal:5432/app` },
      ...(s === 0 ? { ports: [`${20000 + stack}:8080`] } : {}),
      labels: { team: `team-${stack % 17}`, tier: s === 0 ? 'edge' : 'backend' },
      healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1:8080/healthz'], interval: '10s', timeout: '3s', retries: 3 },
      ...(s > 0 ? { depends_on: ['svc-0'] } : {}),
      deploy: {
        replicas: REPLICAS,
        placement: { preferences: [{ spread: 'node.labels.zone' }], ...(s % 3 === 0 ? { constraints: ['node.labels.role!=db'] } : {}) },
        update_config: { parallelism: 1, monitor: '1s', order: 'start-first' },
        resources: { limits: { cpus: '0.5', memory: '128m' }, reservations: { memory: '16m' } },
      },
    };
  }
  return stringify({ services });
}

function clusterFor(engines: FakeEngine[]): string {
  return stringify({
    apiVersion: 'flotilla/v1alpha1',
    kind: 'Cluster',
    metadata: { name: 'rss' },
    spec: {
      nodes: engines.map((e, i) => ({ name: e.name, endpoint: e.endpoint, labels: { zone: ZONES[i % ZONES.length], role: i === NODES - 1 ? 'db' : 'app' } })),
      stacks: Array.from({ length: STACKS }, (_, i) => ({ name: `stack-${i}`, compose: `stacks/stack-${i}/compose.yaml` })),
      sync: { prune: true, selfHeal: true, revert: true },
    },
  });
}

/** Asks the daemon for a heap snapshot (SIGUSR2, see --heapsnapshot-signal) and waits until it is written. */
async function heapSnapshot(pid: number, dir: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let last = -1; ; ) {
    await new Promise((r) => setTimeout(r, 1_000));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    const size = statSync(`${dir}/${file}`).size;
    if (size > 0 && size === last) return console.log(`heap snapshot: ${dir}/${file} (${mb(size / 2 ** 20)})`);
    last = size;
  }
}

/** Resident memory of the process by what it is: the node binary's pages, anonymous memory (the V8 heap and its code), malloc's heap, libraries. */
function rssBreakdown(pid: number): string {
  const byMapping = new Map<string, number>();
  let name = '';
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (mapping) name = mapping[1] || '[anonymous: V8 heap, code, thread stacks]';
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss) byMapping.set(name, (byMapping.get(name) ?? 0) + Number(rss[1]) / 1024);
  }
  return [...byMapping].filter(([, v]) => v >= 0.5).sort((a, b) => b[1] - a[1]).map(([k, v]) => `  ${mb(v).padStart(9)}  ${k === '[heap]' ? '[heap] (malloc: native allocations of node, V8 compilers, OpenSSL, libuv)' : k}`).join('\n');
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

const mb = (x: number): string => `${x.toFixed(1)} MB`;

async function main(): Promise<void> {
  const missing = missingRequirements(['git']);
  if (missing.length > 0) throw new Error(`bench:rss needs ${missing.join(', ')}`);
  const services = STACKS * SERVICES_PER_STACK;
  console.log(`bench:rss — daemon RSS managing ${services} services x ${REPLICAS} replicas = ${services * REPLICAS} containers on ${NODES} nodes`);
  console.log('real: the flotilla run process, Git over smart HTTP, validation, planning, execution via EngineNode, status/metrics');
  console.log('synthetic: the Docker engines (in-memory fakes of the Engine API in the benchmark process, not counted)');
  const dir = mkdtempSync('/tmp/flotilla-rss-');
  const engines: FakeEngine[] = [];
  const git = await startGitServer();
  let daemon: Daemon | undefined;
  const samples: Array<{ at: number; phase: string; rss: number }> = [];
  let phase = 'start';
  let sampler: NodeJS.Timeout | undefined;
  try {
    for (let i = 0; i < NODES; i++) engines.push(await startFakeEngine(`node-${i}`, dir));
    await git.createRepo('config');
    const files: Record<string, string> = { 'clusters/rss/cluster.yaml': clusterFor(engines) };
    for (let i = 0; i < STACKS; i++) files[`stacks/stack-${i}/compose.yaml`] = composeFor(i, 0);
    const first = await git.commitFiles('config', files, 'a big cluster');

    const started = Date.now();
    const snapshotDir = process.env.HEAP_SNAPSHOT_DIR;
    const nodeOptions = [process.env.DAEMON_NODE_OPTIONS, snapshotDir ? `--heapsnapshot-signal=SIGUSR2 --diagnostic-dir=${snapshotDir}` : undefined].filter(Boolean).join(' ') || undefined;
    if (nodeOptions) console.log(`daemon NODE_OPTIONS: ${nodeOptions}`);
    const memoryMode = process.env.MEMORY_MODE;
    console.log(`daemon --memory-mode: ${memoryMode ?? 'default (lean)'}`);
    const extraArgs = ['--log-level', 'warn', ...(memoryMode ? ['--memory-mode', memoryMode] : [])];
    daemon = await startDaemon({ repoUrl: git.url('config'), interval: INTERVAL, extraArgs, ...(nodeOptions ? { env: { NODE_OPTIONS: nodeOptions } } : {}) });
    const pid = daemon.child.pid as number;
    sampler = setInterval(() => {
      try {
        samples.push({ at: Date.now() - started, phase, rss: rssMb(pid) });
      } catch {
        // the process is gone
      }
    }, 250);
    const d = daemon;
    const peak = (p: string): number => Math.max(...samples.filter((s) => s.phase === p).map((s) => s.rss));
    const reconcilesDone = async (): Promise<number> => {
      const text = await d.metrics();
      return ['success', 'unchanged', 'failed', 'error', 'invalid', 'paused', 'reverted'].reduce((n, r) => n + (metricValue(text, 'flotilla_reconcile_total', { result: r }) ?? 0), 0);
    };
    // Wall time of reconciles (their histogram) and the daemon's CPU, to show what the memory costs.
    const cost = async (): Promise<{ count: number; sum: number; cpu: number }> => {
      const text = await d.metrics();
      return {
        count: metricValue(text, 'flotilla_reconcile_duration_seconds_count') ?? NaN,
        sum: metricValue(text, 'flotilla_reconcile_duration_seconds_sum') ?? NaN,
        cpu: metricValue(text, 'process_cpu_seconds_total') ?? NaN,
      };
    };
    const perReconcile = (a: { count: number; sum: number; cpu: number }, b: { count: number; sum: number; cpu: number }): { wallMs: number; cpuMs: number } => {
      const n = Math.max(1, b.count - a.count);
      return { wallMs: ((b.sum - a.sum) / n) * 1000, cpuMs: ((b.cpu - a.cpu) / n) * 1000 };
    };
    const report = async (label: string): Promise<number> => {
      const rss = rssMb(pid);
      const text = await d.metrics();
      const m = (name: string): number => (metricValue(text, name) ?? metricValue(text, `flotilla_${name}`) ?? NaN) / 2 ** 20;
      console.log(`${label.padEnd(40)} RSS ${mb(rss).padStart(9)}  heap used/total ${mb(m('nodejs_heap_size_used_bytes'))}/${mb(m('nodejs_heap_size_total_bytes'))}  external ${mb(m('nodejs_external_memory_bytes'))}  reconciles ${await reconcilesDone()}`);
      return rss;
    };

    phase = 'deploy';
    await d.waitForStatus('the first commit applied', (s) => (s.appliedRevision === first ? true : s.lastError?.code === 'VALIDATION_FAILED' ? (() => { throw new Error(s.lastError?.message); })() : undefined), 600_000, POLL_MS);
    const containers = engines.reduce((n, e) => n + e.containerCount(), 0);
    console.log(`deployed ${containers} containers in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    await report('after the initial deploy');

    phase = 'steady';
    const steadyFrom = await cost();
    const waitReconciles = async (n: number): Promise<void> => {
      const target = (await reconcilesDone()) + n;
      const deadline = Date.now() + 120_000 + n * 10_000;
      while ((await reconcilesDone()) < target) {
        if (Date.now() > deadline) throw new Error(`fewer than ${n} reconciles in time\n${d.logTail()}`);
        await new Promise((r) => setTimeout(r, POLL_MS));
      }
    };
    for (let i = 1; i <= STEADY; i++) {
      await waitReconciles(1);
      if (i === 1 || i === STEADY || i % 4 === 0) await report(`after steady-state reconcile ${i}`);
      if (snapshotDir && i === 4) await heapSnapshot(pid, snapshotDir);
    }

    const steadyCost = perReconcile(steadyFrom, await cost());
    phase = 'change';
    const changed = await git.commitFiles('config', { 'stacks/stack-7/compose.yaml': composeFor(7, 1) }, 'stack-7/svc-0 v1.1');
    await d.waitForStatus('the change applied', (s) => (s.appliedRevision === changed ? true : undefined), 120_000, POLL_MS);
    await report('after a commit replacing 3 replicas');

    phase = 'steady-2';
    const steady2From = await cost();
    for (let i = 1; i <= STEADY; i++) await waitReconciles(1);
    const steady2Cost = perReconcile(steady2From, await cost());
    const final = await report(`after ${STEADY} more steady-state reconciles`);

    console.log(`resident memory of the daemon by mapping (/proc/${pid}/smaps):\n${rssBreakdown(pid)}`);
    const status = await d.status();
    console.log(`status: ${status.services.length} services, ${status.services.filter((s) => s.inSync).length} in sync, last reconcile ${status.lastReconcile?.durationMs} ms (${status.lastReconcile?.result})`);
    console.log('');
    console.log(`peak RSS while deploying 3,000 containers:   ${mb(peak('deploy'))}`);
    console.log(`peak RSS in steady state:                    ${mb(Math.max(peak('steady'), peak('steady-2')))}`);
    console.log(`peak RSS while applying a change:            ${mb(peak('change'))}`);
    console.log(`steady-state reconcile (mean):               ${steadyCost.wallMs.toFixed(0)} / ${steady2Cost.wallMs.toFixed(0)} ms wall, daemon CPU ${steadyCost.cpuMs.toFixed(0)} / ${steady2Cost.cpuMs.toFixed(0)} ms per reconcile (before / after the change; CPU includes serving the benchmark's /metrics and status reads)`);
    console.log(`RSS after ${2 * STEADY + 2}+ reconciles:                 ${mb(final)}  ${final <= TARGET_MB ? 'OK' : 'OVER'} (target <= ${TARGET_MB} MB; a bare \`node\` process idles at about 41 MB here)`);
  } finally {
    if (sampler) clearInterval(sampler);
    if (daemon) await daemon.dispose();
    await git.close();
    for (const e of engines) await e.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
