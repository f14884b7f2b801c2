import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { servicesStatus } from '../../../src/reconcile/report/fleet-status.js';
import { renderStatusText } from '../../../src/reconcile/report/status.js';
import { desired, node, observed, observedNode, replica, service, stack } from './builders.js';

test('status gives each service its own replicas in slot order, its drift and its unplaceable slots', () => {
  const d = desired([node('a'), node('b')], [stack('shop', [service('web', { replicas: 12 }), service('api', { replicas: 1 }), service('db', { replicas: 3, constraints: ['node.name==a'], ports: [5432] })])]);
  const webReplicas = Array.from({ length: 12 }, (_, i) => replica(d, 'shop', 'web', String(i + 1), i % 2 ? 'b' : 'a'));
  const obs = observed(
    observedNode('a', [...webReplicas.filter((c) => c.node === 'a').reverse(), replica(d, 'shop', 'db', '1', 'a')]),
    observedNode('b', [...webReplicas.filter((c) => c.node === 'b'), replica(d, 'shop', 'api', '1', 'b', { state: 'exited' })]),
  );
  const p = plan(d, obs, { selfHeal: false, prune: true, commit: 'c1', mode: 'resync' });
  const byName = new Map(servicesStatus(p, obs).map((s) => [s.service, s]));

  const web = byName.get('web');
  assert.deepEqual(web?.replicas.map((r) => r.slot), ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12'], 'numeric slot order');
  assert.equal(web?.inSync, true);
  assert.deepEqual(web?.drift, []);

  const api = byName.get('api');
  assert.equal(api?.inSync, false);
  assert.deepEqual(api?.drift.map((x) => [x.node, x.kind, x.count]), [['b', 'stopped', 1]]);
  assert.deepEqual(api?.replicas.map((r) => [r.node, r.state]), [['b', 'exited']]);

  // One fixed host port on the only eligible node: slots 2 and 3 cannot be placed.
  const db = byName.get('db');
  assert.deepEqual(db?.unplaceable.map((u) => u.slot).sort(), ['2', '3']);
  assert.deepEqual(web?.unplaceable, []);
});

test('a service whose replica is held on a down node says so, rather than out of sync with no drift', () => {
  const d = desired([node('a'), node('b')], [stack('shop', [service('api', { replicas: 2 })])]);
  const obs = observed(
    observedNode('a', [replica(d, 'shop', 'api', '1', 'a')]),
    observedNode('b', [replica(d, 'shop', 'api', '2', 'b', { hash: 'older-spec' })], { up: false }),
  );
  const [api] = servicesStatus(plan(d, obs, { selfHeal: true, prune: true, commit: 'c1', mode: 'resync' }), obs);
  assert.equal(api?.inSync, false);
  assert.deepEqual(api?.held, ['shop-api-2']);
  assert.deepEqual(api?.drift, []);
});

test('flotilla status prints held replicas and unplaceable slots under their service', () => {
  const text = renderStatusText({
    cluster: 'prod', source: 'https://git.example.com/fleet.git', branch: 'main', phase: 'idle', quarantined: [], conflicts: [],
    nodes: [{ name: 'a', up: true }, { name: 'b', up: false, error: 'connection refused (ECONNREFUSED)' }],
    services: [{ stack: 'shop', service: 'api', inSync: false, desiredReplicas: 2, replicas: [{ slot: '1', node: 'a', container: 'shop-api-1', state: 'running' }], drift: [], unplaceable: [{ slot: '3', reason: 'no node has 4 GiB free' }], held: ['shop-api-2'] }],
  });
  assert.match(text, /^b\s+down: connection refused \(ECONNREFUSED\)$/m);
  assert.match(text, /^shop\/api\s+OutOfSync\s+1\/2\s+1@a$/m);
  assert.match(text, /^\s+unplaceable slot 3: no node has 4 GiB free$/m);
  assert.match(text, /^\s+held while their node is down: shop-api-2$/m);
});
