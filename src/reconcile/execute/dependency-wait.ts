// The wait a `depends_on` condition asks for, right before a dependent's replicas are
// created or started: every replica of the dependency, wherever it runs, must be started
// (`service_started`), healthy (`service_healthy`) or have exited 0
// (`service_completed_successfully`). It reads the nodes themselves rather than the
// dependency's own rollout, because a dependency nobody changed this time, one rolled with
// health gates off, or one a previous cycle started still has to be waited for. Bounded by
// the dependency's health deadline; the answer is a reason a person can read, or undefined.
import type { Clock } from '../../clock.js';
import type { DockerNode, ObservedContainer } from '../../docker/types.js';
import { isManagedBy, LABEL } from '../../docker/labels.js';
import type { DependencyCondition, ServiceSpec, StackSpec } from '../../manifests/model.js';
import { healthDeadlineMs, healthGateOptions, type HealthGateOptions, type HealthVerdict } from '../../health/replica-health.js';
import { waitUntilCompleted } from '../../health/job-completion.js';
import { RETIRED_SUFFIX } from './container-steps.js';

export interface DependencyWaitContext {
  cluster: string;
  /** Every declared node: a dependency's unchanged replicas may be on any of them. */
  nodes: readonly string[];
  node(name: string): DockerNode;
  clock: Clock;
  signal: AbortSignal;
  /** Told when a wait begins and when a dependency is skipped. */
  onWait?(message: string): void;
}

const WHAT: Record<DependencyCondition['condition'], string> = {
  service_started: 'started',
  service_healthy: 'healthy',
  service_completed_successfully: 'completed successfully',
};

/** Waits on every condition of `service` (one after another: each is bounded). */
export async function waitForDependencies(service: ServiceSpec, stack: StackSpec, ctx: DependencyWaitContext): Promise<string | undefined> {
  for (const [name, condition] of Object.entries(service.dependencyConditions ?? {})) {
    const dependency = stack.services.find((s) => s.name === name);
    if (!dependency) continue;
    const replicas = await replicasOf(stack.name, name, ctx);
    const why = `depends_on ${name}: condition ${condition.condition}`;
    if (replicas.length === 0) {
      if (!condition.required) {
        ctx.onWait?.(`not waiting for ${name}: it has no replica on a reachable node, and ${why} is \`required: false\``);
        continue;
      }
      return `${stack.name}/${name} has no replica on a reachable node to wait for (${why})`;
    }
    ctx.onWait?.(`waiting for ${name} to be ${WHAT[condition.condition]} (${replicas.map((c) => `${c.name} on ${c.node}`).join(', ')}; ${why})`);
    const options = gateOf(dependency, condition);
    const verdicts = await Promise.all(replicas.map((c) => waitForCondition(ctx.node(c.node), c.id, condition, options, ctx.clock, ctx.signal)));
    const failed = verdicts.find((v): v is Extract<HealthVerdict, { healthy: false }> => !v.healthy);
    if (failed) return `${stack.name}/${name} is not ${WHAT[condition.condition]} (${why}): ${failed.reason}`;
  }
  return undefined;
}

/** The dependency's own deadline; with service_healthy, as if it has a healthcheck (the image's own may be what reports). */
function gateOf(dependency: ServiceSpec, condition: DependencyCondition): HealthGateOptions {
  const options = healthGateOptions(dependency.healthcheck, dependency.deploy.updateConfig.monitorMs);
  return condition.condition === 'service_healthy' ? { ...options, hasHealthcheck: true } : options;
}

async function replicasOf(stack: string, service: string, ctx: DependencyWaitContext): Promise<ObservedContainer[]> {
  const lists = await Promise.all(ctx.nodes.map((n) => ctx.node(n).listContainers().catch((): ObservedContainer[] => [])));
  // A replica renamed aside during its replacement is on its way out, not one to wait for.
  return lists.flat().filter((c) => isManagedBy(c.labels, ctx.cluster) && c.labels[LABEL.stack] === stack && c.labels[LABEL.service] === service && !c.name.endsWith(RETIRED_SUFFIX));
}

export async function waitForCondition(node: DockerNode, id: string, condition: DependencyCondition, options: HealthGateOptions, clock: Clock, signal: AbortSignal): Promise<HealthVerdict> {
  if (condition.condition === 'service_completed_successfully') return waitUntilCompleted(node, id, options, clock, signal);
  const started = clock.now();
  const deadlineMs = healthDeadlineMs(options);
  const poll = options.pollMs ?? 250;
  for (;;) {
    const view = await node.inspectContainer(id);
    const waitedMs = clock.now() - started;
    const where = `container ${view.name} on ${node.name}`;
    if (view.state === 'exited' || view.state === 'dead') {
      // A job that already ran to exit 0 has started; for health it is too late.
      if (condition.condition === 'service_started' && view.state === 'exited' && view.exitCode === 0) return { healthy: true, waitedMs };
      return { healthy: false, waitedMs, reason: `${where} exited with code ${view.exitCode}${view.error ? ` (${view.error})` : ''}` };
    }
    if (condition.condition === 'service_started' && (view.state === 'running' || view.state === 'restarting')) return { healthy: true, waitedMs };
    if (condition.condition === 'service_healthy' && view.state === 'running') {
      if (view.health === 'healthy') return { healthy: true, waitedMs };
      if (view.health === 'unhealthy') return { healthy: false, waitedMs, reason: `${where} is unhealthy (its healthcheck fails)` };
      if (view.health === undefined) return { healthy: false, waitedMs, reason: `${where} has no healthcheck; condition: service_healthy needs one, in the compose file or the image` };
    }
    if (waitedMs >= deadlineMs) return { healthy: false, waitedMs, reason: `${where} was not ${condition.condition === 'service_healthy' ? 'healthy' : 'started'} within ${Math.round(deadlineMs / 1000)}s (it was ${view.state}${view.health ? `, ${view.health}` : ''})` };
    await clock.sleep(poll, signal);
  }
}
