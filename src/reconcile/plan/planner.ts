// plan(desired, observed) -> actions: the pure heart of a reconcile (DESIGN.md "The
// reconcile loop", step 4). No I/O, no clock, no randomness: the same inputs give the same
// plan, byte for byte, which is what lets `flotilla plan`, the PR comment and the daemon
// agree, and what the property tests check (apply a plan, plan again: nothing to do).
//
// Steps: compile the desired state once (bodies and spec hashes per service), index the
// observed containers once, schedule, assess drift, draft actions in apply order, apply
// policy, fix the order so that every action can run one after the other, add ensures.
//
// Ordering guarantees for the executor (process `actions` in list order):
//  - services come in apply order: stacks as the cluster lists them, and inside a stack a
//    service after those it depends_on; consecutive actions of one service form its
//    rollout (batch them by update_config.parallelism);
//  - inside a service: creates of new replicas (slot order), starts, replaces, then
//    removes of its surplus containers; removes of services no longer declared come last;
//  - exceptions, both placed immediately before the action that needs them: the
//    ensure-network/ensure-volume of a stack on a node, and a remove pulled forward because
//    its container holds a name or host port the next action needs (kind 'make-room' when
//    it was the old side of a replace, which then appears as a create);
//  - no action targets a node that is down; ensures are idempotent.
import type { DesiredState } from '../../manifests/model.js';
import type { ObservedState } from '../../docker/types.js';
import type { ContainerAction, Plan, PlanMode, WithheldAction } from './actions.js';
import { orderForExecution } from './action-order.js';
import { compileCatalog } from './catalog.js';
import { findConflicts } from './conflicts.js';
import { draftActions } from './draft-actions.js';
import { assessDrift } from './drift.js';
import { withEnsures } from './ensure-resources.js';
import { indexObserved } from './observed-index.js';
import { planTotals, summarizeServices } from './plan-summary.js';
import { scheduleCatalog, type Unplaceable } from './scheduler.js';

export interface PlanOptions {
  /** Correct out-of-band drift on a re-check of an applied revision (mode 'resync'). */
  selfHeal: boolean;
  /** Remove managed containers of services no longer declared. */
  prune: boolean;
  /** The commit new containers are labelled with (`flotilla.commit`). */
  commit: string;
  /**
   * 'sync' (default): converge to this revision, everything is acted on (a new commit, a
   * revert, `flotilla apply`, a manual sync). 'resync': the revision is already applied;
   * without selfHeal, drift is reported and its actions withheld, as Argo CD does (a node
   * lost past its grace period still has its replicas rescheduled). 'report': nothing is
   * acted on, every action is withheld (a paused rollout).
   */
  mode?: PlanMode;
  /** Down nodes past their grace period (see node-availability.ts `lostNodes`). */
  lostNodes?: Iterable<string>;
}

export function plan(desired: DesiredState, observed: ObservedState, options: PlanOptions): Plan {
  const mode = options.mode ?? 'sync';
  const lost = new Set(options.lostNodes ?? []);
  const catalog = compileCatalog(desired);
  const index = indexObserved(catalog, observed, lost);
  const heals = mode === 'sync' || (mode === 'resync' && options.selfHeal);
  const schedule = scheduleCatalog(catalog, index, { lostNodes: lost, undeclaredStay: !(options.prune && heals) });
  const assessment = assessDrift(catalog, index, schedule);

  const allowed: ContainerAction[] = [];
  const withheld: WithheldAction[] = [];
  for (const action of draftActions(catalog, assessment, options.commit)) {
    const because = withheldBecause(action, mode, options);
    if (because) withheld.push({ action, because });
    else allowed.push(action);
  }
  const ordered = orderForExecution(allowed, catalog, index);
  const actions = withEnsures(ordered.actions, catalog);
  const unplaceable: Unplaceable[] = [
    ...schedule.unplaceable,
    ...ordered.blocked.map((b) => ({ stack: b.action.stack, service: b.action.service, slot: b.action.type === 'remove' ? (b.action.slot ?? '') : b.action.slot, reason: b.reason })),
  ];
  const drift = { entries: assessment.drift, conflicts: findConflicts(catalog, index) };
  const services = summarizeServices(catalog, assessment, schedule.unplaceable, unplaceable, actions, withheld, drift.entries);
  const nodes = [...index.availability].map(([name, availability]) => {
    const error = index.nodes.get(name)?.error;
    return { name, availability, ...(error ? { error } : {}) };
  });
  const body = { cluster: desired.cluster.name, revision: options.commit, mode, actions, withheld, unplaceable, drift, services, nodes };
  return { ...body, summary: planTotals(body) };
}

function withheldBecause(action: ContainerAction, mode: PlanMode, options: PlanOptions): string | undefined {
  if (mode === 'report') return 'the plan is report-only (rollout paused): nothing is changed until it is resumed';
  if (action.cause === 'prune' && !options.prune) return 'prune is off: containers of services no longer declared are kept';
  if (mode === 'resync' && !options.selfHeal && action.cause !== 'node-availability') {
    return 'selfHeal is off: drift of an applied revision is only reported; it is corrected by the next new revision or a manual sync';
  }
  return undefined;
}
