// The Swarm engine's pure plan: what a missing, extra, hand-changed or scaled service turns
// into, and which spec differences are not differences (zero values Docker leaves out).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { desired, node, service, stack } from '../reconcile/builders.js';
import { planSwarm } from '../../../src/engine/swarm/diff.js';
import { desiredService } from '../../../src/engine/swarm/service-spec.js';
import type { SwarmObservation, SwarmService } from '../../../src/engine/swarm/swarm-types.js';
import type { EnginePlanOptions } from '../../../src/engine/engine.js';
import { checkSwarmKeys } from '../../../src/manifests/swarm-keys.js';
import { parseYamlSource } from '../../../src/manifests/yaml-source.js';
import type { ManifestProblem } from '../../../src/manifests/problems.js';

const SYNC: EnginePlanOptions = { selfHeal: true, prune: true, commit: 'c1', mode: 'sync' };
const state = (replicas = 2, image = 'web:1') => desired([node('n1', { zone: 'a' })], [stack('shop', [service('web', { replicas, image })])], 'sw');

/** The service as Docker would store it after Flotilla created it: zero values dropped. */
function live(d = state(), edit: (spec: Record<string, unknown>) => void = () => undefined): SwarmService {
  const want = desiredService('sw', d.stacks[0]!, d.stacks[0]!.services[0]!, 'c0');
  const spec = JSON.parse(JSON.stringify(want.spec, (_k, v) => (v === 0 || v === false ? undefined : v)));
  // Docker keeps the network's ID where the spec named it.
  for (const n of spec.TaskTemplate.Networks ?? []) if (n.Target === 'shop_default') n.Target = 'net1';
  edit(spec);
  return { id: 'svc1', version: 7, name: 'shop_web', labels: spec.Labels, spec, updateState: 'completed', updateMessage: '' };
}

function observation(services: SwarmService[], running = 2): SwarmObservation {
  return {
    manager: 'unix:///m.sock',
    services,
    tasks: Array.from({ length: running }, (_, i) => ({ id: `t${i}`, serviceId: 'svc1', nodeId: 'N1', slot: i + 1, state: 'running', desiredState: 'running', message: '', error: '', image: 'web:1', createdAt: '' })),
    nodes: [{ id: 'N1', version: 3, hostname: 'n1', role: 'manager', availability: 'active', ready: true, state: 'ready', stateMessage: '', labels: { zone: 'a', [`flotilla.labels`]: 'zone' }, spec: {} }],
    networks: [{ id: 'net1', name: 'shop_default', labels: {} }],
    objects: [],
  };
}

test('a service missing from the swarm is created, named <stack>_<service> and labelled with its spec hash', () => {
  const plan = planSwarm(state(), observation([], 0), SYNC, []);
  assert.deepEqual(plan.actions.map((a) => a.type), ['service-create']);
  const create = plan.actions[0]!;
  assert.equal(create.type === 'service-create' && create.spec.Name, 'shop_web');
  assert.match(create.type === 'service-create' ? (create.spec.Labels['flotilla.spec-hash'] ?? '') : '', /^[0-9a-f]{16}$/);
  assert.equal(plan.summary.create, 1);
});

test('a live spec equal to Git but for the zero values Docker omits is in sync, whatever commit created it', () => {
  const plan = planSwarm(state(), observation([live()]), SYNC, []);
  assert.deepEqual(plan.actions, []);
  assert.equal(plan.services[0]?.inSync, true);
});

test('an image changed by hand is an update naming the field, sent with the version it was read at', () => {
  const plan = planSwarm(state(), observation([live(state(), (s) => ((s.TaskTemplate as { ContainerSpec: { Image: string } }).ContainerSpec.Image = 'web:hacked'))]), SYNC, []);
  const update = plan.actions[0];
  assert.equal(update?.type, 'service-update');
  if (update?.type !== 'service-update') return;
  assert.deepEqual(update.fields, ['TaskTemplate.ContainerSpec.Image']);
  assert.equal(update.version, 7);
  assert.match(update.reason, /changed outside Git/);
  assert.equal(update.scale, false);
});

test('a new replica count is a scale; fewer running tasks alone is drift Swarm corrects itself', () => {
  const scaled = planSwarm(state(3), observation([live()]), SYNC, []);
  const update = scaled.actions[0];
  assert.ok(update?.type === 'service-update' && update.scale);
  const short = planSwarm(state(), observation([live()], 1), SYNC, []);
  assert.deepEqual(short.actions, []);
  assert.deepEqual(short.drift.entries.map((d) => [d.kind, d.count]), [['missing', 1]]);
  assert.equal(short.services[0]?.inSync, false);
});

test('a managed service no longer declared is removed only while prune is on', () => {
  const gone = live(state(), (s) => ((s.Labels as Record<string, string>)['flotilla.service'] = 'old'));
  const extra = { ...gone, id: 'svc2', name: 'shop_old', labels: gone.spec.Labels };
  const pruned = planSwarm(state(), observation([live(), extra]), SYNC, []);
  assert.deepEqual(pruned.actions.map((a) => a.type), ['service-remove']);
  const kept = planSwarm(state(), observation([live(), extra]), { ...SYNC, prune: false }, []);
  assert.deepEqual(kept.actions, []);
  assert.match(kept.withheld[0]?.because ?? '', /prune is off/);
});

test('node labels are reconciled from cluster.yaml, including a label removed from Git', () => {
  const d = desired([node('n1', { role: 'web' })], [stack('shop', [service('web', { replicas: 2, image: 'web:1' })])], 'sw');
  const plan = planSwarm(d, observation([live(d)]), SYNC, []);
  const labels = plan.actions.find((a) => a.type === 'node-labels');
  assert.ok(labels?.type === 'node-labels');
  assert.deepEqual(labels.spec.Labels, { role: 'web', 'flotilla.labels': 'role' });
});

test('Compose keys a Swarm service cannot express are errors naming the key', () => {
  const problems: ManifestProblem[] = [];
  const source = parseYamlSource('stacks/s/compose.yaml', Buffer.from('services:\n  web:\n    image: x\n    privileged: true\n    ports: ["127.0.0.1:80:80"]\n'), problems);
  assert.ok(source);
  checkSwarmKeys(source, problems);
  assert.deepEqual(problems.map((p) => [p.line, p.pointer]), [[4, '/services/web/privileged'], [5, '/services/web/ports/0']]);
  assert.match(problems[0]?.message ?? '', /`privileged`.*engine: swarm/);
});
