// Compares the schedule with what runs: for every placed replica, the container that
// stands for it (and how it differs), and every managed container that stands for nothing
// (surplus). From that, the drift report of DESIGN.md: per (stack, service, node) the
// missing, extra, outdated, stopped and unhealthy containers. No decision about what to do
// is taken here; the planner turns verdicts into actions and applies policy.
import type { ObservedContainer } from '../../docker/types.js';
import type { DriftKind } from '../../metrics.js';
import { containerName } from '../../docker/labels.js';
import type { DriftEntry } from './actions.js';
import { replicaName, serviceKey, serviceLabel, type Catalog, type CatalogService } from './catalog.js';
import { cmp, compareCandidates, identityOf, type ObservedIndex } from './observed-index.js';
import { isPlaced, type DetailedSchedule, type Placement } from './scheduler.js';
import { factsAvailability, factsJudged, factsNode, hasFacts, judgeContainer, type Judged } from './slot-facts.js';

export type ReplicaVerdict =
  | { kind: 'in-sync'; container: ObservedContainer }
  /** On a node unreachable within its grace period: state unknown, left as it was. */
  | { kind: 'held'; container: ObservedContainer }
  | { kind: 'missing' }
  /** Its container was on a node lost past its grace period. */
  | { kind: 'rescheduled'; from: string }
  | { kind: 'moved'; container: ObservedContainer; why: string }
  | { kind: 'outdated'; container: ObservedContainer; change: 'image-changed' | 'spec-changed' | 'renamed' }
  | { kind: 'stopped'; container: ObservedContainer; startable: boolean }
  | { kind: 'unhealthy'; container: ObservedContainer };

export interface ReplicaAssessment {
  svc: CatalogService;
  placement: Placement;
  verdict: ReplicaVerdict;
}

export type SurplusWhy = 'scaled-down' | 'service-removed' | 'node-ineligible' | 'duplicate' | 'stale' | 'invalid-slot';

export interface Surplus {
  container: ObservedContainer;
  stack: string;
  service: string;
  slot: string;
  /** Absent for a service no longer declared. */
  svc?: CatalogService;
  why: SurplusWhy;
  detail: string;
}

export interface Assessment {
  replicas: ReplicaAssessment[];
  surplus: Surplus[];
  drift: DriftEntry[];
}

const KIND_ORDER: Record<DriftKind, number> = { missing: 0, outdated: 1, stopped: 2, unhealthy: 3, extra: 4 };

