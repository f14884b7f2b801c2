// Per-service and whole-plan figures: what `flotilla plan` prints at the bottom, what the
// status API shows, and what the metrics `service_in_sync` and `out_of_sync_services` read.
import type { Action, ChangeCounts, DriftEntry, Plan, ServiceSummary, WithheldAction } from './actions.js';
import { emptyCounts, isContainerAction } from './actions.js';
import { serviceKey, type Catalog } from './catalog.js';
import { LABEL } from '../../docker/labels.js';
import type { Assessment } from './drift.js';
import { cmp } from './observed-index.js';
import type { Unplaceable } from './scheduler.js';

export function summarizeServices(catalog: Catalog, assessment: Assessment, scheduledUnplaceable: readonly Unplaceable[], unplaceable: readonly Unplaceable[], actions: readonly Action[], withheld: readonly WithheldAction[], drift: readonly DriftEntry[]): ServiceSummary[] {
  const tally = new Map<string, { changes: ChangeCounts; withheld: number; unplaceable: number; drift: number }>();
  const of = (stack: string, service: string) => {
    const key = serviceKey(stack, service);
    let t = tally.get(key);
    if (!t) tally.set(key, (t = { changes: emptyCounts(), withheld: 0, unplaceable: 0, drift: 0 }));
    return t;
  };
  for (const a of actions) if (isContainerAction(a)) of(a.stack, a.service).changes[a.type]++;
  for (const w of withheld) of(w.action.stack, w.action.service).withheld++;
  // Blocked actions are reported as unplaceable too, but their slot was placed: count
  // declared slots from the schedule's own unplaceable list, not this one.
  for (const u of unplaceable) of(u.stack, u.service).unplaceable++;
  const unplacedSlots = new Map<string, number>();
  for (const u of scheduledUnplaceable) unplacedSlots.set(serviceKey(u.stack, u.service), (unplacedSlots.get(serviceKey(u.stack, u.service)) ?? 0) + 1);
  for (const d of drift) of(d.stack, d.service).drift++;

  const out: ServiceSummary[] = [];
  // Per declared service, by its `order` in the catalog: counters in arrays, not a list of
  // replicas per service, since every replica of every plan passes through here.
  const n = catalog.services.length;
  const placed = new Uint32Array(n);
  const inSyncReplicas = new Uint32Array(n);
  const heldNames: string[][] = [];
  const heldCurrent = new Uint32Array(n);
  for (const r of assessment.replicas) {
    const order = r.svc.order;
    (placed[order] as number)++;
    if (r.verdict.kind === 'in-sync') (inSyncReplicas[order] as number)++;
    else if (r.verdict.kind === 'held') {
      (heldNames[order] ??= []).push(r.verdict.container.name);
      if (r.verdict.container.labels[LABEL.specHash] === r.svc.hash) (heldCurrent[order] as number)++;
    }
  }
  for (const svc of catalog.services) {
    // Only services with something to report have a tally; the others get fresh zeros.
    const t = tally.get(svc.key) ?? { changes: emptyCounts(), withheld: 0, unplaceable: 0, drift: 0 };
    const order = svc.order;
    const held = heldNames[order] ?? [];
    const pending = t.changes.create + t.changes.replace + t.changes.remove + t.changes.start;
    out.push({
      stack: svc.stack.name,
      service: svc.spec.name,
      declared: true,
      mode: svc.spec.deploy.mode,
      desired: (placed[order] as number) + (unplacedSlots.get(svc.key) ?? 0),
      placed: placed[order] as number,
      current: (inSyncReplicas[order] as number) + (heldCurrent[order] as number),
      held,
      inSync: t.drift === 0 && t.unplaceable === 0 && pending === 0 && t.withheld === 0 && heldCurrent[order] === held.length,
      changes: t.changes,
      withheld: t.withheld,
      unplaceable: t.unplaceable,
    });
  }
  const undeclared = new Map<string, { stack: string; service: string }>();
  for (const s of assessment.surplus) if (!s.svc) undeclared.set(serviceKey(s.stack, s.service), { stack: s.stack, service: s.service });
  for (const { stack, service } of [...undeclared.values()].sort((a, b) => cmp(a.stack, b.stack) || cmp(a.service, b.service))) {
    const t = of(stack, service);
    out.push({ stack, service, declared: false, desired: 0, placed: 0, current: 0, held: [], inSync: false, changes: t.changes, withheld: t.withheld, unplaceable: 0 });
  }
  return out;
}

export function planTotals(p: Omit<Plan, 'summary'>): Plan['summary'] {
  const counts = emptyCounts();
  for (const a of p.actions) if (isContainerAction(a)) counts[a.type]++;
  const inSync = p.services.filter((s) => s.inSync).length;
  return {
    ...counts,
    withheld: p.withheld.length,
    unplaceable: p.unplaceable.length,
    conflicts: p.drift.conflicts.length,
    servicesInSync: inSync,
    servicesOutOfSync: p.services.length - inSync,
  };
}
