// depends_on conditions through whole reconciles over recording nodes: what a dependent
// waits for, one-shot jobs (service_completed_successfully) and what their exit means.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, startFlow, type Flow } from './flow-harness.js';
import type { RecordingDockerNode } from '../../../src/docker/recording-node.js';

const COMPOSE = 'stacks/shop/compose.yaml';

/** Everything on node-a, so that one node's write log is the order of the whole rollout. */
function compose(o: { migrate?: string; dbImage?: string; dbFailure?: string; condition?: string; appImage?: string } = {}): string {
  return `services:
  db:
    image: ${o.dbImage ?? 'db:1'}
    healthcheck: { test: ["CMD", "true"], interval: 1s, retries: 1 }
    deploy:
      placement: { constraints: [node.name==node-a] }
      update_config: { monitor: 1s, failure_action: ${o.dbFailure ?? 'rollback'} }
  migrate:
    image: ${o.migrate ?? 'migrate:1'}
    depends_on: { db: { condition: service_healthy } }
    deploy: { placement: { constraints: [node.name==node-a] } }
  app:
    image: ${o.appImage ?? 'app:1'}
    depends_on:
      db: { condition: ${o.condition ?? 'service_healthy'} }
      migrate: { condition: service_completed_successfully }
    deploy:
      placement: { constraints: [node.name==node-a] }
      update_config: { monitor: 1s }
`;
}

function nodeA(flow: Flow): RecordingDockerNode {
  return flow.nodes.get('node-a') as RecordingDockerNode;
}

/** The index in node-a's write log of the create of `name`, and of the start that followed it. */
function created(flow: Flow, name: string): number {
  return nodeA(flow).writes.findIndex((w) => w[0] === 'create' && w[1] === name);
}

async function stateOf(flow: Flow, name: string): Promise<string | undefined> {
  const c = (await nodeA(flow).listContainers()).find((x) => x.name === name);
  return c ? `${c.state}${c.exitCode !== undefined ? ` ${c.exitCode}` : ''}` : undefined;
}

async function jobFlow(exitCode: number): Promise<Flow> {
  const flow = await startFlow();
  for (const n of flow.nodes.values()) {
    n.setBehaviour('migrate:1', { exitsAtOnce: 0 });
    n.setBehaviour('migrate:2', { exitsAtOnce: exitCode });
  }
  return flow;
}

test('a migration job runs to exit 0 before the app is created, and is neither restarted nor drift afterwards', async () => {
  const flow = await jobFlow(0);
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose() });
  assert.equal(await flow.run(), 'success');
  assert.ok(created(flow, 'shop-db-1') < created(flow, 'shop-migrate-1'));
  assert.ok(created(flow, 'shop-migrate-1') < created(flow, 'shop-app-1'), 'the app is created after the job');
  assert.equal(await stateOf(flow, 'shop-migrate-1'), 'exited 0');
  assert.equal(await stateOf(flow, 'shop-app-1'), 'running');
  assert.equal(nodeA(flow).container('shop-migrate-1')?.body.HostConfig.RestartPolicy.Name, 'no', 'Docker must not run a finished job again');

  const writes = nodeA(flow).writes.length;
  assert.equal(await flow.run(), 'unchanged', 'an exited-0 job is in sync');
  assert.equal(nodeA(flow).writes.length, writes);
  assert.equal(flow.reconciler.status().services.find((s) => s.service === 'migrate')?.inSync, true);
});

test('a job exiting 1 fails the rollout naming the service and the code; the dependent is not created', async () => {
  const flow = await jobFlow(1);
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose() });
  assert.equal(await flow.run(), 'success');
  const bad = flow.source.commit({ [COMPOSE]: compose({ migrate: 'migrate:2', appImage: 'app:2' }) });
  assert.equal(await flow.run(), 'reverted');
  const entry = flow.reconciler.history().at(-1);
  assert.equal(entry?.revision, bad);
  assert.match(entry?.reason ?? '', /shop\/migrate on node-a: job shop-migrate-1 on node-a exited with code 1/);
  const apps = (await nodeA(flow).listContainers()).filter((c) => c.name.startsWith('shop-app'));
  assert.deepEqual(apps.map((c) => c.image), ['app:1'], 'app:2 was never created');
  assert.equal(await stateOf(flow, 'shop-migrate-1'), 'exited 0', 'the revert ran the good job again');
});

test('service_healthy waits on a dependency that is not healthy even when its own rollout let it pass', async () => {
  const flow = await startFlow();
  for (const n of flow.nodes.values()) {
    n.setBehaviour('migrate:1', { exitsAtOnce: 0 });
    n.setBehaviour('db:sick', { turnsUnhealthy: true });
  }
  // failure_action continue: db's own rollout carries on although it turns unhealthy.
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose({ dbImage: 'db:sick', dbFailure: 'continue' }) });
  assert.notEqual(await flow.run(), 'success');
  assert.equal(created(flow, 'shop-migrate-1'), -1, 'the job waits for db to be healthy, and db never is');
  assert.equal(created(flow, 'shop-app-1'), -1);
  assert.match(flow.reconciler.history().at(-1)?.reason ?? '', /shop\/db is not healthy \(depends_on db: condition service_healthy\): container shop-db-1 on node-a is unhealthy/);
});

test('service_started is satisfied by a running dependency without waiting for health', async () => {
  const flow = await startFlow({ healthyAfterInspects: 3 });
  for (const n of flow.nodes.values()) n.setBehaviour('migrate:1', { exitsAtOnce: 0 });
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose({ condition: 'service_started' }) });
  assert.equal(await flow.run(), 'success');
  assert.equal(await stateOf(flow, 'shop-app-1'), 'running');
});
