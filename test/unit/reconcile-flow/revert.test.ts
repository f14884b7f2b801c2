import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clusterYaml, fleetView, shopCompose, startFlow, type Flow } from './flow-harness.js';
import { LABEL } from '../../../src/docker/labels.js';

const COMPOSE = 'stacks/shop/compose.yaml';

async function deployedFlow() {
  const flow = await startFlow();
  const good = flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'success');
  return { flow, good };
}

async function commitsOnFleet(flow: Awaited<ReturnType<typeof startFlow>>): Promise<Set<string>> {
  const commits = new Set<string>();
  for (const node of flow.nodes.values()) for (const c of await node.listContainers()) commits.add(c.labels[LABEL.commit] as string);
  return commits;
}

test('the first healthy rollout makes the commit good and records it in history', async () => {
  const { flow, good } = await deployedFlow();
  assert.equal(flow.reconciler.state.lastGood?.revision, good);
  assert.equal(flow.reconciler.history().at(-1)?.outcome, 'deployed');
  assert.equal((await fleetView(flow)).length, 9);
  assert.equal(flow.events.at(-1)?.type, 'deployed');
});

test('reverts to the last good commit when the new image turns unhealthy, and quarantines it', async () => {
  const { flow, good } = await deployedFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { turnsUnhealthy: true });
  const bad = flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2' }) });
  assert.equal(await flow.run(), 'reverted');
  assert.deepEqual(flow.reconciler.state.quarantined.map((q) => q.revision), [bad]);
  assert.equal(flow.reconciler.state.lastGood?.revision, good);
  assert.equal(flow.reconciler.state.applied, good);
  assert.ok((await fleetView(flow)).every((line) => !line.includes('web:2')), 'no container runs the bad image');
  assert.deepEqual(await commitsOnFleet(flow), new Set([good]));
  const entry = flow.reconciler.history().at(-1);
  assert.equal(entry?.revision, bad);
  assert.equal(entry?.outcome, 'reverted');
  assert.match(entry?.reason ?? '', /turned unhealthy/);
  assert.equal(flow.events.at(-1)?.type, 'reverted');
  assert.equal((await flow.metrics.revertsTotal.get()).values[0]?.value, 1);
  assert.equal(flow.reconciler.status().lastError?.code, 'REVERTED');
});

test('a quarantined commit is not re-applied by polling; a newer good commit deploys normally', async () => {
  const { flow, good } = await deployedFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { turnsUnhealthy: true });
  flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2' }) });
  assert.equal(await flow.run(), 'reverted');
  const writes = [...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0);
  assert.equal(await flow.run(), 'unchanged');
  assert.equal([...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0), writes, 'polling the quarantined head changes nothing');
  assert.equal(flow.reconciler.state.applied, good);
  const fix = flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:3' }) });
  assert.equal(await flow.run(), 'success');
  assert.equal(flow.reconciler.state.lastGood?.revision, fix);
  assert.ok((await fleetView(flow)).filter((l) => l.startsWith('shop-web')).every((l) => l.includes('web:3')));
});

test('a failure in one service of a commit that changed three services reverts all three', async () => {
  const { flow, good } = await deployedFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('worker:2', { exitsAtOnce: 1 });
  flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2', api: 'api:2', worker: 'worker:2' }) });
  assert.equal(await flow.run(), 'reverted');
  const view = await fleetView(flow);
  assert.ok(view.every((l) => / (web|api|worker):1 running$/.test(l)), `all back on :1\n${view.join('\n')}`);
  assert.deepEqual(await commitsOnFleet(flow), new Set([good]));
});

for (const [name, behaviour] of [
  ['a command that exits at once', { exitsAtOnce: 1 }],
  ['an image that cannot be pulled', { pullFails: 'manifest unknown' }],
  ['a container that cannot start (port taken)', { portConflictOnStart: true }],
] as const) {
  test(`reverts ${name}`, async () => {
    const { flow, good } = await deployedFlow();
    for (const node of flow.nodes.values()) node.setBehaviour('api:2', behaviour);
    const bad = flow.source.commit({ [COMPOSE]: shopCompose({ api: 'api:2' }) });
    assert.equal(await flow.run(), 'reverted');
    assert.equal(flow.reconciler.state.quarantined[0]?.revision, bad);
    assert.deepEqual(await commitsOnFleet(flow), new Set([good]));
    assert.equal((await fleetView(flow)).filter((l) => l.endsWith(' running')).length, 9);
  });
}

