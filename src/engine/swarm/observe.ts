// The one observation of a swarm per cycle: one list each of nodes, services, tasks,
// networks, configs and secrets from a manager, never a call per service. Tasks are also shown as the
// "containers" of their node, labelled like Flotilla's own containers (service labels plus
// the task's slot), so status, drift metrics and label recovery read a swarm as they read
// plain hosts. A manager that does not answer makes every declared node down, not a crash.
import type { ContainerState, ObservedContainer, ObservedNode } from '../../docker/types.js';
import { LABEL } from '../../docker/labels.js';
import type { DesiredState } from '../../manifests/model.js';
import type { SwarmManagers } from './manager-client.js';
import type { SwarmNetwork, SwarmNode, SwarmObject, SwarmObservation, SwarmObservedState, SwarmService, SwarmTask } from './swarm-types.js';

type Raw = Record<string, unknown>;

const rec = (v: unknown): Raw => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {});
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const labelsOf = (v: unknown): Record<string, string> => Object.fromEntries(Object.entries(rec(v)).filter(([, x]) => typeof x === 'string')) as Record<string, string>;
const list = (what: string, v: unknown): Raw[] => {
  if (!Array.isArray(v)) throw new Error(`${what}: the manager's answer is not a list`);
  return v.map(rec);
};

export async function observeSwarm(managers: SwarmManagers, desired: DesiredState | undefined, signal?: AbortSignal): Promise<SwarmObservedState> {
  let observation: SwarmObservation;
  try {
    const managed = { filters: JSON.stringify({ label: [`${LABEL.managed}=true`] }) };
    const [nodes, services, tasks, networks, configs, secrets] = await Promise.all([
      managers.call<unknown>('list swarm nodes', { method: 'GET', path: '/nodes', ok: [200] }, signal),
      managers.call<unknown>('list services', { method: 'GET', path: '/services', ok: [200] }, signal),
      managers.call<unknown>('list tasks', { method: 'GET', path: '/tasks', ok: [200] }, signal),
      managers.call<unknown>('list networks', { method: 'GET', path: '/networks', query: managed, ok: [200] }, signal),
      managers.call<unknown>('list configs', { method: 'GET', path: '/configs', query: managed, ok: [200] }, signal),
      managers.call<unknown>('list secrets', { method: 'GET', path: '/secrets', query: managed, ok: [200] }, signal),
    ]);
    observation = {
      manager: managers.endpoint,
      nodes: list('nodes', nodes).map(parseNode),
      services: list('services', services).map(parseService),
      tasks: list('tasks', tasks).map(parseTask),
      networks: list('networks', networks).map((n): SwarmNetwork => ({ id: str(n.Id), name: str(n.Name), labels: labelsOf(n.Labels) })),
      // A secret's list entry has no Data; a config's has, and is not kept.
      objects: [...list('configs', configs).map((c) => parseObject('config', c)), ...list('secrets', secrets).map((c) => parseObject('secret', c))],
    };
  } catch (err) {
    const error = `no Swarm manager could be observed: ${(err as Error).message}`;
    return { nodes: (desired?.cluster.nodes ?? []).map((n) => ({ name: n.name, up: false, error, containers: [] })) };
  }
  return { nodes: observedNodes(observation, desired), swarm: observation };
}

function observedNodes(o: SwarmObservation, desired: DesiredState | undefined): ObservedNode[] {
  const serviceById = new Map(o.services.map((s) => [s.id, s]));
  const out: ObservedNode[] = [];
  for (const node of o.nodes) {
    const containers = o.tasks
      .filter((t) => t.nodeId === node.id && t.desiredState === 'running' && serviceById.has(t.serviceId))
      .map((t) => taskAsContainer(t, serviceById.get(t.serviceId) as SwarmService, node.hostname));
    // A drained or paused node is up (its daemon answers the swarm) but takes no new tasks.
    const availability = node.availability === 'drain' || node.availability === 'pause' ? node.availability : 'active';
    const error = `swarm node ${node.hostname} is ${node.state || 'not ready'}${node.stateMessage ? ` (${node.stateMessage})` : ''}`;
    out.push({ name: node.hostname, up: node.ready, availability, ...(node.ready ? {} : { error }), containers });
  }
  // A node Git declares that the swarm does not have is reported; Flotilla never joins it.
  const seen = new Set(o.nodes.map((n) => n.hostname));
  for (const n of desired?.cluster.nodes ?? []) {
    if (!seen.has(n.name)) out.push({ name: n.name, up: false, error: `${n.name} is not a node of the swarm at ${o.manager}; join it with docker swarm join (Flotilla never joins or removes nodes)`, containers: [] });
  }
  return out;
}

const TASK_STATE: Record<string, ContainerState> = { running: 'running', starting: 'created', complete: 'exited', failed: 'exited', rejected: 'dead', shutdown: 'exited', orphaned: 'dead', remove: 'removing' };

function taskAsContainer(t: SwarmTask, s: SwarmService, node: string): ObservedContainer {
  const slot = t.slot !== undefined ? String(t.slot) : node;
  return {
    id: t.containerId ?? t.id,
    name: `${s.name}.${slot}`,
    node,
    image: t.image,
    labels: { ...s.labels, [LABEL.slot]: slot },
    state: TASK_STATE[t.state] ?? 'created',
    // A task with a healthcheck is "starting" until Docker reports it healthy.
    ...(t.state === 'starting' ? { health: 'starting' as const } : {}),
    publishedPorts: [],
    createdAt: Math.floor(Date.parse(t.createdAt) / 1000) || 0,
  };
}

function parseObject(kind: SwarmObject['kind'], o: Raw): SwarmObject {
  const spec = rec(o.Spec);
  return { kind, id: str(o.ID), name: str(spec.Name), labels: labelsOf(spec.Labels) };
}

function parseNode(n: Raw): SwarmNode {
  const spec = rec(n.Spec);
  const status = rec(n.Status);
  return {
    id: str(n.ID),
    version: Number(rec(n.Version).Index ?? 0),
    hostname: str(rec(n.Description).Hostname),
    role: str(spec.Role),
    availability: str(spec.Availability),
    ready: str(status.State) === 'ready',
    state: str(status.State),
    stateMessage: str(status.Message),
    labels: labelsOf(spec.Labels),
    spec,
  };
}

function parseService(s: Raw): SwarmService {
  const spec = rec(s.Spec) as SwarmService['spec'];
  const update = rec(s.UpdateStatus);
  return { id: str(s.ID), version: Number(rec(s.Version).Index ?? 0), name: str(spec.Name), labels: labelsOf(spec.Labels), spec, updateState: str(update.State), updateMessage: str(update.Message) };
}

function parseTask(t: Raw): SwarmTask {
  const status = rec(t.Status);
  const container = rec(rec(t.Spec).ContainerSpec);
  const containerId = str(rec(status.ContainerStatus).ContainerID);
  return {
    id: str(t.ID),
    serviceId: str(t.ServiceID),
    nodeId: str(t.NodeID),
    ...(typeof t.Slot === 'number' ? { slot: t.Slot } : {}),
    state: str(status.State),
    desiredState: str(t.DesiredState),
    message: str(status.Message),
    error: str(status.Err),
    image: str(container.Image),
    createdAt: str(t.CreatedAt),
    ...(containerId ? { containerId } : {}),
  };
}
