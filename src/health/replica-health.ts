// The health gate of one replica (DESIGN.md "Health"): healthy when running, not restarted
// during `monitor`, and `healthy` if it has a Docker healthcheck. It fails fast on exit,
// restart or `unhealthy`, and when health does not come within its deadline.
import type { Clock } from '../clock.js';
import type { ContainerHealthView, DockerNode } from '../docker/types.js';
import type { HealthcheckSpec } from '../manifests/model.js';

export interface HealthGateOptions {
  monitorMs: number;
  hasHealthcheck: boolean;
  /** Docker healthcheck timings, for the deadline. */
  startPeriodMs?: number;
  intervalMs?: number;
  retries?: number;
  pollMs?: number;
}

/** The gate of a service's replica: its healthcheck's timings (none, or `NONE`: running is enough). */
export function healthGateOptions(healthcheck: HealthcheckSpec | undefined, monitorMs: number): HealthGateOptions {
  const h = healthcheck;
  return {
    monitorMs,
    hasHealthcheck: h !== undefined && h.test[0] !== 'NONE',
    ...(h?.startPeriodMs !== undefined ? { startPeriodMs: h.startPeriodMs } : {}),
    ...(h?.intervalMs !== undefined ? { intervalMs: h.intervalMs } : {}),
    ...(h?.retries !== undefined ? { retries: h.retries } : {}),
  };
}

export type HealthVerdict = { healthy: true; waitedMs: number } | { healthy: false; reason: string; waitedMs: number };

/** Docker's defaults when a healthcheck leaves them out. */
const DOCKER_DEFAULT_INTERVAL_MS = 30_000;
const DOCKER_DEFAULT_RETRIES = 3;
const MARGIN_MS = 10_000;

export function healthDeadlineMs(o: HealthGateOptions): number {
  const probing = o.hasHealthcheck ? (o.intervalMs ?? DOCKER_DEFAULT_INTERVAL_MS) * ((o.retries ?? DOCKER_DEFAULT_RETRIES) + 1) : 0;
  return (o.startPeriodMs ?? 0) + o.monitorMs + probing + MARGIN_MS;
}

export async function waitUntilHealthy(node: DockerNode, containerId: string, options: HealthGateOptions, clock: Clock, signal?: AbortSignal): Promise<HealthVerdict> {
  const started = clock.now();
  const deadline = started + healthDeadlineMs(options);
  const poll = options.pollMs ?? 250;
  let baseline: number | undefined;
  let healthySince: number | undefined;
  for (;;) {
    const view: ContainerHealthView = await node.inspectContainer(containerId);
    const now = clock.now();
    const waitedMs = now - started;
    baseline ??= view.restartCount;
    if (view.state === 'exited' || view.state === 'dead') {
      return { healthy: false, waitedMs, reason: `container ${view.name} on ${node.name} exited with code ${view.exitCode}${view.error ? ` (${view.error})` : ''}` };
    }
    if (view.restartCount > baseline || view.state === 'restarting') {
      return { healthy: false, waitedMs, reason: `container ${view.name} on ${node.name} restarted (restart count ${view.restartCount})` };
    }
    if (view.health === 'unhealthy') {
      return { healthy: false, waitedMs, reason: `container ${view.name} on ${node.name} turned unhealthy (its healthcheck failed)` };
    }
    const healthyNow = view.state === 'running' && (!options.hasHealthcheck || view.health === 'healthy');
    if (healthyNow) {
      healthySince ??= now;
      if (now - healthySince >= options.monitorMs) return { healthy: true, waitedMs };
    } else {
      healthySince = undefined;
    }
    if (now >= deadline) {
      const what = options.hasHealthcheck ? `reported ${view.health ?? 'no health'}` : `was ${view.state}`;
      return { healthy: false, waitedMs, reason: `container ${view.name} on ${node.name} was not healthy within ${Math.round((deadline - started) / 1000)}s (it ${what})` };
    }
    const untilStable = healthySince !== undefined ? options.monitorMs - (now - healthySince) : poll;
    await clock.sleep(Math.max(10, Math.min(poll, untilStable)), signal);
  }
}
