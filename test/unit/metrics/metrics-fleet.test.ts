// Per-service and per-node series follow the fleet: declared services and nodes appear,
// removed ones disappear (a stale series would keep an alert firing forever).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { parseExposition, series } from './exposition.js';

async function read(metrics: FlotillaMetrics) {
  return parseExposition(await metrics.registry.metrics());
}

const labelsOf = async (metrics: FlotillaMetrics, name: string) => series(await read(metrics), name).map((s) => Object.values(s.labels).join('/')).sort();

test('services appear when declared and disappear when removed', async () => {
  const metrics = new FlotillaMetrics(false);
  metrics.setFleet([{ stack: 'shop', service: 'web', inSync: true, drift: [] }, { stack: 'shop', service: 'api', inSync: true, drift: [] }], []);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_service_in_sync'), ['shop/api', 'shop/web']);
  metrics.setFleet([{ stack: 'shop', service: 'web', inSync: true, drift: [] }, { stack: 'blog', service: 'app', inSync: true, drift: [] }], []);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_service_in_sync'), ['blog/app', 'shop/web']);
});

test('drift series exist only while the drift does', async () => {
  const metrics = new FlotillaMetrics(false);
  metrics.setFleet([{ stack: 'shop', service: 'web', inSync: false, drift: [{ node: 'node-a', kind: 'stopped', count: 1 }] }], [{ name: 'node-a', up: true }]);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_drift_containers'), ['shop/web/node-a/stopped']);
  assert.equal(series(await read(metrics), 'flotilla_out_of_sync_services')[0]?.value, 1);
  metrics.setFleet([{ stack: 'shop', service: 'web', inSync: false, drift: [{ node: 'node-a', kind: 'missing', count: 1 }] }], [{ name: 'node-a', up: true }]);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_drift_containers'), ['shop/web/node-a/missing']);
  metrics.setFleet([{ stack: 'shop', service: 'web', inSync: true, drift: [] }], [{ name: 'node-a', up: true }]);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_drift_containers'), []);
  assert.equal(series(await read(metrics), 'flotilla_out_of_sync_services')[0]?.value, 0);
});

test('nodes appear when declared and disappear when removed', async () => {
  const metrics = new FlotillaMetrics(false);
  metrics.setFleet([], [{ name: 'node-a', up: true }, { name: 'node-b', up: false }]);
  assert.deepEqual(await labelsOf(metrics, 'flotilla_node_up'), ['node-a', 'node-b']);
  metrics.setFleet([], [{ name: 'node-b', up: true }, { name: 'node-c', up: true }]);
  assert.deepEqual(series(await read(metrics), 'flotilla_node_up').map((s) => [s.labels.node, s.value]).sort(), [['node-b', 1], ['node-c', 1]]);
});

test('revision_info holds only the current and the last good commit', async () => {
  const metrics = new FlotillaMetrics(false);
  metrics.setRevisions('aaa', 'aaa');
  metrics.setRevisions('bbb', 'aaa');
  metrics.setRevisions('ccc', 'bbb');
  assert.deepEqual(series(await read(metrics), 'flotilla_revision_info').map((s) => `${s.labels.state}=${s.labels.revision}`).sort(), ['current=ccc', 'last_good=bbb']);
  metrics.setRevisions(undefined, undefined);
  assert.deepEqual(series(await read(metrics), 'flotilla_revision_info'), []);
});
