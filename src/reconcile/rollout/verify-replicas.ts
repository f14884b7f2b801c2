// Step 6 of a reconcile: a commit becomes good only when every replica of it is healthy
// (DESIGN.md). The executor gates what it changed; this also covers replicas nobody changed
// this time, such as the ones a crashed daemon started and never saw through their health
// wait. Only replicas not yet known to be healthy cost an inspect, so a steady fleet costs
// nothing here.
import type { Clock } from '../../clock.js';
import type { DockerNode, ObservedState } from '../../docker/types.js';
import { LABEL, isManagedBy } from '../../docker/labels.js';
import type { DesiredState } from '../../manifests/model.js';
import { healthGateOptions, waitUntilHealthy } from '../../health/replica-health.js';
import { waitUntilCompleted } from '../../health/job-completion.js';
import { compileCatalog, serviceKey } from '../plan/catalog.js';
import type { ServiceFailure } from '../execute/execution-types.js';

export async function verifyReplicas(desired: DesiredState, observed: ObservedState, node: (name: string) => DockerNode, clock: Clock, signal: AbortSignal): Promise<ServiceFailure[]> {
  const catalog = compileCatalog(desired);
  const checks: Array<Promise<ServiceFailure | undefined>> = [];
  for (const n of observed.nodes) {
    if (!n.up) continue;
    for (const c of n.containers) {
      if (!isManagedBy(c.labels, desired.cluster.name)) continue;
      const spec = catalog.byKey.get(serviceKey(c.labels[LABEL.stack] ?? '', c.labels[LABEL.service] ?? ''))?.spec;
      if (!spec) continue;
      const failure = (reason: string): ServiceFailure => ({ stack: spec.stack, service: spec.name, node: n.name, reason, action: 'create' });
      if (spec.runsOnce) {
        // A one-shot job is judged by its exit: 0 is done; still running, it is waited for.
        if (c.state === 'exited' && c.exitCode === 0) continue;
        if (c.state === 'running') {
          const gate = healthGateOptions(spec.healthcheck, spec.deploy.updateConfig.monitorMs);
          checks.push(waitUntilCompleted(node(n.name), c.id, gate, clock, signal).then((v) => (v.healthy ? undefined : failure(v.reason))));
        } else checks.push(Promise.resolve(failure(`job ${c.name} on ${n.name} is ${c.state}${c.exitCode !== undefined ? ` (exit code ${c.exitCode})` : ''}`)));
      } else if (c.state !== 'running') {
        checks.push(Promise.resolve(failure(`container ${c.name} on ${n.name} is ${c.state}`)));
      } else if (c.health === 'unhealthy') {
        checks.push(Promise.resolve(failure(`container ${c.name} on ${n.name} is unhealthy (its healthcheck fails)`)));
      } else if (c.health === 'starting') {
        // Docker says it has a healthcheck (it reports "starting"), perhaps the image's own.
        const gate = { ...healthGateOptions(spec.healthcheck, spec.deploy.updateConfig.monitorMs), hasHealthcheck: true };
        checks.push(waitUntilHealthy(node(n.name), c.id, gate, clock, signal).then((v) => (v.healthy ? undefined : failure(v.reason))));
      }
    }
  }
  return (await Promise.all(checks)).filter((f): f is ServiceFailure => f !== undefined);
}
