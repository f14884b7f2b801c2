// A service's `container_name` replaces <stack>-<service>-<slot> everywhere the planner
// names a container: creates, drift, renamed-container detection and squatter conflicts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerAction, Plan } from '../../../src/reconcile/plan/actions.js';
import { plan, type PlanOptions } from '../../../src/reconcile/plan/planner.js';
import { desired, foreign, node, observed, observedNode, replica, service, stack } from './builders.js';

const OPTS: PlanOptions = { selfHeal: true, prune: true, commit: 'new-commit' };
const containerActions = (p: Plan) => p.actions.filter((a): a is ContainerAction => a.type !== 'ensure-network' && a.type !== 'ensure-volume');
const brief = (p: Plan) => containerActions(p).map((a) => `${a.type} ${a.container.name}@${a.node}`);
const fixed = () => desired([node('a')], [stack('s', [service('db', { containerName: 'shop-db' })])]);

test('a service with container_name is created under that name, not <stack>-<service>-1', () => {
  const p = plan(fixed(), observed(observedNode('a')), OPTS);
  assert.deepEqual(brief(p), ['create shop-db@a']);
  assert.deepEqual(p.drift.entries.map((e) => [e.kind, e.containers]), [['missing', ['shop-db']]]);
});

test('the container running under its container_name is in sync', () => {
  const d = fixed();
  const p = plan(d, observed(observedNode('a', [replica(d, 's', 'db', '1', 'a')])), OPTS);
  assert.deepEqual(p.actions, []);
  assert.equal(p.services[0]?.inSync, true);
});

test('a container renamed away from its container_name is drift and is recreated under the fixed name', () => {
  const d = fixed();
  const p = plan(d, observed(observedNode('a', [replica(d, 's', 'db', '1', 'a', { name: 'renamed-db' })])), OPTS);
  assert.deepEqual(brief(p), ['replace shop-db@a']);
  const r = containerActions(p)[0];
  assert.ok(r?.type === 'replace');
  assert.equal(r.kind, 'renamed');
  assert.match(r.reason, /renamed out of band to renamed-db; recreated as shop-db/);
});

test('adding container_name to a running service renames it by replacing the old s-db-1', () => {
  const before = desired([node('a')], [stack('s', [service('db')])]);
  const old = replica(before, 's', 'db', '1', 'a');
  assert.equal(old.name, 's-db-1');
  const p = plan(fixed(), observed(observedNode('a', [old])), OPTS);
  assert.deepEqual(brief(p), ['replace shop-db@a']);
});

test('an unmanaged container holding the container_name is a conflict and is never touched', () => {
  const squatter = foreign('shop-db');
  const p = plan(fixed(), observed(observedNode('a', [squatter])), OPTS);
  assert.equal(p.drift.conflicts.length, 1);
  assert.equal(p.drift.conflicts[0]?.holds, 'name');
  assert.match(p.drift.conflicts[0]?.message ?? '', /holds the name shop-db/);
  assert.ok(containerActions(p).every((a) => a.type !== 'replace' && a.type !== 'remove'));
});

test('with two nodes the squatted node is avoided and the container is created as shop-db elsewhere', () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('db', { containerName: 'shop-db' })])]);
  const p = plan(d, observed(observedNode('a', [foreign('shop-db')]), observedNode('b')), OPTS);
  assert.deepEqual(brief(p), ['create shop-db@b']);
});
