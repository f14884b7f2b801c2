// One reconcile as a short list of steps (DESIGN.md "The reconcile loop"): fetch the
// target commit, load and validate it, observe every node, plan, execute, verify. What a
// rollout's outcome means for the commit (good, failed, reverted, paused) is decided in
// `concludeRollout`; the way back is revert.ts; every state change goes through the ledger.
import type { AgeKeyring } from '../manifests/secrets/age-identities.js';
import { prometheusTargets, replicaEndpoints, type SdTargetGroup, type ServiceEndpoints } from './report/endpoints.js';
import type { Clock } from '../clock.js';
import type { Logger } from '../log.js';
import type { FlotillaMetrics } from '../metrics.js';
import type { NodePool } from '../docker/node-pool.js';
import type { RegistryAuth } from '../docker/registry/auth-resolver.js';
import type { ObservedNode, ObservedState } from '../docker/types.js';
import type { DesiredState } from '../manifests/model.js';
import { ValidationError } from '../manifests/problems.js';
import type { GitSource } from '../sync/git-source.js';
import type { TriggerRun } from '../sync/trigger-queue.js';
import type { Notifier } from '../notify/types.js';
import { noNotifier } from '../notify/types.js';
import { isConfigurableNotifier } from '../notify/configurable.js';
import type { HistoryEntry, PersistentState, StateStore } from '../state.js';
import type { Engine, EnginePlan } from '../engine/engine.js';
import { HostsEngine } from '../engine/hosts/hosts-engine.js';
import type { ReconcileResult, Target } from './reconcile-result.js';
import type { ExecuteOptions, ExecutionResult, ExecutorEvent } from './execute/execution-types.js';
import { conflictsStatus, servicesStatus } from './report/fleet-status.js';
import { availabilityChange, nodeStatus } from './report/node-status.js';
import { recoverLastGood } from './rollout/recover-last-good.js';
import type { DaemonStatus, ErrorStatus } from './report/status.js';
import { errorCode } from './reconcile-errors.js';
import { CommitLedger, NO_CHANGES } from './rollout/commit-ledger.js';
import { DesiredStateCache } from './rollout/desired-cache.js';
import type { GoodSnapshot } from './rollout/good-snapshot.js';
import { concludeRollout, type RolloutContext } from './rollout/conclude-rollout.js';
import { driftEvent, nodeDownEvent, untrustedCommitEvent, validationFailedEvent } from './rollout/fleet-events.js';
import { SignatureGate, UntrustedCommitError } from './rollout/signature-gate.js';
import { watchForNewerCommit } from './rollout/supersede.js';

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
  notifier?: Notifier;
  /** Keeps the last good desired state on disk so a revert never depends on the repo. */
  snapshot?: GoodSnapshot;
  /** The cluster's key for secret digests (file-digest.ts), from the state dir. */
  digestKey?: Buffer;
  /** age identities for files committed encrypted; the daemon requires them for such files. */
  ageKeys?: AgeKeyring;
  /** Where clear values of encrypted files are registered for log scrubbing. */
  onSecretValue?: (value: string) => void;
  /** How often to look for a newer commit during a rollout (0: never). */
  supersedeCheckMs?: number;
  /** Asks the daemon for another reconcile right away (after a superseded rollout). */
  requestFollowUp?(reason: string): void;
  onEvent?(event: ExecutorEvent): void;
  /** How the cluster is observed, planned and changed; default: plain hosts over `pool`. */
  engine?: Engine;
  /** Credentials for image pulls (spec.registries, the controller's Docker config). */
  registryAuth?: RegistryAuth;
  /** --verify-signatures: trusted key files that apply whatever cluster.yaml says. */
  verifySignatures?: string[];
}

export class Reconciler {
  private ledger!: CommitLedger;
  private readonly engine: Engine;
  private lastValid: { revision: string; desired: DesiredState } | undefined;
  private lastObserved: ObservedState | undefined;
  private readonly desiredCache: DesiredStateCache;
  private readonly current: DaemonStatus;
  private readonly nodeWasUp = new Map<string, boolean>();
  /** Swarm availability last seen per node, so a drain is logged once, not every cycle. */
  private readonly nodeAvailability = new Map<string, NonNullable<ObservedNode['availability']>>();
  private ready = false;
  /** Whether this reconcile recorded an error; if not, an old one is cleared at the end. */
  private errorRecorded = false;
  private readonly notifier: Notifier;
  private readonly signatures: SignatureGate;
  /** The head this reconcile refused for its signature, if it did. */
  private untrusted: string | undefined;
  /** Carries the cluster's name on every line once a commit has been loaded. */
  private log: Logger;

