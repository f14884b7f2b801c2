import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { clusterYaml, fleetView, shopCompose, startFlow } from './flow-harness.js';
import { LABEL } from '../../../src/docker/labels.js';
import { RETIRED_SUFFIX } from '../../../src/reconcile/execute/container-steps.js';

const COMPOSE = 'stacks/shop/compose.yaml';

test('a steady-state reconcile with nothing to do makes exactly one container-list call per node', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  assert.equal(await flow.run(), 'unchanged');
  for (const node of flow.nodes.values()) {
    for (const key of Object.keys(node.calls) as Array<keyof typeof node.calls>) node.calls[key] = 0;
  }
  assert.equal(await flow.run(), 'unchanged');
  for (const node of flow.nodes.values()) {
    const made = Object.entries(node.calls).filter(([, n]) => n > 0);
    assert.deepEqual(made, [['listContainers', 1]], `${node.name} made ${JSON.stringify(made)}`);
  }
});

test('start-first keeps the old replica running until its successor is healthy', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose({ order: 'start-first', replicas: 1 }) });
  assert.equal(await flow.run(), 'success');
  for (const node of flow.nodes.values()) node.writes.length = 0;
  flow.source.commit({ [COMPOSE]: shopCompose({ order: 'start-first', replicas: 1, web: 'web:2' }) });
  assert.equal(await flow.run(), 'success');
  const node = [...flow.nodes.values()].find((n) => n.writes.some((w) => w[0] === 'create' && w[1] === 'shop-web-1'));
  assert.ok(node, 'web was replaced on some node');
  const kinds = node.writes.filter((w) => w[0] !== 'ensureNetwork').map((w) => w[0]);
  // The old container is renamed aside (still running), the new one created and started,
  // and only then is the old one stopped and removed.
  assert.deepEqual(kinds.slice(0, 5), ['rename', 'create', 'start', 'stop', 'remove']);
  assert.equal(node.writes.find((w) => w[0] === 'rename')?.[2], `shop-web-1${RETIRED_SUFFIX}`);
});

test('stop-first stops the old replica before starting its successor', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose({ replicas: 1 }) });
  assert.equal(await flow.run(), 'success');
  for (const node of flow.nodes.values()) node.writes.length = 0;
  flow.source.commit({ [COMPOSE]: shopCompose({ replicas: 1, web: 'web:2' }) });
  assert.equal(await flow.run(), 'success');
  const node = [...flow.nodes.values()].find((n) => n.writes.some((w) => w[0] === 'create' && w[1] === 'shop-web-1'));
  assert.ok(node);
  // The final stop of the already stopped old replica is a no-op (Docker answers 304).
  assert.deepEqual(node.writes.filter((w) => w[0] !== 'ensureNetwork').map((w) => w[0]).slice(0, 6), ['stop', 'rename', 'create', 'start', 'stop', 'remove']);
});

test('a rollout interrupted by a crash is recorded as interrupted and applied again on restart', async () => {
  const flow = await startFlow();
  const good = flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  const next = flow.source.commit({ [COMPOSE]: shopCompose({ env: '2' }) });
  // Simulate a SIGKILL mid-rollout: the state file says pending, one replica is half-renamed.
  const stateFile = join(flow.stateDir, 'state.json');
  const state = JSON.parse(readFileSync(stateFile, 'utf8'));
  state.history.push({ revision: next, startedAt: new Date().toISOString(), outcome: 'pending', changes: { create: 0, replace: 9, remove: 0, start: 0 } });
  writeFileSync(stateFile, JSON.stringify(state));
  const nodeA = flow.nodes.get('node-a');
  const victim = (await nodeA?.listContainers())?.find((c) => c.labels[LABEL.service] === 'web');
  assert.ok(nodeA && victim);
  await nodeA.stopContainer(victim.id);
  await nodeA.renameContainer(victim.id, victim.name + RETIRED_SUFFIX);

  await flow.restart();
  assert.equal(flow.reconciler.history().find((h) => h.revision === next)?.outcome, 'interrupted');
  assert.equal(await flow.run(), 'success');
  const view = await fleetView(flow);
  assert.equal(view.length, 9, view.join('\n'));
  assert.ok(view.every((l) => l.endsWith(' running') && !l.includes(RETIRED_SUFFIX)), view.join('\n'));
  assert.equal(flow.reconciler.state.lastGood?.revision, next);
  assert.deepEqual(flow.reconciler.history().map((h) => [h.revision, h.outcome]), [[good, 'deployed'], [next, 'interrupted'], [next, 'deployed']]);
});

test('without a state file the last good commit is recovered from container labels', async () => {
  const flow = await startFlow();
  const good = flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  rmSync(join(flow.stateDir, 'state.json'));
  rmSync(join(flow.stateDir, 'last-good-desired.json'));
  await flow.restart();
  assert.equal(await flow.run(), 'unchanged');
  assert.equal(flow.reconciler.state.lastGood?.revision, good);
  // and a failing commit can still be reverted to it
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { turnsUnhealthy: true });
  flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2' }) });
  assert.equal(await flow.run(), 'reverted');
});

test('never reverts a revert: when the last good commit itself fails to roll out, Flotilla pauses', async () => {
  const flow = await startFlow();
  // web depends on api, so api:2 rolls out (and succeeds) before web:2 fails.
  const compose = (api: string, web: string) => `services:
  api:
    image: ${api}
    deploy: { replicas: 2, update_config: { monitor: 1s }, rollback_config: { monitor: 1s } }
  web:
    image: ${web}
    depends_on: [api]
    deploy: { replicas: 2, update_config: { monitor: 1s } }
`;
  const good = flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: compose('api:1', 'web:1') });
  assert.equal(await flow.run(), 'success');
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { exitsAtOnce: 1 });
  // The way back fails too: new api:1 containers can no longer start anywhere.
  for (const node of flow.nodes.values()) node.setBehaviour('api:1', { exitsAtOnce: 1 });
  flow.source.commit({ [COMPOSE]: compose('api:2', 'web:2') });
  assert.equal(await flow.run(), 'revert-failed');
  assert.equal(flow.reconciler.state.paused?.revision, good);
  assert.equal(flow.reconciler.status().phase, 'paused');
  assert.equal(flow.reconciler.status().lastError?.code, 'REVERT_FAILED');
  const writes = [...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0);
  assert.equal(await flow.run(), 'paused');
  assert.equal([...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0), writes, 'nothing more is tried while paused');
});

test('when Git is unreachable the fleet is still watched against the applied commit and the error is shown', async () => {
  const flow = await startFlow();
  flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  flow.source.unreachable = true;
  const nodeB = flow.nodes.get('node-b');
  const victim = (await nodeB?.listContainers())?.[0];
  assert.ok(nodeB && victim);
  await nodeB.removeContainer(victim.id);
  assert.equal(await flow.run(), 'success');
  assert.equal((await fleetView(flow)).length, 9, 'the removed replica was healed from the applied commit');
  assert.equal(flow.reconciler.status().lastError?.code, 'GIT_UNREACHABLE');
  flow.source.unreachable = false;
  assert.equal(await flow.run(), 'unchanged');
  assert.equal(flow.reconciler.status().lastError, undefined);
});
