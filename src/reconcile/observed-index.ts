// The observed state indexed once per plan, so that no later step scans every container for
// every service: this cluster's managed containers by slot and by service, everyone else's
// ("foreign": unmanaged, or another cluster's) by node, and every container by node+name.
import type { ClusterSpec } from '../manifests/model.js';
import type { ObservedContainer, ObservedNode, ObservedState } from '../docker/types.js';
import { isManagedBy, LABEL } from '../docker/labels.js';
import { serviceKey } from './catalog.js';
import { nodeAvailability, type NodeAvailability } from './node-availability.js';

export interface ObservedIndex {
  nodes: ReadonlyMap<string, ObservedNode>;
  availability: ReadonlyMap<string, NodeAvailability>;
  /** This cluster's containers, sorted by node then name. */
  managed: ObservedContainer[];
  bySlot: ReadonlyMap<string, ObservedContainer[]>;
  byService: ReadonlyMap<string, ObservedContainer[]>;
  /** Containers Flotilla must never touch, per node. */
  foreignByNode: ReadonlyMap<string, ObservedContainer[]>;
  /** Every container by `node + "\0" + name`. */
  byName: ReadonlyMap<string, ObservedContainer>;
}

export interface Identity {
  stack: string;
  service: string;
  slot: string;
}

export function identityOf(c: ObservedContainer): Identity {
  return { stack: c.labels[LABEL.stack] ?? '', service: c.labels[LABEL.service] ?? '', slot: c.labels[LABEL.slot] ?? '' };
}

export function slotKey(stack: string, service: string, slot: string): string {
  return `${stack}\u0000${service}\u0000${slot}`;
}

export function nameKey(node: string, name: string): string {
  return `${node}\u0000${name}`;
}

export function indexObserved(cluster: ClusterSpec, observed: ObservedState, lost: ReadonlySet<string>): ObservedIndex {
  const nodes = new Map(observed.nodes.map((n) => [n.name, n]));
  const managed: ObservedContainer[] = [];
  const foreignByNode = new Map<string, ObservedContainer[]>();
  const byName = new Map<string, ObservedContainer>();
  for (const node of [...observed.nodes].sort((a, b) => cmp(a.name, b.name))) {
    const foreign: ObservedContainer[] = [];
    for (const c of [...node.containers].sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id))) {
      // The node an observation came from is authoritative, whatever the container says.
      const container = c.node === node.name ? c : { ...c, node: node.name };
      byName.set(nameKey(node.name, container.name), container);
      if (isManagedBy(container.labels, cluster.name)) managed.push(container);
      else foreign.push(container);
    }
    foreignByNode.set(node.name, foreign);
  }
  const bySlot = new Map<string, ObservedContainer[]>();
  const byService = new Map<string, ObservedContainer[]>();
  for (const c of managed) {
    const id = identityOf(c);
    push(bySlot, slotKey(id.stack, id.service, id.slot), c);
    push(byService, serviceKey(id.stack, id.service), c);
  }
  return { nodes, availability: nodeAvailability(cluster, observed, lost), managed, bySlot, byService, foreignByNode, byName };
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
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
  return (a, b) => candidateRank(a, hash) - candidateRank(b, hash) || b.createdAt - a.createdAt || cmp(a.node, b.node) || cmp(a.name, b.name);
}

/** 0: current, running, not unhealthy; 1: current; 2: running; 3: anything else. */
export function candidateRank(c: ObservedContainer, hash: string): number {
  const current = c.labels[LABEL.specHash] === hash;
  if (current && isRunning(c) && c.health !== 'unhealthy') return 0;
  if (current) return 1;
  return isRunning(c) ? 2 : 3;
}