  constructor(private readonly deps: ReconcilerDeps) {
    this.current = { source: deps.source.describe(), branch: deps.branch, phase: 'starting', quarantined: [], nodes: [], conflicts: [], services: [] };
    this.notifier = deps.notifier ?? noNotifier;
    this.log = deps.log;
    this.desiredCache = new DesiredStateCache(deps.source, deps.clusterPath, deps.snapshot, { ...(deps.digestKey ? { digestKey: deps.digestKey } : {}), ...(deps.ageKeys ? { ageKeys: deps.ageKeys } : {}), ...(deps.onSecretValue ? { onSecretValue: deps.onSecretValue } : {}), requireAgeKeys: true });
    this.signatures = new SignatureGate(deps.source, deps.verifySignatures);
    this.engine = deps.engine ?? new HostsEngine({ pool: deps.pool, clock: deps.clock, nodeGraceMs: deps.nodeGraceMs, healthGate: deps.healthGate });
  }

  async init(): Promise<void> {
    const { state, warning } = await this.deps.store.load();
    if (warning) this.log.warn(warning);
    this.ledger = new CommitLedger(state, () => this.deps.clock.now());
    const interrupted = this.ledger.markInterrupted();
    if (interrupted) this.log.warn({ commit: interrupted }, 'the previous run stopped during a rollout; applying it again');
    this.syncStatusFromState();
  }

  get state(): PersistentState {
    return this.ledger.state;
  }

  isReady(): boolean {
    return this.ready;
  }

  status(): DaemonStatus {
    return structuredClone(this.current);
  }

  history(): HistoryEntry[] {
    return [...this.ledger.state.history];
  }

  /** Healthy replicas by published port, from the last observation (empty before the first). */
  endpoints(): ServiceEndpoints[] {
    return this.lastValid && this.lastObserved ? replicaEndpoints(this.lastValid.desired, this.lastObserved) : [];
  }

  /** Prometheus HTTP SD target groups for the services that opt in with x-flotilla.metrics-port. */
  prometheusTargets(): SdTargetGroup[] {
    return this.lastValid ? prometheusTargets(this.lastValid.desired, this.endpoints()) : [];
  }

  async reconcile(run: TriggerRun): Promise<ReconcileResult> {
    const startedAt = this.deps.clock.now();
    this.current.phase = 'reconciling';
    this.errorRecorded = false;
    this.untrusted = undefined;
    let result: ReconcileResult = 'error';
    try {
      const target = await this.resolveTarget();
      const observed = await this.observe();
      if (this.recoverStateFromLabels(target.desired, observed) && target.revision === this.ledger.state.applied) target.mode = 'resync';
      // A paused rollout is left exactly as it stopped until a newer commit arrives.
      const paused = this.ledger.pausedOn(target.revision);
      const plan = this.planFor(target, observed, paused);
      if (plan.actions.length === 0 && target.mode === 'sync' && !paused) {
        // Nothing to change for a new commit, yet it is good only once its replicas are healthy.
        result = await this.conclude(target, plan, { outcome: 'converged', failures: [], touched: [], executed: 0, wantsRevert: false }, run.signal, observed);
      } else if (plan.actions.length === 0) {
        this.settle(plan, observed);
        result = paused ? 'paused' : 'unchanged';
      } else {
        result = await this.rollOut(target, plan, run.signal);
      }
    } catch (err) {
      result = err instanceof ValidationError ? 'invalid' : err instanceof UntrustedCommitError ? 'untrusted' : 'error';
      this.recordError(err);
    } finally {
      // A refused head leaves the fleet as it runs (healed to it); the reconcile reports the refusal.
      if (this.untrusted && (result === 'unchanged' || result === 'success')) result = 'untrusted';
      await this.finish(run, startedAt, result);
    }
    return result;
  }

