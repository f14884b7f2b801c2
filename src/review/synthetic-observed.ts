// The fleet as it would be if a commit had been applied exactly, built from that commit's
// desired state alone: every node up, every replica the scheduler places running and
// healthy with its labels and published ports. `flotilla plan --base` plans the head against
// this to compare two commits without touching a node; a pull-request review uses it for
// nodes the pull request adds, which must not be contacted on a contributor's say-so.
import type { DesiredState } from '../manifests/model.js';
import type { ObservedContainer, ObservedNode, ObservedState, PublishedPort } from '../docker/types.js';
import type { DesiredContainer } from '../reconcile/plan/container-spec.js';
import { plan } from '../reconcile/plan/planner.js';

export function observedFromDesired(desired: DesiredState): ObservedState {
  // Nodes without facts have no known capacity, so placement is limited by ports and
  // constraints only, as it would be on nodes with room to spare.
  const nodes = new Map<string, ObservedNode>(desired.cluster.nodes.map((n) => [n.name, emptyNode(n.name)]));
  const applied = plan(desired, { nodes: [...nodes.values()] }, { selfHeal: true, prune: true, commit: desired.revision, mode: 'sync' });
  for (const action of applied.actions) {
    // From an empty fleet only creates (and their network/volume ensures) can come out.
    if (action.type !== 'create') continue;
    nodes.get(action.node)?.containers.push(runningContainer(action.container));
  }
  return { nodes: [...nodes.values()] };
}

/** Adds an empty, reachable node for each name not observed yet (nodes new in the head). */
export function withEmptyNodes(observed: ObservedState, names: readonly string[]): ObservedState {
  const known = new Set(observed.nodes.map((n) => n.name));
  return { nodes: [...observed.nodes, ...names.filter((n) => !known.has(n)).map(emptyNode)] };
}

/** An empty, reachable node: what a node declared for the first time looks like. */
export function emptyNode(name: string): ObservedNode {
  return { name, up: true, containers: [] };
}

function runningContainer(d: DesiredContainer): ObservedContainer {
  return {
    // Deterministic, so the same two commits always give the same plan.
    id: `synthetic-${d.node}-${d.name}`,
    name: d.name,
    node: d.node,
    image: d.body.Image,
    labels: { ...d.body.Labels },
    state: 'running',
    ...(d.body.Healthcheck && d.body.Healthcheck.Test[0] !== 'NONE' ? { health: 'healthy' as const } : {}),
    publishedPorts: publishedPorts(d),
    createdAt: 0,
  };
}

function publishedPorts(d: DesiredContainer): PublishedPort[] {
  return Object.entries(d.body.HostConfig.PortBindings ?? {}).flatMap(([key, bindings]) => {
    const [port, protocol] = key.split('/');
    return bindings.map((b) => ({
      hostPort: Number(b.HostPort),
      containerPort: Number(port),
      protocol: protocol === 'udp' ? ('udp' as const) : ('tcp' as const),
      ...(b.HostIp ? { hostIp: b.HostIp } : {}),
    }));
  });
}
