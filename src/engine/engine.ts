// The seam between the one reconcile loop and the machinery that runs containers (issue 12).
// The reconciler owns commits, quarantine, revert, metrics, notifications and status; an
// Engine owns how a cluster is seen, what has to change on it, and how the change is made
// and judged. `hosts` is Flotilla's own scheduler over plain Docker hosts; `swarm` hands
// each Compose service to a Docker Swarm as one Swarm service.
import type { ClusterSpec, DesiredState } from '../manifests/model.js';
import type { ObservedState } from '../docker/types.js';
import type { ActionCause, Plan, PlanMode } from '../reconcile/plan/actions.js';
import type { ExecuteOptions, ExecutionResult, ExecutorEvent, ServiceFailure } from '../reconcile/execute/execution-types.js';

export type EngineKind = 'hosts' | 'swarm';

/** What every engine's action has in common: enough to report it and to count it. */
export interface PlannedAction {
  type: string;
  stack: string;
  service: string;
  /** The node the action runs on; '' when the engine places it itself (Swarm). */
  node: string;
  reason: string;
  cause: ActionCause;
  /** How a plan names the change when its type says too little ("scaled 2 -> 3"); default: the type. */
  verb?: string;
  /** The fields that change and their values, for plans and PR comments (Swarm service updates). */
  diff?: FieldChange[];
}

/** One field of an update: what runs now and what Git wants, as short display strings. */
export interface FieldChange {
  field: string;
  from: string;
  to: string;
}

/**
 * A plan as the reconciler, status, metrics and reports read it. The hosts engine's `Plan` is
 * one; the Swarm engine's has service actions instead of container actions.
 */
export type EnginePlan = Omit<Plan, 'actions' | 'withheld'> & {
  actions: PlannedAction[];
  withheld: Array<{ action: PlannedAction; because: string }>;
};

export interface EnginePlanOptions {
  selfHeal: boolean;
  prune: boolean;
  /** The commit new containers or services are labelled with. */
  commit: string;
  mode: PlanMode;
}

export interface EngineExecuteOptions {
  signal: AbortSignal;
  /** The way back of a revert: each service's rollback_config instead of update_config. */
  rollback: boolean;
  onEvent?(event: ExecutorEvent): void;
  /** Credentials for image pulls, and a report of each pull (engines that pull images). */
  registryAuth?: ExecuteOptions['registryAuth'];
  onImagePull?: ExecuteOptions['onImagePull'];
}

/** What a pull-request review plans against, and what of the cluster it did not look at. */
export interface ReviewObservation {
  observed: ObservedState;
  /** Sentences for the review comment: what was not observed, and why. */
  notes: string[];
}

export interface Engine {
  readonly kind: EngineKind;
  /** One observation of the whole cluster per call; unreachable parts are marked down, never thrown. */
  observe(desired: DesiredState | undefined): Promise<ObservedState>;
  /** Pure apart from the engine's own bookkeeping (when a node went down): no I/O. */
  plan(desired: DesiredState, observed: ObservedState, options: EnginePlanOptions): EnginePlan;
  /** Runs a plan this engine made, rolling and health-gating as the engine does. */
  execute(plan: EnginePlan, desired: DesiredState, options: EngineExecuteOptions): Promise<ExecutionResult>;
  /** Replicas of `desired` that are not (or do not become) healthy: step 6, verify. */
  verify(desired: DesiredState, observed: ObservedState, signal: AbortSignal): Promise<ServiceFailure[]>;
  /**
   * The observation a pull-request review plans `desired` (its head) against. Endpoints come
   * from the pull request, which anyone who opens one controls: only those `trusted` (the
   * tracked branch's cluster; undefined when it cannot be read) declares the same way are
   * contacted, the rest is planned as empty.
   */
  observeForReview(desired: DesiredState, trusted: ClusterSpec | undefined): Promise<ReviewObservation>;
  /** The cluster as it would be once `desired` is applied exactly, without contacting it (`flotilla plan --base`). */
  applied(desired: DesiredState): ObservedState;
}
