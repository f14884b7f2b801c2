// Decides on which node each replica runs (DESIGN.md "Scheduling"). Pure: the same desired
// and observed state always give the same placements, in the same order.
//
// Three passes share one ledger of ports, names, reservations and counts:
//  1.  sticky: existing replicas stay on their node if it still fits them, in three
//      passes so that the replicas that are fine now are never pushed off their node by
//      ones that need work: first those running the desired spec and not unhealthy, then
//      the other current ones (stopped, unhealthy), then outdated ones (they will be
//      replaced in place);
//  2.  new placements: replicas that already run somewhere first (they are being moved,
//      and if they cannot go anywhere their container is kept running where it is, so its
//      ports must be known before anything else is placed), then global services (they
//      can only go to one node), then replicated ones, each replica on the eligible node
//      that spreads the service best (spread preferences level by level, then fewest
//      replicas of the service, then fewest replicas overall, then node name).
// A replica no node can take is reported with the reason of every node, never dropped.
import type { DesiredState } from '../../manifests/model.js';
import type { ObservedContainer, ObservedState } from '../../docker/types.js';
import { compileCatalog, replicatedSlotName, type Catalog, type CatalogService } from './catalog.js';
import { candidateOrder, candidateRank, containersOfSlot, indexObserved, type ObservedIndex } from './observed-index.js';
import { groupKey, PlacementLedger, type Rejection } from './placement-ledger.js';
import { constraintRejection, describeUnplaceable, downRejection } from './unplaceable-reason.js';
import { factsAvailability, factsEligible, factsNode, factsRank, hasFacts } from './slot-facts.js';

export interface Placement {
  stack: string;
  service: string;
  slot: string;
  node: string;
  /** True when the replica stays on the node where a container of its slot already is. */
  sticky: boolean;
  /** Nodes where a container of this slot is but could not stay, with why (a sentence tail). */
  displaced?: Array<{ node: string; reason: string }>;
}

export interface Unplaceable {
  stack: string;
  service: string;
  slot: string;
  reason: string;
  /** The existing container of this replica that keeps running as it is, for want of a better place. */
  kept?: { node: string; container: string };
}

export interface ScheduleOptions {
  /**
   * Down nodes past their grace period: their replicas are placed elsewhere. A down node
   * not listed is within its grace period and keeps the replicas last seen on it (see
   * node-availability.ts for computing this and for carrying the last-seen containers).
   */
  lostNodes?: Iterable<string>;
  /** Containers of services no longer declared stay (prune off or withheld): their host ports stay taken. */
  undeclaredStay?: boolean;
}

export interface Schedule {
  placements: Placement[];
  unplaceable: Unplaceable[];
}

/**
 * One declared replica as scheduled, with what drift assessment needs without lookups.
 * A placed slot is its own Placement (`node` set; see `isPlaced`): planning 12,000 replicas
 * builds one object per replica, not two.
 */
export interface ScheduledSlot extends Omit<Placement, 'node'> {
  svc: CatalogService;
  /** Every container of this cluster labelled with this slot, on any node. */
  observed: readonly ObservedContainer[];
  /** Packed facts of the slot's only container, read by the index (slot-facts.ts); 0 when it has none or several. */
  facts: number;
  node?: string;
  unplaceable?: Unplaceable;
}

export function isPlaced(st: ScheduledSlot): st is ScheduledSlot & Placement {
  return st.node !== undefined;
}

/** Every slot in catalog order (a service's slots together, in slot order) and the unplaceable ones. */
export interface DetailedSchedule {
  slots: ScheduledSlot[];
  unplaceable: Unplaceable[];
}

/** A slot while it is being scheduled; it becomes the ScheduledSlot of the result. */
interface SlotState extends ScheduledSlot {
  candidates: readonly ObservedContainer[];
  /** Nodes where a container of this slot is but could not stay, with why. */
  displacedBy?: Map<string, string>;
  why?: string;
  kept?: ObservedContainer;
}

export function schedule(desired: DesiredState, observed: ObservedState, options: ScheduleOptions = {}): Schedule {
  const lost = new Set(options.lostNodes ?? []);
  const catalog = compileCatalog(desired);
  const { slots, unplaceable } = scheduleCatalog(catalog, indexObserved(catalog, observed, lost), options);
  const placements: Placement[] = [];
  for (const st of slots) {
    if (!isPlaced(st)) continue;
    const { stack, service, slot, node, sticky, displaced } = st;
    placements.push({ stack, service, slot, node, sticky, ...(displaced ? { displaced } : {}) });
  }
  return { placements, unplaceable };
}

