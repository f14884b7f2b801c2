// The observed state indexed once per plan, so that no later step scans every container for
// every service: this cluster's managed containers by slot, everyone else's
// ("foreign": unmanaged, or another cluster's) by node, and the containers that publish
// host ports by node. (Names are looked up by name-holders.ts, for the names actions want.)
//
// It is rebuilt on every plan from fresh observations, so it is built for few allocations:
// the containers of declared replicated slots go into one flat array indexed by the
// catalog's slot positions (no key string or map per container); only the rare others
// (global services, services no longer declared, slots out of range) are keyed by strings.
// A slot with one container also gets its facts (slot-facts.ts), so that the scheduler and
// the drift assessment need not go back to the container.
import type { ObservedContainer, ObservedNode, ObservedState } from '../../docker/types.js';
import { isManagedBy, LABEL } from '../../docker/labels.js';
import { isReplicaName, isReplicatedSlot, serviceKey, type Catalog, type CatalogService } from './catalog.js';
import { addTo } from './multimap.js';
import { nodeAvailability, type NodeAvailability } from './node-availability.js';
import { judgeContainer, packFacts } from './slot-facts.js';

export interface ObservedIndex {
  nodes: ReadonlyMap<string, ObservedNode>;
  availability: ReadonlyMap<string, NodeAvailability>;
  /** This cluster's containers, in no particular order (sorting them all would cost more than the rest of the index). */
  managed: ObservedContainer[];
  /** Containers of declared replicated slots, at `svc.slotBase + slot - 1` (see catalog.ts). */
  replicatedSlots: ReadonlyArray<ObservedContainer[] | undefined>;
  /** Per position of `replicatedSlots`: the packed facts of its container when it has exactly one, else 0 (slot-facts.ts). */
  slotFacts: Uint32Array;
  /** Observed node names in name order; slot facts name a node by its position here. */
  nodeNames: readonly string[];
  /** Every other managed container, by service key (catalog.ts `serviceKey`), then slot label. */
  otherSlots: ReadonlyMap<string, ReadonlyMap<string, ObservedContainer[]>>;
  /** Containers Flotilla must never touch, per node (nodes and containers sorted by name). */
  foreignByNode: ReadonlyMap<string, ObservedContainer[]>;
  /**
   * Per node, the containers that publish host ports, as observed (in Docker's order). Noted
   * in the one pass that reads every container anyway: a later pass over a node's thousand
   * containers for the few with ports costs a cache miss per container on a large fleet.
   */
  publishingByNode: ReadonlyMap<string, readonly ObservedContainer[]>;
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

export function indexObserved(catalog: Catalog, observed: ObservedState, lost: ReadonlySet<string>): ObservedIndex {
  const cluster = catalog.cluster;
  const nodes = new Map(observed.nodes.map((n) => [n.name, n]));
  const availability = nodeAvailability(cluster, observed, lost);
  const managed: ObservedContainer[] = [];
  const foreignByNode = new Map<string, ObservedContainer[]>();
  const publishingByNode = new Map<string, ObservedContainer[]>();
  const nodeNames: string[] = [];
  const replicatedSlots: Array<ObservedContainer[] | undefined> = new Array(catalog.replicatedSlotCount);
  const slotFacts = new Uint32Array(catalog.replicatedSlotCount);
  const otherSlots = new Map<string, Map<string, ObservedContainer[]>>();
  const lists: ObservedContainer[][] = [];
  for (const node of [...observed.nodes].sort((a, b) => cmp(a.name, b.name))) {
    const foreign: ObservedContainer[] = [];
    const publishing: ObservedContainer[] = [];
    const here = { node: nodeNames.length, availability: availability.get(node.name) };
    nodeNames.push(node.name);
    for (const c of node.containers) {
      if (c.publishedPorts.length > 0) publishing.push(c);
      // The node an observation came from is authoritative, whatever the container says.
      const container = c.node === node.name ? c : { ...c, node: node.name };
      if (!isManagedBy(container.labels, cluster.name)) {
        foreign.push(container);
        continue;
      }
      managed.push(container);
      // Everything later passes read of the container is read now, while it is in cache.
      const stack = container.labels[LABEL.stack] ?? '';
      const service = container.labels[LABEL.service] ?? '';
      const slot = container.labels[LABEL.slot] ?? '';
      const svc = catalog.byStack.get(stack)?.get(service);
      if (svc && svc.slotBase >= 0 && isReplicatedSlot(slot, svc.spec.deploy.replicas)) {
        const position = svc.slotBase + Number(slot) - 1;
        const list = replicatedSlots[position];
        if (list) {
          list.push(container);
          // Several containers for one slot: no facts, the passes compare them one by one.
          slotFacts[position] = 0;
          if (list.length === 2) lists.push(list);
        } else {
          replicatedSlots[position] = [container];
          slotFacts[position] = packFacts({
            node: here.node,
            availability: here.availability,
            eligible: svc.eligibleNames.has(node.name),
            rank: candidateRank(container, svc.hash),
            judged: judgeContainer(container, isReplicaName(container.name, svc, slot), { hash: svc.hash, image: svc.base.Image, runsOnce: svc.spec.runsOnce === true }),
          });
        }
        continue;
      }
      const key = svc?.key ?? serviceKey(stack, service);
      let slots = otherSlots.get(key);
      if (!slots) otherSlots.set(key, (slots = new Map()));
      addTo(slots, slot, container);
    }
    foreignByNode.set(node.name, foreign.sort(byNameThenId));
    publishingByNode.set(node.name, publishing);
  }
  for (const slots of otherSlots.values()) for (const list of slots.values()) if (list.length > 1) lists.push(list);
  // A slot rarely has more than one container; when it has, their order must not depend on Docker's.
  for (const list of lists) list.sort((a, b) => cmp(a.node, b.node) || byNameThenId(a, b));
  return { nodes, availability, nodeNames, managed, replicatedSlots, slotFacts, otherSlots, foreignByNode, publishingByNode };
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
