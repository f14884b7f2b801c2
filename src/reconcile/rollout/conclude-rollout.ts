// What a rollout's outcome means for the commit (DESIGN.md "The reconcile loop" and issue
// rules): converged and healthy -> good; failure_action pause -> paused; failure_action
// rollback with revert on -> quarantine the commit and go back to the last good one; never
// revert a revert (a failing way back pauses); no good commit yet -> report and leave as is.
import type { Logger } from '../../log.js';
import type { FlotillaMetrics } from '../../metrics.js';
import type { Notifier } from '../../notify/types.js';
import type { DesiredState } from '../../manifests/model.js';
import type { ObservedState } from '../../docker/types.js';
import type { EnginePlan } from '../../engine/engine.js';
import type { ExecutionResult, ServiceFailure } from '../execute/execution-types.js';
import type { CommitLedger } from './commit-ledger.js';
import type { DesiredStateCache } from './desired-cache.js';
import type { ReconcileResult, Target } from '../reconcile-result.js';
import type { ErrorStatus } from '../report/status.js';
import { deployedEvent, failedEvent, revertedEvent } from './fleet-events.js';
import { compileCatalog, serviceKey } from '../plan/catalog.js';

export interface RolloutContext {
  target: Target;
  plan: EnginePlan;
  /** Replaced by a failed verdict when replicas turn out unhealthy after the rollout. */
  execution: ExecutionResult;
  /** The fleet as observed for the plan, when nothing was executed since. */
  unchanged?: ObservedState;
  ledger: CommitLedger;
  desired: DesiredStateCache;
  observe(): Promise<ObservedState>;
  planFor(target: Target, observed: ObservedState): EnginePlan;
  execute(plan: EnginePlan, desired: DesiredState, rollback: boolean): Promise<ExecutionResult>;
  settle(plan: EnginePlan, observed: ObservedState): void;
  /** Failures of replicas that are not (or do not become) healthy; see verify-replicas.ts. */
  verify(desired: DesiredState, observed: ObservedState): Promise<ServiceFailure[]>;
  notifier: Notifier;
  metrics: FlotillaMetrics;
  log: Logger;
  now(): number;
  setError(error: ErrorStatus): void;
}

export async function concludeRollout(ctx: RolloutContext): Promise<ReconcileResult> {
  const { target } = ctx;
  const cluster = target.desired.cluster.name;
  const after = ctx.unchanged ?? (await ctx.observe());
  const check = ctx.planFor({ ...target, mode: 'resync' }, after);
  ctx.settle(check, after);
  if (target.mode === 'sync' && ctx.execution.outcome === 'converged') {
    const unhealthy = [...notOnTarget(check), ...(await ctx.verify(target.desired, after))];
    if (unhealthy.length > 0) ctx.execution = judgeUnhealthy(ctx.execution, unhealthy, target.desired);
  }
  const { execution } = ctx;
  if (execution.outcome === 'converged') {
    if (target.mode === 'sync') {
      ctx.ledger.finish(target.revision, 'deployed');
      ctx.ledger.markGood(target.revision);
      await ctx.desired.markGood(target.desired);
      ctx.log.info({ commit: target.revision, ...ctx.plan.summary }, 'deployed: every changed replica is healthy');
      ctx.notifier.notify(deployedEvent(cluster, target.revision, execution.touched, nodesOf(ctx.plan), ctx.now()));
    }
    return 'success';
  }
  const reason = describe(execution.failures);
  ctx.setError({ code: execution.outcome === 'paused' ? 'ROLLOUT_PAUSED' : 'ROLLOUT_FAILED', message: reason, at: iso(ctx), revision: target.revision });
  if (target.mode === 'resync') {
    ctx.log.error({ commit: target.revision, failures: execution.failures }, 'correcting drift failed; trying again next cycle');
    return 'failed';
  }
  if (execution.outcome === 'failed' && !execution.wantsRevert && onlyContinue(execution.failures, target.desired)) {
    // failure_action continue: the commit stays applied as it is, but is not good.
    ctx.ledger.finish(target.revision, 'failed', `${reason}; failure_action is continue, so it stays applied but is not a good commit`);
    ctx.ledger.markApplied(target.revision);
    ctx.notifier.notify(failedEvent(cluster, target.revision, execution.failures, 'failure_action is continue: left as it is', ctx.now()));
    return 'failed';
  }
  if (execution.outcome === 'paused' || !execution.wantsRevert) {
    return stop(ctx, reason, execution.outcome === 'paused' ? 'failure_action is pause' : 'revert is disabled for this cluster', execution.outcome === 'paused' ? 'paused' : 'failed');
  }
  if (!target.desired.cluster.sync.revert) return stop(ctx, reason, 'sync.revert is false', 'failed');
  const lastGood = ctx.ledger.state.lastGood?.revision;
  if (!lastGood) return stop(ctx, reason, 'there is no good commit to revert to yet', 'failed');
  if (lastGood === target.revision) {
    // This *is* the last good commit being re-applied: reverting again would loop.
    return stop(ctx, reason, 'the last good commit itself failed to roll out; never revert a revert', 'revert-failed');
  }
  return revert(ctx, lastGood, reason);
}

