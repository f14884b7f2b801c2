import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DesiredState } from '../../../src/manifests/model.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { observedFromDesired, withEmptyNodes } from '../../../src/review/synthetic-observed.js';
import { changeSummary } from '../../../src/review/render-review.js';
import { desired as desiredState, node, service, stack } from '../reconcile/builders.js';

function desired(revision: string, services: Parameters<typeof stack>[1], nodes = [node('node-a'), node('node-b')]): DesiredState {
  return { ...desiredState(nodes, [stack('shop', services)]), revision };
}

const planOf = (head: DesiredState, base: DesiredState) => plan(head, withEmptyNodes(observedFromDesired(base), head.cluster.nodes.map((n) => n.name)), { selfHeal: true, prune: true, commit: head.revision, mode: 'sync' });

test('a commit compared with itself plans nothing: the synthetic fleet is exactly what it declares', () => {
  const state = desired('a'.repeat(40), [service('web', { replicas: 2, ports: [8080] }), service('api', { replicas: 3 })]);
  const p = planOf(state, state);
  assert.deepEqual(p.actions, []);
  assert.equal(changeSummary(p), 'No changes');
  const observed = observedFromDesired(state);
  assert.equal(observed.nodes.flatMap((n) => n.containers).length, 5);
  assert.ok(observed.nodes.every((n) => n.up));
});

test('scaling up, changing an image and dropping a service compare as create, replace and remove', () => {
  const base = desired('a'.repeat(40), [service('web', { replicas: 1 }), service('api', { replicas: 2 }), service('old', { replicas: 1 })]);
  const head = desired('b'.repeat(40), [service('web', { replicas: 3 }), service('api', { replicas: 2, image: 'example/api:2' })]);
  const p = planOf(head, base);
  assert.deepEqual({ create: p.summary.create, replace: p.summary.replace, remove: p.summary.remove }, { create: 2, replace: 2, remove: 1 });
  assert.equal(changeSummary(p), '2 to create, 2 to replace, 1 to remove');
});

test('a node new in the head is an empty node the head can place replicas on', () => {
  const base = desired('a'.repeat(40), [service('web', { replicas: 1, constraints: ['node.name==node-c'] })], [node('node-a'), node('node-c')]);
  const head = desired('b'.repeat(40), [service('web', { replicas: 2, maxPerNode: 1 })], [node('node-a'), node('node-c'), node('node-d')]);
  const p = planOf(head, base);
  assert.equal(p.unplaceable.length, 0);
  assert.equal(p.summary.create, 1);
});
