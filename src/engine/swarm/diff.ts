// plan(desired, observed) for a swarm: pure, per service. A service is missing (create),
// extra (remove, when prune allows), or its live spec differs from Git's (update: the spec
// hash label changed with a commit, or a field was changed by hand), or it runs fewer tasks
// than it should (reported; Swarm's own orchestrator restarts tasks). Overlay networks of
// each stack come first, node labels from cluster.yaml are reconciled onto the swarm nodes.
import type { DesiredState } from '../../manifests/model.js';
import type { Conflict, DriftEntry, PlanMode, ServiceSummary } from '../../reconcile/plan/actions.js';
import { emptyCounts } from '../../reconcile/plan/actions.js';
import { applyOrder } from '../../reconcile/plan/service-order.js';
import { LABEL, isManagedBy } from '../../docker/labels.js';
import type { EnginePlanOptions } from '../engine.js';
import { desiredService, overlayNetworks, type DesiredService } from './service-spec.js';
import { differingPaths } from './spec-compare.js';
import { describeFileChanges } from '../../reconcile/plan/file-changes.js';
import { objectCreateActions, objectIds, objectRemoveActions } from './object-plan.js';
import { withObjectIds, type DesiredObject } from './swarm-objects.js';
import { fieldChanges } from './field-diff.js';
import { onlyRevertedUpdateConfig } from './revert-spec.js';
import type { SwarmAction, SwarmObservation, SwarmPlan, SwarmService, SwarmServiceSpec } from './swarm-types.js';

/** Keys of node labels Flotilla set, so a label removed from Git is removed from the node too. */
export const MANAGED_NODE_LABELS = 'flotilla.labels';

