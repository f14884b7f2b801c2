import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule, type Placement } from '../../../src/reconcile/plan/scheduler.js';
import { desired, foreign, GiB, node, observed, observedNode, replica, service, stack } from './builders.js';

const where = (placements: Placement[]) => Object.fromEntries(placements.map((p) => [`${p.service}/${p.slot}`, p.node]));
const perNode = (placements: Placement[]) => {
  const counts: Record<string, number> = {};
  for (const p of placements) counts[p.node] = (counts[p.node] ?? 0) + 1;
  return counts;
};
const up = (...names: string[]) => observed(...names.map((n) => observedNode(n)));

test('places replicas only on nodes that satisfy the constraints', () => {
  const state = desired([node('a', { role: 'web' }), node('b', { role: 'db' }), node('c', { role: 'web' })], [stack('s', [service('web', { replicas: 4, constraints: ['node.labels.role==web'] })])]);
  const result = schedule(state, up('a', 'b', 'c'));
  assert.deepEqual(perNode(result.placements), { a: 2, c: 2 });
  assert.deepEqual(result.unplaceable, []);
});

test('spreads over zones first, then over nodes inside a zone', () => {
  const nodes = [node('a1', { zone: 'a' }), node('a2', { zone: 'a' }), node('a3', { zone: 'a' }), node('b1', { zone: 'b' }), node('c1', { zone: 'c' })];
  const state = desired(nodes, [stack('s', [service('api', { replicas: 3, spread: ['zone'] })])]);
  const result = schedule(state, up('a1', 'a2', 'a3', 'b1', 'c1'));
  assert.deepEqual(Object.values(where(result.placements)).sort(), ['a1', 'b1', 'c1']);
});

test('spread is even across label values even when a zone has fewer nodes (Swarm semantics)', () => {
  const state = desired([node('a1', { zone: 'a' }), node('a2', { zone: 'a' }), node('b1', { zone: 'b' })], [stack('s', [service('api', { replicas: 4, spread: ['zone'] })])]);
  const result = schedule(state, up('a1', 'a2', 'b1'));
  assert.deepEqual(perNode(result.placements), { a1: 1, a2: 1, b1: 2 });
});

test('without preferences, replicas go to the nodes with the fewest replicas of the service, then the least loaded', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s', [service('one', { replicas: 2 }), service('two', { replicas: 1 })])]);
  const result = schedule(state, up('a', 'b', 'c'));
  assert.deepEqual(where(result.placements), { 'one/1': 'a', 'one/2': 'b', 'two/1': 'c' });
});

test('never exceeds max_replicas_per_node and reports the replicas left over', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s', [service('w', { replicas: 7, maxPerNode: 2 })])]);
  const result = schedule(state, up('a', 'b', 'c'));
  assert.deepEqual(perNode(result.placements), { a: 2, b: 2, c: 2 });
  assert.equal(result.unplaceable.length, 1);
  assert.equal(result.unplaceable[0]?.slot, '7');
  assert.match(result.unplaceable[0]?.reason ?? '', /max_replicas_per_node 2/);
  assert.match(result.unplaceable[0]?.reason ?? '', /raise max_replicas_per_node/);
});

test('a fixed host port is taken once per node across all services of the cluster', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s1', [service('web', { replicas: 2, ports: [80] })]), stack('s2', [service('proxy', { replicas: 2, ports: [80] })])]);
  const result = schedule(state, up('a', 'b', 'c'));
  assert.equal(result.placements.length, 3);
  assert.equal(new Set(result.placements.map((p) => p.node)).size, 3);
  assert.equal(result.unplaceable.length, 1);
  assert.match(result.unplaceable[0]?.reason ?? '', /host port 80\/tcp taken by s1\/web replica/);
});

