import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { DesiredState } from '../../../src/manifests/model.js';
import type { ObservedState } from '../../../src/docker/types.js';
import type { Action, ContainerAction, Plan } from '../../../src/reconcile/plan/actions.js';
import { plan, type PlanOptions } from '../../../src/reconcile/plan/planner.js';
import { desired, foreign, node, observed, observedNode, replica, service, stack } from './builders.js';

const OPTS: PlanOptions = { selfHeal: true, prune: true, commit: 'new-commit' };
const planOf = (d: DesiredState, o: ObservedState, extra: Partial<PlanOptions> = {}) => plan(d, o, { ...OPTS, ...extra });
const containerActions = (p: Plan) => p.actions.filter((a): a is ContainerAction => a.type !== 'ensure-network' && a.type !== 'ensure-volume');
const brief = (p: Plan) => containerActions(p).map((a) => `${a.type} ${a.container.name}@${a.node}`);
const targets = (a: Action) => (a.type === 'replace' ? [a.old.id] : a.type === 'remove' || a.type === 'start' ? [a.container.id] : []);

const two = (services = [service('web', { replicas: 2 })]) => desired([node('a'), node('b')], [stack('s', services)]);

test('a cluster that matches Git plans nothing and every service is in sync', () => {
  const d = two();
  const p = planOf(d, observed(observedNode('a', [replica(d, 's', 'web', '1', 'a')]), observedNode('b', [replica(d, 's', 'web', '2', 'b')])));
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.drift.entries, []);
  assert.equal(p.services[0]?.inSync, true);
  assert.equal(p.services[0]?.current, 2);
  assert.deepEqual({ ...p.summary }, { create: 0, replace: 0, remove: 0, start: 0, withheld: 0, unplaceable: 0, conflicts: 0, servicesInSync: 1, servicesOutOfSync: 0 });
});

test('a new commit that does not change a service leaves its containers alone, whatever their commit label', () => {
  const d = two();
  const p = planOf(d, observed(observedNode('a', [replica(d, 's', 'web', '1', 'a', { commit: 'ancient' })]), observedNode('b', [replica(d, 's', 'web', '2', 'b', { commit: 'older' })])), { commit: 'brand-new' });
  assert.deepEqual(p.actions, []);
});

test('a changed environment replaces each replica in place, saying which hashes differ', () => {
  const before = two([service('web', { replicas: 2, env: { MODE: 'a' } })]);
  const after = two([service('web', { replicas: 2, env: { MODE: 'b' } })]);
  const p = planOf(after, observed(observedNode('a', [replica(before, 's', 'web', '1', 'a')]), observedNode('b', [replica(before, 's', 'web', '2', 'b')])));
  assert.deepEqual(brief(p), ['replace s-web-1@a', 'replace s-web-2@b']);
  const r = containerActions(p)[0];
  assert.ok(r?.type === 'replace');
  assert.equal(r.kind, 'spec-changed');
  assert.match(r.reason, /^spec changed \(spec-hash [0-9a-f]{16} → [0-9a-f]{16}\)$/);
  assert.equal(r.container.body.Labels['flotilla.commit'], 'new-commit');
  assert.deepEqual(p.drift.entries.map((e) => [e.node, e.kind, e.count]), [['a', 'outdated', 1], ['b', 'outdated', 1]]);
  assert.equal(p.services[0]?.inSync, false);
});

test('a new image is named in the replace reason', () => {
  const before = two([service('web', { replicas: 1, image: 'nginx:1.25' })]);
  const after = two([service('web', { replicas: 1, image: 'nginx:1.27' })]);
  const p = planOf(after, observed(observedNode('a', [replica(before, 's', 'web', '1', 'a')]), observedNode('b')));
  const r = containerActions(p)[0];
  assert.ok(r?.type === 'replace');
  assert.equal(r.kind, 'image-changed');
  assert.equal(r.reason, 'image changed: nginx:1.25 → nginx:1.27');
});

