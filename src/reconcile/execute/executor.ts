// Runs a plan. It does no thinking about *what* to do (the planner did); it decides only
// *when*: services in depends_on order (independent services in parallel; fixed addresses
// first, start-order.ts; removals moved ahead to make room just in time, room-making.ts), after the
// dependencies' depends_on conditions hold (dependency-wait.ts), new replicas all
// at once, replacements in batches of `update_config.parallelism` with each batch gated on
// health, removals (scale-down, prune, drain) in parallel batches of the same size, and a
// bounded number of Docker calls per node at a time. A failed batch ends the
// service's rollout according to `failure_action`; the caller decides about reverting.
import { setMaxListeners } from 'node:events';
import type { DesiredState, ServiceSpec, UpdateConfig } from '../../manifests/model.js';
import { DEFAULT_UPDATE_CONFIG } from '../../manifests/normalize-service.js';
import type { Action, ContainerAction, Plan, RemoveAction } from '../plan/actions.js';
import { Semaphore } from './semaphore.js';
import { ContainerSteps, INTERRUPTED } from './container-steps.js';
import { waitForDependencies } from './dependency-wait.js';
import { addressWaits } from './start-order.js';
import { RoomMaking } from './room-making.js';
import type { ExecuteOptions, ExecutionResult, Halt, ServiceFailure } from './execution-types.js';

interface ServiceWork {
  key: string;
  stack: string;
  service: string;
  spec?: ServiceSpec;
  resources: Action[];
  actions: ContainerAction[];
}

export async function executePlan(plan: Plan, desired: DesiredState, options: ExecuteOptions): Promise<ExecutionResult> {
  // Every replica in its health gate listens on the run's signal at once; dozens is normal,
  // not the listener leak Node warns about past ten.
  setMaxListeners(0, options.signal);
  // With a revert to follow, a halt also cuts short the health gates still running.
  const halt: Halt = { halted: false, ...(desired.cluster.sync.revert && !options.rollback ? { interrupt: new AbortController() } : {}) };
  const steps = new ContainerSteps(options, new Map<string, Semaphore>(), options.perNodeConcurrency ?? 8, desired.cluster.registries ?? [], halt);
  const work = groupByService(plan.actions, desired);
  const waits = addressWaits(work.map((w) => ({ key: w.key, stack: w.stack, ...(w.spec ? { spec: w.spec } : {}), starts: w.actions.some((a) => a.type !== 'remove') })));
  const failures: ServiceFailure[] = [];
  const touched = new Set<string>();
  let executed = 0;
  let paused = false;

  const room = new RoomMaking(
    plan.actions.filter((a): a is RemoveAction => a.type === 'remove' && a.makesRoomFor !== undefined),
    async (a) => {
      const reason = await steps.run(a, specOf(desired, a.stack, a.service), false, 0);
      return typeof reason === 'string' ? failureOf(a, reason) : undefined;
    },
  );

  const tasks = new Map<string, Promise<boolean>>();
  const runService = async (w: ServiceWork): Promise<boolean> => {
    const deps = (w.spec?.dependsOn ?? []).map((d) => tasks.get(`${w.stack}/${d}`)).filter((t): t is Promise<boolean> => t !== undefined);
    const depsOk = (await Promise.all(deps)).every(Boolean);
    // Not a dependency: only its order matters, so a failure there does not skip this service.
    await Promise.allSettled((waits.get(w.key) ?? []).map((key) => tasks.get(key)));
    if (halt.halted) {
      options.onEvent?.({ phase: 'skipped', stack: w.stack, service: w.service, message: `not changed: the rollout stopped (${halt.reason ?? 'another service failed'})` });
      return false;
    }
    if (!depsOk) {
      options.onEvent?.({ phase: 'skipped', stack: w.stack, service: w.service, message: `not changed: a service it depends on failed` });
      return false;
    }
    const blocked = await awaitConditions(w, desired, options, halt);
    if (blocked) {
      failures.push(blocked.failure);
      if (blocked.paused) paused = true;
      return false;
    }
    await Promise.all(w.resources.map((resource) => steps.ensureResource(resource)));
    const result = await rollService(w, steps, options, halt, room);
    executed += result.executed;
    if (result.executed > 0) touched.add(w.key);
    failures.push(...result.failures);
    if (result.paused) paused = true;
    return result.ok;
  };
  for (const w of work) tasks.set(w.key, runService(w));
  const results = await Promise.allSettled(tasks.values());
  const crashed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (crashed) throw crashed.reason;
  for (const a of room.started) {
    executed++;
    touched.add(`${a.stack}/${a.service}`);
  }
  const ok = results.every((r) => r.status === 'fulfilled' && r.value);
  // A room-making removal that failed is reported by each service that needed it: once here.
  return { outcome: ok ? 'converged' : paused ? 'paused' : 'failed', failures: [...new Set(failures)], touched: [...touched], executed, wantsRevert: halt.halted };
}