test('ports on different host addresses do not collide, but the wildcard address collides with all', () => {
  const at = (hostIp: string) => ({ target: 80, published: 80, protocol: 'tcp' as const, hostIp });
  const state = desired([node('a')], [stack('s', [service('x', { ports: [at('127.0.0.1')] }), service('y', { ports: [at('10.0.0.1')] }), service('z', { ports: [80] })])]);
  const result = schedule(state, up('a'));
  assert.deepEqual(result.placements.map((p) => p.service), ['x', 'y']);
  assert.equal(result.unplaceable[0]?.service, 'z');
});

test('ports and names held by unmanaged containers are not available', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s', [service('web', { replicas: 1, ports: [8080] }), service('api', { replicas: 1 })])]);
  const obs = observed(observedNode('a', [foreign('nginx', [8080])]), observedNode('b', [foreign('s-api-1')]), observedNode('c'));
  const result = schedule(state, obs);
  assert.notEqual(where(result.placements)['web/1'], 'a');
  assert.notEqual(where(result.placements)['api/1'], 'b');
});

test('reservations are summed per node against its CPUs and memory', () => {
  const state = desired([node('a'), node('b')], [stack('s', [service('cpu', { replicas: 3, cpus: 1 }), service('mem', { replicas: 3, memory: 3 * GiB })])]);
  const obs = observed(observedNode('a', [], { cpus: 2, memory: 8 * GiB }), observedNode('b', [], { cpus: 1, memory: 4 * GiB }));
  const result = schedule(state, obs);
  assert.deepEqual(perNode(result.placements.filter((p) => p.service === 'cpu')), { a: 2, b: 1 });
  assert.deepEqual(perNode(result.placements.filter((p) => p.service === 'mem')), { a: 2, b: 1 });
  const state2 = desired([node('a')], [stack('s', [service('big', { replicas: 2, memory: 5 * GiB })])]);
  const r2 = schedule(state2, observed(observedNode('a', [], { memory: 8 * GiB })));
  assert.equal(r2.placements.length, 1);
  assert.match(r2.unplaceable[0]?.reason ?? '', /has 3 GiB of 8 GiB memory unreserved, and a replica reserves 5 GiB/);
});

test('placement is sticky: existing replicas stay where they run, new ones fill in around them', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s', [service('w', { replicas: 3 })])]);
  const obs = observed(observedNode('a'), observedNode('b'), observedNode('c', [replica(state, 's', 'w', '1', 'c'), replica(state, 's', 'w', '2', 'c')]));
  const result = schedule(state, obs);
  assert.deepEqual(where(result.placements), { 'w/1': 'c', 'w/2': 'c', 'w/3': 'a' });
  assert.deepEqual(result.placements.map((p) => p.sticky), [true, true, false]);
});

test('an outdated replica is kept on its node unless that node stops fitting it', () => {
  const before = desired([node('a'), node('b')], [stack('s', [service('w', { replicas: 2, env: { V: '1' } })])]);
  const after = desired([node('a'), node('b')], [stack('s', [service('w', { replicas: 2, env: { V: '2' }, maxPerNode: 1 })])]);
  const obs = observed(observedNode('a', [replica(before, 's', 'w', '1', 'a'), replica(before, 's', 'w', '2', 'a')]), observedNode('b'));
  const result = schedule(after, obs);
  assert.deepEqual(where(result.placements), { 'w/1': 'a', 'w/2': 'b' });
  assert.match(result.placements[1]?.displaced?.[0]?.reason ?? '', /max_replicas_per_node 1/);
});

test('a changed service never pushes an unchanged healthy replica off its port', () => {
  const old = desired([node('a'), node('b')], [stack('s', [service('first', { replicas: 1 }), service('second', { replicas: 1, ports: [80] })])]);
  const changed = desired([node('a'), node('b')], [stack('s', [service('first', { replicas: 1, ports: [80] }), service('second', { replicas: 1, ports: [80] })])]);
  const obs = observed(observedNode('a', [replica(old, 's', 'first', '1', 'a'), replica(old, 's', 'second', '1', 'a')]), observedNode('b'));
  const result = schedule(changed, obs);
  assert.deepEqual(where(result.placements), { 'first/1': 'b', 'second/1': 'a' });
});