export function planSwarm(desired: DesiredState, o: SwarmObservation | undefined, options: EnginePlanOptions, nodes: SwarmPlan['nodes']): SwarmPlan {
  const cluster = desired.cluster.name;
  const actions: SwarmAction[] = [];
  const drift: DriftEntry[] = [];
  const conflicts: Conflict[] = [];
  const services: ServiceSummary[] = [];
  const live = new Map((o?.services ?? []).map((s) => [s.name, s]));
  const networkIds = new Map((o?.networks ?? []).map((n) => [n.name, n.id]));

  for (const stack of desired.stacks) {
    for (const body of overlayNetworks(cluster, stack)) {
      if (o && !networkIds.has(body.Name)) actions.push({ type: 'network-create', stack: stack.name, service: '', node: '', reason: `overlay network ${body.Name} does not exist`, cause: 'converge', body });
    }
  }
  if (o) actions.push(...nodeLabelActions(desired, o));

  const declared = new Set<string>();
  const ids = o ? objectIds(cluster, o) : new Map<string, string>();
  const wantedObjects: Array<{ stack: string; object: DesiredObject }> = [];
  const serviceActions: SwarmAction[] = [];
  for (const { stack, service } of applyOrder(desired.stacks)) {
    const want = desiredService(cluster, stack, service, options.commit);
    declared.add(want.name);
    wantedObjects.push(...want.objects.map((object) => ({ stack: stack.name, object })));
    const have = live.get(want.name);
    const summary: ServiceSummary = { stack: stack.name, service: service.name, declared: true, mode: service.deploy.mode, desired: want.replicas === 'global' ? 0 : want.replicas, placed: 0, current: 0, held: [], inSync: true, changes: emptyCounts(), withheld: 0, unplaceable: 0 };
    services.push(summary);
    if (!o) continue;
    const base = { stack: stack.name, service: service.name, node: '' };
    if (have && !isManagedBy(have.labels, cluster)) {
      conflicts.push({ ...base, container: have.name, containerId: have.id, owner: have.labels[LABEL.managed] === 'true' ? `cluster ${have.labels[LABEL.cluster] ?? '?'}` : 'unmanaged', holds: 'name', message: `service ${have.name} exists and is not this cluster's; Flotilla leaves it alone (remove it or rename the Compose service)` });
      summary.inSync = false;
      continue;
    }
    if (!have) {
      serviceActions.push({ ...base, type: 'service-create', verb: 'created', reason: `service ${want.name} does not exist`, cause: 'converge', spec: resolved(want.spec, networkIds, ids) });
      drift.push({ ...base, kind: 'missing', count: Math.max(1, summary.desired), containers: [want.name] });
      continue;
    }
    const running = o.tasks.filter((t) => t.serviceId === have.id && t.desiredState === 'running' && t.state === 'running').length;
    summary.placed = summary.current = running;
    if (want.replicas === 'global') summary.desired = Math.max(running, 1);
    const fields = changedFields(want, have, networkIds, ids);
    if (fields.length > 0) {
      const byGit = have.labels[LABEL.specHash] !== want.specHash;
      const scale = fields.every((f) => f === 'Mode.Replicated.Replicas');
      // Names and digests only: "config nginx.conf changed", never a secret's content.
      const files = describeFileChanges(have.labels[LABEL.files], want.spec.Labels[LABEL.files]);
      const spec = resolved(want.spec, networkIds, ids);
      const diff = fieldChanges(fields, spec, have.spec);
      const replicas = diff.find((c) => c.field === 'Mode.Replicated.Replicas');
      const verb = scale && replicas ? `scaled ${replicas.from} -> ${replicas.to}` : 'updated';
      serviceActions.push({ ...base, type: 'service-update', verb, diff, id: have.id, version: have.version, spec, fields, scale, reason: `${files.length ? `${files.join(', ')}; ` : ''}${byGit ? 'the spec in Git changed' : 'the live spec was changed outside Git'}: ${fields.join(', ')}`, cause: 'converge' });
      drift.push({ ...base, kind: 'outdated', count: Math.max(1, running), containers: [have.name] });
    } else if (running < summary.desired) {
      drift.push({ ...base, kind: 'missing', count: summary.desired - running, containers: [have.name] });
    }
  }
  if (o) actions.push(...objectCreateActions(cluster, wantedObjects, o));
  actions.push(...serviceActions);
  const kept = (o?.services ?? []).filter((s) => !declared.has(s.name) && (!isManagedBy(s.labels, cluster) || !options.prune));
  for (const s of o?.services ?? []) {
    if (declared.has(s.name) || !isManagedBy(s.labels, cluster)) continue;
    const base = { stack: s.labels[LABEL.stack] ?? '', service: s.labels[LABEL.service] ?? s.name, node: '' };
    actions.push({ ...base, type: 'service-remove', verb: 'removed', id: s.id, name: s.name, reason: `service ${s.name} is no longer declared`, cause: 'prune' });
    drift.push({ ...base, kind: 'extra', count: 1, containers: [s.name] });
    services.push({ ...base, declared: false, desired: 0, placed: 0, current: 0, held: [], inSync: false, changes: emptyCounts(), withheld: 0, unplaceable: 0 });
  }

  if (o) actions.push(...objectRemoveActions(cluster, new Set(wantedObjects.map(({ object }) => `${object.kind} ${object.name}`)), kept, o));

  const allowed: SwarmAction[] = [];
  const withheld: SwarmPlan['withheld'] = [];
  for (const a of actions) {
    const because = withheldBecause(a, options.mode, options);
    if (because) withheld.push({ action: a, because });
    else allowed.push(a);
  }
  const bySvc = new Map(services.map((s) => [`${s.stack}/${s.service}`, s]));
  for (const a of allowed) count(bySvc.get(`${a.stack}/${a.service}`), a, false);
  for (const w of withheld) count(bySvc.get(`${w.action.stack}/${w.action.service}`), w.action, true);
  const driftOf = new Set(drift.map((d) => `${d.stack}/${d.service}`));
  for (const s of services) if (driftOf.has(`${s.stack}/${s.service}`) || s.withheld > 0) s.inSync = false;
  const totals = emptyCounts();
  for (const a of allowed) if (a.type === 'service-create') totals.create++; else if (a.type === 'service-update') totals.replace++; else if (a.type === 'service-remove') totals.remove++;
  const inSync = services.filter((s) => s.inSync).length;
  return {
    cluster, revision: options.commit, mode: options.mode, actions: allowed, withheld, unplaceable: [], drift: { entries: drift, conflicts }, services, nodes,
    summary: { ...totals, withheld: withheld.length, unplaceable: 0, conflicts: conflicts.length, servicesInSync: inSync, servicesOutOfSync: services.length - inSync },
  };
}