/**
 * The depends_on conditions of a service about to get new or started replicas (removals
 * need none). A condition not met fails the service as a failed batch would: with
 * failure_action rollback the whole rollout halts for a revert.
 */
async function awaitConditions(w: ServiceWork, desired: DesiredState, options: ExecuteOptions, halt: Halt): Promise<{ failure: ServiceFailure; paused: boolean } | undefined> {
  const stack = desired.stacks.find((s) => s.name === w.stack);
  if (!w.spec?.dependencyConditions || !stack || w.actions.every((a) => a.type === 'remove')) return undefined;
  const interrupt = halt.interrupt?.signal;
  const signal = interrupt ? AbortSignal.any([options.signal, interrupt]) : options.signal;
  let reason: string | undefined;
  try {
    reason = await waitForDependencies(w.spec, stack, {
      cluster: desired.cluster.name,
      nodes: desired.cluster.nodes.map((n) => n.name),
      node: options.node,
      clock: options.clock,
      signal,
      onWait: (message) => options.onEvent?.({ phase: 'start', stack: w.stack, service: w.service, message }),
    });
  } catch (err) {
    if (options.signal.aborted || !interrupt?.aborted) throw err;
    reason = `stopped waiting for its dependencies: the rollout is being reverted (${halt.reason ?? 'another service failed'})`;
    options.onEvent?.({ phase: 'skipped', stack: w.stack, service: w.service, message: `not changed: ${reason}` });
    return { failure: { stack: w.stack, service: w.service, node: w.actions[0]?.node ?? '', reason, action: 'create' }, paused: false };
  }
  if (reason === undefined) return undefined;
  options.onEvent?.({ phase: 'failed', stack: w.stack, service: w.service, message: `not started: ${reason}` });
  const config = (options.rollback ? w.spec.deploy.rollbackConfig : w.spec.deploy.updateConfig) ?? DEFAULT_UPDATE_CONFIG;
  if (config.failureAction === 'rollback' && !options.rollback && !halt.halted) {
    halt.halted = true;
    halt.reason = `${w.key} failed: ${reason}`;
    halt.interrupt?.abort();
  }
  return { failure: { stack: w.stack, service: w.service, node: w.actions[0]?.node ?? '', reason, action: 'create' }, paused: config.failureAction === 'pause' };
}

/**
 * The plan lists a stack's ensures on a node once, before the first action there, under
 * that action's service; but services without a depends_on between them run in parallel,
 * so every service waits for the ensures of each (stack, node) it puts a container on.
 */
function groupByService(actions: readonly Action[], desired: DesiredState): ServiceWork[] {
  const byKey = new Map<string, ServiceWork>();
  const ensures = new Map<string, Action[]>();
  for (const action of actions) {
    if (action.type === 'ensure-network' || action.type === 'ensure-volume') {
      const where = `${action.stack}\0${action.node}`;
      ensures.set(where, [...(ensures.get(where) ?? []), action]);
      continue;
    }
    // Removals that make room run when a service needs them (room-making.ts).
    if (action.type === 'remove' && action.makesRoomFor !== undefined) continue;
    const key = `${action.stack}/${action.service}`;
    let w = byKey.get(key);
    if (!w) {
      const spec = specOf(desired, action.stack, action.service);
      w = { key, stack: action.stack, service: action.service, ...(spec ? { spec } : {}), resources: [], actions: [] };
      byKey.set(key, w);
    }
    w.actions.push(action);
  }
  for (const w of byKey.values()) {
    const places = new Set(w.actions.filter((a) => a.type !== 'remove').map((a) => `${a.stack}\0${a.node}`));
    w.resources = [...places].flatMap((where) => ensures.get(where) ?? []);
  }
  return [...byKey.values()];
}

interface RollResult {
  ok: boolean;
  paused: boolean;
  executed: number;
  failures: ServiceFailure[];
}

/**
 * One service: new replicas and starts together, then replaced
 * replicas batch by batch, then the remaining removes. Failures are judged against
 * `max_failure_ratio` over the replicas this rollout touches.
 */
