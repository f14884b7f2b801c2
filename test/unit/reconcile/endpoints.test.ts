// The endpoints report (pure): healthy replicas by published port at their node's address,
// with the host port the node really has, and Prometheus SD groups for opted-in services.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ObservedContainer, ObservedState } from '../../../src/docker/types.js';
import { nodeAddress, prometheusTargets, replicaEndpoints } from '../../../src/reconcile/report/endpoints.js';
import { loadInline } from '../manifests/support.js';

function replica(node: string, service: string, slot: string, hostPort: number, o: Partial<ObservedContainer> = {}): ObservedContainer {
  return {
    id: `${node}-${service}-${slot}`, name: `app-${service}-${slot}`, node, image: 'x', state: 'running', createdAt: 0,
    labels: { 'flotilla.managed': 'true', 'flotilla.cluster': 'c', 'flotilla.stack': 'app', 'flotilla.service': service, 'flotilla.slot': slot },
    publishedPorts: [{ hostPort, containerPort: 80, protocol: 'tcp' }], ...o,
  };
}

test('a node is reached at its address, else its tcp/ssh endpoint host, else loopback', () => {
  assert.equal(nodeAddress({ endpoint: 'unix:///var/run/docker.sock', address: '10.0.0.7' }), '10.0.0.7');
  assert.equal(nodeAddress({ endpoint: 'tcp://10.0.0.2:2376' }), '10.0.0.2');
  assert.equal(nodeAddress({ endpoint: 'ssh://deploy@web-1.internal' }), 'web-1.internal');
  assert.equal(nodeAddress({ endpoint: 'unix:///var/run/docker.sock' }), '127.0.0.1');
  assert.equal(nodeAddress({ endpoint: 'tcp://[fd00::5]:2376' }), 'fd00::5');
});

test('only healthy running replicas are listed, at the observed host port; Prometheus gets one group per replica of opted-in services', async () => {
  const loaded = await loadInline('services:\n  web:\n    image: nginx:1.27\n    ports: ["80"]\n    x-flotilla: { metrics-port: 80 }\n  db:\n    image: postgres:16\n');
  assert.deepEqual(loaded.problems, []);
  const desired = loaded.state;
  assert.ok(desired);
  const observed: ObservedState = {
    nodes: [
      { name: 'node-a', up: true, containers: [replica('node-a', 'web', '1', 49153, { health: 'healthy' }), replica('node-a', 'web', '3', 49154, { health: 'starting' })] },
      { name: 'node-b', up: true, containers: [replica('node-b', 'web', '2', 49160), replica('node-b', 'web', '4', 49161, { state: 'exited' })] },
    ],
  } as ObservedState;
  const endpoints = replicaEndpoints(desired, observed);
  assert.deepEqual(endpoints, [{ stack: 'app', service: 'web', ports: [{ containerPort: 80, protocol: 'tcp', endpoints: [
    { node: 'node-a', address: '127.0.0.1', port: 49153, slot: '1' },
    { node: 'node-b', address: '10.0.0.2', port: 49160, slot: '2' },
  ] }] }], 'db publishes nothing, the starting and exited replicas are left out');
  assert.deepEqual(prometheusTargets(desired, endpoints), [
    { targets: ['127.0.0.1:49153'], labels: { cluster: 'c', stack: 'app', service: 'web', node: 'node-a', slot: '1' } },
    { targets: ['10.0.0.2:49160'], labels: { cluster: 'c', stack: 'app', service: 'web', node: 'node-b', slot: '2' } },
  ]);
});

test('a metrics-port that is not published is refused with the way to publish it', async () => {
  const loaded = await loadInline('services:\n  web:\n    image: nginx:1.27\n    x-flotilla: { metrics-port: 9100 }\n');
  assert.equal(loaded.state, undefined);
  assert.match(loaded.problems[0]?.message ?? '', /metrics-port 9100 is not published by this service.*add it to `ports`/);
});