function count(s: ServiceSummary | undefined, a: SwarmAction, held: boolean): void {
  if (!s) return;
  if (held) s.withheld++;
  else if (a.type === 'service-create') s.changes.create++;
  else if (a.type === 'service-update') s.changes.replace++;
  else if (a.type === 'service-remove') s.changes.remove++;
}

// The commit and hash labels differ with every change; the fields they stand for are compared instead.
const IGNORED = new Set([`Labels.${LABEL.commit}`, `Labels.${LABEL.specHash}`]);

function changedFields(want: DesiredService, have: SwarmService, networkIds: Map<string, string>, objectIds: Map<string, string>): string[] {
  const spec = resolved(want.spec, networkIds, objectIds);
  const fields = differingPaths(spec, have.spec, '', IGNORED);
  // What a revert sent (rollback_config as UpdateConfig) with Git's hash is the Git spec, not drift.
  if (have.labels[LABEL.specHash] === want.specHash && onlyRevertedUpdateConfig(fields, spec, have.spec, IGNORED)) return [];
  // Equal fields but another hash: a Flotilla version that hashed differently; rewrite the labels only.
  if (fields.length === 0 && have.labels[LABEL.specHash] !== want.specHash) return [`Labels.${LABEL.specHash}`];
  return fields;
}

/** The spec as sent: network and object IDs where the swarm has them (objects made this cycle get theirs in apply). */
function resolved(spec: SwarmServiceSpec, networkIds: Map<string, string>, objectIds: Map<string, string>): SwarmServiceSpec {
  return withObjectIds(withNetworkIds(spec, networkIds), objectIds);
}

/** Docker keeps network IDs in the stored spec; compare and send them as IDs where known. */
function withNetworkIds(spec: SwarmServiceSpec, ids: Map<string, string>): SwarmServiceSpec {
  const task = spec.TaskTemplate as { Networks?: Array<{ Target: string; Aliases: string[] }> };
  if (!task.Networks) return spec;
  return { ...spec, TaskTemplate: { ...task, Networks: task.Networks.map((n) => ({ ...n, Target: ids.get(n.Target) ?? n.Target })) } };
}

function nodeLabelActions(desired: DesiredState, o: SwarmObservation): SwarmAction[] {
  const out: SwarmAction[] = [];
  for (const declaredNode of desired.cluster.nodes) {
    const node = o.nodes.find((n) => n.hostname === declaredNode.name);
    if (!node) continue;
    const before = new Set((node.labels[MANAGED_NODE_LABELS] ?? '').split(',').filter(Boolean));
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(node.labels)) if (!before.has(k) && k !== MANAGED_NODE_LABELS) labels[k] = v;
    Object.assign(labels, declaredNode.labels);
    const keys = Object.keys(declaredNode.labels).sort();
    if (keys.length > 0) labels[MANAGED_NODE_LABELS] = keys.join(',');
    if (JSON.stringify(sorted(labels)) === JSON.stringify(sorted(node.labels))) continue;
    out.push({ type: 'node-labels', stack: '', service: '', node: node.hostname, nodeId: node.id, version: node.version, spec: { ...node.spec, Labels: labels }, reason: `node labels differ from cluster.yaml (${keys.map((k) => `${k}=${declaredNode.labels[k]}`).join(', ') || 'none declared'})`, cause: 'converge' });
  }
  return out;
}

function sorted(r: Record<string, string>): Array<[string, string]> {
  return Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function withheldBecause(a: SwarmAction, mode: PlanMode, options: EnginePlanOptions): string | undefined {
  if (mode === 'report') return 'the plan is report-only (rollout paused): nothing is changed until it is resumed';
  if (a.cause === 'prune' && !options.prune) return 'prune is off: services no longer declared are kept';
  if (mode === 'resync' && !options.selfHeal) return 'selfHeal is off: drift of an applied revision is only reported; it is corrected by the next new revision or a manual sync';
  return undefined;
}