export function assessDrift(catalog: Catalog, index: ObservedIndex, schedule: DetailedSchedule): Assessment {
  const replicas: ReplicaAssessment[] = [];
  const surplus: Surplus[] = [];
  // Managed containers on reachable nodes that no slot of the schedule stands for; judged last.
  // Found by structure instead of a set of every claimed container: the containers of a
  // slot belong to no other slot, so each slot accounts for its own.
  const unclaimed: ObservedContainer[] = [];
  const globalSlots = new Map<string, Set<string>>();
  const avail = (node: string) => index.availability.get(node);
  const extra = (c: ObservedContainer, svc: CatalogService | undefined, why: SurplusWhy, detail: string): void => {
    const id = identityOf(c);
    surplus.push({ container: c, ...id, ...(svc ? { svc } : {}), why, detail });
  };

  for (const p of schedule.slots) {
    const global = p.svc.spec.deploy.mode === 'global';
    if (global) addToSet(globalSlots, p.svc.key, p.slot);
    if (!isPlaced(p)) continue;
    const { svc, observed: all } = p;
    // The usual replica: its only container runs on its node, which answers. Judged from
    // the facts the index read (slot-facts.ts); nothing else of the slot needs a look.
    if (hasFacts(p.facts) && factsAvailability(p.facts) === 'up' && index.nodeNames[factsNode(p.facts)] === p.node) {
      replicas.push({ svc, placement: p, verdict: verdictOf(factsJudged(p.facts), all[0] as ObservedContainer) });
      continue;
    }
    const desiredName = replicaName(svc, p.slot);
    const { keeper, source, lostOne } = pick(all, p, svc, desiredName, index);
    let verdict: ReplicaVerdict;
    if (keeper) {
      verdict = avail(keeper.node) === 'held' ? { kind: 'held', container: keeper } : judge(keeper, svc, desiredName);
    } else if (source) {
      verdict = { kind: 'moved', container: source, why: moveReason(source.node, p, svc, catalog) };
    } else verdict = lostOne ? { kind: 'rescheduled', from: lostOne.node } : { kind: 'missing' };
    replicas.push({ svc, placement: p, verdict });
    const keptOn = keeper?.node ?? p.node;
    for (const c of all) {
      if (c === keeper || c === source || avail(c.node) !== 'up') continue;
      // A global replica's container on another node is not this slot's: judged with the unclaimed.
      if (global && c.node !== p.slot) unclaimed.push(c);
      else if (!svc.eligibleNames.has(c.node)) extra(c, svc, 'node-ineligible', ineligible(c.node, svc, catalog));
      else if (c.node === keptOn) extra(c, svc, 'duplicate', `duplicate of replica ${p.slot} on ${c.node}`);
      else extra(c, svc, 'stale', `stale copy of replica ${p.slot}, which runs on ${keptOn} (left behind while ${c.node} was unreachable, or placed twice)`);
    }
  }

  for (const { svc, unplaceable: u, observed } of schedule.slots) {
    if (!u) continue;
    // With nowhere to go, the container the scheduler chose keeps running as it is.
    const live = observed.filter((c) => avail(c.node) === 'up');
    const kept = u.kept ? live.find((c) => c.node === u.kept?.node && c.name === u.kept.container) : undefined;
    for (const c of live) {
      if (c === kept) continue;
      if (!svc.eligibleNames.has(c.node) || (svc.spec.deploy.mode === 'global' && c.node !== u.slot)) extra(c, svc, 'node-ineligible', ineligible(c.node, svc, catalog));
      else if (kept) extra(c, svc, c.node === kept.node ? 'duplicate' : 'stale', `duplicate of replica ${u.slot}, which is kept on ${kept.node}`);
      else extra(c, svc, 'duplicate', `duplicate of replica ${u.slot}`);
    }
  }

  // Containers labelled with a slot the schedule does not have (service gone, scaled down, bad slot).
  // (Containers of declared replicated slots are all in `replicatedSlots`, and so were seen above.)
  for (const [key, slots] of index.otherSlots) {
    const svc = catalog.byKey.get(key);
    for (const [slot, list] of slots) {
      if (svc && svc.spec.deploy.mode === 'global' && globalSlots.get(key)?.has(slot) === true) continue;
      for (const c of list) if (avail(c.node) === 'up') unclaimed.push(c);
    }
  }
  // Docker lists containers in no particular order: sort the few unclaimed ones, not all.
  unclaimed.sort(byNodeAndName);
  for (const c of unclaimed) {
    const id = identityOf(c);
    const svc = catalog.byKey.get(serviceKey(id.stack, id.service));
    if (!svc) {
      extra(c, undefined, 'service-removed', `${id.stack}/${id.service} is no longer declared in Git`);
    } else if (svc.spec.deploy.mode === 'global') {
      if (!svc.eligibleNames.has(c.node)) extra(c, svc, 'node-ineligible', ineligible(c.node, svc, catalog));
      else extra(c, svc, 'invalid-slot', `slot "${id.slot}" does not name its node ${c.node} (${serviceLabel(svc)} is global: one replica per node, slot = node name)`);
    } else if (/^[1-9][0-9]*$/.test(id.slot) && Number(id.slot) > svc.spec.deploy.replicas) {
      extra(c, svc, 'scaled-down', `scaled down: ${serviceLabel(svc)} declares ${svc.spec.deploy.replicas} replica(s), replica ${id.slot} is no longer needed`);
    } else {
      extra(c, svc, 'invalid-slot', `slot "${id.slot}" is not one of the replicas 1..${svc.spec.deploy.replicas} of ${serviceLabel(svc)}`);
    }
  }

  return { replicas, surplus, drift: driftEntries(catalog, replicas, surplus, schedule) };
}

function addToSet(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set) set.add(value);
  else map.set(key, new Set([value]));
}

function byNodeAndName(a: ObservedContainer, b: ObservedContainer): number {
  return cmp(a.node, b.node) || cmp(a.name, b.name) || cmp(a.id, b.id);
}

interface Picked {
  /** The container standing for the replica on its node. */
  keeper?: ObservedContainer;
  /** Else the one on another reachable node that moves to it. */
  source?: ObservedContainer;
  /** Else one on a node lost past its grace period. */
  lostOne?: ObservedContainer;
}

/**
 * One pass, no filtering or sorting: a slot nearly always has one container. The keeper is
 * the best on the placement's node (its desired name first, then `candidateOrder`), the
 * source the best on any reachable node; the first in Docker's order wins a tie.
 */
