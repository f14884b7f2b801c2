// Benchmark of scheduling + planning: the daemon plans on every reconcile (poll, webhook,
// Docker event), so a plan of a large fleet must cost milliseconds, and grow linearly with
// it. Targets (issue 14): 1,000 services x 3 replicas on 10 nodes, mostly in sync with
// some drift, plans in a median of at most 10 ms on one core, and 4,000 services cost at
// most 4.5 times as much (near linear). The target is judged on the CPU time of the
// process (what a plan costs), because on a shared machine the elapsed time mostly
// measures the neighbours; both are printed.
//
// The fleet is synthetic: stacks of four services (one with a fixed host port, some with
// constraints, spread over zones, reservations), observed as if the previous plan had been
// applied, then drifted: stopped, outdated, removed replicas and unmanaged squatters.
//
//   npm run bench:plan     (RUNS=… changes the run count; SIZES=250,1000 the fleet sizes;
//                           SCENARIOS=steady only that scenario;
//                           PHASES=1000 adds a per-step breakdown at that size)
import { cpus, loadavg } from 'node:os';
import type { DesiredState } from '../src/manifests/model.js';
import type { ObservedState } from '../src/docker/types.js';
import { plan } from '../src/reconcile/plan/planner.js';
import { desiredFleet, FLEET_PLAN_OPTIONS as OPTIONS, observedFleet } from './synthetic-fleet.js';
import { compileCatalog, forgetSpecHashes } from '../src/reconcile/plan/catalog.js';
import { indexObserved } from '../src/reconcile/plan/observed-index.js';
import { scheduleCatalog } from '../src/reconcile/plan/scheduler.js';
import { assessDrift } from '../src/reconcile/plan/drift.js';
import { draftActions } from '../src/reconcile/plan/draft-actions.js';
import { orderForExecution } from '../src/reconcile/plan/action-order.js';
import { findConflicts } from '../src/reconcile/plan/conflicts.js';

const SIZES = (process.env.SIZES ?? '250,1000,4000').split(',').map(Number);
const RUNS = Math.max(15, Number(process.env.RUNS ?? 15));
const WARMUP = 5;
const NODES = 10;
const TARGET_MS = 10;
const TARGET_GROWTH = 4.5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

interface Timing {
  wall: number;
  cpu: number;
}

/** Wall and CPU time of one call: on a shared machine the CPU time is the steadier figure. */
function timed(fn: () => void): Timing {
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  fn();
  const used = process.cpuUsage(cpu);
  return { wall: Number(process.hrtime.bigint() - started) / 1e6, cpu: (used.user + used.system) / 1000 };
}

type Scenario = 'steady' | 'new revision' | 'cold';

interface Fleet {
  services: number;
  desired: DesiredState;
  observed: ObservedState;
  containers: number;
  actions: number;
  times: Timing[];
}

/**
 * steady: the same loaded revision planned again (the daemon's every poll: it keeps the
 * DesiredState of a revision); new revision: an equal desired state loaded anew (a commit
 * that changes little: bodies rebuilt, hashes remembered); cold: nothing seen before
 * (every spec hashed, as on the first plan after start). Sizes are measured in turn within
 * each round, so that a busy machine slows them alike and the growth ratios stay fair.
 */
function measure(scenario: Scenario): Fleet[] {
  const fleets: Fleet[] = SIZES.map((services) => {
    const desired = desiredFleet(services);
    const observed = observedFleet(desired);
    return { services, desired, observed, containers: observed.nodes.reduce((sum, n) => sum + n.containers.length, 0), actions: 0, times: [] };
  });
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const fleet of fleets) {
      if (scenario === 'cold') forgetSpecHashes();
      const desired = scenario === 'steady' ? fleet.desired : structuredClone(fleet.desired);
      const t = timed(() => {
        const p = plan(desired, fleet.observed, OPTIONS);
        fleet.actions = p.summary.create + p.summary.replace + p.summary.remove + p.summary.start;
      });
      if (round >= WARMUP) fleet.times.push(t);
    }
  }
  return fleets;
}

