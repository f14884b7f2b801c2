import { test } from 'node:test';
import assert from 'node:assert/strict';
import { plan } from '../../../src/reconcile/planner.js';
import { servicesStatus } from '../../../src/reconcile/fleet-status.js';
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