test('failure_action pause stops and reports without reverting, and holds until a newer commit', async () => {
  const { flow } = await deployedFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { turnsUnhealthy: true });
  const bad = flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2', failureAction: 'pause' }) });
  assert.equal(await flow.run(), 'paused');
  assert.equal(flow.reconciler.state.quarantined.length, 0);
  assert.equal(flow.reconciler.state.paused?.revision, bad);
  assert.equal(flow.reconciler.status().phase, 'paused');
  const writes = [...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0);
  assert.equal(await flow.run(), 'paused');
  assert.equal([...flow.nodes.values()].reduce((n, node) => n + node.writes.length, 0), writes, 'a paused rollout is left as it stopped');
  const fix = flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:3' }) });
  assert.equal(await flow.run(), 'success');
  assert.equal(flow.reconciler.state.lastGood?.revision, fix);
  assert.equal(flow.reconciler.state.paused, undefined);
});

test('failure_action continue carries on past a failed replica, but the commit does not become good', async () => {
  const { flow, good } = await deployedFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('web:2', { turnsUnhealthy: true });
  const kept = flow.source.commit({ [COMPOSE]: shopCompose({ web: 'web:2', failureAction: 'continue' }) });
  assert.equal(await flow.run(), 'failed');
  assert.equal((await fleetView(flow)).filter((l) => l.includes('web:2')).length, 3, 'every web replica was updated');
  assert.equal(flow.reconciler.state.quarantined.length, 0);
  assert.equal(flow.reconciler.state.applied, kept);
  assert.equal(flow.reconciler.state.lastGood?.revision, good, 'a commit with unhealthy replicas is never the last good one');
  assert.equal(flow.reconciler.history().at(-1)?.outcome, 'failed');
});

test('with no good commit yet a failed rollout is reported and left as it is', async () => {
  const flow = await startFlow();
  for (const node of flow.nodes.values()) node.setBehaviour('web:1', { turnsUnhealthy: true });
  const first = flow.source.commit({ 'clusters/prod/cluster.yaml': clusterYaml(), [COMPOSE]: shopCompose() });
  assert.equal(await flow.run(), 'failed');
  assert.equal(flow.reconciler.state.lastGood, undefined);
  assert.equal(flow.reconciler.state.paused?.revision, first);
  assert.match(flow.reconciler.state.paused?.reason ?? '', /no good commit/);
  assert.equal(flow.events.at(-1)?.type, 'failed');
});

test('an invalid commit is never applied and is recorded once with its file:line problems', async () => {
  const { flow, good } = await deployedFlow();
  const before = await fleetView(flow);
  const bad = flow.source.commit({ [COMPOSE]: 'services:\n  web:\n    image: web:9\n    links: [db]\n' });
  assert.equal(await flow.run(), 'unchanged');
  assert.equal(await flow.run(), 'unchanged');
  assert.deepEqual(await fleetView(flow), before);
  const status = flow.reconciler.status();
  assert.equal(status.lastError?.code, 'VALIDATION_FAILED');
  assert.equal(status.lastError?.problems?.[0]?.file, COMPOSE);
  assert.equal(status.lastError?.problems?.[0]?.line, 4);
  assert.equal(flow.reconciler.history().filter((h) => h.revision === bad && h.outcome === 'invalid').length, 1);
  assert.equal(flow.events.filter((e) => e.type === 'validation_failed').length, 1);
  assert.equal(flow.reconciler.state.lastGood?.revision, good);
  // The reconciles succeed on the last valid commit; the gauge is what says the head is not deployed.
  assert.equal(await gauge(flow, 'flotilla_tracked_commit_invalid'), 1);
  flow.source.commit({ [COMPOSE]: shopCompose() });
  await flow.run();
  assert.equal(await gauge(flow, 'flotilla_tracked_commit_invalid'), 0);
});

async function gauge(flow: Flow, name: string): Promise<number | undefined> {
  const metric = await flow.metrics.registry.getSingleMetric(name)?.get();
  return metric?.values[0]?.value;
}
