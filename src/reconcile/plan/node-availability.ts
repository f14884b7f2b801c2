// Whether a node can be acted on, and what happens to the replicas on it when it cannot.
// A node that stops answering is first *held*: its replicas stay placed there (no
// reschedule on a flap) and no action targets it. Once it has been down longer than the
// grace period it is *lost*: its replicas are placed elsewhere. When it answers again, the
// replicas left on it are duplicates of rescheduled slots and get removed.
//
// The planner is pure, so time enters only through these helpers, which the reconciler
// calls with its clock and the node pool's `downSince`.
import type { ClusterSpec } from '../../manifests/model.js';
import type { ObservedState } from '../../docker/types.js';

export type NodeAvailability = 'up' | 'held' | 'lost';

/** Down nodes that have been unreachable for longer than `graceMs` at `now`. */
export function lostNodes(observed: ObservedState, downSince: (node: string) => number | undefined, now: number, graceMs: number): string[] {
  return observed.nodes
    .filter((n) => {
      if (n.up) return false;
      const since = downSince(n.name);
      return since !== undefined && now - since >= graceMs;
    })
    .map((n) => n.name)
    .sort();
}

/**
 * A down node lists no containers; to hold its replicas in place the planner needs the ones
 * seen on it last time it answered. Give it the previous observation and this carries them
 * over for down nodes (up nodes always use the fresh list).
 */
export function withLastKnownContainers(current: ObservedState, previous: ObservedState | undefined): ObservedState {
  if (!previous) return current;
  const before = new Map(previous.nodes.map((n) => [n.name, n]));
  return {
    nodes: current.nodes.map((n) => {
      if (n.up || n.containers.length > 0) return n;
      const last = before.get(n.name);
      return last && last.containers.length > 0 ? { ...n, containers: last.containers } : n;
    }),
  };
}

/** Availability of every declared or observed node; a declared node never observed is held. */
export function nodeAvailability(cluster: ClusterSpec, observed: ObservedState, lost: ReadonlySet<string>): Map<string, NodeAvailability> {
  const out = new Map<string, NodeAvailability>();
  for (const n of cluster.nodes) out.set(n.name, lost.has(n.name) ? 'lost' : 'held');
  for (const n of observed.nodes) out.set(n.name, n.up ? 'up' : lost.has(n.name) ? 'lost' : 'held');
  return out;
}
