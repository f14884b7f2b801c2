// Swarm nodes an operator drained or paused, or that went down, as Flotilla reads them from
// a manager (nock-served GET /nodes): a drained node is up but not schedulable, a down one
// is down; status says which, the log says it once per change, and Flotilla's node-label
// updates send the node's spec back with the operator's availability (it never undrains).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import nock from '../notify/nock.js';
import { desired, node, service, stack } from '../reconcile/builders.js';
import { observeSwarm } from '../../../src/engine/swarm/observe.js';
import { planSwarm } from '../../../src/engine/swarm/diff.js';
import { SwarmManagers } from '../../../src/engine/swarm/manager-client.js';
import { availabilityChange, nodeStatus } from '../../../src/reconcile/report/node-status.js';
import { renderStatusText, type DaemonStatus } from '../../../src/reconcile/report/status.js';

afterEach(() => {
  nock.cleanAll();
  nock.enableNetConnect();
});

const MANAGER = 'http://swarm-manager.test:2375';

function swarmNode(id: string, hostname: string, availability: string, state: string, message = ''): Record<string, unknown> {
  return { ID: id, Version: { Index: 5 }, Description: { Hostname: hostname }, Spec: { Role: 'worker', Availability: availability, Labels: {} }, Status: { State: state, Message: message } };
}

async function observe(): Promise<Awaited<ReturnType<typeof observeSwarm>>> {
  nock.disableNetConnect();
  nock(MANAGER)
    .get('/nodes').reply(200, [swarmNode('A', 'node-a', 'active', 'ready'), swarmNode('B', 'node-b', 'drain', 'ready'), swarmNode('C', 'node-c', 'active', 'down', 'heartbeat failure'), swarmNode('D', 'node-d', 'pause', 'ready')])
    .get('/services').reply(200, [])
    .get('/tasks').reply(200, [])
    .get('/networks').query(true).reply(200, [])
    .get('/configs').query(true).reply(200, [])
    .get('/secrets').query(true).reply(200, []);
  return observeSwarm(new SwarmManagers(['tcp://swarm-manager.test:2375']), undefined);
}

test('a drained node is up but not schedulable, a down node is down, and status says so per node', async () => {
  const observed = await observe();
  const status = observed.nodes.map(nodeStatus);
  assert.deepEqual(status.map((n) => [n.name, n.up, n.availability, n.schedulable]), [
    ['node-a', true, 'active', true],
    ['node-b', true, 'drain', false],
    ['node-c', false, 'active', false],
    ['node-d', true, 'pause', false],
  ]);
  assert.match(status[1]?.note ?? '', /drained by an operator: it takes no tasks and Swarm moves its tasks to other nodes; Flotilla leaves it drained/);
  assert.equal(status[2]?.error, 'swarm node node-c is down (heartbeat failure)');
  const text = renderStatusText({ source: 'repo', branch: 'main', phase: 'idle', quarantined: [], nodes: status, conflicts: [], services: [] } satisfies DaemonStatus);
  assert.match(text, /node-a\s+up\n/);
  assert.match(text, /node-b\s+up, drain, not schedulable: drained by an operator/);
  assert.match(text, /node-c\s+down: swarm node node-c is down \(heartbeat failure\)/);
});

test('the log hears of a drain once, and of the node coming back once', () => {
  const n = (availability: 'active' | 'drain') => ({ name: 'node-b', up: true, availability, containers: [] });
  assert.equal(availabilityChange(undefined, n('active')), undefined, 'a node first seen active is not news');
  assert.equal(availabilityChange(undefined, n('drain'))?.level, 'warn');
  assert.match(availabilityChange('active', n('drain'))?.message ?? '', /^node is drained: /);
  assert.equal(availabilityChange('drain', n('drain')), undefined, 'the same drain next cycle is not logged again');
  assert.deepEqual(availabilityChange('drain', n('active')), { level: 'info', message: 'node is active again: it takes tasks' });
  assert.equal(availabilityChange(undefined, { name: 'host', up: true, containers: [] }), undefined, 'plain hosts have no availability');
});

test('node labels from Git are written with the node spec as read: a drained node stays drained', async () => {
  const observed = await observe();
  assert.ok(observed.swarm);
  const d = desired([node('node-b', { zone: 'b' })], [stack('shop', [service('web', { replicas: 1, image: 'web:1' })])], 'sw');
  const plan = planSwarm(d, observed.swarm, { selfHeal: true, prune: true, commit: 'c1', mode: 'sync' }, []);
  const labels = plan.actions.find((a) => a.type === 'node-labels');
  assert.ok(labels?.type === 'node-labels');
  assert.equal(labels.spec.Availability, 'drain');
  assert.deepEqual(labels.spec.Labels, { zone: 'b', 'flotilla.labels': 'zone' });
});
