// The observed state indexed once per plan, so that no later step scans every container for
// every service: this cluster's managed containers by slot, everyone else's
// ("foreign": unmanaged, or another cluster's) by node, and every container by node+name.
//
// It is rebuilt on every plan from fresh observations, so it is built for few allocations:
// the containers of declared replicated slots go into one flat array indexed by the
// catalog's slot positions (no key string or map per container); only the rare others
// (global services, services no longer declared, slots out of range) are keyed by strings.
import type { ObservedContainer, ObservedNode, ObservedState } from '../../docker/types.js';
import { isManagedBy, LABEL } from '../../docker/labels.js';
import { isReplicatedSlot, serviceKey, type Catalog, type CatalogService } from './catalog.js';
import { addTo } from './multimap.js';
import { nodeAvailability, type NodeAvailability } from './node-availability.js';

export interface ObservedIndex {
  nodes: ReadonlyMap<string, ObservedNode>;
  availability: ReadonlyMap<string, NodeAvailability>;
  /** This cluster's containers, in no particular order (sorting them all would cost more than the rest of the index). */
  managed: ObservedContainer[];
  /** Containers of declared replicated slots, at `svc.slotBase + slot - 1` (see catalog.ts). */
  replicatedSlots: ReadonlyArray<ObservedContainer[] | undefined>;
  /** Every other managed container, by service key (catalog.ts `serviceKey`), then slot label. */
  otherSlots: ReadonlyMap<string, ReadonlyMap<string, ObservedContainer[]>>;
  /** Containers Flotilla must never touch, per node (nodes and containers sorted by name). */
  foreignByNode: ReadonlyMap<string, ObservedContainer[]>;
  /** Every container by node, then name; a node's map is built when first asked (`containerNamed`). */
  byName: Map<string, ReadonlyMap<string, ObservedContainer>>;
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

/** This cluster's containers labelled with `slot` of `svc`. */
export function containersOfSlot(index: ObservedIndex, svc: CatalogService, slot: string): readonly ObservedContainer[] {
  if (svc.slotBase >= 0 && isReplicatedSlot(slot, svc.spec.deploy.replicas)) return index.replicatedSlots[svc.slotBase + Number(slot) - 1] ?? NO_CONTAINERS;
  return index.otherSlots.get(svc.key)?.get(slot) ?? NO_CONTAINERS;
}

export function containerNamed(index: ObservedIndex, node: string, name: string): ObservedContainer | undefined {
  let names = index.byName.get(node);
  if (!names) {
    // Most plans look names up on few nodes (only where something is created), so a node's
    // map is built on demand; a plan with nothing to do builds none.
    const map = new Map<string, ObservedContainer>();
    for (const c of index.nodes.get(node)?.containers ?? []) map.set(c.name, c.node === node ? c : { ...c, node });
    index.byName.set(node, (names = map));
  }
  return names.get(name);
}

export function indexObserved(catalog: Catalog, observed: ObservedState, lost: ReadonlySet<string>): ObservedIndex {
  const cluster = catalog.cluster;
  const nodes = new Map(observed.nodes.map((n) => [n.name, n]));
  const managed: ObservedContainer[] = [];
  const foreignByNode = new Map<string, ObservedContainer[]>();
  for (const node of [...observed.nodes].sort((a, b) => cmp(a.name, b.name))) {
    const foreign: ObservedContainer[] = [];
    for (const c of node.containers) {
      // The node an observation came from is authoritative, whatever the container says.
      const container = c.node === node.name ? c : { ...c, node: node.name };
      if (isManagedBy(container.labels, cluster.name)) managed.push(container);
      else foreign.push(container);
    }
    foreignByNode.set(node.name, foreign.sort(byNameThenId));
  }
  const replicatedSlots: Array<ObservedContainer[] | undefined> = new Array(catalog.replicatedSlotCount);
  const otherSlots = new Map<string, Map<string, ObservedContainer[]>>();
  const lists: ObservedContainer[][] = [];
  for (const c of managed) {
    const stack = c.labels[LABEL.stack] ?? '';
    const service = c.labels[LABEL.service] ?? '';
    const slot = c.labels[LABEL.slot] ?? '';
    const svc = catalog.byStack.get(stack)?.get(service);
    if (svc && svc.slotBase >= 0 && isReplicatedSlot(slot, svc.spec.deploy.replicas)) {
      const at = svc.slotBase + Number(slot) - 1;
      const list = replicatedSlots[at];
      if (list) {
        list.push(c);
        if (list.length === 2) lists.push(list);
      } else replicatedSlots[at] = [c];
      continue;
    }
    const key = svc?.key ?? serviceKey(stack, service);
    let slots = otherSlots.get(key);
    if (!slots) otherSlots.set(key, (slots = new Map()));
    addTo(slots, slot, c);
  }
  for (const slots of otherSlots.values()) for (const list of slots.values()) if (list.length > 1) lists.push(list);
  // A slot rarely has more than one container; when it has, their order must not depend on Docker's.
  for (const list of lists) list.sort((a, b) => cmp(a.node, b.node) || byNameThenId(a, b));
  return { nodes, availability: nodeAvailability(cluster, observed, lost), managed, replicatedSlots, otherSlots, foreignByNode, byName: new Map() };
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