async function rollService(w: ServiceWork, steps: ContainerSteps, options: ExecuteOptions, halt: Halt, room: RoomMaking): Promise<RollResult> {
  const config: UpdateConfig = (options.rollback ? w.spec?.deploy.rollbackConfig : w.spec?.deploy.updateConfig) ?? DEFAULT_UPDATE_CONFIG;
  const fresh = w.actions.filter((a) => a.type === 'create' || a.type === 'start');
  const replaces = w.actions.filter((a) => a.type === 'replace');
  const removes = w.actions.filter((a) => a.type === 'remove');
  const total = fresh.length + replaces.length;
  const failures: ServiceFailure[] = [];
  let executed = 0;

  // Returns false when the rollout must stop here.
  const judge = (batchFailures: ServiceFailure[]): 'go' | 'stop' | 'pause' => {
    failures.push(...batchFailures);
    if (batchFailures.length === 0) return 'go';
    const ratio = total === 0 ? 1 : failures.length / total;
    if (config.failureAction === 'continue' || ratio <= config.maxFailureRatio) return 'go';
    if (config.failureAction === 'pause') return 'pause';
    if (!options.rollback && !halt.halted) {
      halt.halted = true;
      halt.reason = `${w.key} failed: ${batchFailures[0]?.reason ?? ''}`;
      halt.interrupt?.abort();
    }
    return 'stop';
  };
  // Replicas whose gate was cut short by another service's failure: not failures of their
  // own (the revert undoes them anyway), but this service did not get through either.
  let interrupted = false;
  const runBatch = async (batch: ContainerAction[]): Promise<ServiceFailure[]> => {
    const keepFailed = config.failureAction === 'continue';
    const outcomes = await Promise.all(batch.map((a) => steps.run(a, w.spec, options.healthGate ?? true, config.monitorMs, keepFailed, config.order)));
    executed += batch.length;
    if (outcomes.includes(INTERRUPTED)) interrupted = true;
    return outcomes.flatMap((reason, i) => (reason === undefined || reason === INTERRUPTED ? [] : [failureOf(batch[i] as ContainerAction, reason)]));
  };

  // Removals stop in parallel, a batch at a time: each stop can take the whole grace period
  // (a process that ignores SIGTERM), and one after another that is N grace periods.
  const removeBatch = removalBatchSize(w.spec === undefined ? undefined : config);
  const runRemovals = async (list: ContainerAction[]): Promise<void> => {
    for (let i = 0; i < list.length; i += removeBatch) {
      options.signal.throwIfAborted();
      const batch = list.slice(i, i + removeBatch);
      const reasons = await Promise.all(batch.map((a) => steps.run(a, w.spec, false, 0)));
      executed += batch.length;
      reasons.forEach((reason, j) => {
        if (typeof reason === 'string') failures.push(failureOf(batch[j] as ContainerAction, reason));
      });
    }
  };

  // The room its replicas need, just in time; a removal that failed counts as a failed replica.
  const roomFailures = fresh.length + replaces.length > 0 ? await room.ensure(room.beforeStart(w.stack, w.service)) : [];
  let verdict = judge([...roomFailures, ...(await runBatch(fresh))]);
  const batchSize = config.parallelism === 0 ? Math.max(1, replaces.length) : config.parallelism;
  for (let i = 0; i < replaces.length && verdict === 'go' && !halt.halted; i += batchSize) {
    if (i > 0 && config.delayMs > 0) await options.clock.sleep(config.delayMs, options.signal);
    options.signal.throwIfAborted();
    const batch = replaces.slice(i, i + batchSize);
    options.onEvent?.({ phase: 'batch', stack: w.stack, service: w.service, message: `updating ${batch.map((a) => a.container.name).join(', ')} (${i + batch.length}/${replaces.length})` });
    verdict = judge(await runBatch(batch));
  }
  if (verdict === 'go' && !halt.halted) {
    failures.push(...(await room.ensure(room.ownRemovals(w.stack, w.service))));
    await runRemovals(removes);
  } else if (verdict === 'pause') {
    options.onEvent?.({ phase: 'paused', stack: w.stack, service: w.service, message: `rollout paused (failure_action: pause): ${failures[failures.length - 1]?.reason ?? ''}` });
  }
  const hardFailures = config.failureAction === 'continue' ? [] : failures;
  const ok = verdict === 'go' && !interrupted && !(halt.halted && executed < w.actions.length) && (hardFailures.length === 0 || hardFailures.length / Math.max(1, total) <= config.maxFailureRatio);
  return { ok, paused: verdict === 'pause', executed, failures };
}

/**
 * How many of a service's removals stop at once: `update_config.parallelism` (0: all), as
 * for replacements. A service no longer in Git has no update_config left to ask, so its
 * containers all go at once, as `docker compose down` stops them. Either way the node's
 * concurrency limit (the per-node semaphore in ContainerSteps) bounds the calls in flight.
 */
function removalBatchSize(config: UpdateConfig | undefined): number {
  if (config === undefined || config.parallelism === 0) return Number.MAX_SAFE_INTEGER;
  return config.parallelism;
}

function specOf(desired: DesiredState, stack: string, service: string): ServiceSpec | undefined {
  return desired.stacks.find((s) => s.name === stack)?.services.find((s) => s.name === service);
}

function failureOf(action: ContainerAction, reason: string): ServiceFailure {
  return { stack: action.stack, service: action.service, node: action.node, reason, action: action.type };
}
