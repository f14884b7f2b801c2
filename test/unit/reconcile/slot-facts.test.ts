// The planner's compact records (slot-facts.ts), the allocation-free port check
// (host-ports.ts `holdsHostPort`), the in-place name check (catalog.ts `isReplicaName`) and
// the name lookup of action ordering (name-holders.ts):
// pure helpers that replaced second and third passes over the observed containers. Each
// must answer exactly what the code it replaced answered.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { ContainerState, ObservedContainer, PublishedPort } from '../../../src/docker/types.js';
import { containerName, LABEL } from '../../../src/docker/labels.js';
import { hasFacts, judgeContainer, MAX_FACTS_NODE, packFacts, unpackFacts, type Judged, type SlotFacts } from '../../../src/reconcile/plan/slot-facts.js';
import { heldHostPorts, holdsHostPort, hostPortsCollide, type HostPort } from '../../../src/reconcile/plan/host-ports.js';
import { NameHolders } from '../../../src/reconcile/plan/name-holders.js';
import { indexObserved } from '../../../src/reconcile/plan/observed-index.js';
import { compileCatalog, isReplicaName, replicaName, type CatalogService } from '../../../src/reconcile/plan/catalog.js';
import { desired, foreign, node, observed, observedNode, replica, service, stack } from './builders.js';

const JUDGED: Judged[] = ['in-sync', 'renamed', 'image-changed', 'spec-changed', 'stopped', 'stuck', 'unhealthy'];

const facts = fc.record({
  node: fc.integer({ min: 0, max: MAX_FACTS_NODE }),
  availability: fc.constantFrom('up' as const, 'held' as const, 'lost' as const, undefined),
  eligible: fc.boolean(),
  rank: fc.integer({ min: 0, max: 3 }),
  judged: fc.constantFrom(...JUDGED),
});

test('packed slot facts unpack to what was packed, and are never the "no facts" 0', () => {
  fc.assert(
    fc.property(facts, (f: SlotFacts) => {
      const packed = packFacts(f);
      assert.ok(hasFacts(packed) && packed !== 0);
      assert.ok(Number.isInteger(packed) && packed > 0 && packed < 2 ** 31, 'stays a small integer (fits a Uint32Array slot and V8 Smis)');
      assert.deepEqual(unpackFacts(packed), { ...f });
    }),
    { numRuns: 500 },
  );
  assert.equal(unpackFacts(0), undefined);
  assert.throws(() => packFacts({ node: MAX_FACTS_NODE + 1, availability: 'up', eligible: true, rank: 0, judged: 'in-sync' }), /out of range/);
  assert.throws(() => packFacts({ node: 0, availability: 'up', eligible: true, rank: 4, judged: 'in-sync' }), /out of range/);
});

const HASH = 'abc123';
const want = { hash: HASH, image: 'img:2' };
const container = (o: Partial<ObservedContainer> = {}, hash = HASH): ObservedContainer => ({
  id: 'id1', name: 's-web-1', node: 'a', image: 'img:2', labels: { [LABEL.specHash]: hash }, state: 'running', publishedPorts: [], createdAt: 1, ...o,
});

test('a container is judged against its replica: name first, then spec hash (image or spec), then state, then health', () => {
  const judge = (c: ObservedContainer, runsOnce = false): Judged => judgeContainer(c, c.name === 's-web-1', { ...want, runsOnce });
  assert.equal(judge(container()), 'in-sync');
  assert.equal(judge(container({ name: 'other', state: 'exited' })), 'renamed');
  assert.equal(judge(container({ image: 'img:1' }, 'old')), 'image-changed');
  assert.equal(judge(container({}, 'old')), 'spec-changed');
  for (const state of ['exited', 'created'] as ContainerState[]) assert.equal(judge(container({ state })), 'stopped');
  for (const state of ['paused', 'dead', 'removing'] as ContainerState[]) assert.equal(judge(container({ state })), 'stuck');
  assert.equal(judge(container({ health: 'unhealthy' })), 'unhealthy');
  assert.equal(judge(container({ state: 'restarting', health: 'starting' })), 'in-sync');
  // A one-shot job that exited 0 is done; any other exit is stopped.
  assert.equal(judge(container({ state: 'exited', exitCode: 0 }), true), 'in-sync');
  assert.equal(judge(container({ state: 'exited', exitCode: 1 }), true), 'stopped');
  assert.equal(judge(container({ state: 'exited', exitCode: 0 })), 'stopped');
});

const part = fc.stringMatching(/^[a-c-]{0,4}$/);