async function revert(ctx: RolloutContext, lastGood: string, reason: string): Promise<ReconcileResult> {
  const { target, execution } = ctx;
  const cluster = target.desired.cluster.name;
  ctx.ledger.quarantine(target.revision, reason);
  ctx.metrics.revertsTotal.inc();
  ctx.log.warn({ commit: target.revision, lastGood, failures: execution.failures }, `rollout failed; quarantined it and reverting to ${lastGood}`);
  const good = await ctx.desired.load(lastGood);
  if (!good.state) return stop(ctx, reason, `the last good commit ${lastGood} can no longer be loaded`, 'revert-failed');
  const goodTarget: Target = { revision: lastGood, desired: good.state, mode: 'sync' };
  const observed = await ctx.observe();
  const back = ctx.planFor(goodTarget, observed);
  const result = await ctx.execute(back, good.state, true);
  const after = await ctx.observe();
  ctx.settle(ctx.planFor({ ...goodTarget, mode: 'resync' }, after), after);
  if (result.outcome !== 'converged') {
    const why = `reverting to ${lastGood} failed too: ${describe(result.failures)}`;
    ctx.ledger.finish(target.revision, 'revert-failed', `${reason}; ${why}`);
    ctx.ledger.pause(lastGood, why);
    ctx.setError({ code: 'REVERT_FAILED', message: `${reason}\n${why}`, at: iso(ctx), revision: target.revision });
    ctx.log.error({ commit: target.revision, lastGood, failures: result.failures }, 'revert failed; paused until a person looks');
    ctx.notifier.notify(failedEvent(cluster, target.revision, [...execution.failures, ...result.failures], `the revert to ${lastGood} failed too; Flotilla paused`, ctx.now()));
    return 'revert-failed';
  }
  ctx.ledger.finish(target.revision, 'reverted', `${reason}; reverted to ${lastGood}`);
  ctx.ledger.markApplied(lastGood);
  ctx.setError({ code: 'REVERTED', message: `${reason}\nreverted to ${lastGood}; ${target.revision} is quarantined until a newer commit arrives`, at: iso(ctx), revision: target.revision });
  ctx.notifier.notify(revertedEvent(cluster, target.revision, lastGood, execution.failures, ctx.now()));
  return 'reverted';
}

/** Records the failure and pauses on the commit, so polling does not retry it in a loop. */
function stop(ctx: RolloutContext, reason: string, why: string, result: ReconcileResult): ReconcileResult {
  const { target } = ctx;
  ctx.ledger.finish(target.revision, result === 'revert-failed' ? 'revert-failed' : 'failed', `${reason}; ${why}`);
  ctx.ledger.pause(target.revision, `${reason}; ${why}`);
  ctx.log.error({ commit: target.revision, failures: ctx.execution.failures }, `rollout stopped: ${why}`);
  ctx.notifier.notify(failedEvent(target.desired.cluster.name, target.revision, ctx.execution.failures, why, ctx.now()));
  return result;
}

/** Replicas still on another spec or stopped after the rollout (e.g. one failure_action continue skipped). */
function notOnTarget(check: EnginePlan): ServiceFailure[] {
  return check.drift.entries
    .filter((d) => d.kind === 'outdated' || d.kind === 'stopped')
    .map((d) => ({ stack: d.stack, service: d.service, node: d.node, reason: `${d.count} replica(s) ${d.kind === 'outdated' ? 'still run another spec' : 'are stopped'} (${d.containers.join(', ')})`, action: 'replace' as const }));
}

/** Replicas found unhealthy after the rollout count as a failed rollout of their services. */
function judgeUnhealthy(execution: ExecutionResult, failures: ServiceFailure[], desired: DesiredState): ExecutionResult {
  const actions = failures.map((f) => actionOf(f, desired));
  const wantsRevert = actions.includes('rollback');
  const paused = !wantsRevert && actions.includes('pause');
  return { ...execution, outcome: paused ? 'paused' : 'failed', failures, wantsRevert };
}

function actionOf(f: ServiceFailure, desired: DesiredState): string {
  return compileCatalog(desired).byKey.get(serviceKey(f.stack, f.service))?.spec.deploy.updateConfig.failureAction ?? 'rollback';
}

function onlyContinue(failures: ServiceFailure[], desired: DesiredState): boolean {
  return failures.length > 0 && failures.every((f) => actionOf(f, desired) === 'continue');
}

function describe(failures: ServiceFailure[]): string {
  return failures.map((f) => `${f.stack}/${f.service} on ${f.node}: ${f.reason}`).join('; ') || 'the rollout did not complete';
}

function nodesOf(plan: EnginePlan): string[] {
  return [...new Set(plan.actions.map((a) => a.node))].sort();
}

function iso(ctx: RolloutContext): string {
  return new Date(ctx.now()).toISOString();
}
