// Keeps a standing drift from being announced every cycle. The reconciler reports drift on
// every reconcile while it lasts; the dispatcher sends it only when its fingerprint
// changes: a new drift set, or the same one after it had cleared. The reconciler reports
// "cleared" with a drift event whose set is empty (no entries, no services); that event
// itself is never sent. (node_down is announced by the reconciler on the up-to-down
// transition only, so it needs no filtering here.)
import { createHash } from 'node:crypto';
import type { FleetEvent, FleetEventType } from './types.js';

/** Events that describe a standing condition, reported every cycle while it lasts. */
const STANDING: ReadonlySet<FleetEventType> = new Set(['drift']);

export class StandingEventFilter {
  private readonly last = new Map<string, string>();

  /** True when the event should go out; records what was seen either way. */
  admit(event: FleetEvent): boolean {
    if (!STANDING.has(event.type)) return true;
    const key = `${event.cluster}\u0000${event.type}`;
    const entries = conditionEntries(event);
    if (entries.length === 0) {
      this.last.delete(key);
      return false;
    }
    const fingerprint = fingerprintOf(entries);
    if (this.last.get(key) === fingerprint) return false;
    this.last.set(key, fingerprint);
    return true;
  }
}

/**
 * The condition as sorted, comparable lines. Drift entries in `details.drift`
 * ({stack, service, node, kind, count}) are used when present, so that a change of kind or
 * count on one node is a new drift; container ids and timestamps are left out on purpose,
 * since a replaced container with the same drift is the same drift.
 */
export function conditionEntries(event: FleetEvent): string[] {
  const drift = event.details?.drift;
  if (Array.isArray(drift) && drift.length > 0) {
    return drift
      .filter((d): d is Record<string, unknown> => d !== null && typeof d === 'object')
      .map((d) => JSON.stringify([d.stack, d.service, d.node, d.kind, d.count]))
      .sort();
  }
  return [...new Set(event.services)].sort().map((s) => JSON.stringify([s, event.nodes.slice().sort()]));
}

export function fingerprintOf(entries: string[]): string {
  return createHash('sha256').update(entries.join('\n')).digest('hex');
}
