// The shipped example repo is what new users copy: it must validate cleanly and normalize
// to exactly this model, with every Flotilla default filled in.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadDesiredState } from '../../../src/manifests/load.js';
import type { ServiceSpec, UpdateConfig } from '../../../src/manifests/model.js';
import { directoryReader } from '../../../src/manifests/repo-reader.js';
import { repoRoot } from './support.js';

const DEFAULT_UPDATE: UpdateConfig = { parallelism: 1, delayMs: 0, failureAction: 'rollback', monitorMs: 5000, maxFailureRatio: 0, order: 'stop-first' };
const DEFAULT_ROLLBACK: UpdateConfig = { ...DEFAULT_UPDATE, failureAction: 'pause' };

async function loadExample() {
  const result = await loadDesiredState(await directoryReader(join(repoRoot(), 'example-repo')));
  assert.deepEqual(result.problems, []);
  assert.ok(result.state);
  return { ...result, state: result.state };
}

test('example-repo validates with no problems and finds its only cluster without --path', async () => {
  const { state, clusterPath } = await loadExample();
  assert.equal(clusterPath, 'clusters/local');
  assert.match(state.revision, /^dir-[0-9a-f]{12}$/);
  assert.deepEqual(state.cluster, {
    name: 'local',
    file: 'clusters/local/cluster.yaml',
    nodes: [{ name: 'local', endpoint: 'unix:///var/run/docker.sock', labels: { zone: 'a', role: 'web' } }],
    stacks: [
      { name: 'shop', compose: 'stacks/shop/compose.yaml' },
      { name: 'monitoring', compose: 'stacks/monitoring/compose.yaml' },
    ],
    sync: { prune: true, selfHeal: true, revert: true },
    policy: { allowPrivileged: false, allowHostNetwork: false, allowBindMounts: [] },
    notifications: [],
    registries: [],
  });
  assert.deepEqual(state.stacks.map((s) => [s.name, s.file, s.services.map((v) => v.name)]), [
    ['shop', 'stacks/shop/compose.yaml', ['web', 'api']],
    ['monitoring', 'stacks/monitoring/compose.yaml', ['node-info']],
  ]);
});

test('example-repo: shop/web is interpolated from .env and keeps Flotilla defaults where update_config is partial', async () => {
  const { state } = await loadExample();
  const web = state.stacks[0]?.services[0] as ServiceSpec;
  assert.deepEqual(web, {
    stack: 'shop',
    name: 'web',
    image: 'nginx:1.27-alpine',
    environment: {},
    ports: [{ target: 80, published: 8080, protocol: 'tcp' }],
    mounts: [],
    networks: ['default'],
    labels: {},
    restart: 'unless-stopped',
    capAdd: [],
    capDrop: [],
    readOnly: false,
    init: false,
    extraHosts: [],
    dependsOn: ['api'],
    privileged: false,
    deploy: {
      mode: 'replicated',
      replicas: 1,
      placement: { constraints: [{ field: 'label', labelKey: 'role', operator: '==', value: 'web', text: 'node.labels.role==web' }], spreadLabels: [] },
      updateConfig: { ...DEFAULT_UPDATE, order: 'start-first', monitorMs: 10_000 },
      rollbackConfig: DEFAULT_ROLLBACK,
      limits: { nanoCpus: 500_000_000, memoryBytes: 128 * 1024 ** 2 },
      reservations: {},
      labels: {},
    },
    healthcheck: { test: ['CMD', 'wget', '-q', '-O', '/dev/null', 'http://127.0.0.1/'], intervalMs: 5000, timeoutMs: 3000, retries: 3, startPeriodMs: 5000 },
  });
});

test('example-repo: shop/api gets the default rollback config, spread preference and a reservation', async () => {
  const { state } = await loadExample();
  const api = state.stacks[0]?.services[1] as ServiceSpec;
  assert.equal(api.image, 'traefik/whoami:v1.10');
  assert.deepEqual(api.command, ['--port', '8081']);
  assert.deepEqual(api.environment, { WHOAMI_NAME: 'shop-api' });
  assert.equal(api.deploy.replicas, 2);
  assert.deepEqual(api.deploy.placement, { constraints: [], spreadLabels: ['zone'] });
  assert.deepEqual(api.deploy.updateConfig, { ...DEFAULT_UPDATE, delayMs: 2000 });
  assert.deepEqual(api.deploy.rollbackConfig, DEFAULT_ROLLBACK);
  assert.deepEqual(api.deploy.reservations, { memoryBytes: 32 * 1024 ** 2 });
  assert.deepEqual(api.healthcheck, { test: ['CMD', '/whoami', '--help'], intervalMs: 10_000, retries: 3 });
});

test('example-repo: each stack gets its own <stack>_default network and no volumes', async () => {
  const { state } = await loadExample();
  for (const stack of state.stacks) {
    assert.deepEqual(stack.networks, [{ name: 'default', dockerName: `${stack.name}_default`, internal: false, external: false, labels: {} }]);
    assert.deepEqual(stack.volumes, []);
  }
});

test('example-repo: monitoring/node-info is global (replicas 0), read-only with a tmpfs, and all defaults apply', async () => {
  const { state } = await loadExample();
  const info = state.stacks[1]?.services[0] as ServiceSpec;
  assert.equal(info.deploy.mode, 'global');
  assert.equal(info.deploy.replicas, 0);
  assert.equal(info.restart, 'unless-stopped');
  assert.equal(info.readOnly, true);
  assert.deepEqual(info.mounts, [{ type: 'tmpfs', target: '/tmp', readOnly: false }]);
  assert.deepEqual(info.deploy.updateConfig, DEFAULT_UPDATE);
  assert.deepEqual(info.deploy.rollbackConfig, DEFAULT_ROLLBACK);
  assert.deepEqual(info.deploy.limits, { memoryBytes: 16 * 1024 ** 2 });
  assert.deepEqual(info.healthcheck, { test: ['CMD-SHELL', 'test -f /tmp/heartbeat'], intervalMs: 10_000, startPeriodMs: 5000 });
});