test('isReplicaName says whether a name is replicaName(svc, slot), without building it', () => {
  fc.assert(
    fc.property(part, part, fc.constantFrom('1', '2', '12', 'n-1'), fc.option(part, { nil: undefined }), fc.oneof(part, fc.constant('s-web-1')), (st, sv, slot, fixed, name) => {
      const svc = { stack: { name: st }, spec: { name: sv, ...(fixed !== undefined ? { containerName: fixed } : {}) }, names: new Map() } as unknown as CatalogService;
      for (const candidate of [name, replicaName(svc, slot), `${st}-${sv}-${slot}`, `${st}-${sv}-${slot}x`, `${st}${sv}--${slot}`, `${st}-${sv}x${slot}`, `${st}x${sv}-${slot}`, `${st}-${sv}-${slot.slice(1)}x`]) {
        assert.equal(isReplicaName(candidate, svc, slot), candidate === containerName(st, sv, slot, fixed), `${candidate} for ${st}/${sv} slot ${slot}`);
      }
    }),
    { numRuns: 2000 },
  );
});

const publishedPort = fc.record(
  {
    hostPort: fc.integer({ min: 79, max: 81 }),
    containerPort: fc.integer({ min: 1, max: 3 }),
    protocol: fc.constantFrom('tcp' as const, 'udp' as const),
    hostIp: fc.constantFrom('0.0.0.0', '::', '', '127.0.0.1', '10.0.0.1'),
  },
  { requiredKeys: ['hostPort', 'containerPort', 'protocol'] },
);
const hostPort = fc.record({ port: fc.integer({ min: 79, max: 81 }), protocol: fc.constantFrom('tcp' as const, 'udp' as const), hostIp: fc.constantFrom('', '127.0.0.1', '10.0.0.1') });

test('holdsHostPort answers as heldHostPorts + hostPortsCollide did, for any bindings', () => {
  fc.assert(
    fc.property(fc.array(publishedPort, { maxLength: 5 }), hostPort, (ports: PublishedPort[], p: HostPort) => {
      assert.equal(holdsHostPort(ports, p), heldHostPorts(ports).some((h) => hostPortsCollide(h, p)));
    }),
    { numRuns: 1000 },
  );
});

test('the index gives a slot with one container its facts, and a slot with two none', () => {
  const d = desired([node('a'), node('b', { zone: 'x' })], [stack('s', [service('web', { replicas: 2, constraints: ['node.labels.zone!=x'] })])]);
  const o = observed(
    observedNode('a', [replica(d, 's', 'web', '1', 'a', { state: 'exited' }), replica(d, 's', 'web', '2', 'a')]),
    observedNode('b', [{ ...replica(d, 's', 'web', '2', 'b'), id: 'other' }]),
  );
  const index = indexObserved(compileCatalog(d), o, new Set());
  assert.deepEqual(index.nodeNames, ['a', 'b']);
  assert.deepEqual(unpackFacts(index.slotFacts[0] as number), { node: 0, availability: 'up', eligible: true, rank: 1, judged: 'stopped' });
  assert.equal(index.slotFacts[1], 0, 'two containers for slot 2: compared one by one, not from facts');
  assert.equal(index.replicatedSlots[1]?.length, 2);
});

test('name holders find the container holding a wanted name on a node, and a name asked without being declared', () => {
  const d = desired([node('a'), node('b')], [stack('s', [service('web', { replicas: 2 })])]);
  const squatter = foreign('s-web-2');
  const o = observed(observedNode('a', [replica(d, 's', 'web', '1', 'a'), squatter]), observedNode('b', [{ ...replica(d, 's', 'web', '1', 'b'), id: 'on-b' }]));
  const index = indexObserved(compileCatalog(d), o, new Set());
  const names = new NameHolders(index);
  names.want('a', 's-web-2');
  names.want('b', 's-web-1');
  assert.equal(names.holder('a', 's-web-2')?.id, squatter.id);
  assert.equal(names.holder('b', 's-web-1')?.id, 'on-b');
  assert.equal(names.holder('b', 's-web-2'), undefined);
  // Not declared with want(): looked for all the same.
  assert.equal(names.holder('a', 's-web-1')?.node, 'a');
  assert.equal(names.holder('c', 's-web-1'), undefined);
  // Declared after its node was looked through: found all the same.
  const late = new NameHolders(index);
  late.want('a', 's-web-1');
  assert.equal(late.holder('a', 's-web-1')?.node, 'a');
  late.want('a', 's-web-2');
  assert.equal(late.holder('a', 's-web-2')?.id, squatter.id);
});
