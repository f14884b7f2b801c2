// A whole-cluster revert on a swarm rolls by each service's rollback_config: the update sent
// to the manager (nock-served Engine API) carries rollback_config as its UpdateConfig, keeps
// RollbackConfig and the Git spec's hash label as declared, and the service left that way
// is in sync with Git on the next plan (no flapping update after a revert).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import { desired, node, service, stack } from '../reconcile/builders.js';
import { applySwarmPlan } from '../../../src/engine/swarm/apply.js';
import { planSwarm } from '../../../src/engine/swarm/diff.js';
import { SwarmManagers } from '../../../src/engine/swarm/manager-client.js';
import { desiredService } from '../../../src/engine/swarm/service-spec.js';
import type { SwarmObservation, SwarmService, SwarmServiceSpec } from '../../../src/engine/swarm/swarm-types.js';
import type { EnginePlanOptions } from '../../../src/engine/engine.js';
import type { DesiredState } from '../../../src/manifests/model.js';

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const MANAGER = 'http://swarm-manager.test:2375';
const SYNC: EnginePlanOptions = { selfHeal: true, prune: true, commit: 'good', mode: 'sync' };

/** web:1 in Git (the last good commit), rolled forward by update_config, back by rollback_config. */
function goodState(): DesiredState {
  const web = service('web', { replicas: 2, image: 'web:1' });
  web.deploy.updateConfig = { parallelism: 1, delayMs: 10_000, failureAction: 'rollback', monitorMs: 5_000, maxFailureRatio: 0, order: 'stop-first' };
  web.deploy.rollbackConfig = { parallelism: 2, delayMs: 0, failureAction: 'pause', monitorMs: 1_000, maxFailureRatio: 0.5, order: 'start-first' };
  return desired([node('n1')], [stack('shop', [web])], 'sw');
}

/** The service as the failed commit left it: web:2. */
function failedLive(d: DesiredState): SwarmService {
  const want = desiredService('sw', d.stacks[0]!, d.stacks[0]!.services[0]!, 'bad');
  const spec = JSON.parse(JSON.stringify(want.spec)) as SwarmServiceSpec;
  (spec.TaskTemplate.ContainerSpec as { Image: string }).Image = 'web:2';
  spec.Labels['flotilla.spec-hash'] = 'feedfacefeedface';
  return { id: 'svc1', version: 7, name: 'shop_web', labels: spec.Labels, spec, updateState: 'paused', updateMessage: '' };
}

function observation(services: SwarmService[]): SwarmObservation {
  return {
    manager: MANAGER,
    services,
    tasks: [1, 2].map((slot) => ({ id: `t${slot}`, serviceId: 'svc1', nodeId: 'N1', slot, state: 'running', desiredState: 'running', message: '', error: '', image: 'web:2', createdAt: '' })),
    nodes: [],
    networks: [{ id: 'net1', name: 'shop_default', labels: {} }],
    objects: [],
  };
}

/** Answers one update of svc1 and the rollout watch after it; returns what was sent. */
function serveUpdate(containerSpec: unknown): { sent: SwarmServiceSpec[] } {
  const sent: SwarmServiceSpec[] = [];
  const updatedAt = new Date().toISOString();
  // Tasks of the new spec that have run since before the update: stable at once.
  const tasks = [1, 2].map((slot) => ({ ID: `new${slot}`, DesiredState: 'running', Status: { State: 'running' }, CreatedAt: new Date(Date.parse(updatedAt) - 60_000).toISOString(), Spec: { ContainerSpec: containerSpec } }));
  const scope = nock(MANAGER)
    .post('/services/svc1/update').query({ version: '7' }).reply(200, {})
    .get('/services/svc1').reply(200, { ID: 'svc1', UpdatedAt: updatedAt, UpdateStatus: { State: 'completed' } })
    .get('/tasks').query(true).reply(200, tasks);
  scope.on('request', (_req: unknown, _i: unknown, body: string) => {
    if (body) sent.push(JSON.parse(body) as SwarmServiceSpec);
  });
  return { sent };
}

async function rollOut(rollback: boolean): Promise<SwarmServiceSpec> {
  nock.disableNetConnect();
  const d = goodState();
  const plan = planSwarm(d, observation([failedLive(d)]), SYNC, []);
  const update = plan.actions[0];
  assert.ok(update?.type === 'service-update' && plan.actions.length === 1);
  const { sent } = serveUpdate(update.spec.TaskTemplate.ContainerSpec);
  const result = await applySwarmPlan(new SwarmManagers(['tcp://swarm-manager.test:2375']), plan, d, { signal: AbortSignal.timeout(10_000), rollback });
  assert.equal(result.outcome, 'converged', JSON.stringify(result.failures));
  assert.equal(sent.length, 1);
  return sent[0]!;
}

const ROLLBACK_CONFIG = { Parallelism: 2, Delay: 0, FailureAction: 'pause', Monitor: 1_000_000_000, MaxFailureRatio: 0.5, Order: 'start-first' };
const UPDATE_CONFIG = { Parallelism: 1, Delay: 10_000_000_000, FailureAction: 'pause', Monitor: 5_000_000_000, MaxFailureRatio: 0, Order: 'stop-first' };

test('a revert sends rollback_config as the UpdateConfig of the update, RollbackConfig and the Git spec hash as declared', async () => {
  const body = await rollOut(true);
  assert.deepEqual(body.UpdateConfig, ROLLBACK_CONFIG);
  assert.deepEqual(body.RollbackConfig, ROLLBACK_CONFIG);
  const git = desiredService('sw', goodState().stacks[0]!, goodState().stacks[0]!.services[0]!, 'good');
  assert.equal(body.Labels['flotilla.spec-hash'], git.specHash);
  assert.equal((body.TaskTemplate.ContainerSpec as { Image: string }).Image, 'web:1');
});

test('a rollout forward sends update_config, and always a Placement (Docker 20.10 panics on an update without one)', async () => {
  const body = await rollOut(false);
  assert.deepEqual(body.UpdateConfig, UPDATE_CONFIG);
  assert.deepEqual(body.RollbackConfig, ROLLBACK_CONFIG);
  assert.deepEqual(body.TaskTemplate.Placement, {});
});

test('a service as a revert left it is in sync with Git; one whose UpdateConfig was changed by hand is not', async () => {
  const body = await rollOut(true);
  const d = goodState();
  const reverted: SwarmService = { id: 'svc1', version: 8, name: 'shop_web', labels: body.Labels, spec: body, updateState: 'completed', updateMessage: '' };
  const after = planSwarm(d, observation([reverted]), { ...SYNC, mode: 'resync' }, []);
  assert.deepEqual(after.actions, []);
  assert.equal(after.services[0]?.inSync, true);

  const byHand = { ...body, UpdateConfig: { ...ROLLBACK_CONFIG, Parallelism: 9 } };
  const drifted = planSwarm(d, observation([{ ...reverted, spec: byHand }]), { ...SYNC, mode: 'resync' }, []);
  const update = drifted.actions[0];
  assert.ok(update?.type === 'service-update');
  assert.deepEqual(update.fields, ['UpdateConfig.Parallelism', 'UpdateConfig.Delay', 'UpdateConfig.Monitor', 'UpdateConfig.MaxFailureRatio', 'UpdateConfig.Order']);
});