  /** Steps 5-6: execute, then let concludeRollout decide what the outcome means for the commit. */
  private async rollOut(target: Target, plan: EnginePlan, signal: AbortSignal): Promise<ReconcileResult> {
    this.log.info({ commit: target.revision, mode: target.mode, ...plan.summary }, `applying ${plan.actions.length} action(s)`);
    if (target.mode === 'sync') {
      this.ledger.begin(target.revision, countChanges(plan));
      await this.deps.store.save(this.ledger.state);
    }
    const watch = target.mode === 'sync' ? watchForNewerCommit(this.deps.source, this.current.trackedRevision ?? target.revision, (r) => this.ledger.isQuarantined(r), this.deps.supersedeCheckMs ?? 0, signal) : undefined;
    let execution: ExecutionResult;
    try {
      execution = await this.engine.execute(plan, target.desired, { ...this.pullOptions(), signal: watch?.signal ?? signal, rollback: false, onEvent: (e) => this.onEvent(e) });
    } catch (err) {
      if (watch?.superseded()) {
        this.ledger.finish(target.revision, 'superseded', `newer commit ${watch.superseded()} arrived during the rollout`);
        this.log.info({ commit: target.revision, newer: watch.superseded() }, 'rollout superseded by a newer commit; rolling forward');
        this.deps.requestFollowUp?.('superseded');
        return 'superseded';
      }
      throw err;
    } finally {
      watch?.stop();
    }
    return this.conclude(target, plan, execution, signal);
  }

  /** How the executor pulls: with the registries' credentials, counting every outcome. */
  private pullOptions(): Pick<ExecuteOptions, 'registryAuth' | 'onImagePull'> {
    return {
      ...(this.deps.registryAuth ? { registryAuth: this.deps.registryAuth } : {}),
      onImagePull: (e) => {
        this.deps.metrics.imagePullTotal.inc({ registry: e.registry, result: e.result });
        // A failure is reported with its reason by the step that needed the image.
        if (e.result === 'success') this.log.info({ node: e.node, image: e.image, registry: e.registry, authenticated: e.authenticated, durationMs: e.durationMs }, `pulled ${e.image} on ${e.node} in ${e.durationMs} ms`);
      },
    };
  }

  /** `unchanged`: the observation the plan came from, when nothing ran since (saves a list call per node). */
  private async conclude(target: Target, plan: EnginePlan, execution: ExecutionResult, signal: AbortSignal, unchanged?: ObservedState): Promise<ReconcileResult> {
    const context: RolloutContext = {
      target,
      plan,
      execution,
      ...(unchanged ? { unchanged } : {}),
      ledger: this.ledger,
      desired: this.desiredCache,
      observe: () => this.observe(),
      planFor: (t, o) => this.planFor(t, o, false),
      execute: (p, d, rollback) => this.engine.execute(p, d, { ...this.pullOptions(), signal, rollback, onEvent: (e) => this.onEvent(e) }),
      settle: (p, o) => this.settle(p, o),
      verify: (d, o) => this.engine.verify(d, o, signal),
      notifier: this.notifier,
      metrics: this.deps.metrics,
      log: this.log,
      now: () => this.deps.clock.now(),
      setError: (e) => {
        this.current.lastError = e;
        this.errorRecorded = true;
      },
    };
    try {
      return await concludeRollout(context);
    } catch (err) {
      // Whatever broke, the history must not keep a rollout "pending" forever.
      if (target.mode === 'sync') this.ledger.finish(target.revision, 'failed', (err as Error).message);
      throw err;
    }
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
    const lastGood = this.ledger.state.lastGood?.revision;
    if (this.ledger.isQuarantined(head)) {
      if (!lastGood) throw Object.assign(new Error(`commit ${head} is quarantined and there is no good commit to stay on; push a fix`), { code: 'QUARANTINED' });
      revision = lastGood;
    } else {
      const refused = await this.refuseUntrusted(head);
      if (refused) return refused;
    }
    const loaded = await this.desiredCache.load(revision);
    this.deps.metrics.trackedCommitInvalid.set(loaded.state ? 0 : 1);
    if (!loaded.state) {
      const error = new ValidationError(loaded.problems);
      if (this.ledger.recordInvalid(revision, `${loaded.problems.length} validation error(s)`)) {
        this.notifier.notify(validationFailedEvent(this.current.cluster ?? 'unknown', revision, loaded.problems, this.deps.clock.now()));
      }
      // An invalid commit is never applied; the fleet stays on (and is healed to) the last valid one.
      if (this.lastValid) {
        this.recordError(error, revision);
        return { ...this.lastValid, mode: this.lastValid.revision === this.ledger.state.applied ? 'resync' : 'sync' };
      }
      throw error;
    }
    this.lastValid = { revision, desired: loaded.state };
    if (this.current.cluster !== loaded.state.cluster.name) this.log = this.deps.log.child({ cluster: loaded.state.cluster.name });
    this.current.cluster = loaded.state.cluster.name;
    // Notifications follow the commit being converged to (idempotent when unchanged).
    if (isConfigurableNotifier(this.notifier)) this.notifier.configure(loaded.state.cluster.notifications);
    return { revision, desired: loaded.state, mode: revision === this.ledger.state.applied ? 'resync' : 'sync' };
  }

