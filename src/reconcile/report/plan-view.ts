// The plan as people read it, shared by the text, Markdown and JSON renderers: container
// actions grouped by stack and service (in plan order), with one line of "what, where,
// why" each. Ensures of networks and volumes are bookkeeping and are left out.
import type { ContainerAction } from '../plan/actions.js';
import { isContainerAction } from '../plan/actions.js';
import type { EnginePlan, FieldChange, PlannedAction } from '../../engine/engine.js';

type Plan = EnginePlan;

export interface ChangeLine {
  /** A container action on plain hosts; on a swarm `service-create`, `service-update`, ... */
  action: ContainerAction['type'] | string;
  /** The change in a word or three: the action type, or the engine's own ("updated", "scaled 2 -> 3"). */
  verb: string;
  container: string;
  /** "node-a", or "node-a → node-b" for a replica that moves. */
  node: string;
  reason: string;
  /** Each changed field with its live and its Git value (Swarm service updates). */
  diff?: FieldChange[];
}

export interface ServiceChanges {
  stack: string;
  service: string;
  declared: boolean;
  lines: ChangeLine[];
}

export function changeLine(a: PlannedAction): ChangeLine {
  // A Swarm action names a service (`<stack>_<service>`) or a node, and Swarm places the tasks.
  if (!isContainerAction(a)) return { action: a.type, verb: a.verb ?? a.type, container: a.service ? `${a.stack}_${a.service}` : a.node, node: a.node || 'swarm', reason: a.reason, ...(a.diff?.length ? { diff: a.diff } : {}) };
  const node = a.type === 'replace' && a.old.node !== a.node ? `${a.old.node} → ${a.node}` : a.node;
  return { action: a.type, verb: a.type, container: a.container.name, node, reason: a.reason };
}

export function changesByService(plan: Plan): ServiceChanges[] {
  const declared = new Map(plan.services.map((s) => [`${s.stack}/${s.service}`, s.declared]));
  const groups = new Map<string, ServiceChanges>();
  for (const a of plan.actions) {
    if (!isContainerAction(a) && !a.type.startsWith('service-')) continue;
    const key = `${a.stack}/${a.service}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { stack: a.stack, service: a.service, declared: declared.get(key) ?? true, lines: [] }));
    group.lines.push(changeLine(a));
  }
  return [...groups.values()];
}

/** Withheld actions grouped by the policy that withholds them. */
export function withheldByReason(plan: Plan): Array<{ because: string; lines: ChangeLine[] }> {
  const groups = new Map<string, ChangeLine[]>();
  for (const w of plan.withheld) {
    const lines = groups.get(w.because);
    if (lines) lines.push(changeLine(w.action));
    else groups.set(w.because, [changeLine(w.action)]);
  }
  return [...groups].map(([because, lines]) => ({ because, lines }));
}

/** The sentence before the summary line when nothing will change. */
export function noChangesSentence(plan: Plan): string {
  const n = plan.withheld.length;
  return n > 0 ? `No changes will be made: policy withholds ${n} change${n === 1 ? '' : 's'} listed above.` : `No changes. The cluster matches ${plan.revision}.`;
}

export function summaryLine(plan: Plan): string {
  const s = plan.summary;
  const start = s.start > 0 ? `, ${s.start} to start` : '';
  return `Plan: ${s.create} to create, ${s.replace} to replace, ${s.remove} to remove${start}.`;
}

export function hasChanges(plan: Plan): boolean {
  const s = plan.summary;
  return s.create + s.replace + s.remove + s.start > 0;
}

export function unreachableNodes(plan: Plan): string[] {
  return plan.nodes
    .filter((n) => n.availability !== 'up')
    .map((n) => (n.availability === 'held' ? `${n.name} is unreachable; its replicas stay placed there until the grace period passes` : `${n.name} is unreachable past its grace period; its replicas are rescheduled`));
}

/** A short, JSON-friendly form for `--format json` and API clients: no create bodies. */
export function planToJson(plan: Plan): Record<string, unknown> {
  return {
    cluster: plan.cluster,
    revision: plan.revision,
    mode: plan.mode,
    summary: plan.summary,
    changes: plan.actions.filter((a) => isContainerAction(a) || a.type.startsWith('service-')).map((a) => ({ stack: a.stack, service: a.service, ...changeLine(a), cause: a.cause })),
    withheld: plan.withheld.map((w) => ({ stack: w.action.stack, service: w.action.service, ...changeLine(w.action), because: w.because })),
    unplaceable: plan.unplaceable,
    drift: plan.drift,
    services: plan.services,
    nodes: plan.nodes,
  };
}
