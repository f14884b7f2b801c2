// The observed state indexed once per plan, so that no later step scans every container for
// every service: this cluster's managed containers by slot, everyone else's
// ("foreign": unmanaged, or another cluster's) by node, and every container by node+name.
import type { ClusterSpec } from '../../manifests/model.js';
import type { ObservedContainer, ObservedNode, ObservedState } from '../../docker/types.js';
import { isManagedBy, LABEL } from '../../docker/labels.js';
import { serviceKey } from './catalog.js';
import { addTo } from './multimap.js';
import { nodeAvailability, type NodeAvailability } from './node-availability.js';

export interface ObservedIndex {
  nodes: ReadonlyMap<string, ObservedNode>;
  availability: ReadonlyMap<string, NodeAvailability>;
  /** This cluster's containers, in no particular order (sorting them all would cost more than the rest of the index). */
  managed: ObservedContainer[];
  /** By service key (catalog.ts `serviceKey`), then slot: two levels, so that lookups reuse
   *  strings whose hashes are already known instead of building a key per replica. */
  bySlot: ReadonlyMap<string, ReadonlyMap<string, ObservedContainer[]>>;
  /** Containers Flotilla must never touch, per node (nodes and containers sorted by name). */
  foreignByNode: ReadonlyMap<string, ObservedContainer[]>;
  /** Every container by node, then name. */
  byName: ReadonlyMap<string, ReadonlyMap<string, ObservedContainer>>;
}

export interface Identity {
  stack: string;
  service: string;
  slot: string;
}

export function identityOf(c: ObservedContainer): Identity {
  return { stack: c.labels[LABEL.stack] ?? '', service: c.labels[LABEL.service] ?? '', slot: c.labels[LABEL.slot] ?? '' };
}

const NO_CONTAINERS: readonly ObservedContainer[] = [];

/** This cluster's containers labelled with the slot of the service (`serviceKey`). */
export function containersOfSlot(index: ObservedIndex, serviceKey: string, slot: string): readonly ObservedContainer[] {
  return index.bySlot.get(serviceKey)?.get(slot) ?? NO_CONTAINERS;
}

export function containerNamed(index: ObservedIndex, node: string, name: string): ObservedContainer | undefined {
  return index.byName.get(node)?.get(name);
}

export function indexObserved(cluster: ClusterSpec, observed: ObservedState, lost: ReadonlySet<string>): ObservedIndex {
  const nodes = new Map(observed.nodes.map((n) => [n.name, n]));
  const managed: ObservedContainer[] = [];
  const foreignByNode = new Map<string, ObservedContainer[]>();
  const byName = new Map<string, Map<string, ObservedContainer>>();
  for (const node of [...observed.nodes].sort((a, b) => cmp(a.name, b.name))) {
    const foreign: ObservedContainer[] = [];
    const names = new Map<string, ObservedContainer>();
    for (const c of node.containers) {
      // The node an observation came from is authoritative, whatever the container says.
      const container = c.node === node.name ? c : { ...c, node: node.name };
      names.set(container.name, container);
      if (isManagedBy(container.labels, cluster.name)) managed.push(container);
      else foreign.push(container);
    }
    byName.set(node.name, names);
    foreignByNode.set(node.name, foreign.sort(byNameThenId));
  }
  const bySlot = new Map<string, Map<string, ObservedContainer[]>>();
  for (const c of managed) {
    const key = serviceKey(c.labels[LABEL.stack] ?? '', c.labels[LABEL.service] ?? '');
    let slots = bySlot.get(key);
    if (!slots) bySlot.set(key, (slots = new Map()));
    addTo(slots, c.labels[LABEL.slot] ?? '', c);
  }
  // A slot rarely has more than one container; when it has, their order must not depend on Docker's.
  for (const slots of bySlot.values()) for (const list of slots.values()) if (list.length > 1) list.sort((a, b) => cmp(a.node, b.node) || byNameThenId(a, b));
  return { nodes, availability: nodeAvailability(cluster, observed, lost), managed, bySlot, foreignByNode, byName };
}


function byNameThenId(a: ObservedContainer, b: ObservedContainer): number {
  return cmp(a.name, b.name) || cmp(a.id, b.id);
}

export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function isRunning(c: ObservedContainer): boolean {
  return c.state === 'running' || c.state === 'restarting';
}

/**
 * Which of several containers of one slot to keep: a current, running, not unhealthy one
 * first, then current, then running, then the newest (a replica rescheduled while its node
 * was away is newer than the one left behind), then by node for determinism.
 */
export function candidateOrder(hash: string): (a: ObservedContainer, b: ObservedContainer) => number {
  return (a, b) => compareCandidates(a, b, hash);
}

/** `candidateOrder(hash)(a, b)`, without building a comparator per replica. */
export function compareCandidates(a: ObservedContainer, b: ObservedContainer, hash: string): number {
  return candidateRank(a, hash) - candidateRank(b, hash) || b.createdAt - a.createdAt || cmp(a.node, b.node) || cmp(a.name, b.name);
}

/** 0: current, running, not unhealthy; 1: current; 2: running; 3: anything else. */
export function candidateRank(c: ObservedContainer, hash: string): number {
  const current = c.labels[LABEL.specHash] === hash;
  if (current && isRunning(c) && c.health !== 'unhealthy') return 0;
  if (current) return 1;
  return isRunning(c) ? 2 : 3;
}