/** Where the time goes, step by step (each step timed on its own, same inputs as plan()). */
function phases(services: number): string {
  const desired = desiredFleet(services);
  const observed = observedFleet(desired);
  const lost = new Set<string>();
  const timeOf = (fn: () => unknown): string => {
    const times: Timing[] = [];
    for (let i = 0; i < WARMUP + RUNS; i++) {
      const t = timed(() => void fn());
      if (i >= WARMUP) times.push(t);
    }
    return `wall ${median(times.map((t) => t.wall)).toFixed(1).padStart(6)} ms  cpu ${median(times.map((t) => t.cpu)).toFixed(1).padStart(6)} ms`;
  };
  const catalog = compileCatalog(desired);
  const index = indexObserved(catalog, observed, lost);
  const schedule = scheduleCatalog(catalog, index, { lostNodes: lost });
  const assessment = assessDrift(catalog, index, schedule);
  const drafted = draftActions(catalog, assessment, OPTIONS.commit);
  const steps: Array<[string, () => unknown]> = [
    ['compile (bodies + hashes)', () => compileCatalog(desired)],
    ['index observed', () => indexObserved(catalog, observed, lost)],
    ['schedule', () => scheduleCatalog(catalog, index, { lostNodes: lost })],
    ['assess drift', () => assessDrift(catalog, index, schedule)],
    ['draft actions', () => draftActions(catalog, assessment, OPTIONS.commit)],
    ['order actions', () => orderForExecution(drafted, catalog, index)],
    ['conflicts', () => findConflicts(catalog, index)],
  ];
  return steps.map(([name, fn]) => `  ${name.padEnd(28)}${timeOf(fn)}`).join('\n');
}

const steady = new Map<number, Timing>();
console.log(`plan() over ${NODES} nodes, 3 replicas per service, median of ${RUNS} runs after ${WARMUP} warm-up runs (wall = elapsed, cpu = this process)`);
const ALL_SCENARIOS: Scenario[] = ['steady', 'new revision', 'cold'];
const SCENARIOS = ALL_SCENARIOS.filter((s) => (process.env.SCENARIOS ?? ALL_SCENARIOS.join(',')).split(',').includes(s));
for (const scenario of SCENARIOS) {
  console.log(`${scenario}:`);
  const medians = new Map<number, Timing>();
  for (const f of measure(scenario)) {
    const m = { wall: median(f.times.map((t) => t.wall)), cpu: median(f.times.map((t) => t.cpu)) };
    medians.set(f.services, m);
    if (scenario === 'steady') steady.set(f.services, m);
    const min = Math.min(...f.times.map((t) => t.wall));
    console.log(`  ${String(f.services).padStart(5)} services  ${String(f.containers).padStart(6)} containers  ${String(f.actions).padStart(4)} actions  median wall ${m.wall.toFixed(1).padStart(7)} ms  cpu ${m.cpu.toFixed(1).padStart(7)} ms  min wall ${min.toFixed(1).padStart(7)} ms`);
  }
  for (let i = 1; i < SIZES.length; i++) {
    const [a, b] = [SIZES[i - 1] as number, SIZES[i] as number];
    const [ra, rb] = [medians.get(a) as Timing, medians.get(b) as Timing];
    console.log(`  growth ${a} -> ${b} services (x${b / a}): wall x${(rb.wall / ra.wall).toFixed(2)}, cpu x${(rb.cpu / ra.cpu).toFixed(2)}`);
  }
}
if (process.env.PHASES) console.log(`steps at ${process.env.PHASES} services (medians):\n${phases(Number(process.env.PHASES))}`);
const at1000 = steady.get(1000);
const load = `load average ${loadavg()[0]?.toFixed(1)} on ${cpus().length} CPUs`;
if (at1000 !== undefined) {
  const met = at1000.cpu <= TARGET_MS;
  console.log(`target (steady): median CPU time at most ${TARGET_MS} ms at 1,000 services: ${met ? 'met' : 'MISSED'} (cpu ${at1000.cpu.toFixed(1)} ms, wall ${at1000.wall.toFixed(1)} ms; ${load})`);
  if (!met) process.exitCode = 1;
}
const at4000 = steady.get(4000);
if (at1000 !== undefined && at4000 !== undefined) {
  const growth = at4000.cpu / at1000.cpu;
  const met = growth <= TARGET_GROWTH;
  console.log(`target (steady): growth 1,000 -> 4,000 services at most x${TARGET_GROWTH}: ${met ? 'met' : 'MISSED'} (cpu x${growth.toFixed(2)}; ${load})`);
  if (!met) process.exitCode = 1;
}
