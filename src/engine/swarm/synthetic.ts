// Swarms that are not observed: the swarm as a commit would leave it (`flotilla plan --base`
// compares two commits without contacting a manager), and an empty one (a pull request that
// points the cluster at managers the tracked branch does not name: they are never contacted
// before the merge, so every service is planned as new). Plain data, no I/O.
import type { ObservedNode } from '../../docker/types.js';
import type { DesiredState } from '../../manifests/model.js';
import { MANAGED_NODE_LABELS } from './diff.js';
import { desiredService, overlayNetworks } from './service-spec.js';
import { withObjectIds } from './swarm-objects.js';
import type { SwarmObject, SwarmObservation, SwarmObservedState, SwarmService, SwarmTask } from './swarm-types.js';

export function emptySwarm(desired: DesiredState): SwarmObservedState {
  const swarm: SwarmObservation = { manager: '', services: [], tasks: [], networks: [], nodes: [], objects: [] };
  return { nodes: desired.cluster.nodes.map((n): ObservedNode => ({ name: n.name, up: true, containers: [] })), swarm };
}

export function appliedSwarm(desired: DesiredState): SwarmObservedState {
  const cluster = desired.cluster.name;
  const nodes = desired.cluster.nodes.map((n, i) => {
    const keys = Object.keys(n.labels).sort();
    const labels = { ...n.labels, ...(keys.length ? { [MANAGED_NODE_LABELS]: keys.join(',') } : {}) };
    // Deterministic ids, so the same two commits always give the same plan.
    return { id: `synthetic-node-${i}`, version: 0, hostname: n.name, role: 'worker', availability: 'active', ready: true, state: 'ready', stateMessage: '', labels, spec: { Labels: labels } };
  });
  const services: SwarmService[] = [];
  const tasks: SwarmTask[] = [];
  const objects = new Map<string, SwarmObject>();
  for (const stack of desired.stacks) {
    for (const s of stack.services) {
      const want = desiredService(cluster, stack, s, desired.revision);
      const id = `synthetic-${want.name}`;
      // Object ids are their names here, as network ids are, so the filled specs compare equal.
      for (const o of want.objects) objects.set(`${o.kind} ${o.name}`, { kind: o.kind, id: o.name, name: o.name, labels: o.labels });
      const spec = withObjectIds(want.spec, new Map([...objects.keys()].map((k) => [k, objects.get(k)?.id ?? ''])));
      services.push({ id, version: 0, name: want.name, labels: want.spec.Labels, spec, updateState: 'completed', updateMessage: '' });
      const count = want.replicas === 'global' ? nodes.length : want.replicas;
      for (let slot = 1; slot <= count; slot++) {
        tasks.push({ id: `${id}.${slot}`, serviceId: id, nodeId: '', slot, state: 'running', desiredState: 'running', message: '', error: '', image: String((want.spec.TaskTemplate.ContainerSpec as { Image?: unknown } | undefined)?.Image ?? ''), createdAt: '' });
      }
    }
  }
  // Network ids are their names here: the specs name their networks, so they compare equal.
  const networks = desired.stacks.flatMap((st) => overlayNetworks(cluster, st).map((n) => ({ id: n.Name, name: n.Name, labels: n.Labels })));
  const swarm: SwarmObservation = { manager: '', services, tasks, networks, nodes, objects: [...objects.values()] };
  return { nodes: desired.cluster.nodes.map((n): ObservedNode => ({ name: n.name, up: true, containers: [] })), swarm };
}
