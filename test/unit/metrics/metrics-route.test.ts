// The metric names and labels are a contract (DESIGN.md "Metrics"): alert rules, dashboards
// and users depend on them. This reads them back from GET /metrics as Prometheus would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FlotillaMetrics } from '../../../src/metrics.js';
import { createRouter } from '../../../src/server/routes.js';
import { parseExposition, series } from './exposition.js';

const CONTRACT: Array<[name: string, type: string, labels: string[]]> = [
  ['flotilla_service_in_sync', 'gauge', ['stack', 'service']],
  ['flotilla_drift_containers', 'gauge', ['stack', 'service', 'node', 'kind']],
  ['flotilla_out_of_sync_services', 'gauge', []],
  ['flotilla_reconcile_total', 'counter', ['result']],
  ['flotilla_reconcile_duration_seconds', 'histogram', []],
  ['flotilla_last_successful_reconcile_timestamp_seconds', 'gauge', []],
  ['flotilla_revision_info', 'gauge', ['revision', 'state']],
  ['flotilla_reverts_total', 'counter', []],
  ['flotilla_node_up', 'gauge', ['node']],
  ['flotilla_events_stream_up', 'gauge', ['node']],
  ['flotilla_git_fetch_total', 'counter', ['result']],
  ['flotilla_git_fetch_duration_seconds', 'histogram', []],
  ['flotilla_webhook_requests_total', 'counter', ['provider', 'result']],
  ['flotilla_notifications_total', 'counter', ['provider', 'result']],
  ['flotilla_image_pull_total', 'counter', ['registry', 'result']],
  // Beyond DESIGN.md's list: the FlotillaCommitInvalid alert reads it.
  ['flotilla_tracked_commit_invalid', 'gauge', []],
];

const SHA = '1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d';
const GOOD = '0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f';

async function scrape(metrics: FlotillaMetrics) {
  const handler = createRouter({ ready: () => true, status: () => ({}), history: () => [], requestSync: () => undefined, registry: metrics.registry });
  const res = await handler({ method: 'GET', path: '/metrics', query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0) });
  assert.equal(res.status, 200);
  assert.match(String(res.headers?.['content-type']), /^text\/plain; version=0\.0\.4/);
  return parseExposition(String(res.body));
}

function exercise(metrics: FlotillaMetrics): void {
  metrics.setFleet(
    [
      { stack: 'shop', service: 'web', inSync: false, drift: [{ node: 'node-a', kind: 'stopped', count: 1 }, { node: 'node-b', kind: 'outdated', count: 2 }] },
      { stack: 'shop', service: 'db', inSync: true, drift: [] },
    ],
    [{ name: 'node-a', up: true }, { name: 'node-b', up: false }],
  );
  metrics.setRevisions(SHA, GOOD);
  metrics.reconcileTotal.inc({ result: 'failed' });
  metrics.reconcileDuration.observe(1.2);
  metrics.lastSuccess.set(1_700_000_000);
  metrics.revertsTotal.inc();
  metrics.gitFetchTotal.inc({ result: 'success' });
  metrics.gitFetchDuration.observe(0.3);
  metrics.webhookRequests.inc({ provider: 'github', result: 'accepted' });
  metrics.notificationsTotal.inc({ provider: 'slack', result: 'success' });
  metrics.imagePullTotal.inc({ registry: 'ghcr.io', result: 'unauthorized' });
  metrics.setEventsStreamUp('node-a', true);
}

test('GET /metrics serves every metric of the contract with exactly its type and labels', async () => {
  const metrics = new FlotillaMetrics(false);
  exercise(metrics);
  const scraped = await scrape(metrics);
  for (const [name, type, labels] of CONTRACT) {
    assert.equal(scraped.types.get(name), type, `${name} is a ${type}`);
    const samples = type === 'histogram' ? series(scraped, `${name}_count`) : series(scraped, name);
    assert.ok(samples.length > 0, `${name} has samples`);
    for (const s of samples) assert.deepEqual(Object.keys(s.labels).sort(), [...labels].sort(), `labels of ${name}`);
  }
  const flotillaNames = [...scraped.types.keys()].filter((n) => n.startsWith('flotilla_')).sort();
  assert.deepEqual(flotillaNames, CONTRACT.map(([n]) => n).sort(), 'no metric beyond the contract under the flotilla_ prefix');
});

test('values: drift per node and kind, out-of-sync count, node up/down, current and last good revision', async () => {
  const metrics = new FlotillaMetrics(false);
  exercise(metrics);
  const scraped = await scrape(metrics);
  assert.deepEqual(series(scraped, 'flotilla_drift_containers').map((s) => [s.labels.node, s.labels.kind, s.value]).sort(), [['node-a', 'stopped', 1], ['node-b', 'outdated', 2]]);
  assert.equal(series(scraped, 'flotilla_out_of_sync_services')[0]?.value, 1);
  assert.deepEqual(series(scraped, 'flotilla_service_in_sync').map((s) => [s.labels.service, s.value]).sort(), [['db', 1], ['web', 0]]);
  assert.deepEqual(series(scraped, 'flotilla_node_up').map((s) => [s.labels.node, s.value]).sort(), [['node-a', 1], ['node-b', 0]]);
  assert.deepEqual(series(scraped, 'flotilla_revision_info').map((s) => [s.labels.state, s.labels.revision]).sort(), [['current', SHA], ['last_good', GOOD]]);
});

test('no commit or container id is a label value outside flotilla_revision_info', async () => {
  const metrics = new FlotillaMetrics(false);
  exercise(metrics);
  const scraped = await scrape(metrics);
  for (const s of scraped.samples) {
    if (s.name === 'flotilla_revision_info') continue;
    for (const value of Object.values(s.labels)) assert.doesNotMatch(value, /^[0-9a-f]{12,64}$/, `${s.name} carries an id`);
  }
});

test('counters of reconcile and fetch results start at zero, so the first failure is visible to increase()', async () => {
  const scraped = await scrape(new FlotillaMetrics(false));
  const results = series(scraped, 'flotilla_reconcile_total').map((s) => s.labels.result).sort();
  assert.deepEqual(results, ['error', 'failed', 'invalid', 'paused', 'success', 'superseded', 'unchanged', 'untrusted']);
  assert.deepEqual(series(scraped, 'flotilla_git_fetch_total').map((s) => [s.labels.result, s.value]).sort(), [['error', 0], ['success', 0]]);
});

test('the daemon also serves the standard process and Node.js metrics', async () => {
  const scraped = await scrape(new FlotillaMetrics(true));
  for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'process_start_time_seconds', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
    assert.ok(scraped.types.has(name), `${name} is served`);
  }
});
