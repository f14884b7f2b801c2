// Compose `platform` as a scheduling constraint against each node's `docker info`, and the
// normalizations that make `x86_64` nodes and `linux/amd64` services meet.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schedule } from '../../../src/reconcile/plan/scheduler.js';
import { plan } from '../../../src/reconcile/plan/planner.js';
import { normalizeArch, parsePlatform } from '../../../src/manifests/platform.js';
import { parseInfo, parseListedContainer } from '../../../src/docker/parse.js';
import { LABEL } from '../../../src/docker/labels.js';
import type { ObservedNode, ObservedState } from '../../../src/docker/types.js';
import type { ServiceSpec } from '../../../src/manifests/model.js';
import { desired, node, observedNode, replica, service, stack } from './builders.js';

function withArch(name: string, arch: string, containers: ObservedNode['containers'] = []): ObservedNode {
  const n = observedNode(name, containers);
  return { ...n, facts: { ...(n.facts as NonNullable<ObservedNode['facts']>), os: 'linux', arch } };
}

const fleet = (): ObservedState => ({ nodes: [withArch('amd', 'amd64'), withArch('arm', 'arm64')] });
const onPlatform = (platform: string, replicas = 2): ServiceSpec => ({ ...service('web', { replicas, maxPerNode: 2 }), platform });

test('docker info architectures and Compose platforms meet in one vocabulary', () => {
  assert.equal(normalizeArch('x86_64'), 'amd64');
  assert.equal(normalizeArch('aarch64'), 'arm64');
  assert.deepEqual(parseInfo({ NCPU: 2, MemTotal: 1, ServerVersion: '20.10', OSType: 'linux', Architecture: 'aarch64' }), { cpus: 2, memoryBytes: 1, serverVersion: '20.10', os: 'linux', arch: 'arm64' });
  const parsed = parsePlatform('Linux/ARM64/v8');
  assert.ok(parsed.ok);
  assert.equal(parsed.text, 'linux/arm64/v8');
  assert.deepEqual(parsePlatform('linux/x86_64'), { ok: true, platform: { os: 'linux', arch: 'amd64' }, text: 'linux/amd64' });
  const bad = parsePlatform('arm64');
  assert.ok(!bad.ok);
  assert.match(bad.message, /not of the form os\/arch\[\/variant\], such as linux\/amd64/);
});

test('a listed container reads its exit code from the Status text only when exited', () => {
  const exited = parseListedContainer('n', { Id: 'x', Names: ['/a'], State: 'exited', Status: 'Exited (3) 2 minutes ago' });
  assert.equal(exited.exitCode, 3);
  assert.equal(parseListedContainer('n', { Id: 'y', Names: ['/b'], State: 'running', Status: 'Up 2 minutes' }).exitCode, undefined);
});

test('replicas with a platform go only to nodes of that platform; the variant is not compared', () => {
  const state = desired([node('amd'), node('arm')], [stack('s', [onPlatform('linux/arm64/v8')])]);
  const result = schedule(state, fleet());
  assert.deepEqual(result.placements.map((p) => p.node), ['arm', 'arm']);
  assert.deepEqual(result.unplaceable, []);
});

test('no node of the platform: unplaceable, with every node\'s platform and what to change', () => {
  const state = desired([node('amd'), node('arm')], [stack('s', [onPlatform('linux/riscv64', 1)])]);
  const result = schedule(state, fleet());
  assert.deepEqual(result.placements, []);
  assert.equal(result.unplaceable.length, 1);
  assert.equal(
    result.unplaceable[0]?.reason,
    's/web replica 1 of 1 cannot be placed: amd is linux/amd64 (docker info), and s/web asks for platform linux/riscv64; arm is linux/arm64 (docker info), and s/web asks for platform linux/riscv64. To fix: change `platform` to one the nodes have (or remove it), or add nodes of that platform.',
  );
});

test('a node whose platform is unknown (never observed) is not held against a platform', () => {
  const state = desired([node('amd'), node('new')], [stack('s', [onPlatform('linux/arm64', 1)])]);
  const result = schedule(state, { nodes: [withArch('amd', 'amd64'), { ...observedNode('new'), facts: { cpus: 8, memoryBytes: 1 << 30, serverVersion: 'x' } }] });
  assert.deepEqual(result.placements.map((p) => p.node), ['new']);
});

test('a replica on a node of another platform is moved, and the plan says why', () => {
  const state = desired([node('amd'), node('arm')], [stack('s', [onPlatform('linux/arm64', 1)])]);
  const misplaced = replica(state, 's', 'web', '1', 'amd');
  const p = plan(state, { nodes: [withArch('amd', 'amd64', [misplaced]), withArch('arm', 'arm64')] }, { selfHeal: true, prune: true, commit: 'c2' });
  const moves = p.actions.filter((a) => a.type === 'replace' || a.type === 'create');
  assert.equal(moves.length, 1);
  assert.equal(moves[0]?.node, 'arm');
  assert.match(moves[0]?.reason ?? '', /amd is linux\/amd64 \(docker info\), and s\/web asks for platform linux\/arm64/);
});

test('the platform is in the spec hash (a label), so changing it replaces the replicas', () => {
  const a = desired([node('arm')], [stack('s', [onPlatform('linux/arm64', 1)])]);
  const b = desired([node('arm')], [stack('s', [{ ...onPlatform('linux/arm64', 1), platform: 'linux/arm64/v8' }])]);
  const ra = replica(a, 's', 'web', '1', 'arm');
  const rb = replica(b, 's', 'web', '1', 'arm');
  assert.equal(ra.labels[LABEL.platform], 'linux/arm64');
  assert.notEqual(ra.labels[LABEL.specHash], rb.labels[LABEL.specHash]);
});