test('scaling up creates the new slots; scaling down removes the highest slots after the creates', () => {
  const d3 = desired([node('a'), node('b'), node('c')], [stack('s', [service('web', { replicas: 3 })])]);
  const up = planOf(d3, observed(observedNode('a', [replica(d3, 's', 'web', '1', 'a')]), observedNode('b'), observedNode('c')));
  assert.deepEqual(brief(up), ['create s-web-2@b', 'create s-web-3@c']);

  const d1 = desired([node('a'), node('b'), node('c')], [stack('s', [service('web', { replicas: 1 })])]);
  const down = planOf(d1, observed(observedNode('a', [replica(d3, 's', 'web', '1', 'a')]), observedNode('b', [replica(d3, 's', 'web', '2', 'b')]), observedNode('c', [replica(d3, 's', 'web', '3', 'c')])));
  assert.deepEqual(brief(down), ['remove s-web-2@b', 'remove s-web-3@c']);
  const r = containerActions(down)[0];
  assert.ok(r?.type === 'remove');
  assert.equal(r.kind, 'scaled-down');
  assert.match(r.reason, /declares 1 replica\(s\), replica 2 is no longer needed/);
});

test('a service removed from Git is pruned last, and only reported when prune is off', () => {
  const old = desired([node('a')], [stack('s', [service('gone'), service('web')])]);
  const now = desired([node('a')], [stack('s', [service('web', { env: { X: '1' } })])]);
  const obs = observed(observedNode('a', [replica(old, 's', 'gone', '1', 'a'), replica(old, 's', 'web', '1', 'a')]));
  const p = planOf(now, obs);
  assert.deepEqual(brief(p), ['replace s-web-1@a', 'remove s-gone-1@a']);
  const last = containerActions(p).at(-1);
  assert.equal(last?.cause, 'prune');
  assert.deepEqual(p.services.map((s) => [s.service, s.declared, s.inSync]), [['web', true, false], ['gone', false, false]]);

  const kept = planOf(now, obs, { prune: false });
  assert.deepEqual(brief(kept), ['replace s-web-1@a']);
  assert.equal(kept.withheld.length, 1);
  assert.match(kept.withheld[0]?.because ?? '', /prune is off/);
  assert.ok(kept.drift.entries.some((e) => e.service === 'gone' && e.kind === 'extra' && e.containers[0] === 's-gone-1'));
});

test('out-of-band stops and removals are healed with selfHeal', () => {
  const d = two();
  const obs = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a', { state: 'exited' })]), observedNode('b'));
  const p = planOf(d, obs, { mode: 'resync' });
  assert.deepEqual(brief(p), ['create s-web-2@b', 'start s-web-1@a']);
  assert.deepEqual(p.drift.entries.map((e) => [e.node, e.kind]), [['a', 'stopped'], ['b', 'missing']]);
});

test('without selfHeal, drift of an applied revision is reported but not acted on; a new revision applies it', () => {
  const d = two();
  const obs = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a', { state: 'exited' })]), observedNode('b'));
  const report = planOf(d, obs, { mode: 'resync', selfHeal: false });
  assert.deepEqual(report.actions, []);
  assert.equal(report.withheld.length, 2);
  assert.match(report.withheld[0]?.because ?? '', /selfHeal is off/);
  assert.equal(report.drift.entries.length, 2);
  assert.equal(report.services[0]?.inSync, false);

  const sync = planOf(d, obs, { mode: 'sync', selfHeal: false });
  assert.deepEqual(brief(sync), ['create s-web-2@b', 'start s-web-1@a']);
});

test('an unhealthy or paused replica is recreated; a restarting one is left to Docker', () => {
  const d = desired([node('a')], [stack('s', [service('web', { replicas: 3 })])]);
  const obs = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a', { health: 'unhealthy' }), replica(d, 's', 'web', '2', 'a', { state: 'paused' }), replica(d, 's', 'web', '3', 'a', { state: 'restarting' })]));
  const p = planOf(d, obs);
  assert.deepEqual(containerActions(p).map((a) => (a.type === 'replace' ? a.kind : a.type)), ['unhealthy', 'stopped']);
});

