// One reconcile as a short list of steps (DESIGN.md "The reconcile loop"): fetch the
// target commit, load and validate it, observe every node, plan, execute, verify. Each step
// either hands its result to the next or throws a typed error; one place (`finish`) turns
// the outcome into state, history, status, metrics and logs.
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FlotillaMetrics } from '../metrics.js';
import type { NodePool } from '../docker/node-pool.js';
import type { ObservedState } from '../docker/types.js';
import type { DesiredState } from '../manifests/model.js';
import { loadDesiredState } from '../manifests/load.js';
import { ValidationError } from '../manifests/problems.js';
import type { GitSource } from '../sync/git-source.js';
import type { TriggerRun } from '../sync/trigger-queue.js';
import { isQuarantined, type HistoryEntry, type PersistentState, type StateStore } from '../state.js';
import type { Plan } from './actions.js';
import { executePlan, type ExecutionResult, type ExecutorEvent } from './executor.js';
import { lostNodes, withLastKnownContainers } from './node-availability.js';
import { plan as makePlan } from './planner.js';
import { conflictsStatus, servicesStatus } from './fleet-status.js';
import { recoverLastGood } from './recover-last-good.js';
import type { DaemonStatus, ErrorStatus } from './status.js';
import { errorCode } from './reconcile-errors.js';

export interface ReconcilerDeps {
  source: GitSource;
  pool: NodePool;
  store: StateStore;
  metrics: FlotillaMetrics;
  log: Logger;
  clock: Clock;
  branch: string;
  clusterPath?: string;
  /** How long a node may be down before its replicas are rescheduled. */
  nodeGraceMs: number;
  healthGate: boolean;
  onEvent?(event: ExecutorEvent): void;
}

export type ReconcileResult = 'success' | 'unchanged' | 'failed' | 'invalid' | 'reverted' | 'paused' | 'error';

interface Target {
  revision: string;
  desired: DesiredState;
  /** 'sync' for a revision not yet applied, 'resync' to re-check the applied one. */
  mode: 'sync' | 'resync';
}

export class Reconciler {
  private state!: PersistentState;
  private previousObserved: ObservedState | undefined;
  private lastValid: { revision: string; desired: DesiredState } | undefined;
  private readonly current: DaemonStatus;
  private ready = false;

  constructor(private readonly deps: ReconcilerDeps) {
    this.current = { source: deps.source.describe(), branch: deps.branch, phase: 'starting', quarantined: [], nodes: [], conflicts: [], services: [] };
  }

  async init(): Promise<void> {
    const { state, warning } = await this.deps.store.load();
    if (warning) this.deps.log.warn(warning);
    this.state = state;
    this.syncStatusFromState();
  }

  isReady(): boolean {
    return this.ready;
  }

  status(): DaemonStatus {
    return structuredClone(this.current);
  }

  history(): HistoryEntry[] {
    return [...this.state.history];
  }

