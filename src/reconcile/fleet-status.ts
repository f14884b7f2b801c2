// Builds the per-service part of the status (sync state, drift, where replicas run) and
// feeds the per-service metrics, from one plan and the observation it was made from.
import type { ObservedState } from '../docker/types.js';
import { LABEL } from '../docker/labels.js';
import type { Plan } from './actions.js';
import type { ServiceStatus, DaemonStatus } from './status.js';

export function servicesStatus(plan: Plan, observed: ObservedState): ServiceStatus[] {
  const replicas = new Map<string, ServiceStatus['replicas']>();
  for (const node of observed.nodes) {
    for (const c of node.containers) {
      if (c.labels[LABEL.managed] !== 'true' || c.labels[LABEL.cluster] !== plan.cluster) continue;
      const key = `${c.labels[LABEL.stack]}/${c.labels[LABEL.service]}`;
      const list = replicas.get(key) ?? [];
      list.push({ slot: c.labels[LABEL.slot] ?? '?', node: node.name, container: c.name, state: c.state, ...(c.health ? { health: c.health } : {}) });
      replicas.set(key, list);
    }
  }
  return plan.services.map((s) => {
    const key = `${s.stack}/${s.service}`;
    return {
      stack: s.stack,
      service: s.service,
      inSync: s.inSync,
      desiredReplicas: s.desired,
      replicas: (replicas.get(key) ?? []).sort((a, b) => a.slot.localeCompare(b.slot, 'en', { numeric: true })),
      drift: plan.drift.entries.filter((d) => d.stack === s.stack && d.service === s.service).map((d) => ({ node: d.node, kind: d.kind, count: d.count, containers: d.containers })),
      unplaceable: plan.unplaceable.filter((u) => u.stack === s.stack && u.service === s.service).map((u) => ({ slot: u.slot, reason: u.reason })),
    };
  });
}

export function conflictsStatus(plan: Plan): DaemonStatus['conflicts'] {
  return plan.drift.conflicts.map((c) => ({ node: c.node, container: c.container, reason: c.message }));
}
