// Turns the drift assessment into container actions, in apply order: service by service
// (depends_on order across stacks), and inside a service the creates of new replicas, the
// starts, the replaces, then the removes of surplus replicas; removes of services no longer
// declared come last. Policy (selfHeal, prune) and execution order fixes are applied later.
import type { ObservedContainer } from '../../docker/types.js';
import { containerName, LABEL } from '../../docker/labels.js';
import type { ActionCause, ContainerAction, CreateAction, RemoveAction, RemoveKind, ReplaceAction, ReplaceKind, StartAction } from './actions.js';
import type { Catalog } from './catalog.js';
import { addTo } from './multimap.js';
import { desiredContainer } from './container-spec.js';
import type { Assessment, ReplicaAssessment, Surplus, SurplusWhy } from './drift.js';
import { heldHostPorts, hostPortsCollide } from './host-ports.js';
import { cmp } from './observed-index.js';
import { describeFileChanges, describeSealedEnvChanges } from './file-changes.js';

const REMOVE_KIND: Record<SurplusWhy, RemoveKind> = {
  'scaled-down': 'scaled-down',
  'service-removed': 'service-removed',
  'node-ineligible': 'node-ineligible',
  duplicate: 'duplicate',
  stale: 'stale',
  'invalid-slot': 'invalid-slot',
};

export function draftActions(catalog: Catalog, assessment: Assessment, commit: string): ContainerAction[] {
  // Most replicas need nothing: group only the actions there are, not every replica.
  const actionsOf = new Map<string, ContainerAction[]>();
  for (const r of assessment.replicas) {
    const action = replicaAction(r, commit);
    if (action) addTo(actionsOf, r.svc.key, action);
  }
  const surplusOf = new Map<string, Surplus[]>();
  const undeclared: Surplus[] = [];
  for (const s of assessment.surplus) {
    if (s.svc) addTo(surplusOf, s.svc.key, s);
    else undeclared.push(s);
  }

  const out: ContainerAction[] = [];
  for (const svc of catalog.services) {
    const actions = actionsOf.get(svc.key);
    if (actions) for (const type of REPLICA_ACTION_ORDER) for (const a of actions) if (a.type === type) out.push(a);
    const surplus = surplusOf.get(svc.key);
    if (surplus) for (const s of surplus) out.push(removeAction(s));
  }
  undeclared.sort((a, b) => cmp(a.stack, b.stack) || cmp(a.service, b.service) || cmp(a.container.node, b.container.node) || cmp(a.container.name, b.container.name));
  out.push(...undeclared.map(removeAction));
  return out;
}

/** Inside a service: creates of new replicas, then starts, then replaces (each in slot order). */
const REPLICA_ACTION_ORDER = ['create', 'start', 'replace'] as const;

function replicaAction(r: ReplicaAssessment, commit: string): ContainerAction | undefined {
  const { svc, placement: p, verdict: v } = r;
  if (v.kind === 'in-sync' || v.kind === 'held') return undefined;
  const id = { stack: p.stack, service: p.service, slot: p.slot };
  const build = () => desiredContainer(svc.base, svc.hash, p.stack, p.service, p.slot, p.node, commit, svc.spec.containerName);
  // Copies: the catalog is kept across plans of a revision, actions are the executor's.
  const create = (reason: string, cause: ActionCause): CreateAction => ({ type: 'create', ...id, node: p.node, reason, cause, container: build(), connect: [...svc.connect], ...(svc.endpoints ? { endpoints: svc.endpoints } : {}) });
  const replace = (old: ObservedContainer, kind: ReplaceKind, reason: string): ReplaceAction => {
    const sameNode = old.node === p.node;
    const mustStopFirst = sameNode && heldHostPorts(old.publishedPorts).some((held) => svc.ports.some((port) => hostPortsCollide(held, port)));
    return { type: 'replace', ...id, node: p.node, reason, cause: 'converge', kind, old, container: build(), connect: [...svc.connect], ...(svc.endpoints ? { endpoints: svc.endpoints } : {}), mustStopFirst };
  };
  switch (v.kind) {
    case 'missing':
      return create(svc.spec.deploy.mode === 'global' ? `no container on ${p.node} (global service: one per eligible node)` : `no container for replica ${p.slot} of ${svc.spec.deploy.replicas}`, 'converge');
    case 'rescheduled':
      return create(`rescheduled from ${v.from}, unreachable past its grace period`, 'node-availability');
    case 'moved':
      return replace(v.container, 'moved', `moved from ${v.container.node} to ${p.node}: ${v.why}`);
    case 'outdated':
      if (v.change === 'renamed') return replace(v.container, 'renamed', `renamed out of band to ${v.container.name}; recreated as ${containerName(p.stack, p.service, p.slot, svc.spec.containerName)}`);
      if (v.change === 'image-changed') return replace(v.container, 'image-changed', `image changed: ${v.container.image} → ${svc.base.Image}`);
      return replace(v.container, 'spec-changed', `${fileChanges(v.container, svc.base.Labels)}spec changed (spec-hash ${v.container.labels[LABEL.specHash] ?? 'none'} → ${svc.hash})`);
    case 'stopped':
      if (v.startable) {
        const start: StartAction = { type: 'start', ...id, node: p.node, reason: `stopped out of band (${v.container.state}); starting it again`, cause: 'converge', container: v.container };
        return start;
      }
      return replace(v.container, 'stopped', `container is ${v.container.state}; recreating it`);
    case 'unhealthy':
      return replace(v.container, 'unhealthy', 'unhealthy: its healthcheck fails; recreating it');
  }
}

/** "config nginx.conf changed; " when delivered files differ: names only, never content. */
function fileChanges(old: ObservedContainer, labels: Record<string, string>): string {
  const changes = [...describeFileChanges(old.labels[LABEL.files], labels[LABEL.files]), ...describeSealedEnvChanges(old.labels[LABEL.sealedEnv], labels[LABEL.sealedEnv])];
  return changes.length > 0 ? `${changes.join(', ')}; ` : '';
}

function removeAction(s: Surplus): RemoveAction {
  const cause: ActionCause = s.why === 'service-removed' ? 'prune' : s.why === 'stale' ? 'node-availability' : 'converge';
  return {
    type: 'remove',
    stack: s.stack,
    service: s.service,
    node: s.container.node,
    ...(s.slot ? { slot: s.slot } : {}),
    kind: REMOVE_KIND[s.why],
    reason: s.detail,
    cause,
    container: s.container,
  };
}