  async reconcile(run: TriggerRun): Promise<ReconcileResult> {
    const startedAt = this.deps.clock.now();
    this.current.phase = 'reconciling';
    let result: ReconcileResult = 'error';
    try {
      const target = await this.resolveTarget();
      const observed = await this.observe();
      await this.recoverStateFromLabels(target.desired, observed);
      const plan = this.planFor(target, observed);
      if (plan.actions.length === 0) {
        result = this.settle(target, plan, observed, undefined);
      } else {
        this.deps.log.info({ revision: target.revision, mode: target.mode, ...plan.summary }, `applying ${plan.actions.length} action(s)`);
        const execution = await executePlan(plan, target.desired, { node: (n) => this.deps.pool.get(n), clock: this.deps.clock, signal: run.signal, healthGate: this.deps.healthGate, onEvent: (e) => this.onEvent(e) });
        const after = await this.observe();
        result = this.settle(target, this.planFor({ ...target, mode: 'resync' }, after), after, { plan, execution });
      }
      delete this.current.lastError;
    } catch (err) {
      result = err instanceof ValidationError ? 'invalid' : 'error';
      this.recordError(err);
    } finally {
      const finishedAt = this.deps.clock.now();
      this.current.lastReconcile = { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), durationMs: finishedAt - startedAt, result, reasons: run.reasons };
      if (this.current.phase === 'reconciling') this.current.phase = result === 'invalid' ? 'stalled' : 'idle';
      this.deps.metrics.reconcileTotal.inc({ result });
      this.deps.metrics.reconcileDuration.observe((finishedAt - startedAt) / 1000);
      if (result === 'success' || result === 'unchanged') this.deps.metrics.lastSuccess.set(finishedAt / 1000);
      this.deps.metrics.setRevisions(this.current.appliedRevision, this.state.lastGood?.revision);
      this.ready = true;
      await this.deps.store.save(this.state);
    }
    return result;
  }

  /** Steps 1-2: the commit to converge to, loaded and validated. A quarantined head keeps the last good commit. */
  private async resolveTarget(): Promise<Target> {
    const fetchStarted = this.deps.clock.now();
    let head: string;
    try {
      head = (await this.deps.source.fetch()).revision;
      this.deps.metrics.gitFetchTotal.inc({ result: 'success' });
    } catch (err) {
      this.deps.metrics.gitFetchTotal.inc({ result: 'error' });
      if (!this.lastValid) throw err;
      // Git is away: keep watching the fleet against what was last applied, and say why.
      this.recordError(err);
      return { ...this.lastValid, mode: 'resync' };
    } finally {
      this.deps.metrics.gitFetchDuration.observe((this.deps.clock.now() - fetchStarted) / 1000);
    }
    this.current.trackedRevision = head;
    let revision = head;
    if (isQuarantined(this.state, head)) {
      if (!this.state.lastGood) throw new Error(`commit ${head} is quarantined and there is no good commit to stay on; push a fix`);
      revision = this.state.lastGood.revision;
    }
    if (this.lastValid?.revision === revision) return { ...this.lastValid, mode: revision === this.state.applied ? 'resync' : 'sync' };
    const loaded = await loadDesiredState(await this.deps.source.reader(revision), this.deps.clusterPath);
    if (!loaded.state) {
      this.recordInvalid(revision, loaded.problems.length);
      const error = new ValidationError(loaded.problems);
      // An invalid commit is never applied; the fleet stays on (and is healed to) the last valid one.
      if (this.lastValid) {
        this.recordError(error, revision);
        return { ...this.lastValid, mode: 'resync' };
      }
      throw error;
    }
    this.lastValid = { revision, desired: loaded.state };
    this.current.cluster = loaded.state.cluster.name;
    return { revision, desired: loaded.state, mode: revision === this.state.applied ? 'resync' : 'sync' };
  }

  /** Step 3: one container list per node, in parallel; an unreachable node is marked down. */
  private async observe(): Promise<ObservedState> {
    if (this.lastValid) this.deps.pool.sync(this.lastValid.desired.cluster.nodes);
    const fresh = await this.deps.pool.observe();
    const observed = withLastKnownContainers(fresh, this.previousObserved);
    this.previousObserved = fresh;
    this.current.nodes = fresh.nodes.map((n) => ({ name: n.name, up: n.up, ...(n.error ? { error: n.error } : {}) }));
    return observed;
  }

  /** Step 4: the pure plan. */
  private planFor(target: Target, observed: ObservedState): Plan {
    const { sync } = target.desired.cluster;
    const lost = lostNodes(observed, (n) => this.deps.pool.downSince(n), this.deps.clock.now(), this.deps.nodeGraceMs);
    return makePlan(target.desired, observed, { selfHeal: sync.selfHeal, prune: sync.prune, commit: target.revision, mode: target.mode, lostNodes: lost });
  }

  /** Steps 5-6 outcome: record what the fleet now runs and whether the commit is good. */
  private settle(target: Target, plan: Plan, observed: ObservedState, ran: { plan: Plan; execution: ExecutionResult } | undefined): ReconcileResult {
    this.current.services = servicesStatus(plan, observed);
    this.current.conflicts = conflictsStatus(plan);
    this.deps.metrics.setFleet(
      this.current.services.map((s) => ({ stack: s.stack, service: s.service, inSync: s.inSync, drift: s.drift })),
      this.current.nodes,
    );
    const execution = ran?.execution;
    const failed = execution !== undefined && execution.outcome !== 'converged';
    if (target.mode === 'sync') {
      const changes = ran ? countChanges(ran.plan) : { create: 0, replace: 0, remove: 0, start: 0 };
      const outcome = failed ? 'failed' : 'deployed';
      const reason = failed ? execution.failures.map((f) => `${f.stack}/${f.service} on ${f.node}: ${f.reason}`).join('; ') : undefined;
      this.pushHistory({ revision: target.revision, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), outcome, ...(reason ? { reason } : {}), changes });
      if (!failed) {
        this.state.applied = target.revision;
        this.state.lastGood = { revision: target.revision, at: new Date(this.deps.clock.now()).toISOString() };
        this.deps.log.info({ revision: target.revision, ...changes }, 'deployed');
      } else {
        this.deps.log.error({ revision: target.revision, failures: execution.failures }, 'rollout failed');
      }
    } else if (failed) {
      this.deps.log.error({ revision: target.revision, failures: execution.failures }, 'self-heal failed');
    }
    this.syncStatusFromState();
    this.current.appliedRevision = this.state.applied;
    if (failed) {
      this.current.lastError = { code: 'ROLLOUT_FAILED', message: execution.failures.map((f) => `${f.stack}/${f.service} on ${f.node}: ${f.reason}`).join('\n'), at: new Date().toISOString(), revision: target.revision };
      if (execution.outcome === 'paused') this.current.phase = 'paused';
      return execution.outcome === 'paused' ? 'paused' : 'failed';
    }
    return ran ? 'success' : 'unchanged';
  }

  private async recoverStateFromLabels(desired: DesiredState, observed: ObservedState): Promise<void> {
    if (this.state.lastGood) return;
    const recovered = recoverLastGood(desired.cluster.name, observed);
    if (recovered) {
      this.state.lastGood = { revision: recovered, at: new Date(this.deps.clock.now()).toISOString() };
      this.state.applied ??= recovered;
      this.deps.log.warn({ revision: recovered }, 'no state file: recovered the last good commit from container labels');
    }
  }

  private onEvent(event: ExecutorEvent): void {
    const fields = { stack: event.stack, service: event.service, node: event.node, container: event.container };
    if (event.phase === 'failed') this.deps.log.warn(fields, event.message);
    else this.deps.log.info(fields, event.message);
    this.deps.onEvent?.(event);
  }

  private recordInvalid(revision: string, count: number): void {
    const last = this.state.history[this.state.history.length - 1];
    if (last?.revision === revision && last.outcome === 'invalid') return;
    this.pushHistory({ revision, startedAt: new Date().toISOString(), finishedAt: new Date().toISOString(), outcome: 'invalid', reason: `${count} validation error(s)`, changes: { create: 0, replace: 0, remove: 0, start: 0 } });
  }

  private recordError(err: unknown, revision?: string): void {
    const error: ErrorStatus = { code: errorCode(err), message: (err as Error).message ?? String(err), at: new Date().toISOString(), ...(revision ? { revision } : {}) };
    if (err instanceof ValidationError) error.problems = err.problems;
    this.current.lastError = error;
    this.deps.log.error({ code: error.code, revision }, error.message);
  }

  private pushHistory(entry: HistoryEntry): void {
    this.state.history.push(entry);
    if (this.state.history.length > 50) this.state.history.splice(0, this.state.history.length - 50);
  }

  private syncStatusFromState(): void {
    if (this.state.lastGood) this.current.lastGoodRevision = this.state.lastGood.revision;
    if (this.state.applied) this.current.appliedRevision = this.state.applied;
    this.current.quarantined = [...this.state.quarantined];
  }
}

function countChanges(plan: Plan): HistoryEntry['changes'] {
  return { create: plan.summary.create, replace: plan.summary.replace, remove: plan.summary.remove, start: plan.summary.start };
}