/** The same as `schedule`, over a catalog and index the planner has already built. */
export function scheduleCatalog(catalog: Catalog, index: ObservedIndex, options: ScheduleOptions = {}): DetailedSchedule {
  const ledger = new PlacementLedger(catalog, index, options.undeclaredStay ?? false);
  // Every slot of every service, in catalog order (one flat list: a plan of 4,000 services
  // must not build a list per service only to flatten it again).
  const states: SlotState[] = [];
  for (const svc of catalog.services) addSlotStates(states, svc, index);

  // Pass k keeps only candidates of rank <= k (see candidateRank): healthy, current, any.
  for (const pass of [0, 1, 3]) {
    for (const st of states) if (st.node === undefined && st.candidates.length > 0) keepInPlace(st, pass, index, ledger);
  }
  const pending: SlotState[] = [];
  for (const st of states) if (st.node === undefined) pending.push(st);
  // Array.prototype.sort is stable, so apply order and slot order hold inside each rank.
  if (pending.length > 1) pending.sort((a, b) => rank(a, index) - rank(b, index));
  for (const st of pending) placeNew(st, catalog, index, ledger);

  const unplaceable: Unplaceable[] = [];
  for (const st of states) {
    if (st.node !== undefined) {
      if (st.displacedBy) st.displaced = [...st.displacedBy].map(([node, reason]) => ({ node, reason }));
    } else {
      const { stack, service } = st;
      const u: Unplaceable = { stack, service, slot: st.slot, reason: st.why ?? `${stack}/${service} replica ${st.slot} cannot be placed.` };
      if (st.kept) u.kept = { node: st.kept.node, container: st.kept.name };
      unplaceable.push(u);
      st.unplaceable = u;
    }
  }
  return { slots: states, unplaceable };
}

function rank(st: SlotState, index: ObservedIndex): number {
  const up = hasFacts(st.facts) ? st.candidates.length > 0 && factsAvailability(st.facts) === 'up' : st.candidates.some((c) => index.availability.get(c.node) === 'up');
  if (up) return 0;
  return st.svc.spec.deploy.mode === 'global' ? 1 : 2;
}

const NO_CANDIDATES: readonly ObservedContainer[] = [];

/** Appends the slots of `svc` with their containers and the candidates that may keep their place. */
function addSlotStates(out: SlotState[], svc: CatalogService, index: ObservedIndex): void {
  if (svc.spec.deploy.mode !== 'global') {
    // Slot i + 1 sits at slotBase + i of the index (containersOfSlot, without parsing the slot back).
    for (let i = 0; i < svc.spec.deploy.replicas; i++) {
      const position = svc.slotBase + i;
      out.push(slotState(svc, replicatedSlotName(i), index.replicatedSlots[position] ?? NO_CANDIDATES, index.slotFacts[position] ?? 0, index));
    }
    return;
  }
  for (const n of svc.eligible) {
    const availability = index.availability.get(n.name);
    // A held node keeps its global replica only if one was seen there; no new one can be created on it.
    if (availability === 'up') out.push(slotState(svc, n.name, containersOfSlot(index, svc, n.name), 0, index));
    else if (availability === 'held') {
      const st = slotState(svc, n.name, containersOfSlot(index, svc, n.name), 0, index);
      if (st.candidates.length > 0) out.push(st);
    }
  }
}

function slotState(svc: CatalogService, slot: string, observed: readonly ObservedContainer[], facts: number, index: ObservedIndex): SlotState {
  // Every property set here, so that all slot states share one shape.
  return {
    svc,
    stack: svc.stack.name,
    service: svc.spec.name,
    slot,
    observed,
    facts,
    candidates: hasFacts(facts) ? (usableByFacts(facts) ? observed : NO_CANDIDATES) : candidatesOf(observed, svc, slot, index),
    node: undefined,
    sticky: false,
    displaced: undefined,
    displacedBy: undefined,
    unplaceable: undefined,
    why: undefined,
    kept: undefined,
  };
}

