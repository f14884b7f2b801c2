// Time to self-heal on a real fleet, measured from outside Flotilla: from the moment an
// operator's `docker rm -f` or `docker stop` starts to the moment the node's own Docker API
// lists the replica running again (a new container for rm, the same one restarted for stop).
import { performance } from 'node:perf_hooks';
import type { FleetNode } from './fleet.js';
import { dockerCli, dockerOf } from './fleet-view.js';
import { sleep } from './exec.js';

export type Breakage = 'rm -f' | 'stop';

interface Seen {
  id: string;
  state: string;
  /** The container's start time, which a `docker start` changes. */
  startedAt: string;
}

async function seen(node: FleetNode, name: string): Promise<Seen | undefined> {
  const list = await dockerOf(node).listContainers({ all: true, filters: { name: [`^/${name}$`] } });
  const c = list[0];
  if (!c) return undefined;
  const inspect = await dockerOf(node).getContainer(c.Id).inspect();
  return { id: c.Id, state: c.State, startedAt: inspect.State.StartedAt };
}

/** Breaks one replica by hand and resolves with the milliseconds until it runs again. */
export async function timeToHeal(node: FleetNode, name: string, how: Breakage, timeoutMs = 30_000): Promise<number> {
  const before = await seen(node, name);
  if (!before || before.state !== 'running') throw new Error(`${name} on ${node.name} is not running before the test breaks it`);
  const started = performance.now();
  await dockerCli(node, how === 'rm -f' ? ['rm', '-f', name] : ['stop', name]);
  for (;;) {
    const now = await seen(node, name).catch(() => undefined);
    const healed = now !== undefined && now.state === 'running' && (how === 'rm -f' ? now.id !== before.id : now.startedAt !== before.startedAt);
    if (healed) return performance.now() - started;
    if (performance.now() - started > timeoutMs) throw new Error(`${name} on ${node.name} not running again ${timeoutMs} ms after docker ${how} (now: ${JSON.stringify(now ?? null)})`);
    await sleep(20);
  }
}

export interface Summary {
  median: number;
  p90: number;
  max: number;
}

/** Median and 90th percentile (nearest rank) of a list of milliseconds. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) throw new Error('no measurements');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] as number;
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, p90: rank(0.9), max: sorted[sorted.length - 1] as number };
}

export function formatSummary(s: Summary): string {
  return `median ${(s.median / 1000).toFixed(2)} s, p90 ${(s.p90 / 1000).toFixed(2)} s, max ${(s.max / 1000).toFixed(2)} s`;
}