test('global mode runs one replica per eligible node, named by the node', () => {
  const state = desired([node('a', { role: 'x' }), node('b', { role: 'y' }), node('c', { role: 'x' })], [stack('m', [service('agent', { mode: 'global', constraints: ['node.labels.role==x'] })])]);
  const result = schedule(state, up('a', 'b', 'c'));
  assert.deepEqual(result.placements.map((p) => [p.slot, p.node]), [['a', 'a'], ['c', 'c']]);
});

test('a global replica that does not fit its node is reported for that node', () => {
  const state = desired([node('a'), node('b')], [stack('m', [service('agent', { mode: 'global', ports: [9100] })])]);
  const result = schedule(state, observed(observedNode('a', [foreign('node-exporter', [9100])]), observedNode('b')));
  assert.deepEqual(result.placements.map((p) => p.node), ['b']);
  assert.equal(result.unplaceable[0]?.slot, 'a');
  assert.match(result.unplaceable[0]?.reason ?? '', /m\/agent \(global\) cannot run on a: a has host port 9100\/tcp taken by unmanaged container node-exporter/);
});

test('a node down within its grace period keeps its replicas; none is added elsewhere', () => {
  const state = desired([node('a'), node('b')], [stack('s', [service('w', { replicas: 2, maxPerNode: 1 })])]);
  const obs = observed(observedNode('a', [replica(state, 's', 'w', '1', 'a')], { up: false }), observedNode('b', [replica(state, 's', 'w', '2', 'b')]));
  assert.deepEqual(where(schedule(state, obs).placements), { 'w/1': 'a', 'w/2': 'b' });
});

test('a node down past its grace period has its replicas rescheduled', () => {
  const state = desired([node('a'), node('b'), node('c')], [stack('s', [service('w', { replicas: 2, maxPerNode: 1 })])]);
  const obs = observed(observedNode('a', [replica(state, 's', 'w', '1', 'a')], { up: false }), observedNode('b', [replica(state, 's', 'w', '2', 'b')]), observedNode('c'));
  assert.deepEqual(where(schedule(state, obs, { lostNodes: ['a'] }).placements), { 'w/1': 'c', 'w/2': 'b' });
});

test('no new replica is placed on a down node, and the reason says so', () => {
  const state = desired([node('a'), node('b', { role: 'db' })], [stack('s', [service('w', { replicas: 1, constraints: ['node.labels.role!=db'] })])]);
  const result = schedule(state, observed(observedNode('a', [], { up: false }), observedNode('b')));
  assert.equal(result.placements.length, 0);
  assert.equal(result.unplaceable[0]?.reason, 's/w replica 1 of 1 cannot be placed: a is unreachable; b does not match the placement constraints [node.labels.role!=db]. To fix: bring the unreachable node back; relax the placement constraints or label more nodes.');
});

test('the same inputs give the same schedule whatever the order of observed containers', () => {
  const state = desired([node('a', { zone: 'x' }), node('b', { zone: 'y' }), node('c', { zone: 'x' })], [stack('s', [service('w', { replicas: 5, spread: ['zone'] }), service('v', { replicas: 2, ports: [80] })])]);
  const containers = [replica(state, 's', 'w', '2', 'b'), replica(state, 's', 'w', '2', 'c'), replica(state, 's', 'v', '1', 'a')];
  const one = schedule(state, observed(observedNode('a', [containers[2]!]), observedNode('b', [containers[0]!]), observedNode('c', [containers[1]!])));
  const two = schedule(state, observed(observedNode('c', [containers[1]!]), observedNode('a', [containers[2]!]), observedNode('b', [containers[0]!])));
  assert.deepEqual(one, two);
});
