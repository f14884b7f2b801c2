// Runs a Swarm plan: overlay networks, node labels and config/secret objects first, then
// services in depends_on order (independent ones at once), each created or updated through
// the Engine API and then watched until Swarm has rolled it (wait.ts); removals last, objects
// no service uses any more after the services. A failed service with
// failure_action rollback halts every service not yet started, so the reconciler can put
// the whole cluster back to the last good commit, as on plain hosts.
import type { DesiredState, ServiceSpec } from '../../manifests/model.js';
import type { ExecutionResult, Halt, ServiceFailure } from '../../reconcile/execute/execution-types.js';
import type { EngineExecuteOptions } from '../engine.js';
import type { SwarmManagers } from './manager-client.js';
import type { SwarmAction, SwarmPlan } from './swarm-types.js';
import { updateBody } from './update-body.js';
import { waitForService } from './wait.js';
import { createObject, removeObject } from './apply-objects.js';
import { referencedObjects, withObjectIds } from './swarm-objects.js';

type Raw = Record<string, unknown>;

export async function applySwarmPlan(managers: SwarmManagers, plan: SwarmPlan, desired: DesiredState, options: EngineExecuteOptions): Promise<ExecutionResult> {
  const specs = new Map(desired.stacks.flatMap((st) => st.services.map((s): [string, ServiceSpec] => [`${st.name}/${s.name}`, s])));
  const failures: ServiceFailure[] = [];
  const touched = new Set<string>();
  const halt: Halt = { halted: false };
  let executed = 0;
  let paused = false;
  const event = (phase: 'start' | 'done' | 'failed' | 'skipped', a: SwarmAction, message: string): void => options.onEvent?.({ phase, stack: a.stack, service: a.service, ...(a.node ? { node: a.node } : {}), message });

  for (const a of plan.actions.filter((x) => x.type === 'network-create' || x.type === 'node-labels')) {
    event('start', a, `${a.type}: ${a.reason}`);
    if (a.type === 'network-create') await managers.call('create network', { method: 'POST', path: '/networks/create', body: { ...a.body, CheckDuplicate: true }, ok: [201, 409] }, options.signal);
    if (a.type === 'node-labels') await managers.call(`label node ${a.node}`, { method: 'POST', path: `/nodes/${a.nodeId}/update`, query: { version: a.version }, body: a.spec, ok: [200] }, options.signal);
    executed++;
    event('done', a, `${a.type} done`);
  }
  // IDs of the objects made now; the plan knew only those that existed.
  const madeIds = new Map<string, string>();
  for (const a of plan.actions) {
    if (a.type !== 'config-create' && a.type !== 'secret-create') continue;
    event('start', a, `create ${a.kind} ${a.name}`);
    madeIds.set(`${a.kind} ${a.name}`, await createObject(managers, a, options.signal));
    executed++;
    event('done', a, `created ${a.kind} ${a.name}`);
  }
  const withIds = <T extends SwarmAction>(a: T): T => {
    if (a.type !== 'service-create' && a.type !== 'service-update') return a;
    const spec = withObjectIds(a.spec, madeIds);
    const container = spec.TaskTemplate.ContainerSpec as Raw | undefined;
    const unresolved = [...((container?.Configs as Raw[] | undefined) ?? []).filter((r) => !r.ConfigID), ...((container?.Secrets as Raw[] | undefined) ?? []).filter((r) => !r.SecretID)];
    if (unresolved.length) throw new Error(`service ${spec.Name} references ${referencedObjects(spec).join(', ')}, of which ${unresolved.length} the swarm does not have and this plan does not create; plan again`);
    return { ...a, spec };
  };

  const running = new Map<string, Promise<boolean>>();
  const runService = async (a: SwarmAction): Promise<boolean> => {
    const key = `${a.stack}/${a.service}`;
    const spec = specs.get(key);
    const deps = (spec?.dependsOn ?? []).map((d) => running.get(`${a.stack}/${d}`)).filter((p): p is Promise<boolean> => p !== undefined);
    const depsOk = (await Promise.all(deps)).every(Boolean);
    if (halt.halted || !depsOk) {
      event('skipped', a, `not changed: ${halt.halted ? `the rollout stopped (${halt.reason ?? 'another service failed'})` : 'a service it depends on failed'}`);
      return false;
    }
    event('start', a, `${a.type} ${a.stack}_${a.service}: ${a.reason}`);
    executed++;
    touched.add(key);
    let id: string;
    if (a.type === 'service-create') {
      id = String((await managers.call<Raw>(`create service ${a.spec.Name}`, { method: 'POST', path: '/services/create', body: a.spec, ok: [201] }, options.signal)).ID);
    } else if (a.type === 'service-update') {
      id = a.id;
      // The way back of a revert rolls by rollback_config; see update-body.ts.
      await managers.call(`update service ${a.spec.Name}`, { method: 'POST', path: `/services/${a.id}/update`, query: { version: a.version }, body: updateBody(a.spec, options.rollback), ok: [200] }, options.signal);
    } else {
      return true;
    }
    const verdict = await waitForService(managers, {
      id,
      name: a.spec.Name,
      containerSpec: a.spec.TaskTemplate.ContainerSpec as Raw,
      replicas: spec?.deploy.mode === 'global' ? 'global' : (spec?.deploy.replicas ?? 1),
      monitorMs: (options.rollback ? spec?.deploy.rollbackConfig : spec?.deploy.updateConfig)?.monitorMs ?? 5_000,
      startPeriodMs: spec?.healthcheck?.startPeriodMs ?? 0,
    }, options.signal);
    if (verdict.ok) {
      event('done', a, `${a.stack}_${a.service} is rolled out and healthy`);
      return true;
    }
    event('failed', a, verdict.reason);
    failures.push({ stack: a.stack, service: a.service, node: '', reason: verdict.reason, action: a.type === 'service-create' ? 'create' : 'replace' });
    const action = options.rollback ? 'pause' : (spec?.deploy.updateConfig.failureAction ?? 'rollback');
    if (action === 'rollback') {
      halt.halted = true;
      halt.reason = `${key} failed`;
    }
    if (action === 'pause') paused = true;
    return action === 'continue';
  };
  // Every reference resolved before any service starts, so a missing object stops nothing half-way.
  const serviceActions = plan.actions.filter((a) => a.type === 'service-create' || a.type === 'service-update').map(withIds);
  for (const a of serviceActions) running.set(`${a.stack}/${a.service}`, runService(a));
  const results = await Promise.all(running.values());
  let ok = results.every(Boolean);
  if (!halt.halted && !paused) {
    for (const a of plan.actions) {
      if (a.type !== 'service-remove') continue;
      event('start', a, `remove service ${a.name}: ${a.reason}`);
      await managers.call(`remove service ${a.name}`, { method: 'DELETE', path: `/services/${a.id}`, ok: [200, 404] }, options.signal);
      executed++;
      touched.add(`${a.stack}/${a.service}`);
      event('done', a, `removed service ${a.name}`);
    }
    for (const a of plan.actions) {
      if (a.type !== 'config-remove' && a.type !== 'secret-remove') continue;
      event('start', a, `remove ${a.kind} ${a.name}: ${a.reason}`);
      const outcome = await removeObject(managers, a, options.signal);
      if (outcome.removed) {
        executed++;
        event('done', a, `removed ${a.kind} ${a.name}`);
      } else {
        event('skipped', a, `${a.kind} ${a.name} is kept until the next cycle: ${outcome.why}`);
      }
    }
  } else {
    ok = false;
  }
  return { outcome: ok ? 'converged' : paused && !halt.halted ? 'paused' : 'failed', failures, touched: [...touched], executed, wantsRevert: halt.halted };
}