test('an unmanaged container squatting a declared name is never touched; the replica goes elsewhere or is reported', () => {
  const d = desired([node('a')], [stack('s', [service('web', { replicas: 1 })])]);
  const squatter = foreign('s-web-1');
  const p = planOf(d, observed(observedNode('a', [squatter])));
  assert.ok(p.actions.every((a) => !targets(a).includes(squatter.id)));
  assert.deepEqual(p.actions, []);
  assert.equal(p.drift.conflicts.length, 1);
  assert.equal(p.drift.conflicts[0]?.holds, 'name');
  assert.match(p.drift.conflicts[0]?.message ?? '', /unmanaged container s-web-1 on a holds the name s-web-1/);
  assert.match(p.unplaceable[0]?.reason ?? '', /a has the name s-web-1 held by unmanaged container s-web-1/);

  const d2 = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 1 })])]);
  assert.deepEqual(brief(planOf(d2, observed(observedNode('a', [squatter]), observedNode('b')))), ['create s-web-1@b']);
});

test("another cluster's container holding a declared port is a conflict, never an action", () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 1, ports: [80] })])]);
  const theirs = foreign('s-web-1', [80], { 'flotilla.managed': 'true', 'flotilla.cluster': 'other', 'flotilla.stack': 's', 'flotilla.service': 'web', 'flotilla.slot': '1' });
  const p = planOf(d, observed(observedNode('a', [theirs]), observedNode('b')));
  assert.deepEqual(brief(p), ['create s-web-1@b']);
  assert.deepEqual(p.drift.conflicts.map((c) => [c.owner, c.holds]), [['cluster other', 'name'], ['cluster other', 'port']]);
});

test('services are converged in depends_on order within a stack and in cluster order across stacks', () => {
  const d = desired([node('a')], [stack('front', [service('web', { dependsOn: ['api'] }), service('api', { dependsOn: ['db'] }), service('db')]), stack('back', [service('worker')])]);
  assert.deepEqual(brief(planOf(d, observed(observedNode('a')))), ['create front-db-1@a', 'create front-api-1@a', 'create front-web-1@a', 'create back-worker-1@a']);
});

test('networks are ensured right before the first container of their stack on a node, only where containers are created', () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('x', { replicas: 1 }), service('y', { replicas: 1 })])]);
  const p = planOf(d, observed(observedNode('a', [replica(d, 's', 'x', '1', 'a')]), observedNode('b')));
  assert.deepEqual(p.actions.map((a) => `${a.type}@${a.node}`), ['ensure-network@b', 'create@b']);
  const ensure = p.actions[0];
  assert.ok(ensure?.type === 'ensure-network');
  assert.equal(ensure.network.name, 's_default');
  assert.equal(ensure.network.labels['flotilla.cluster'], 'test');
});

test('renaming a service that publishes a fixed port removes the old one before creating the new one', () => {
  const old = desired([node('a')], [stack('s', [service('web', { ports: [80] })])]);
  const now = desired([node('a')], [stack('s', [service('frontend', { ports: [80] })])]);
  const p = planOf(now, observed(observedNode('a', [replica(old, 's', 'web', '1', 'a')])));
  assert.deepEqual(brief(p), ['remove s-web-1@a', 'create s-frontend-1@a']);
  assert.match(containerActions(p)[0]?.reason ?? '', /moved ahead to free host port 80\/tcp for create of s-frontend-1/);
});

test('a replica moves when its node no longer matches the constraints', () => {
  const d = desired([node('a', { role: 'db' }), node('b', { role: 'web' })], [stack('s', [service('web', { constraints: ['node.labels.role==web'] })])]);
  const p = planOf(d, observed(observedNode('a', [replica(d, 's', 'web', '1', 'a')]), observedNode('b')));
  const r = containerActions(p)[0];
  assert.ok(r?.type === 'replace');
  assert.equal(r.kind, 'moved');
  assert.equal(r.reason, 'moved from a to b: a no longer matches the placement constraints [node.labels.role==web]');
});