function candidatesOf(all: readonly ObservedContainer[], svc: CatalogService, slot: string, index: ObservedIndex): readonly ObservedContainer[] {
  // Most slots have exactly one container: no filtering or sorting to do.
  if (all.length <= 1) return all.length === 1 && usable(all[0] as ObservedContainer, svc, slot, index) ? all : NO_CANDIDATES;
  const byPreference = candidateOrder(svc.hash);
  // A replica on a reachable node is preferred to one on a node within its grace period.
  const held = (c: ObservedContainer): number => Number(index.availability.get(c.node) === 'held');
  return all.filter((c) => usable(c, svc, slot, index)).sort((a, b) => held(a) - held(b) || byPreference(a, b));
}

/** `usable` of a replicated slot's only container, from its facts. */
function usableByFacts(facts: number): boolean {
  const availability = factsAvailability(facts);
  return (availability === 'up' || availability === 'held') && factsEligible(facts);
}

function usable(c: ObservedContainer, svc: CatalogService, slot: string, index: ObservedIndex): boolean {
  const availability = index.availability.get(c.node);
  return (availability === 'up' || availability === 'held') && svc.eligibleNames.has(c.node) && (svc.spec.deploy.mode !== 'global' || c.node === slot);
}

function keepInPlace(st: SlotState, maxRank: number, index: ObservedIndex, ledger: PlacementLedger): void {
  // With facts, the one candidate is the slot's only container: its rank, node and the
  // node's availability come from them, and the container itself is not read again.
  const facts = hasFacts(st.facts) ? st.facts : 0;
  for (const c of st.candidates) {
    if ((facts ? factsRank(facts) : candidateRank(c, st.svc.hash)) > maxRank) continue;
    const node = facts ? (index.nodeNames[factsNode(facts)] as string) : c.node;
    if (st.displacedBy?.has(node)) continue;
    // Nothing can be done on a held node; its replica keeps its place (and its share of the ledger).
    const availability = facts ? factsAvailability(facts) : index.availability.get(node);
    const rejection = availability === 'held' ? undefined : ledger.admit(node, st.svc, st.slot);
    if (rejection) {
      (st.displacedBy ??= new Map()).set(node, rejection.detail);
      continue;
    }
    ledger.record(node, st.svc, st.slot);
    st.node = node;
    st.sticky = true;
    return;
  }
}

function placeNew(st: SlotState, catalog: Catalog, index: ObservedIndex, ledger: PlacementLedger): void {
  const { svc, slot } = st;
  const rejections: Rejection[] = [];
  const spread = svc.spec.deploy.placement.spreadLabels;
  let best: string | undefined;
  let bestKey: number[] = [];
  const nodes = svc.spec.deploy.mode === 'global' ? svc.eligible.filter((n) => n.name === slot) : svc.eligible;
  for (const node of nodes) {
    const availability = index.availability.get(node.name);
    if (availability !== 'up') {
      rejections.push(downRejection(node.name, availability === 'lost'));
      continue;
    }
    const rejection = ledger.admit(node.name, svc, slot);
    if (rejection) {
      rejections.push(rejection);
      continue;
    }
    const key = spread.map((_, level) => ledger.groupCount(svc, groupKey(spread, node.labels, level)));
    key.push(ledger.serviceCount(svc, node.name), ledger.load(node.name));
    if (best === undefined || lessThan(key, bestKey) || (equal(key, bestKey) && node.name < best)) {
      best = node.name;
      bestKey = key;
    }
  }
  if (best !== undefined) {
    ledger.record(best, svc, slot);
    st.node = best;
    return;
  }
  if (svc.spec.deploy.mode !== 'global') {
    for (const node of catalog.cluster.nodes) if (!svc.eligibleNames.has(node.name)) rejections.push(constraintRejection(node.name, svc));
  }
  st.why = describeUnplaceable(svc, slot, rejections);
  // Nowhere to go: the best existing container keeps running where it is (it was running
  // before this plan; removing it would only lose a replica), and keeps its host ports.
  const kept = st.candidates.find((c) => index.availability.get(c.node) === 'up');
  if (kept) {
    st.kept = kept;
    ledger.keepAsItIs(kept, `container ${kept.name} (kept as it is: its replica cannot be placed)`);
    st.why += ` Its container ${kept.name} keeps running on ${kept.node} as it is.`;
  }
}

function lessThan(a: number[], b: number[]): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return (a[i] as number) < (b[i] as number);
  return false;
}

function equal(a: number[], b: number[]): boolean {
  return a.every((v, i) => v === b[i]);
}