  /**
   * Step 1½: with signature verification on, an unsigned or untrusted head is not applied;
   * the fleet stays on (and is healed to) the commit it runs. Undefined: go on with the head.
   */
  private async refuseUntrusted(head: string): Promise<Target | undefined> {
    const applied = this.ledger.state.applied;
    if (head === applied) return undefined;
    const running = this.lastValid ?? (applied ? await this.loadApplied(applied) : undefined);
    const { verdict, firstRefusal } = await this.signatures.admit(head, running?.desired.cluster, async () => (await this.desiredCache.load(head)).state?.cluster);
    if (!verdict || verdict.trusted) {
      if (verdict) this.log.info({ commit: head, signer: verdict.signer }, 'commit signature verified');
      return undefined;
    }
    this.untrusted = head;
    if (firstRefusal) this.notifier.notify(untrustedCommitEvent(this.current.cluster ?? running?.desired.cluster.name ?? 'unknown', head, verdict.reason, running?.revision, this.deps.clock.now()));
    const error = new UntrustedCommitError(`commit ${head} is not applied: ${verdict.reason}`);
    if (!running) throw error;
    this.recordError(error, head);
    return { ...running, mode: running.revision === applied ? 'resync' : 'sync' };
  }

  /** The applied commit, loaded (after a restart, before any commit was): what an untrusted head leaves running. */
  private async loadApplied(revision: string): Promise<{ revision: string; desired: DesiredState } | undefined> {
    const loaded = await this.desiredCache.load(revision);
    if (!loaded.state) return undefined;
    this.lastValid = { revision, desired: loaded.state };
    this.current.cluster = loaded.state.cluster.name;
    return this.lastValid;
  }

  /** Step 3: the engine's one observation of the cluster; an unreachable node is marked down. */
  private async observe(): Promise<ObservedState> {
    const observed = await this.engine.observe(this.lastValid?.desired);
    // Every observation, not only the settled one: a replica seen stopped leaves the endpoints at once.
    this.lastObserved = observed;
    this.current.nodes = observed.nodes.map(nodeStatus);
    for (const n of observed.nodes) this.deps.metrics.nodeUp.set({ node: n.name }, n.up ? 1 : 0);
    for (const n of observed.nodes) {
      if (!n.up && this.nodeWasUp.get(n.name) !== false) {
        this.notifier.notify(nodeDownEvent(this.current.cluster ?? 'unknown', n.name, n.error, this.deps.clock.now()));
        this.log.warn({ node: n.name, error: n.error }, 'node is down');
      }
      this.nodeWasUp.set(n.name, n.up);
      const change = availabilityChange(this.nodeAvailability.get(n.name), n);
      if (change) this.log[change.level]({ node: n.name, availability: n.availability }, change.message);
      if (n.availability) this.nodeAvailability.set(n.name, n.availability);
    }
    return observed;
  }

  /** Step 4: the pure plan. `reportOnly` (a paused rollout) withholds every action. */
  private planFor(target: Target, observed: ObservedState, reportOnly: boolean): EnginePlan {
    const { sync } = target.desired.cluster;
    const mode = reportOnly ? 'report' : target.mode;
    return this.engine.plan(target.desired, observed, { selfHeal: sync.selfHeal && !reportOnly, prune: sync.prune, commit: target.revision, mode });
  }