test('no action targets a down node; its replicas are held, then rescheduled past the grace period', () => {
  const d = two([service('web', { replicas: 2, maxPerNode: 1, env: { V: '2' } })]);
  const stale = two([service('web', { replicas: 2, maxPerNode: 1 })]);
  const obs = observed(observedNode('a', [replica(stale, 's', 'web', '1', 'a')], { up: false }), observedNode('b', [replica(d, 's', 'web', '2', 'b')]));
  const held = planOf(d, obs);
  assert.deepEqual(held.actions, []);
  assert.deepEqual(held.services[0]?.held, ['s-web-1']);
  assert.equal(held.services[0]?.inSync, false, 'the held replica was last seen on an old spec');

  const d3 = desired([node('a'), node('b'), node('c')], d.stacks);
  const obs3 = observed(...obs.nodes, observedNode('c'));
  const lost = planOf(d3, obs3, { lostNodes: ['a'], mode: 'resync', selfHeal: false });
  assert.deepEqual(brief(lost), ['create s-web-1@c']);
  assert.equal(containerActions(lost)[0]?.cause, 'node-availability');
});

test('when a lost node comes back, its stale replicas are removed', () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 1 })])]);
  const obs = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a', { createdAt: 100 })]), observedNode('b', [replica(d, 's', 'web', '1', 'b', { createdAt: 200 })]));
  const p = planOf(d, obs, { mode: 'resync', selfHeal: false });
  assert.deepEqual(brief(p), ['remove s-web-1@a']);
  const r = containerActions(p)[0];
  assert.ok(r?.type === 'remove');
  assert.equal(r.kind, 'stale');
  assert.equal(r.cause, 'node-availability');
});

test('the plan is deterministic', () => {
  const d = desired([node('a', { zone: '1' }), node('b', { zone: '2' }), node('c', { zone: '1' })], [stack('s', [service('w', { replicas: 4, spread: ['zone'], ports: [] }), service('v', { replicas: 2, ports: [80] })])]);
  const obs = observed(observedNode('a', [replica(d, 's', 'w', '3', 'a', { state: 'exited' })]), observedNode('b'), observedNode('c', [foreign('x', [80])]));
  assert.deepEqual(planOf(d, obs), planOf(d, obs));
  assert.equal(JSON.stringify(planOf(d, obs)), JSON.stringify(planOf(d, structuredClone(obs))));
});

test('a replica whose new spec fits nowhere keeps its old container running, and its ports stay taken', () => {
  const before = desired([node('a'), node('b')], [stack('s', [service('big', { ports: [80] }), service('web', { ports: [80] })])]);
  const after = desired([node('a'), node('b')], [stack('s', [service('big', { ports: [80], memory: 64 * 1024 ** 3 }), service('web', { ports: [80] })])]);
  const obs = observed(observedNode('a', [replica(before, 's', 'big', '1', 'a')]), observedNode('b'));
  const p = planOf(after, obs);
  assert.deepEqual(brief(p), ['create s-web-1@b']);
  assert.deepEqual(p.unplaceable[0]?.kept, { node: 'a', container: 's-big-1' });
  assert.match(p.unplaceable[0]?.reason ?? '', /memory unreserved.*Its container s-big-1 keeps running on a as it is\.$/);
});

test('report mode withholds every action, even the rescheduling of a lost node', () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 1 }), service('gone')])]);
  const now = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 1 })])]);
  const obs = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a')], { up: false }), observedNode('b', [replica(d, 's', 'gone', '1', 'b')]));
  const p = planOf(now, obs, { mode: 'report', lostNodes: ['a'] });
  assert.deepEqual(p.actions, []);
  assert.deepEqual(p.withheld.map((w) => `${w.action.type} ${w.action.container.name}`), ['create s-web-1', 'remove s-gone-1']);
  assert.match(p.withheld[0]?.because ?? '', /report-only/);
});