function pick(all: readonly ObservedContainer[], p: Placement, svc: CatalogService, desiredName: string, index: ObservedIndex): Picked {
  const global = svc.spec.deploy.mode === 'global';
  let keeper: ObservedContainer | undefined;
  let source: ObservedContainer | undefined;
  let lostOne: ObservedContainer | undefined;
  for (const c of all) {
    if (global && c.node !== p.slot) continue;
    const availability = index.availability.get(c.node);
    if (c.node === p.node && (availability === 'up' || availability === 'held')) {
      if (!keeper || betterKeeper(c, keeper, desiredName, svc.hash)) keeper = c;
    }
    if (availability === 'up' && (!source || compareCandidates(c, source, svc.hash) < 0)) source = c;
    if (availability === 'lost') lostOne ??= c;
  }
  if (keeper) return { keeper };
  if (source) return { source };
  return lostOne ? { lostOne } : {};
}

/** Whether `c` stands for a replica better than `than`: its desired name first, then `candidateOrder`. */
function betterKeeper(c: ObservedContainer, than: ObservedContainer, desiredName: string, hash: string): boolean {
  const named = Number(c.name === desiredName) - Number(than.name === desiredName);
  return named > 0 || (named === 0 && compareCandidates(c, than, hash) < 0);
}

function judge(c: ObservedContainer, svc: CatalogService, desiredName: string): ReplicaVerdict {
  return verdictOf(judgeContainer(c, c.name === desiredName, { hash: svc.hash, image: svc.base.Image, runsOnce: svc.spec.runsOnce === true }), c);
}

function verdictOf(judged: Judged, c: ObservedContainer): ReplicaVerdict {
  switch (judged) {
    case 'in-sync':
      return { kind: 'in-sync', container: c };
    case 'renamed':
    case 'image-changed':
    case 'spec-changed':
      return { kind: 'outdated', container: c, change: judged };
    case 'stopped':
      return { kind: 'stopped', container: c, startable: true };
    case 'stuck':
      return { kind: 'stopped', container: c, startable: false };
    case 'unhealthy':
      return { kind: 'unhealthy', container: c };
  }
}

function ineligible(node: string, svc: CatalogService, catalog: Catalog): string {
  if (!catalog.nodes.has(node)) return `${node} is no longer declared in the cluster`;
  return `${node} no longer matches the placement constraints [${svc.spec.deploy.placement.constraints.map((c) => c.text).join(', ')}]`;
}

function moveReason(from: string, p: Placement, svc: CatalogService, catalog: Catalog): string {
  if (!catalog.nodes.has(from) || !svc.eligibleNames.has(from)) return ineligible(from, svc, catalog);
  const displaced = p.displaced?.find((d) => d.node === from);
  return displaced ? `${from} ${displaced.reason}` : `${from} can no longer take it`;
}

function driftEntries(catalog: Catalog, replicas: ReplicaAssessment[], surplus: Surplus[], schedule: DetailedSchedule): DriftEntry[] {
  const entries = new Map<string, DriftEntry>();
  // Apply order of each entry's service, looked up once per entry rather than per comparison.
  const rankOf = new Map<DriftEntry, number>();
  const add = (stack: string, service: string, node: string, kind: DriftKind, container: string): void => {
    const key = `${stack}\u0000${service}\u0000${node}\u0000${kind}`;
    const entry = entries.get(key);
    if (entry) {
      entry.count++;
      entry.containers.push(container);
      return;
    }
    const created: DriftEntry = { stack, service, node, kind, count: 1, containers: [container] };
    entries.set(key, created);
    rankOf.set(created, catalog.byKey.get(serviceKey(stack, service))?.order ?? Number.MAX_SAFE_INTEGER);
  };
  for (const { svc, placement: p, verdict: v } of replicas) {
    if (v.kind === 'in-sync' || v.kind === 'held') continue;
    if (v.kind === 'missing' || v.kind === 'rescheduled') add(p.stack, p.service, p.node, 'missing', replicaName(svc, p.slot));
    else if (v.kind === 'moved' || v.kind === 'outdated') add(p.stack, p.service, v.container.node, 'outdated', v.container.name);
    else if (v.kind === 'stopped' || v.kind === 'unhealthy') add(p.stack, p.service, v.container.node, v.kind, v.container.name);
  }
  for (const u of schedule.unplaceable) {
    const fixedName = catalog.byKey.get(serviceKey(u.stack, u.service))?.spec.containerName;
    add(u.stack, u.service, '', 'missing', containerName(u.stack, u.service, u.slot, fixedName));
  }
  for (const s of surplus) add(s.stack, s.service, s.container.node, 'extra', s.container.name);
  const rank = (e: DriftEntry): number => rankOf.get(e) as number;
  return [...entries.values()].sort(
    (a, b) => rank(a) - rank(b) || cmp(a.stack, b.stack) || cmp(a.service, b.service) || cmp(a.node, b.node) || KIND_ORDER[a.kind] - KIND_ORDER[b.kind],
  );
}