  /** Status, metrics and drift notification from the latest plan and observation. */
  private settle(plan: EnginePlan, observed: ObservedState): void {
    this.current.services = servicesStatus(plan, observed);
    this.current.conflicts = conflictsStatus(plan);
    this.deps.metrics.setFleet(this.current.services.map((s) => ({ stack: s.stack, service: s.service, inSync: s.inSync, drift: s.drift })), this.current.nodes);
    if (plan.drift.entries.length > 0 && plan.actions.length === 0) {
      this.notifier.notify(driftEvent(plan.cluster, this.ledger.state.applied, plan.drift.entries, this.deps.clock.now()));
    } else if (plan.drift.entries.length === 0) {
      // "No drift" is never sent; it lets the same drift be announced again if it comes back.
      this.notifier.notify(driftEvent(plan.cluster, this.ledger.state.applied, [], this.deps.clock.now()));
    }
  }

  /** Returns true when it recovered the last good commit. */
  private recoverStateFromLabels(desired: DesiredState, observed: ObservedState): boolean {
    if (this.ledger.state.lastGood) return false;
    const recovered = recoverLastGood(desired.cluster.name, observed);
    if (!recovered) return false;
    this.ledger.state.lastGood = { revision: recovered, at: new Date(this.deps.clock.now()).toISOString() };
    this.ledger.state.applied ??= recovered;
    this.log.warn({ commit: recovered }, 'no record of a good commit: recovered it from container labels');
    return true;
  }

  private async finish(run: TriggerRun, startedAt: number, result: ReconcileResult): Promise<void> {
    const finishedAt = this.deps.clock.now();
    if (!this.errorRecorded && !this.ledger.state.paused) delete this.current.lastError;
    this.current.lastReconcile = { startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(), durationMs: finishedAt - startedAt, result, reasons: run.reasons };
    this.syncStatusFromState();
    this.current.phase = this.ledger.state.paused ? 'paused' : result === 'invalid' || result === 'untrusted' ? 'stalled' : 'idle';
    // Every revert counts as a failure (DESIGN.md), and is counted on its own as well.
    const metricResult = result === 'reverted' || result === 'revert-failed' ? 'failed' : result;
    this.deps.metrics.reconcileTotal.inc({ result: metricResult });
    this.deps.metrics.reconcileDuration.observe((finishedAt - startedAt) / 1000);
    if (result === 'success' || result === 'unchanged') this.deps.metrics.lastSuccess.set(finishedAt / 1000);
    this.deps.metrics.setRevisions(this.ledger.state.applied, this.ledger.state.lastGood?.revision);
    this.ready = true;
    await this.deps.store.save(this.ledger.state);
  }

  private onEvent(event: ExecutorEvent): void {
    const fields = { stack: event.stack, service: event.service, node: event.node, container: event.container };
    if (event.phase === 'failed') this.log.warn(fields, event.message);
    else this.log.info(fields, event.message);
    this.deps.onEvent?.(event);
  }

  private recordError(err: unknown, revision?: string): void {
    const error: ErrorStatus = { code: errorCode(err), message: (err as Error).message ?? String(err), at: new Date(this.deps.clock.now()).toISOString(), ...(revision ? { revision } : {}) };
    if (err instanceof ValidationError) error.problems = err.problems;
    this.current.lastError = error;
    this.errorRecorded = true;
    this.log.error({ code: error.code, commit: revision }, error.message);
  }

  private syncStatusFromState(): void {
    const state = this.ledger.state;
    if (state.lastGood) this.current.lastGoodRevision = state.lastGood.revision;
    if (state.applied) this.current.appliedRevision = state.applied;
    this.current.quarantined = [...state.quarantined];
    if (state.paused) this.current.paused = { ...state.paused };
    else delete this.current.paused;
  }
}

function countChanges(plan: EnginePlan): HistoryEntry['changes'] {
  return plan.actions.length === 0 ? NO_CHANGES : { create: plan.summary.create, replace: plan.summary.replace, remove: plan.summary.remove, start: plan.summary.start };
}
