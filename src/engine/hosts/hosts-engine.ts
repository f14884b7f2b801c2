// Flotilla's own engine for plain Docker hosts, as thin adapters over the reconcile stages
// that already exist: the node pool observes, the pure planner plans, the executor rolls,
// verify-replicas judges. Nothing of the planner moves here; this file only decides which
// of its inputs (lost nodes, the last known containers of a down node) the engine supplies.
import type { Clock } from '../../clock.js';
import type { NodePool } from '../../docker/node-pool.js';
import type { ObservedState } from '../../docker/types.js';
import type { ClusterSpec, DesiredState } from '../../manifests/model.js';
import { executePlan } from '../../reconcile/execute/executor.js';
import type { ExecutionResult, ServiceFailure } from '../../reconcile/execute/execution-types.js';
import { isContainerAction, type Action, type Plan } from '../../reconcile/plan/actions.js';
import { lostNodes, withLastKnownContainers } from '../../reconcile/plan/node-availability.js';
import { plan as makePlan } from '../../reconcile/plan/planner.js';
import { verifyReplicas } from '../../reconcile/rollout/verify-replicas.js';
import { observeForReview } from '../../review/review-fleet.js';
import { observedFromDesired } from '../../review/synthetic-observed.js';
import type { Engine, EngineExecuteOptions, EnginePlan, EnginePlanOptions, PlannedAction, ReviewObservation } from '../engine.js';

export interface HostsEngineDeps {
  pool: NodePool;
  clock: Clock;
  /** How long a node may be down before its replicas are rescheduled. */
  nodeGraceMs: number;
  healthGate: boolean;
}

export class HostsEngine implements Engine {
  readonly kind = 'hosts' as const;
  private previousObserved: ObservedState | undefined;

  constructor(private readonly deps: HostsEngineDeps) {}

  async observe(desired: DesiredState | undefined): Promise<ObservedState> {
    if (desired) this.deps.pool.sync(desired.cluster.nodes);
    const observed = withLastKnownContainers(await this.deps.pool.observe(), this.previousObserved);
    // Keep the carried-over containers too, so a node down for several cycles stays held.
    this.previousObserved = observed;
    return observed;
  }

  plan(desired: DesiredState, observed: ObservedState, options: EnginePlanOptions): Plan {
    const lost = lostNodes(observed, (n) => this.deps.pool.downSince(n), this.deps.clock.now(), this.deps.nodeGraceMs);
    return makePlan(desired, observed, { ...options, lostNodes: lost });
  }

  execute(plan: EnginePlan, desired: DesiredState, options: EngineExecuteOptions): Promise<ExecutionResult> {
    return executePlan(hostsPlan(plan), desired, {
      node: (n) => this.deps.pool.get(n),
      clock: this.deps.clock,
      signal: options.signal,
      healthGate: this.deps.healthGate,
      rollback: options.rollback,
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.registryAuth ? { registryAuth: options.registryAuth } : {}),
      ...(options.onImagePull ? { onImagePull: options.onImagePull } : {}),
    });
  }

  verify(desired: DesiredState, observed: ObservedState, signal: AbortSignal): Promise<ServiceFailure[]> {
    if (!this.deps.healthGate) return Promise.resolve([]);
    return verifyReplicas(desired, observed, (n) => this.deps.pool.get(n), this.deps.clock, signal);
  }

  /** Nodes the tracked branch declares with the same endpoint are observed; `pool` must be the review's own. */
  observeForReview(desired: DesiredState, trusted: ClusterSpec | undefined): Promise<ReviewObservation> {
    return observeForReview(this.deps.pool, desired.cluster.nodes, trusted?.nodes ?? []);
  }

  applied(desired: DesiredState): ObservedState {
    return observedFromDesired(desired);
  }
}

const HOST_ACTIONS = new Set(['ensure-network', 'ensure-volume']);

function isHostAction(a: PlannedAction): a is Action {
  return HOST_ACTIONS.has(a.type) || isContainerAction(a);
}

/** The engine only ever runs plans it made; a plan of another engine is a wiring mistake. */
function hostsPlan(plan: EnginePlan): Plan {
  const foreign = plan.actions.find((a) => !isHostAction(a));
  if (foreign) throw new Error(`the hosts engine cannot run a "${foreign.type}" action of ${foreign.stack}/${foreign.service}: the plan was made by another engine`);
  return plan as Plan;
}
